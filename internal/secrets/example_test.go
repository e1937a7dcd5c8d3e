package secrets_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/accessvault/vinventory/internal/secrets"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/memstore"
)

// A fixed key for the examples; real keys come from GenerateKey.
var exampleKey = base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{42}, 32))

func ExampleKeyring() {
	// Usually from an environment variable: VINVENTORY_KEYS=2026a:<base64>
	kr, err := secrets.ParseKeyring("2026a:" + exampleKey)
	if err != nil {
		panic(err)
	}
	blob, _ := kr.Encrypt([]byte("vc1 password"), "vc1")
	id, _ := secrets.KeyID(blob)
	pw, _ := kr.Decrypt(blob, "vc1")
	_, err = kr.Decrypt(blob, "vc2") // copied to another endpoint
	fmt.Println(id, string(pw), errors.Is(err, secrets.ErrDecrypt))
	// Output: 2026a vc1 password true
}

func ExampleRotateEndpoints() {
	ctx := context.Background()
	st := memstore.New(memstore.Options{})
	oldRing, _ := secrets.ParseKeyring("old:" + exampleKey)
	blob, _ := oldRing.Encrypt([]byte("s3cret"), "vc1")
	st.UpsertEndpoint(ctx, &store.UpsertEndpointParams{Endpoint: inventory.Endpoint{
		Name: "vc1", URL: "https://vc1.example.com/sdk", Username: "svc", Credential: blob}})

	newKey, _ := secrets.GenerateKey("new")
	both, _ := secrets.ParseKeyring("old:" + exampleKey + "," + newKey)
	res, err := secrets.RotateEndpoints(ctx, st, both)
	fmt.Println(res.Rotated, res.Current, len(res.Failed), err)

	// The old key can now be dropped.
	onlyNew, _ := secrets.ParseKeyring(newKey)
	ep, _ := st.GetEndpoint(ctx, &store.GetEndpointParams{Name: "vc1"})
	pw, _ := onlyNew.DecryptCredential(ctx, *ep)
	fmt.Println(ep.Username, pw)
	// Output:
	// 1 0 0 <nil>
	// svc s3cret
}

func ExampleSecret() {
	pw := secrets.Secret("hunter2")
	fmt.Printf("%v %q %#v\n", pw, pw, pw)
	fmt.Println(len(pw.Reveal()))
	// Output:
	// [redacted] [redacted] [redacted]
	// 7
}
