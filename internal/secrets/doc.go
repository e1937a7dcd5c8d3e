// Package secrets encrypts endpoint credentials at rest for the example
// programs: an AES-256-GCM Keyring, the Secret string type that never prints
// its value, and key rotation over a store's endpoint registry.
//
// # Keyring
//
// A Keyring holds one or more 32-byte keys, each with an id. The newest key
// (the last one given) encrypts; any key decrypts. Keys come from a spec
// string ("id1:base64key,id2:base64key", usually an environment variable
// read by the daemon with FromEnv) or a key file (LoadKeyFile: one
// "id:base64key" per line, # comments allowed, the file must not be readable
// by group or others). GenerateKey makes a new key line.
//
// # Ciphertext format
//
// Encrypt returns a self-describing, versioned blob:
//
//	version (1 byte, 0x01) | id length (1 byte) | key id | nonce (12 bytes) | sealed
//
// where sealed is the GCM ciphertext and tag. The GCM additional data is the
// header (version, id length, key id) followed by a context string; the
// daemon uses the endpoint name, so a credential copied to another endpoint
// fails to decrypt (ErrDecrypt). Decrypt reports an unknown key id as
// *UnknownKeyError, tampering or a wrong context as ErrDecrypt and a blob that
// is not in this format as *MalformedError (errors.Is ErrMalformed).
//
// Errors never contain key material or plaintext.
//
// # Rotation
//
// RotateEndpoints re-encrypts every credential in a store.Endpoints registry
// under the keyring's newest key, one endpoint at a time; after it reports no
// failures the older keys can be removed from the keyring.
package secrets
