package secrets_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
	"gopkg.in/yaml.v3"

	"github.com/accessvault/vinventory/internal/secrets"
	"github.com/accessvault/vinventory/internal/testbackends"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

func mustKeyLine(t *testing.T, id string) string {
	t.Helper()
	line, err := secrets.GenerateKey(id)
	if err != nil {
		t.Fatal(err)
	}
	return line
}

func mustParse(t *testing.T, spec string) *secrets.Keyring {
	t.Helper()
	kr, err := secrets.ParseKeyring(spec)
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

// keyMaterial returns the base64 parts of key lines, which must never
// appear in output.
func keyMaterial(lines ...string) []string {
	var out []string
	for _, l := range lines {
		_, b64, _ := strings.Cut(l, ":")
		out = append(out, b64)
	}
	return out
}

func assertAbsent(t *testing.T, what, s string, secretValues ...string) {
	t.Helper()
	for _, v := range secretValues {
		if v != "" && strings.Contains(s, v) {
			t.Errorf("%s contains secret %q: %s", what, v, s)
		}
	}
}

func TestRoundTripAndFormat(t *testing.T) {
	k1 := mustKeyLine(t, "k1")
	kr := mustParse(t, k1)
	for _, pt := range [][]byte{[]byte("s3cr3t-P@ss"), {}, bytes.Repeat([]byte("é\"<x>=1"), 500)} {
		blob, err := kr.Encrypt(pt, "vc1")
		if err != nil {
			t.Fatal(err)
		}
		if blob[0] != secrets.Version || blob[1] != 2 || string(blob[2:4]) != "k1" {
			t.Fatalf("header = % x, want version 1, id len 2, id k1", blob[:4])
		}
		if len(blob) != 4+12+len(pt)+16 {
			t.Fatalf("blob length %d, want %d", len(blob), 4+12+len(pt)+16)
		}
		if len(pt) > 4 && bytes.Contains(blob, pt) {
			t.Fatal("blob contains the plaintext")
		}
		got, err := kr.Decrypt(blob, "vc1")
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, pt) {
			t.Fatalf("round trip = %q, want %q", got, pt)
		}
		if id, err := secrets.KeyID(blob); err != nil || id != "k1" {
			t.Fatalf("KeyID = %q, %v", id, err)
		}
	}
	// Fresh nonce each time.
	a, _ := kr.Encrypt([]byte("same"), "vc1")
	b, _ := kr.Encrypt([]byte("same"), "vc1")
	if bytes.Equal(a, b) {
		t.Fatal("two encryptions of the same plaintext are identical (nonce reuse)")
	}
}

func TestWrongContextAndTamper(t *testing.T) {
	kr := mustParse(t, mustKeyLine(t, "k1"))
	blob, err := kr.Encrypt([]byte("hunter2"), "vc1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kr.Decrypt(blob, "vc2"); !errors.Is(err, secrets.ErrDecrypt) {
		t.Fatalf("wrong context: err = %v, want ErrDecrypt", err)
	}
	if _, err := kr.Decrypt(blob, ""); !errors.Is(err, secrets.ErrDecrypt) {
		t.Fatalf("empty context: err = %v, want ErrDecrypt", err)
	}
	// Flip every byte after the header in turn: each must fail.
	for i := 4; i < len(blob); i++ {
		c := bytes.Clone(blob)
		c[i] ^= 0x01
		if _, err := kr.Decrypt(c, "vc1"); !errors.Is(err, secrets.ErrDecrypt) {
			t.Fatalf("byte %d flipped: err = %v, want ErrDecrypt", i, err)
		}
	}
	// Truncation and extension.
	if _, err := kr.Decrypt(blob[:len(blob)-1], "vc1"); !errors.Is(err, secrets.ErrDecrypt) {
		t.Fatalf("truncated: err = %v", err)
	}
	if _, err := kr.Decrypt(append(bytes.Clone(blob), 0), "vc1"); !errors.Is(err, secrets.ErrDecrypt) {
		t.Fatalf("extended: err = %v", err)
	}
	// A different key under the same id does not open it.
	other := mustParse(t, mustKeyLine(t, "k1"))
	if _, err := other.Decrypt(blob, "vc1"); !errors.Is(err, secrets.ErrDecrypt) {
		t.Fatalf("other key same id: err = %v, want ErrDecrypt", err)
	}
	// Header changed to another known id: AD binds the header.
	two := mustParse(t, mustKeyLine(t, "k2")+","+mustKeyLine(t, "k3"))
	b2, _ := two.Encrypt([]byte("x"), "vc1")
	b2[3] = '2' // k3 -> k2
	if _, err := two.Decrypt(b2, "vc1"); !errors.Is(err, secrets.ErrDecrypt) {
		t.Fatalf("header swapped: err = %v, want ErrDecrypt", err)
	}
}

