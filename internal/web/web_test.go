package web

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/csv"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/accessvault/vinventory/chargeback"
	"github.com/accessvault/vinventory/health"
	"github.com/accessvault/vinventory/internal/api"
	"github.com/accessvault/vinventory/internal/testbackends"
	"github.com/accessvault/vinventory/report"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/sqlitestore"
)

func sqliteStore(t *testing.T) store.Store {
	t.Helper()
	st, err := sqlitestore.Open(context.Background(), filepath.Join(t.TempDir(), "inv.db"), sqlitestore.Options{AutoMigrate: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// client is an HTTP client with a cookie jar that does not follow
// redirects.
func client(t *testing.T) *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func fetch(t *testing.T, c *http.Client, method, u string, form url.Values, hdr map[string]string) (*http.Response, string) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, string(b)
}

func signIn(t *testing.T, f *fixture, c *http.Client, role api.Role) {
	t.Helper()
	signInWith(t, f, c, f.tokens[role])
}

// signInWith signs c in with a token secret (then to /admin).
func signInWith(t *testing.T, f *fixture, c *http.Client, secret string) {
	t.Helper()
	res, _ := fetch(t, c, http.MethodPost, f.srv.URL+"/login", url.Values{"token": {secret}, "next": {"/admin"}}, nil)
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/admin") || len(res.Cookies()) != 1 {
		t.Fatalf("sign-in: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
}

// TestPagesHTTP checks every page over plain HTTP on SQLite and
// PostgreSQL: status, hostile names escaped, security headers.
func TestPagesHTTP(t *testing.T) {
	for _, b := range []struct {
		name string
		st   func(*testing.T) store.Store
	}{{"sqlite", sqliteStore}, {"postgres", pgStore}} {
		t.Run(b.name, func(t *testing.T) {
			f := newFixture(t, b.st(t), Options{}, false)
			c := client(t)
			if _, body := fetch(t, c, http.MethodGet, f.srv.URL+"/", nil, nil); !strings.Contains(body, "Pages are public to read; actions") {
				t.Errorf("the auth callout does not say pages are public")
			}
			for _, p := range f.pagePaths() {
				res, body := fetch(t, c, http.MethodGet, f.srv.URL+p, nil, nil)
				if res.StatusCode != http.StatusOK {
					t.Errorf("%s: %d\n%s", p, res.StatusCode, body)
					continue
				}
				if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
					t.Errorf("%s: CSP %q", p, csp)
				}
				if strings.Contains(body, "<script>window.__xss") || strings.Contains(body, "<b>bold</b>") || strings.Contains(body, "<i>x</i>") {
					t.Errorf("%s: a hostile name is not escaped", p)
				}
			}
		})
	}
}

// pgStore is a PostgreSQL store in a schema of its own.
func pgStore(t *testing.T) store.Store { return testbackends.Postgres(t) }

// pagePaths are every page of the fixture (details of a hostile VM, its
// host, cluster, datastore, network and pool).
func (f *fixture) pagePaths() []string {
	ctx := context.Background()
	vc := url.PathEscape(hostileVC)
	vm, err := f.st.GetVM(ctx, &store.GetVMParams{Vcenter: hostileVC, VMID: f.vmID[scriptName]})
	if err != nil {
		panic(err)
	}
	ds, _ := f.st.ListDatastores(ctx, &store.ListDatastoresParams{Vcenter: hostileVC})
	ns, _ := f.st.ListNetworks(ctx, &store.ListNetworksParams{Vcenter: hostileVC})
	cs, _ := f.st.ListClusters(ctx, &store.ListClustersParams{Vcenter: hostileVC})
	return []string{"/", "/vms", "/vms/" + vc + "/" + url.PathEscape(vm.ID), "/hosts", "/hosts/" + vc + "/" + url.PathEscape(vm.HostID),
		"/clusters", "/clusters/" + vc + "/" + url.PathEscape(cs[0].ID), "/datastores", "/datastores/" + vc + "/" + url.PathEscape(ds[0].ID),
		"/networks", "/networks/" + vc + "/" + url.PathEscape(ns[0].ID), "/resource-pools", "/resource-pools/" + vc + "/" + url.PathEscape(vm.ResourcePoolID),
		"/chargeback?period=day&at=2026-03-01&by=tier&tags=tenant", "/chargeback?period=month&at=2026-03", "/snapshots", "/snapshots/" + vc + "/2026-03-01T12:00:00Z",
		"/changes?from=2026-03-01T03:00&to=2026-03-01T20:00", "/totals", "/totals?granularity=daily",
		"/trace?q=" + url.QueryEscape(scriptName) + "&by=name", "/events", "/health", "/reports", "/alerts", "/capacity", "/admin", "/admin/audit", "/login",
		"/search?q=DC0"}
}

// TestTemplGenerated fails when a .templ file changed without
// regenerating its _templ.go (go tool templ generate ./internal/web).
func TestTemplGenerated(t *testing.T) {
	dir := t.TempDir()
	files, err := filepath.Glob("*.templ")
	if err != nil || len(files) == 0 {
		t.Fatalf("no .templ files: %v", err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("go", "tool", "templ", "generate", "-path", dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("templ generate: %v\n%s", err, out)
	}
	for _, f := range files {
		gen := strings.TrimSuffix(f, ".templ") + "_templ.go"
		want, err := os.ReadFile(filepath.Join(dir, gen))
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(gen)
		if err != nil {
			t.Fatalf("%s is not committed: run go tool templ generate ./internal/web", gen)
		}
		// Generated from the module root, error positions name the path.
		got = bytes.ReplaceAll(got, []byte("FileName: `internal/web/"), []byte("FileName: `"))
		if !bytes.Equal(got, want) {
			t.Errorf("%s is stale: run go tool templ generate ./internal/web", gen)
		}
	}
}

// TestStaticAssets checks the cache-busted, gzip'd assets.
func TestStaticAssets(t *testing.T) {
	f := newFixture(t, sqliteStore(t), Options{}, false)
	c := client(t)
	_, page := fetch(t, c, http.MethodGet, f.srv.URL+"/", nil, nil)
	css := regexp.MustCompile(`href="(/static/app\.[0-9a-f]{8}\.css)"`).FindStringSubmatch(page)
	js := regexp.MustCompile(`src="(/static/app\.[0-9a-f]{8}\.js)"`).FindStringSubmatch(page)
	if css == nil || js == nil {
		t.Fatalf("no hashed asset URLs in the page")
	}
	for _, u := range []string{css[1], js[1]} {
		res, body := fetch(t, c, http.MethodGet, f.srv.URL+u, nil, map[string]string{"Accept-Encoding": "gzip"})
		if res.StatusCode != 200 || res.Header.Get("Content-Encoding") != "gzip" || !strings.Contains(res.Header.Get("Cache-Control"), "immutable") {
			t.Errorf("%s: %d %v", u, res.StatusCode, res.Header)
			continue
		}
		zr, err := gzip.NewReader(strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(zr)
		want, _ := staticFS.ReadFile("static/" + regexp.MustCompile(`\.[0-9a-f]{8}`).ReplaceAllString(strings.TrimPrefix(u, "/static/"), ""))
		if !bytes.Equal(raw, want) {
			t.Errorf("%s: gzip body differs from the file", u)
		}
		res, _ = fetch(t, c, http.MethodGet, f.srv.URL+u, nil, map[string]string{"Accept-Encoding": "identity"})
		if res.Header.Get("Content-Encoding") != "" {
			t.Errorf("%s: compressed without Accept-Encoding", u)
		}
	}
	if res, _ := fetch(t, c, http.MethodGet, f.srv.URL+"/static/app.00000000.css", nil, nil); res.StatusCode != 404 {
		t.Errorf("an unknown hash answered %d", res.StatusCode)
	}
	if res, _ := fetch(t, c, http.MethodGet, f.srv.URL+"/static/uplot.LICENSE", nil, nil); res.StatusCode != 404 {
		t.Errorf("a non-asset file is served: %d", res.StatusCode)
	}
}

// TestSessionAndCSRF checks the sign-in cookie, the refusal of forged
// forms and of actions without a session, and roles on actions.
func TestSessionAndCSRF(t *testing.T) {
	f := newFixture(t, sqliteStore(t), Options{}, false)
	c := client(t)
	// An action without a session goes to the sign-in page, changing nothing.
	res, _ := fetch(t, c, http.MethodPost, f.srv.URL+"/admin/tokens", url.Values{"name": {"x"}, "role": {"admin"}}, nil)
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login") {
		t.Errorf("anonymous action: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	// A wrong token is refused; a right one sets an HttpOnly, SameSite=Lax cookie.
	res, _ = fetch(t, c, http.MethodPost, f.srv.URL+"/login", url.Values{"token": {"nope"}}, nil)
	if !strings.Contains(res.Header.Get("Location"), "error=") || len(res.Cookies()) != 0 {
		t.Errorf("bad token: %s %v", res.Header.Get("Location"), res.Cookies())
	}
	res, _ = fetch(t, c, http.MethodPost, f.srv.URL+"/login", url.Values{"token": {f.tokens[api.RoleViewer]}, "next": {"//evil.example/"}}, nil)
	if loc := res.Header.Get("Location"); !strings.HasPrefix(loc, "/?") {
		t.Errorf("an off-site next was followed: %s", loc)
	}
	ck := res.Cookies()
	if len(ck) != 1 || !ck[0].HttpOnly || ck[0].SameSite != http.SameSiteLaxMode || ck[0].Secure || ck[0].Path != "/" {
		t.Fatalf("cookie %+v", ck)
	}
	// A viewer's action reaches the API, which answers 403: shown, nothing made.
	res, _ = fetch(t, c, http.MethodPost, f.srv.URL+"/admin/tokens", url.Values{"name": {"x"}, "role": {"admin"}}, nil)
	if loc := res.Header.Get("Location"); !strings.Contains(loc, "error=") || !strings.Contains(loc, "admin") {
		t.Errorf("viewer action: %d %s", res.StatusCode, loc)
	}
	if n := len(tokenList(t, f)); n != 0 {
		t.Errorf("a viewer created a token (%d)", n)
	}
	// Cross-site forms are refused before any handler runs.
	signIn(t, f, c, api.RoleAdmin)
	for _, h := range []map[string]string{{"Sec-Fetch-Site": "cross-site"}, {"Sec-Fetch-Site": "same-site"}, {"Origin": "https://evil.example"}} {
		res, body := fetch(t, c, http.MethodPost, f.srv.URL+"/admin/tokens", url.Values{"name": {"forged"}, "role": {"admin"}}, h)
		if res.StatusCode != http.StatusForbidden || !strings.Contains(body, "another site") {
			t.Errorf("forged form %v: %d", h, res.StatusCode)
		}
	}
	if n := len(tokenList(t, f)); n != 0 {
		t.Errorf("a forged form created a token (%d)", n)
	}
	// The same form from this site works, and its secret is shown once.
	res, body := fetch(t, c, http.MethodPost, f.srv.URL+"/admin/tokens", url.Values{"name": {"ok"}, "role": {"viewer"}}, map[string]string{"Sec-Fetch-Site": "same-origin"})
	if res.StatusCode != 200 || !strings.Contains(body, "data-secret") {
		t.Fatalf("token form: %d", res.StatusCode)
	}
	if _, page := fetch(t, c, http.MethodGet, f.srv.URL+"/admin", nil, nil); strings.Contains(page, "data-secret") {
		t.Errorf("the secret is shown again")
	}
	// Sign-out clears the cookie.
	res, _ = fetch(t, c, http.MethodPost, f.srv.URL+"/logout", url.Values{}, nil)
	if ck := res.Cookies(); len(ck) != 1 || ck[0].MaxAge >= 0 {
		t.Errorf("sign-out cookie %+v", ck)
	}
	// The audit log exports for an admin.
	signIn(t, f, c, api.RoleAdmin)
	if res, body := fetch(t, c, http.MethodGet, f.srv.URL+"/admin/audit?format=csv&action=token.create", nil, nil); res.StatusCode != 200 || !strings.Contains(body, "admin-token") {
		t.Errorf("audit export: %d %.200s", res.StatusCode, body)
	}
	// Audit: the page actions are recorded under the token's name.
	entries, err := f.st.(store.AuditLog).ListAudit(context.Background(), &store.ListAuditParams{})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range entries.Entries {
		found = found || (e.Action == "token.create" && e.Actor == "admin-token")
	}
	if !found {
		t.Errorf("no audit entry of the token made on the page: %+v", entries.Entries)
	}
}

// TestRequireLoginAndScope: with RequireLogin every page asks for a sign-in;
// a token scoped to one vCenter sees nothing of another on the pages.
func TestRequireLoginAndScope(t *testing.T) {
	f := newFixture(t, sqliteStore(t), Options{RequireLogin: true}, false)
	c := client(t)
	for _, p := range []string{"/", "/vms", "/chargeback"} {
		res, _ := fetch(t, c, http.MethodGet, f.srv.URL+p, nil, nil)
		if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login") {
			t.Errorf("%s without a session: %d", p, res.StatusCode)
		}
	}
	if res, _ := fetch(t, c, http.MethodGet, f.srv.URL+"/login", nil, nil); res.StatusCode != 200 {
		t.Errorf("/login: %d", res.StatusCode)
	}
	secret, tok, err := api.NewToken("scoped", api.RoleViewer)
	if err != nil {
		t.Fatal(err)
	}
	ts := f.st.(store.TokenStore)
	if _, err := ts.CreateToken(context.Background(), &store.CreateTokenParams{Name: "scoped", Role: "viewer", Vcenters: []string{"other-vc"}, Hash: tok.Hash[:]}); err != nil {
		t.Fatal(err)
	}
	signInWith(t, f, c, secret)
	// The dashboard's callout says how pages are protected here.
	if _, body := fetch(t, c, http.MethodGet, f.srv.URL+"/", nil, nil); !strings.Contains(body, "Pages need a sign-in; you are signed in as scoped (viewer)") {
		t.Errorf("the auth callout does not match require_login")
	}
	for _, p := range []string{"/vms", "/hosts", "/events", "/"} {
		_, body := fetch(t, c, http.MethodGet, f.srv.URL+p, nil, nil)
		if strings.Contains(body, "renamed-vm") || strings.Contains(body, "☃") {
			t.Errorf("%s shows another vCenter's data to a scoped token", p)
		}
	}
	res, _ := fetch(t, c, http.MethodGet, f.srv.URL+"/vms/"+url.PathEscape(hostileVC)+"/"+f.vmID["renamed-vm"], nil, nil)
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("a scoped token opened another vCenter's VM: %d", res.StatusCode)
	}
}

// TestExports: CSV and XLSX of the current filter hold every matching row
// (more than one page), with hostile text inert.
func TestExports(t *testing.T) {
	f := newFixture(t, sqliteStore(t), Options{}, false)
	c := client(t)
	// Pages of 7 rows: an export follows the API's next links.
	defer func(n int) { exportPageSize = n }(exportPageSize)
	exportPageSize = 7
	res, body := fetch(t, c, http.MethodGet, f.srv.URL+"/vms?format=csv&sort=name&template=false", nil, nil)
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("csv: %d %s", res.StatusCode, body)
	}
	recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != fixtureVMs+1 || recs[0][0] != "vcenter" {
		t.Errorf("csv rows %d, header %v", len(recs), recs[0][:3])
	}
	var tenant string
	for _, r := range recs {
		for _, cell := range r {
			if strings.Contains(cell, "=1+2") && !strings.HasPrefix(cell, "'") && !strings.HasPrefix(cell, "{") && !strings.HasPrefix(cell, `"`) && !strings.Contains(cell, "quoted") {
				t.Errorf("a formula cell is not inert: %q", cell)
			}
			if strings.Contains(cell, "tenant") {
				tenant = cell
			}
		}
	}
	if tenant == "" {
		t.Errorf("no tenant attribute in the export")
	}
	// Offset cursors (hosts, datastores...) are followed too.
	exportPageSize = 3
	res, body = fetch(t, c, http.MethodGet, f.srv.URL+"/hosts?format=csv", nil, nil)
	hRecs, _ := csv.NewReader(strings.NewReader(body)).ReadAll()
	hs, err := f.st.ListHosts(context.Background(), &store.ListHostsParams{})
	if err != nil || res.StatusCode != 200 || len(hRecs)-1 != len(hs) || len(hs) <= exportPageSize {
		t.Errorf("hosts export: %d rows, store has %d (%v)", len(hRecs)-1, len(hs), err)
	}
	// Every list page exports its filter, the page's own parameters
	// (datetime-local times, granularity) turned into the API's.
	for p, min := range map[string]int{
		"/events?format=csv&kind=resize&from=2026-03-01T00:00&to=2026-03-02T00:00": 1,
		"/snapshots?format=csv&kind=hourly":                                        30, "/totals?format=csv&granularity=hourly": 30,
		"/changes?format=csv&from=2026-03-01T03:00&to=2026-03-01T20:00": 3, "/reports?format=csv": 1,
	} {
		res, body := fetch(t, c, http.MethodGet, f.srv.URL+p, nil, nil)
		recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
		if res.StatusCode != 200 || err != nil || len(recs)-1 < min {
			t.Errorf("%s: %d, %d rows (want %d or more): %v %.200s", p, res.StatusCode, len(recs)-1, min, err, body)
		}
	}
	res, body = fetch(t, c, http.MethodGet, f.srv.URL+"/vms?format=xlsx&q="+url.QueryEscape("quoted"), nil, nil)
	if res.StatusCode != 200 {
		t.Fatalf("xlsx: %d", res.StatusCode)
	}
	x, err := excelize.OpenReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := x.GetRows("vms")
	if err != nil || len(rows) != 2 {
		t.Fatalf("xlsx rows %v %v", rows, err)
	}
	col := -1
	for i, h := range rows[0] {
		if h == "name" {
			col = i
		}
	}
	cell, _ := excelize.CoordinatesToCellName(col+1, 2)
	if v, _ := x.GetCellValue("vms", cell); v != quoteName {
		t.Errorf("xlsx name %q, want %q", v, quoteName)
	}
	if fo, _ := x.GetCellFormula("vms", cell); fo != "" {
		t.Errorf("xlsx name is a formula %q", fo)
	}
	if typ, _ := x.GetCellType("vms", cell); typ == excelize.CellTypeFormula {
		t.Errorf("xlsx name cell type formula")
	}
}

// TestChargebackPage: the page and its XLSX show the API's bill, with its
// coverage beside the total; the drill-down lists the VMs of one tier.
func TestChargebackPage(t *testing.T) {
	f := newFixture(t, sqliteStore(t), Options{}, false)
	c := client(t)
	var bill chargeback.Bill
	res, err := f.api.Call(context.Background(), api.Principal{Name: "t", Role: api.RoleViewer}, "", http.MethodGet,
		"/api/chargeback?period=day&at=2026-03-01&by=tier", nil, "")
	if err != nil || res.Decode(&bill) != nil || bill.Total.Cost.Rounded == "" || bill.Total.Cost.Exact.IsZero() {
		t.Fatalf("bill: %v %s", err, res.Body)
	}
	_, body := fetch(t, c, http.MethodGet, f.srv.URL+"/chargeback?period=day&at=2026-03-01&by=tier", nil, nil)
	for _, want := range []string{bill.Total.Cost.Rounded + " EUR", "1 of 1 vCenter-days billed", bill.Total.VCPUDays.StringFixed(2)} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	_, body = fetch(t, c, http.MethodGet, f.srv.URL+"/chargeback?period=day&at=2026-03-01&by=tier&format=xlsx", nil, nil)
	x, err := excelize.OpenReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := x.GetRows("chargeback")
	var total []string
	for _, r := range rows {
		if len(r) > 0 && strings.HasPrefix(r[0], "Total (1 of 1 vCenter-days billed)") {
			total = r
		}
	}
	if total == nil || total[7] != bill.Total.Cost.Exact.String() || !sameNumber(total[6], bill.Total.Cost.Rounded) || len(rows) != len(bill.Lines)+3 {
		t.Errorf("xlsx total %v (want cost %s), %d rows for %d lines", total, bill.Total.Cost.Exact, len(rows), len(bill.Lines))
	}
	// Drill down into the Gold tier: its VMs, and only them.
	_, body = fetch(t, c, http.MethodGet, f.srv.URL+"/chargeback?period=day&at=2026-03-01&by=tier&by=vm&focus="+url.QueryEscape(fixtureTier), nil, nil)
	if !strings.Contains(body, "All groups") || strings.Contains(body, ">Bronze<") {
		t.Errorf("the drill-down does not keep to the Gold tier")
	}
}

func sameNumber(a, b string) bool {
	x, err1 := strconv.ParseFloat(a, 64)
	y, err2 := strconv.ParseFloat(b, 64)
	return err1 == nil && err2 == nil && x == y
}

// TestPageActions: an admin edits rate cards and an operator generates a
// report through the pages' forms; bad input comes back as a message
// naming the field and changes nothing.
func TestPageActions(t *testing.T) {
	f := newFixture(t, sqliteStore(t), Options{}, false)
	ctx := context.Background()
	rs := f.st.(store.RateCardStore)
	before, err := rs.ListRateCards(ctx, &store.ListRateCardsParams{})
	if err != nil {
		t.Fatal(err)
	}
	c := client(t)
	signIn(t, f, c, api.RoleAdmin)
	form := url.Values{"name": {"silver <b>"}, "currency": {"EUR"}, "effective_from": {"2026-03-01"}, "tier": {"Silver"}, "vcpu_day": {"0.70"}}
	res, _ := fetch(t, c, http.MethodPost, f.srv.URL+"/chargeback/rate-cards", form, nil)
	if loc := res.Header.Get("Location"); !strings.Contains(loc, "msg=") {
		t.Fatalf("create rate card: %d %s", res.StatusCode, loc)
	}
	cards, _ := rs.ListRateCards(ctx, &store.ListRateCardsParams{})
	if len(cards) != len(before)+1 {
		t.Fatalf("cards %d → %d", len(before), len(cards))
	}
	var made int64
	for _, cd := range cards {
		if cd.Name == "silver <b>" && cd.VCPUDay == "0.70" && cd.Tier == "Silver" {
			made = cd.ID
		}
	}
	if made == 0 {
		t.Fatalf("the card was not stored as entered: %+v", cards)
	}
	// A bad price: the API's message names the field; the card is unchanged.
	form.Set("id", strconv.FormatInt(made, 10))
	form.Set("vcpu_day", "cheap")
	res, _ = fetch(t, c, http.MethodPost, f.srv.URL+"/chargeback/rate-cards", form, nil)
	if loc, _ := url.QueryUnescape(res.Header.Get("Location")); !strings.Contains(loc, "error=") || !strings.Contains(loc, "vcpu_day") {
		t.Errorf("bad price: %s", loc)
	}
	if cd, _ := rs.ListRateCards(ctx, &store.ListRateCardsParams{}); len(cd) != len(cards) {
		t.Errorf("a rejected edit changed the cards")
	}
	res, _ = fetch(t, c, http.MethodPost, f.srv.URL+"/chargeback/rate-cards/"+strconv.FormatInt(made, 10)+"/delete", url.Values{}, nil)
	if cd, _ := rs.ListRateCards(ctx, &store.ListRateCardsParams{}); len(cd) != len(before) || !strings.Contains(res.Header.Get("Location"), "msg=") {
		t.Errorf("delete: %d cards, %s", len(cd), res.Header.Get("Location"))
	}
	// An operator generates a daily report: a workbook comes back.
	c = client(t)
	signIn(t, f, c, api.RoleOperator)
	res, body := fetch(t, c, http.MethodPost, f.srv.URL+"/reports/generate", url.Values{"kind": {"daily"}, "vcenter": {hostileVC}, "day": {"2026-03-01"}}, nil)
	if res.StatusCode != 200 || !strings.HasPrefix(body, "PK") || !strings.Contains(res.Header.Get("Content-Disposition"), ".xlsx") {
		t.Errorf("generate: %d %s %.80q", res.StatusCode, res.Header.Get("Content-Disposition"), body)
	}
	if _, err := excelize.OpenReader(strings.NewReader(body)); err != nil {
		t.Errorf("the generated report does not open: %v", err)
	}
	// The RVTools workbook as of that day: RVTools' 20 sheets.
	res, body = fetch(t, c, http.MethodPost, f.srv.URL+"/reports/generate", url.Values{"kind": {"rvtools"}, "vcenter": {hostileVC}, "day": {"2026-03-01"}}, nil)
	if res.StatusCode != 200 || !strings.Contains(res.Header.Get("Content-Disposition"), "rvtools_20260301") {
		t.Errorf("generate rvtools: %d %s %.80q", res.StatusCode, res.Header.Get("Content-Disposition"), body)
	} else if x, err := excelize.OpenReader(strings.NewReader(body)); err != nil || !slices.Equal(x.GetSheetList(), report.RVToolsSheets()) {
		t.Errorf("the RVTools workbook: %v", err)
	}
	// A day with no data: a message, not a broken download.
	res, _ = fetch(t, c, http.MethodPost, f.srv.URL+"/reports/generate", url.Values{"kind": {"daily"}, "vcenter": {hostileVC}, "day": {"2025-01-01"}}, nil)
	if loc := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || !strings.Contains(loc, "error=") {
		t.Errorf("generate without data: %d %s", res.StatusCode, loc)
	}
	// The stored report downloads through the page.
	_, body = fetch(t, c, http.MethodGet, f.srv.URL+"/reports", nil, nil)
	m := regexp.MustCompile(`href="(/reports/[^"]+\.xlsx)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no report link on /reports")
	}
	res, body = fetch(t, c, http.MethodGet, f.srv.URL+strings.ReplaceAll(m[1], "&amp;", "&"), nil, nil)
	if res.StatusCode != 200 || !strings.HasPrefix(body, "PK") {
		t.Errorf("download %s: %d", m[1], res.StatusCode)
	}
}

// TestDetailSections: a VM page shows the VM's captured detail (Tools,
// disks, NICs, snapshots) and a host page its NICs; the health page lists
// the findings of the API.
func TestDetailSections(t *testing.T) {
	st := sqliteStore(t)
	f := newFixture(t, st, Options{}, false)
	ctx := context.Background()
	id := f.vmID[scriptName]
	det, err := st.(store.Details).ReadDetails(ctx, &store.ReadDetailsParams{Vcenter: hostileVC, VMIDs: []string{id}, VMsOnly: true})
	if err != nil || len(det.VMs) != 1 || len(det.VMs[0].Disks) == 0 || len(det.VMs[0].NICs) == 0 {
		t.Fatalf("the fixture's VM %s has no detail with disks and NICs: %v %+v", id, err, det)
	}
	x := det.VMs[0]
	c := client(t)
	_, body := fetch(t, c, http.MethodGet, f.srv.URL+"/vms/"+url.PathEscape(hostileVC)+"/"+url.PathEscape(id), nil, nil)
	for _, want := range []string{"Tools and hardware", ">Virtual disks</caption>", ">Network adapters</caption>", ">Snapshots of this VM</caption>",
		html.EscapeString(x.Disks[0].FilePath), html.EscapeString(x.NICs[0].MAC), html.EscapeString(x.HardwareVersion)} {
		if !strings.Contains(body, want) {
			t.Errorf("VM page lacks %q", want)
		}
	}
	hd, err := st.(store.Details).ReadDetails(ctx, &store.ReadDetailsParams{Vcenter: hostileVC, EntitiesOnly: true})
	if err != nil || len(hd.Hosts) == 0 || len(hd.Hosts[0].NICs) == 0 {
		t.Fatalf("no host detail: %v", err)
	}
	_, body = fetch(t, c, http.MethodGet, f.srv.URL+"/hosts/"+url.PathEscape(hostileVC)+"/"+url.PathEscape(hd.Hosts[0].HostID), nil, nil)
	if !strings.Contains(body, ">Physical NICs</caption>") || !strings.Contains(body, html.EscapeString(hd.Hosts[0].NICs[0].Device)) {
		t.Errorf("host page lacks its physical NICs")
	}
	var fs struct{ Items []health.Finding }
	res, err := f.api.Call(ctx, api.NoAuthPrincipal, "", http.MethodGet, "/api/health-findings?limit=1000", nil, "")
	if err == nil {
		err = res.Decode(&fs)
	}
	if err != nil {
		t.Fatal(err)
	}
	_, body = fetch(t, c, http.MethodGet, f.srv.URL+"/health", nil, nil)
	if len(fs.Items) == 0 || !strings.Contains(body, html.EscapeString(fs.Items[0].Message)) {
		t.Errorf("health page: %d findings from the API, the first not on the page", len(fs.Items))
	}
}
