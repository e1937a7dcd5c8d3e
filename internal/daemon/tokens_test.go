package daemon

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/accessvault/vinventory/internal/api"
	"github.com/accessvault/vinventory/store/sqlitestore"
)

// TestTokenCommand: `token create` prints a secret once that authenticates
// against the store with its role and scope; `token list` shows the token
// without the secret; after `token revoke` the secret is refused.
func TestTokenCommand(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := filepath.Join(dir, "vinventory.db")
	cfg := filepath.Join(dir, "vinventory.yaml")
	if err := os.WriteFile(cfg, []byte("store: {driver: sqlite, path: "+db+"}\nhttp: {listen: \"\"}\nlog: {level: error}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := keyEnv(t)
	code, out, errOut := runMain(t, env, "-config", cfg, "token", "create", "-name", "ci bot", "-role", "operator", "-vcenter", "vc1")
	if code != 0 {
		t.Fatalf("token create: exit %d\n%s%s", code, out, errOut)
	}
	secret := regexp.MustCompile(`vinv_[A-Za-z0-9_-]{40,}`).FindString(out)
	if secret == "" || !strings.Contains(out, `"ci bot"`) || !strings.Contains(out, "cannot be shown again") {
		t.Fatalf("token create printed:\n%s", out)
	}
	st, err := sqlitestore.Open(ctx, db, sqlitestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	p, ok, err := api.StoreTokens{Store: st}.Authenticate(ctx, secret)
	if err != nil || !ok || p.Name != "ci bot" || p.Role != api.RoleOperator || len(p.Vcenters) != 1 || p.Vcenters[0] != "vc1" {
		t.Fatalf("the printed secret authenticates as %+v, %v, %v", p, ok, err)
	}
	code, out, _ = runMain(t, env, "-config", cfg, "token", "list")
	if code != 0 || !strings.Contains(out, `"ci bot"`) || !strings.Contains(out, "operator") || strings.Contains(out, secret) {
		t.Errorf("token list: exit %d\n%s", code, out)
	}
	if code, out, errOut := runMain(t, env, "-config", cfg, "token", "create", "-name", "x", "-role", "root"); code != 2 || !strings.Contains(out+errOut, "root") {
		t.Errorf("a bad role: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut := runMain(t, env, "-config", cfg, "token", "revoke", "1"); code != 0 || !strings.Contains(out, "revoked token 1") {
		t.Fatalf("token revoke: exit %d\n%s%s", code, out, errOut)
	}
	if _, ok, err := (api.StoreTokens{Store: st}).Authenticate(ctx, secret); ok || err != nil {
		t.Errorf("a revoked token still authenticates (%v)", err)
	}
}