func TestUnknownKeyAndMalformed(t *testing.T) {
	old := mustParse(t, mustKeyLine(t, "old"))
	blob, _ := old.Encrypt([]byte("pw"), "vc1")
	kr := mustParse(t, mustKeyLine(t, "new"))
	_, err := kr.Decrypt(blob, "vc1")
	var uk *secrets.UnknownKeyError
	if !errors.As(err, &uk) || uk.ID != "old" {
		t.Fatalf("err = %v, want *UnknownKeyError{old}", err)
	}
	cases := map[string][]byte{
		"empty":       nil,
		"version":     {7, 1, 'a'},
		"short":       {1},
		"zero id len": {1, 0, 1, 2, 3},
		"id overflow": {1, 200, 'a'},
		"bad id":      append([]byte{1, 2, ' ', '!'}, make([]byte, 40)...),
		"no sealed":   append([]byte{1, 3, 'n', 'e', 'w'}, make([]byte, 10)...),
	}
	for name, b := range cases {
		_, err := kr.Decrypt(b, "vc1")
		var me *secrets.MalformedError
		if !errors.As(err, &me) || !errors.Is(err, secrets.ErrMalformed) {
			t.Errorf("%s: err = %v, want *MalformedError", name, err)
		}
	}
}

func TestParseKeyringErrorsNeverLeakMaterial(t *testing.T) {
	good := mustKeyLine(t, "k1")
	short := "k2:" + base64.StdEncoding.EncodeToString([]byte("only-sixteen-byt"))
	bare := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))
	cases := []struct {
		spec, want string
	}{
		{"", "empty"},
		{" , ,", "empty"},
		{bare, "want id:base64key"},
		{good + "," + short, "must decode to 32 bytes, got 16"},
		{good + ",k3:!!!notbase64!!!", "not valid base64"},
		{good + "," + good, "duplicate key id"},
		{"bad id:" + strings.SplitN(good, ":", 2)[1], "only letters"},
		{":" + strings.SplitN(good, ":", 2)[1], "must not be empty"},
	}
	for _, c := range cases {
		_, err := secrets.ParseKeyring(c.spec)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ParseKeyring(%.20q...): err = %v, want containing %q", c.spec, err, c.want)
			continue
		}
		assertAbsent(t, "error", err.Error(), append(keyMaterial(good, short), bare, "!!!notbase64!!!")...)
	}
	// Whitespace, newlines and unpadded / URL-safe base64 are accepted.
	raw := bytes.Repeat([]byte{0xfb}, 32)
	spec := " a:" + base64.RawURLEncoding.EncodeToString(raw) + "\n b : " + base64.StdEncoding.EncodeToString(raw) + " \n"
	kr := mustParse(t, spec)
	if got := strings.Join(kr.IDs(), ","); got != "a,b" || kr.NewestID() != "b" {
		t.Fatalf("IDs = %s newest %s", got, kr.NewestID())
	}
	// Keyring and Key renderings never show material.
	k := secrets.Key{ID: "x", Bytes: raw}
	for _, s := range []string{kr.String(), fmt.Sprintf("%v %+v %#v %s %x", kr, kr, kr, kr, kr), fmt.Sprintf("%v %+v %#v %s %x", k, k, k, k, k)} {
		assertAbsent(t, "rendering", s, base64.StdEncoding.EncodeToString(raw), base64.RawURLEncoding.EncodeToString(raw), fmt.Sprintf("%x", raw))
	}
}

