package daemon

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/accessvault/vinventory/internal/config"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/sqlitestore"
)

// TestWebUI runs examples/webui's main over a SQLite file a daemon wrote:
// it serves the API with the configured token (no keyring needed) and
// stops cleanly.
func TestWebUI(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := filepath.Join(dir, "inv.db")
	st, err := sqlitestore.Open(ctx, db, sqlitestore.Options{AutoMigrate: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.UpsertEndpoint(ctx, &store.UpsertEndpointParams{Endpoint: inventory.Endpoint{
		Name: "vc1", URL: "https://vc1.example.com/sdk", Username: "u", Enabled: true}}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	cfg := filepath.Join(dir, "webui.yaml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf(`store: {driver: sqlite, path: %q}
http: {listen: "127.0.0.1:0"}
log: {level: warn, format: json}
api:
  tokens:
    - {name: grafana, role: viewer, secret_env: WEBUI_TOKEN}
`, db)), 0o600); err != nil {
		t.Fatal(err)
	}
	secret := strings.Repeat("w", 36)
	pr, pw := io.Pipe()
	runCtx, cancel := context.WithCancel(ctx)
	code := make(chan int, 1)
	go func() {
		code <- WebUIMain(runCtx, []string{"-config", cfg}, pw, io.Discard, config.MapEnv(map[string]string{"WEBUI_TOKEN": secret}))
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("webui printed nothing: %v", err)
	}
	go io.Copy(io.Discard, pr)
	m := regexp.MustCompile(`pages at http://(\S+)/ and the API`).FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("webui printed %q", line)
	}
	req, _ := http.NewRequest(http.MethodGet, "http://"+m[1]+"/api/collectors", nil)
	req.Header.Set("Authorization", "Bearer "+secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var cols struct {
		Items []struct {
			Endpoint string `json:"endpoint"`
		} `json:"items"`
	}
	err = json.NewDecoder(resp.Body).Decode(&cols)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || len(cols.Items) != 1 || cols.Items[0].Endpoint != "vc1" {
		t.Fatalf("collectors: %d %v %+v", resp.StatusCode, err, cols)
	}
	// The pages are served too, public to read (ui.require_login is off).
	page, err := http.Get("http://" + m[1] + "/vms")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(page.Body)
	page.Body.Close()
	if page.StatusCode != 200 || !strings.Contains(string(body), "<h1>VMs</h1>") {
		t.Fatalf("/vms: %d", page.StatusCode)
	}
	cancel()
	if c := <-code; c != 0 {
		t.Fatalf("webui exit code %d", c)
	}
}