func TestNewestKeyEncryptsAnyDecrypts(t *testing.T) {
	l1, l2 := mustKeyLine(t, "2025"), mustKeyLine(t, "2026")
	oldRing := mustParse(t, l1)
	oldBlob, _ := oldRing.Encrypt([]byte("old-pw"), "vc1")
	both := mustParse(t, l1+","+l2)
	newBlob, _ := both.Encrypt([]byte("new-pw"), "vc1")
	if id, _ := secrets.KeyID(newBlob); id != "2026" {
		t.Fatalf("newest key id = %s, want 2026", id)
	}
	for blob, want := range map[string]string{string(oldBlob): "old-pw", string(newBlob): "new-pw"} {
		got, err := both.Decrypt([]byte(blob), "vc1")
		if err != nil || string(got) != want {
			t.Fatalf("Decrypt = %q, %v, want %q", got, err, want)
		}
	}
}

func TestLoadKeyFile(t *testing.T) {
	dir := t.TempDir()
	l1, l2 := mustKeyLine(t, "a"), mustKeyLine(t, "b")
	path := filepath.Join(dir, "keys")
	content := "# vinventory keys, oldest first\n\n" + l1 + "\n   # rotated 2026-11\n" + l2 + "\n"
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	kr, err := secrets.LoadKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if kr.NewestID() != "b" || len(kr.IDs()) != 2 {
		t.Fatalf("ids %v newest %s", kr.IDs(), kr.NewestID())
	}
	if runtime.GOOS != "windows" {
		for _, mode := range []os.FileMode{0o640, 0o604, 0o644, 0o660} {
			if err := os.Chmod(path, mode); err != nil {
				t.Fatal(err)
			}
			_, err := secrets.LoadKeyFile(path)
			var ie *secrets.InsecureFileError
			if !errors.As(err, &ie) || ie.Path != path {
				t.Fatalf("mode %o: err = %v, want *InsecureFileError", mode, err)
			}
			if !strings.Contains(err.Error(), "chmod 600") {
				t.Fatalf("error does not say how to fix: %v", err)
			}
			assertAbsent(t, "error", err.Error(), keyMaterial(l1, l2)...)
		}
		os.Chmod(path, 0o400)
		if _, err := secrets.LoadKeyFile(path); err != nil {
			t.Fatalf("mode 0400: %v", err)
		}
	}
	// A bad line is reported with file:line and no material.
	bad := filepath.Join(dir, "bad")
	os.WriteFile(bad, []byte(l1+"\n\nc:"+base64.StdEncoding.EncodeToString([]byte("short"))+"\n"), 0o600)
	_, err = secrets.LoadKeyFile(bad)
	if err == nil || !strings.Contains(err.Error(), bad+":3") {
		t.Fatalf("err = %v, want it to name %s:3", err, bad)
	}
	assertAbsent(t, "error", err.Error(), keyMaterial(l1)...)
	empty := filepath.Join(dir, "empty")
	os.WriteFile(empty, []byte("# nothing\n"), 0o600)
	if _, err := secrets.LoadKeyFile(empty); err == nil || !strings.Contains(err.Error(), "no keys") {
		t.Fatalf("empty file: err = %v", err)
	}
	if _, err := secrets.LoadKeyFile(filepath.Join(dir, "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing: err = %v", err)
	}
}

func TestFromLookup(t *testing.T) {
	l := mustKeyLine(t, "env1")
	env := map[string]string{"VINVENTORY_KEYS": l, "BAD": "x:" + base64.StdEncoding.EncodeToString([]byte("tiny"))}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	kr, err := secrets.FromLookup("VINVENTORY_KEYS", lookup)
	if err != nil || kr.NewestID() != "env1" {
		t.Fatalf("kr %v err %v", kr, err)
	}
	if _, err := secrets.FromLookup("MISSING", lookup); err == nil || !strings.Contains(err.Error(), "MISSING") {
		t.Fatalf("missing env: %v", err)
	}
	_, err = secrets.FromLookup("BAD", lookup)
	if err == nil || !strings.Contains(err.Error(), "BAD") || !strings.Contains(err.Error(), "32 bytes") {
		t.Fatalf("bad env: %v", err)
	}
	assertAbsent(t, "error", err.Error(), keyMaterial(env["BAD"])...)
	t.Setenv("VINV_TEST_KEYS", l)
	if kr, err := secrets.FromEnv("VINV_TEST_KEYS"); err != nil || kr.NewestID() != "env1" {
		t.Fatalf("FromEnv: %v", err)
	}
}

func TestGenerateKey(t *testing.T) {
	a, b := mustKeyLine(t, "g"), mustKeyLine(t, "g2")
	if a[2:] == b[3:] {
		t.Fatal("two generated keys are equal")
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(a, "g:"))
	if err != nil || len(raw) != 32 {
		t.Fatalf("generated key decodes to %d bytes, %v", len(raw), err)
	}
	if _, err := secrets.GenerateKey("has space"); err == nil {
		t.Fatal("GenerateKey accepted a bad id")
	}
}

func TestDecryptCredential(t *testing.T) {
	ctx := context.Background()
	kr := mustParse(t, mustKeyLine(t, "k"))
	blob, _ := kr.Encrypt([]byte("p4ss"), "vc1")
	p, err := kr.DecryptCredential(ctx, inventory.Endpoint{Name: "vc1", Username: "svc", Credential: blob})
	if err != nil || p != "p4ss" {
		t.Fatalf("DecryptCredential = %q, %v", p, err)
	}
	// Copied to another endpoint: refused.
	_, err = kr.DecryptCredential(ctx, inventory.Endpoint{Name: "vc2", Credential: blob})
	if !errors.Is(err, secrets.ErrDecrypt) || !strings.Contains(err.Error(), `"vc2"`) {
		t.Fatalf("moved blob: err = %v", err)
	}
	if _, err := kr.DecryptCredential(ctx, inventory.Endpoint{Name: "vc3"}); err == nil {
		t.Fatal("empty credential accepted")
	}
}

type jsonHolder struct {
	User     string         `json:"user" yaml:"user"`
	Password secrets.Secret `json:"password" yaml:"password"`
}

func TestSecretNeverRenders(t *testing.T) {
	const pw = "Tr0ub4dor&3-very-secret"
	s := secrets.Secret(pw)
	if s.Reveal() != pw {
		t.Fatal("Reveal lost the value")
	}
	var outs []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%10.3s"} {
		outs = append(outs, fmt.Sprintf(verb, s))
	}
	outs = append(outs, fmt.Sprint(s), fmt.Sprintf("%v", jsonHolder{"u", s}), fmt.Sprintf("%+v", &jsonHolder{"u", s}), fmt.Sprintf("%#v", jsonHolder{"u", s}))
	j, _ := json.Marshal(jsonHolder{"u", s})
	y, _ := yaml.Marshal(jsonHolder{"u", s})
	outs = append(outs, string(j), string(y))
	if !strings.Contains(string(j), `"password":"[redacted]"`) {
		t.Errorf("json = %s", j)
	}

	var sb bytes.Buffer
	for _, h := range []slog.Handler{slog.NewJSONHandler(&sb, nil), slog.NewTextHandler(&sb, nil)} {
		l := slog.New(h)
		l.Info("login", "password", s, "holder", jsonHolder{"u", s})
		l.Info("login", slog.Any("pw", s), slog.Group("g", "pw", s))
	}
	outs = append(outs, sb.String())
	if !strings.Contains(sb.String(), "[redacted]") {
		t.Errorf("slog output lacks [redacted]: %s", sb.String())
	}

	core, logs := observer.New(zapcore.DebugLevel)
	zl := zap.New(core)
	zl.Info("login", zap.Any("password", s), zap.Stringer("pw2", s), zap.Reflect("holder", jsonHolder{"u", s}), zap.Any("holder2", jsonHolder{"u", s}))
	var zb bytes.Buffer
	enc := zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig())
	for _, e := range logs.All() {
		buf, err := enc.EncodeEntry(e.Entry, e.Context)
		if err != nil {
			t.Fatal(err)
		}
		zb.Write(buf.Bytes())
		for k, v := range e.ContextMap() {
			zb.WriteString(fmt.Sprintf("%s=%v\n", k, v))
		}
	}
	outs = append(outs, zb.String())
	if !strings.Contains(zb.String(), `"password":"[redacted]"`) {
		t.Errorf("zap output: %s", zb.String())
	}
	for _, o := range outs {
		assertAbsent(t, "rendering", o, pw, fmt.Sprintf("%x", pw), "Tr0")
	}
	// Decoding still works like a string.
	var h jsonHolder
	if err := json.Unmarshal([]byte(`{"password":"abc"}`), &h); err != nil || h.Password.Reveal() != "abc" {
		t.Fatalf("json decode: %v %q", err, h.Password.Reveal())
	}
	if err := yaml.Unmarshal([]byte("password: def\n"), &h); err != nil || h.Password.Reveal() != "def" {
		t.Fatalf("yaml decode: %v %q", err, h.Password.Reveal())
	}
}

func TestRotateEndpoints(t *testing.T) {
	testbackends.ForEach(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		lOld, lMid, lNew := mustKeyLine(t, "old"), mustKeyLine(t, "mid"), mustKeyLine(t, "new")
		krOld := mustParse(t, lOld)
		krMid := mustParse(t, lOld+","+lMid)
		stranger := mustParse(t, mustKeyLine(t, "lost"))

		names := []string{"vc-a", `vc "quoted" ünï`, "=cmd|' /C calc'!A0", "<b>esx</b>", strings.Repeat("n", 255)}
		passwords := map[string]string{}
		put := func(name string, kr *secrets.Keyring, pw string) {
			t.Helper()
			ep := inventory.Endpoint{Name: name, URL: "https://" + fmt.Sprint(len(name)) + ".example.com/sdk", Username: "u", Enabled: true, Tags: map[string]string{"site": "x"}}
			if kr != nil {
				blob, err := kr.Encrypt([]byte(pw), name)
				if err != nil {
					t.Fatal(err)
				}
				ep.Credential = blob
			}
			if _, err := st.UpsertEndpoint(ctx, &store.UpsertEndpointParams{Endpoint: ep}); err != nil {
				t.Fatal(err)
			}
			passwords[name] = pw
		}
		put(names[0], krOld, "pw-a")
		put(names[1], krMid, "pw-b") // already... on mid, not newest
		put(names[2], krOld, "pw-c")
		put(names[3], nil, "")               // no credential
		put(names[4], stranger, "pw-stolen") // no key in the ring can open it
		strangerBlob := getEP(t, st, names[4]).Credential

		full := mustParse(t, lOld+","+lMid+","+lNew)
		res, err := secrets.RotateEndpoints(ctx, st, full)
		if err == nil {
			t.Fatal("rotation with an unopenable blob returned no error")
		}
		var uk *secrets.UnknownKeyError
		var ee *secrets.EndpointError
		if !errors.As(err, &uk) || uk.ID != "lost" || !errors.As(err, &ee) || ee.Endpoint != names[4] {
			t.Fatalf("err = %v, want UnknownKeyError{lost} for %q", err, names[4])
		}
		if res.Total != 5 || res.Rotated != 3 || res.Current != 0 || res.Empty != 1 || len(res.Failed) != 1 || res.Failed[0].Endpoint != names[4] || res.NewestID != "new" {
			t.Fatalf("result = %+v", res)
		}
		assertAbsent(t, "error", err.Error(), "pw-stolen", "pw-a")
		// The unopenable blob is untouched.
		if got := getEP(t, st, names[4]).Credential; !bytes.Equal(got, strangerBlob) {
			t.Fatal("unopenable credential was modified")
		}

		// Every other credential is on the newest key and opens with a
		// keyring that holds only the newest key: the old ones can go.
		onlyNew := mustParse(t, lNew)
		for _, n := range names[:3] {
			ep := getEP(t, st, n)
			if id, _ := secrets.KeyID(ep.Credential); id != "new" {
				t.Fatalf("%q still on key %s", n, id)
			}
			pt, err := onlyNew.Decrypt(ep.Credential, n)
			if err != nil || string(pt) != passwords[n] {
				t.Fatalf("%q: Decrypt with only the new key = %q, %v", n, pt, err)
			}
			if ep.Username != "u" || ep.Tags["site"] != "x" || !ep.Enabled {
				t.Fatalf("%q: other fields changed: %+v", n, ep)
			}
		}
		if len(getEP(t, st, names[3]).Credential) != 0 {
			t.Fatal("empty credential was filled")
		}

		// A second run rewrites nothing.
		before := getEP(t, st, names[0])
		res2, err := secrets.RotateEndpoints(ctx, st, onlyNew)
		if res2.Current != 3 || res2.Rotated != 0 || len(res2.Failed) != 1 {
			t.Fatalf("second run = %+v", res2)
		}
		if after := getEP(t, st, names[0]); !bytes.Equal(after.Credential, before.Credential) || !after.UpdatedAt.Equal(before.UpdatedAt) {
			t.Fatal("second run rewrote an endpoint already on the newest key")
		}
		if err == nil {
			t.Fatal("second run: still-unopenable blob not reported")
		}
	})
}

func getEP(t *testing.T, st store.Endpoints, name string) *inventory.Endpoint {
	t.Helper()
	ep, err := st.GetEndpoint(context.Background(), &store.GetEndpointParams{Name: name})
	if err != nil {
		t.Fatal(err)
	}
	return ep
}

// racingStore is a real store whose GetEndpoint lets another writer change
// the endpoint first, as a concurrent admin would between rotation's list
// and write.
type racingStore struct {
	store.Store
	race func()
}

func (r *racingStore) GetEndpoint(ctx context.Context, p *store.GetEndpointParams) (*inventory.Endpoint, error) {
	if r.race != nil {
		r.race()
		r.race = nil
	}
	return r.Store.GetEndpoint(ctx, p)
}

func TestRotateKeepsConcurrentChange(t *testing.T) {
	testbackends.ForEach(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		lOld, lNew := mustKeyLine(t, "old"), mustKeyLine(t, "new")
		krOld, full := mustParse(t, lOld), mustParse(t, lOld+","+lNew)
		blob, _ := krOld.Encrypt([]byte("before"), "vc1")
		ep := inventory.Endpoint{Name: "vc1", URL: "https://vc1/sdk", Username: "u", Credential: blob}
		if _, err := st.UpsertEndpoint(ctx, &store.UpsertEndpointParams{Endpoint: ep}); err != nil {
			t.Fatal(err)
		}
		fresh, _ := full.Encrypt([]byte("changed-by-admin"), "vc1")
		rs := &racingStore{Store: st, race: func() {
			e := ep
			e.Credential = fresh
			if _, err := st.UpsertEndpoint(ctx, &store.UpsertEndpointParams{Endpoint: e}); err != nil {
				t.Error(err)
			}
		}}
		res, err := secrets.RotateEndpoints(ctx, rs, full)
		if err != nil || res.Changed != 1 || res.Rotated != 0 {
			t.Fatalf("res = %+v, err = %v", res, err)
		}
		got := getEP(t, st, "vc1")
		pt, err := full.Decrypt(got.Credential, "vc1")
		if err != nil || string(pt) != "changed-by-admin" {
			t.Fatalf("concurrent change lost: %q %v", pt, err)
		}
	})
}
