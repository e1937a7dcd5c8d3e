package web

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	keys "github.com/chromedp/chromedp/kb"

	"github.com/accessvault/vinventory/internal/api"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

// axe-core (npm axe-core, MPL-2.0), for the accessibility audit only: it
// is injected by the test, never served.
//
//go:embed testdata/axe.min.js
var axeSource string

// browser is a headless chromium tab that records console errors, page
// exceptions and failed requests.
type browser struct {
	t      *testing.T
	ctx    context.Context
	mu     sync.Mutex
	errs   []string
	allow  map[string]bool // substrings of request URLs allowed to fail
	base   string          // the server's URL
	dialog bool
}

// chromium finds Debian's chromium. Without it the browser tests skip,
// unless VINVENTORY_TEST_REQUIRE_BROWSER is set (scripts/test.sh installs
// chromium and sets it).
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("VINVENTORY_TEST_REQUIRE_BROWSER") != "" {
		t.Fatal("VINVENTORY_TEST_REQUIRE_BROWSER is set but no chromium is installed (apt-get install chromium)")
	}
	t.Skip("browser tests skipped: install chromium or run scripts/test.sh")
	return ""
}

func newBrowser(t *testing.T, width, height int) *browser {
	t.Helper()
	opts := append(slices.Clone(chromedp.DefaultExecAllocatorOptions[:]), chromedp.ExecPath(chromium(t)), chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.WindowSize(width, height), chromedp.Flag("lang", "en-US"))
	b := &browser{t: t, allow: map[string]bool{}}
	// Starting chromium can fail on a loaded machine (many browsers at
	// once under -race): a start that fails is tried again, twice.
	var starts []error
	for attempt := 0; ; attempt++ {
		ctx, stop, err := startBrowser(opts, b.listen)
		if err == nil {
			t.Cleanup(stop)
			b.ctx = ctx
			break
		}
		stop()
		starts = append(starts, err)
		if attempt == 2 {
			t.Fatalf("starting chromium: %v", errors.Join(starts...))
		}
		t.Logf("starting chromium failed (%v); trying again", err)
		time.Sleep(time.Second)
	}
	if _, err := chromedp.Call(b.ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(b.ctx, log.Enable, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	return b
}

// startBrowser starts a chromium with opts, listening to its events with
// listen; stop ends it (also after an error).
func startBrowser(opts []chromedp.ExecAllocatorOption, listen func(ctx context.Context) func(ev any)) (context.Context, func(), error) {
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel2 := chromedp.NewContext(actx)
	ctx, cancel3 := context.WithTimeout(ctx, 10*time.Minute) // a hang guard; -race on a busy machine is slow
	stop := func() { cancel3(); cancel2(); cancel() }
	return ctx, stop, chromedp.Listen(ctx, listen(ctx))
}

// listen returns the handler of the browser's events: console errors,
// exceptions, failed requests and HTTP errors not allowed are kept for
// clean; dialogs are accepted.
func (b *browser) listen(ctx context.Context) func(ev any) {
	return func(ev any) {
		b.mu.Lock()
		defer b.mu.Unlock()
		switch e := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.ConsoleAPICalledTypeError || e.Type == runtime.ConsoleAPICalledTypeAssert {
				var parts []string
				for _, a := range e.Args {
					parts = append(parts, string(a.Value)+a.Description)
				}
				b.errs = append(b.errs, "console error: "+strings.Join(parts, " "))
			}
		case *runtime.EventExceptionThrown:
			d := e.ExceptionDetails
			msg := d.Text
			if d.Exception != nil {
				msg += " " + d.Exception.Description
			}
			b.errs = append(b.errs, fmt.Sprintf("exception: %s at %s:%d", msg, d.URL, d.LineNumber))
		case *log.EventEntryAdded:
			if e.Entry.Level == log.EntryLevelError && !b.allowed(e.Entry.URL) {
				b.errs = append(b.errs, "log error: "+e.Entry.Text+" "+e.Entry.URL)
			}
		case *network.EventLoadingFailed:
			if !e.Canceled {
				b.errs = append(b.errs, "request failed: "+e.ErrorText)
			}
		case *network.EventResponseReceived:
			if e.Response.Status >= 400 && !b.allowed(e.Response.URL) {
				b.errs = append(b.errs, fmt.Sprintf("HTTP %d: %s", int(e.Response.Status), e.Response.URL))
			}
		case *cdppage.EventJavascriptDialogOpening:
			b.dialog = true
			go func() {
				_, _ = chromedp.Call(ctx, cdppage.HandleJavaScriptDialog, cdppage.HandleJavaScriptDialogParams{Accept: true})
			}()
		}
	}
}

func (b *browser) allowed(u string) bool {
	for s := range b.allow {
		if strings.Contains(u, s) {
			return true
		}
	}
	return false
}

// run runs actions and fails the test on error.
func (b *browser) run(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

// text is the visible text of the first element matching sel.
func (b *browser) text(sel string) string {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("text of %s: %v", sel, err)
	}
	return v
}

// location is the tab's URL.
func (b *browser) url() string {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Location())
	if err != nil {
		b.t.Fatal(err)
	}
	return v
}

// clean fails the test with the console errors and failed requests seen
// since the last call.
func (b *browser) clean(where string) {
	b.t.Helper()
	b.mu.Lock()
	errs := b.errs
	b.errs = nil
	b.mu.Unlock()
	for _, e := range errs {
		b.t.Errorf("%s: %s", where, e)
	}
}

// open navigates to u and waits for the page (and its charts) to load.
func (b *browser) open(u string) {
	b.t.Helper()
	b.run("open "+u, chromedp.Navigate(u), chromedp.WaitReady(chromedp.CSS("body")), waitCharts())
}

// waitCharts waits until every chart on the page has drawn its canvas.
func waitCharts() chromedp.Action[chromedp.Void] {
	return poll(`Array.from(document.querySelectorAll("[data-chart]")).every(e => e.querySelector("canvas"))`, 20*time.Second)
}

// navigate runs an action that loads a new document (a click on a link,
// a form submission) and waits until the new document has loaded.
func navigate(a chromedp.Action[chromedp.Void]) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		if _, err := chromedp.Evaluate[any]("window.__vinvOld = 1")(ctx, t); err != nil {
			return chromedp.Void{}, err
		}
		if _, err := a(ctx, t); err != nil {
			return chromedp.Void{}, err
		}
		return chromedp.Void{}, waitFor(ctx, t, `typeof window.__vinvOld === "undefined" && document.readyState === "complete"`)
	}
}

// waitFor evaluates js until it is true, through navigations (an
// evaluation that fails while a document loads is tried again).
func waitFor(ctx context.Context, t *chromedp.Target, js string) error {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		ectx, cancel := context.WithTimeout(ctx, 2*time.Second)
		v, err := chromedp.Evaluate[bool](js)(ectx, t)
		cancel()
		if err == nil && v {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("waited 30 s for %s", js)
}

// poll waits until js is truthy.
func poll(js string, timeout time.Duration) chromedp.Action[chromedp.Void] {
	p := chromedp.Poll[any](js, chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(timeout))
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := p(ctx, t)
		return chromedp.Void{}, err
	}
}

// eval evaluates js (awaiting a promise) and decodes its value into out.
func (b *browser) eval(js string, out any) {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[json.RawMessage](js, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", js[:min(len(js), 60)], err)
	}
	if err := json.Unmarshal(v, out); err != nil {
		b.t.Fatalf("evaluate %s: %v", js[:min(len(js), 60)], err)
	}
}

// axe runs axe-core on the page and returns its serious and critical
// violations.
func (b *browser) axe() []string {
	b.t.Helper()
	var loaded bool
	b.eval(`typeof axe !== "undefined"`, &loaded)
	if !loaded {
		var ignored any
		b.eval(axeSource+"; true", &ignored)
	}
	var out []string
	b.eval(`axe.run(document, {resultTypes: ["violations"]}).then(r => r.violations
		.filter(v => v.impact === "serious" || v.impact === "critical")
		.map(v => v.id + " (" + v.impact + "): " + v.help + " — " + v.nodes.slice(0, 3).map(n => n.target.join(" ") + ": " + n.failureSummary).join(" | ")))`, &out)
	return out
}

// hostileInert checks that no hostile name ran as script and that the
// page does not scroll sideways (wide tables scroll in their own box).
func (b *browser) hostileInert(where string, width int) {
	b.t.Helper()
	var state struct {
		XSS         any `json:"xss"`
		ScrollWidth int `json:"scrollWidth"`
		Injected    int `json:"injected"`
	}
	b.eval(`({xss: window.__xss ?? null, scrollWidth: document.documentElement.scrollWidth,
		injected: document.querySelectorAll("main script:not([type='application/json']), main img[src='x'], main b, td i").length})`, &state)
	if state.XSS != nil {
		b.t.Errorf("%s: a hostile name ran as script (window.__xss = %v)", where, state.XSS)
	}
	if state.Injected != 0 {
		b.t.Errorf("%s: %d elements came from a hostile name's markup", where, state.Injected)
	}
	if state.ScrollWidth > width+2 {
		b.t.Errorf("%s: the page is %d px wide in a %d px window (layout broken)", where, state.ScrollWidth, width)
	}
}

// TestBrowserPages loads every page in chromium on SQLite and PostgreSQL:
// no console error, no failed request, no serious or critical axe-core
// violation, hostile names inert and the layout holding at desktop and
// phone widths.
func TestBrowserPages(t *testing.T) {
	for _, bk := range []struct {
		name string
		st   func(*testing.T) store.Store
	}{{"sqlite", sqliteStore}, {"postgres", pgStore}} {
		t.Run(bk.name, func(t *testing.T) {
			chromium(t)
			f := newFixture(t, bk.st(t), Options{}, false)
			for _, w := range []struct {
				width, height int
				dark          bool
			}{{1280, 900, false}, {390, 844, false}, {1280, 900, true}} {
				b := newBrowser(t, w.width, w.height)
				b.run("viewport", chromedp.EmulateViewport(int64(w.width), int64(w.height)))
				if w.dark {
					if _, err := chromedp.Call(b.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
						Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}}}); err != nil {
						t.Fatal(err)
					}
				}
				for _, p := range f.pagePaths() {
					if strings.HasPrefix(p, "/search") {
						continue // redirects on one hit; TestBrowserFlows opens a VM from search
					}
					b.open(f.srv.URL + p)
					where := fmt.Sprintf("%s at %d px (dark: %v)", p, w.width, w.dark)
					b.clean(where)
					b.hostileInert(where, w.width)
					if w.width > 1000 { // axe on each theme at desktop width
						for _, v := range b.axe() {
							t.Errorf("%s: axe: %s", where, v)
						}
					}
				}
			}
		})
	}
}

// TestBrowserFlows drives the pages as a user: every navigation link,
// sorting and filtering the VM table, a VM opened from search, sign-in
// and sign-out, the endpoint form (create, test, delete), a job, a token,
// a forged cross-site form, keyboard-only navigation of the dashboard,
// and the screenshots of docs/.
func TestBrowserFlows(t *testing.T) {
	chromium(t)
	f := newFixture(t, sqliteStore(t), Options{}, false)
	b := newBrowser(t, 1280, 900)
	base := f.srv.URL
	b.base = base

	t.Run("navigation", func(t *testing.T) {
		b.t = t
		b.open(base + "/")
		var links []string
		b.eval(`Array.from(document.querySelectorAll("nav.mainnav a")).map(a => a.getAttribute("href"))`, &links)
		if len(links) != len(navItems) {
			t.Fatalf("nav links %v", links)
		}
		for _, l := range links {
			b.open(base + "/")
			b.run("follow "+l, navigate(chromedp.Click(chromedp.CSS(`nav.mainnav a[href="`+l+`"]`))), chromedp.WaitReady(chromedp.CSS("main h1")),
				waitCharts())
			if h1 := b.text("main h1"); h1 == "" || strings.Contains(h1, "wrong") || strings.Contains(h1, "Not ") {
				t.Errorf("link %s shows %q", l, h1)
			}
			loc := b.url()
			u, _ := url.Parse(loc)
			if u.Path != l {
				t.Errorf("link %s went to %s", l, loc)
			}
			var current string
			b.eval(`document.querySelector("nav.mainnav a[aria-current=page]")?.getAttribute("href") ?? ""`, &current)
			if current != l {
				t.Errorf("on %s the nav marks %q as current", l, current)
			}
			b.clean("after following " + l)
		}
	})

	t.Run("sort and filter VMs", func(t *testing.T) {
		b.t = t
		b.open(base + "/vms")
		vcpus := func() []float64 {
			var out []float64
			b.eval(`Array.from(document.querySelectorAll("main tbody tr")).map(r => Number(r.cells[3].innerText.replace(/,/g, "")))`, &out)
			return out
		}
		b.run("sort by vCPU", navigate(chromedp.Click(chromedp.CSS(`th a[href*="sort=vcpu_count"]`))), chromedp.WaitReady(chromedp.CSS(`th[aria-sort="ascending"]`)))
		asc := vcpus()
		if !slices.IsSorted(asc) || len(asc) < 10 {
			t.Errorf("ascending vCPU: %v", asc)
		}
		b.run("sort descending", navigate(chromedp.Click(chromedp.CSS(`th[aria-sort="ascending"] a`))), chromedp.WaitReady(chromedp.CSS(`th[aria-sort="descending"]`)))
		desc := vcpus()
		if len(desc) == 0 || desc[0] != slices.Max(asc) || !slices.IsSortedFunc(desc, func(a, b float64) int { return int(b - a) }) {
			t.Errorf("descending vCPU: %v", desc)
		}
		b.run("filter", chromedp.SetValue(chromedp.CSS(`#f-q`), "renamed"), navigate(chromedp.Submit(chromedp.CSS(`#f-q`))),
			chromedp.WaitReady(chromedp.CSS(`main tbody tr`)))
		var names []string
		b.eval(`Array.from(document.querySelectorAll("main tbody tr td:first-child")).map(td => td.innerText)`, &names)
		if len(names) != 1 || names[0] != "renamed-vm" {
			t.Errorf("filter q=renamed shows %q", names)
		}
		loc := b.url()
		if !strings.Contains(loc, "sort=-vcpu_count") || !strings.Contains(loc, "q=renamed") {
			t.Errorf("the filter lost the sort: %s", loc)
		}
		b.clean("VM table")
	})

	t.Run("open a VM from search", func(t *testing.T) {
		b.t = t
		b.open(base + "/")
		var h1 string
		b.run("search", chromedp.SetValue(chromedp.CSS(`#quick-q`), quoteName), navigate(chromedp.Submit(chromedp.CSS(`#quick-q`))),
			chromedp.WaitReady(chromedp.CSS(`main h1`)))
		h1 = b.text(`main h1`)
		if h1 != "VM "+quoteName {
			loc := b.url()
			t.Errorf("search for a VM's name landed on %q (%s)", h1, loc)
		}
		b.hostileInert("VM from search", 1280)
		b.clean("search")
	})

	t.Run("sign in and out", func(t *testing.T) {
		b.t = t
		b.open(base + "/admin")
		var n int
		b.eval(`document.querySelectorAll("form[action='/admin/endpoints']").length`, &n)
		if n != 0 {
			t.Errorf("an anonymous visitor sees the endpoint form")
		}
		b.signIn(f.tokens[api.RoleViewer])
		var who string
		b.run("who")
		who = b.text(`.session`)
		if !strings.Contains(who, "viewer-token") {
			t.Errorf("signed in as viewer, the header says %q", who)
		}
		b.run("sign out", navigate(chromedp.Click(chromedp.CSS(`.session button`))), chromedp.WaitReady(chromedp.CSS(`.session a[href^="/login"]`)))
		b.allow["/login"] = true
		b.open(base + "/login")
		b.run("bad token", chromedp.SetValue(chromedp.CSS(`#login-token`), "not-a-token"), navigate(chromedp.Submit(chromedp.CSS(`#login-token`))),
			chromedp.WaitReady(chromedp.CSS(`.alert`)))
		delete(b.allow, "/login")
		b.clean("sign in and out")
	})

	t.Run("endpoint form", func(t *testing.T) {
		b.t = t
		b.signIn(f.tokens[api.RoleAdmin])
		b.open(base + "/admin")
		var msg string
		b.run("name", chromedp.SetValue(chromedp.CSS(`#ep-name`), "lab <vc>"))
		b.run("url", chromedp.SetValue(chromedp.CSS(`#ep-url`), "https://"+f.sim.URL.Host+"/sdk"))
		b.run("user", chromedp.SetValue(chromedp.CSS(`#ep-user`), f.sim.Username))
		b.run("password", chromedp.SetValue(chromedp.CSS(`#ep-password`), f.sim.Password))
		b.run("insecure", chromedp.Click(chromedp.CSS(`#ep-insecure`)))
		b.run("create", navigate(chromedp.Submit(chromedp.CSS(`#ep-url`))), chromedp.WaitReady(chromedp.CSS(`.flash`)))
		msg = b.text(`.flash`)
		if !strings.Contains(msg, `Endpoint "lab <vc>" created`) {
			t.Fatalf("create: %q", msg)
		}
		b.run("test", navigate(chromedp.Click(chromedp.CSS(`form[action$="/test"] button`))), chromedp.WaitReady(chromedp.CSS(`.flash, .alert`)))
		msg = b.text(`.flash, .alert`)
		if !strings.Contains(msg, "passed") || !strings.Contains(msg, fmt.Sprintf(", %d VMs,", f.sim.Expected().VMs)) {
			t.Errorf("test connection: %q", msg)
		}
		var html string
		b.eval(`document.documentElement.outerHTML`, &html)
		if strings.Contains(html, f.sim.Password) {
			t.Errorf("the endpoint's password is in the page")
		}
		// The capture scope: a bad rule is refused naming its line, good
		// ones are stored and shown again one per line.
		b.run("bad scope", chromedp.SetValue(chromedp.CSS(`#ep-exclude`), "folder=/DC0/vm/Test\ncolour=red"),
			navigate(chromedp.Submit(chromedp.CSS(`#ep-url`))), chromedp.WaitReady(chromedp.CSS(`.alert`)))
		if msg = b.text(`.alert`); !strings.Contains(msg, "Scope (leave out), line 2") || !strings.Contains(msg, `unknown field "colour"`) {
			t.Errorf("bad scope rule: %q", msg)
		}
		b.open(base + "/admin?edit=" + url.QueryEscape("lab <vc>"))
		b.run("scope", chromedp.SetValue(chromedp.CSS(`#ep-include`), "attribute=tag:env=prod"),
			chromedp.SetValue(chromedp.CSS(`#ep-exclude`), "folder=/DC0/vm/Test\n\nname=^tmp- attribute=owner"),
			navigate(chromedp.Submit(chromedp.CSS(`#ep-url`))), chromedp.WaitReady(chromedp.CSS(`.flash`)))
		ep, err := f.st.GetEndpoint(context.Background(), &store.GetEndpointParams{Name: "lab <vc>"})
		want := inventory.Scope{Include: []inventory.ScopeRule{{Attribute: "tag:env=prod"}},
			Exclude: []inventory.ScopeRule{{Folder: "/DC0/vm/Test"}, {Name: "^tmp-", Attribute: "owner"}}}
		if err != nil || !reflect.DeepEqual(ep.Scope, want) || !ep.TLS.Insecure {
			t.Errorf("stored scope %+v (TLS %+v), %v; want %+v", ep.Scope, ep.TLS, err, want)
		}
		var shown string
		b.eval(`document.querySelector("#ep-exclude").value`, &shown)
		if shown != "folder=/DC0/vm/Test\nattribute=owner name=^tmp-" {
			t.Errorf("exclude rules shown as %q", shown)
		}
		b.run("delete", navigate(chromedp.Click(chromedp.CSS(`form[action$="/delete"] button`))), chromedp.WaitReady(chromedp.CSS(`.flash`)))
		msg = b.text(`.flash`)
		if !strings.Contains(msg, "deleted") || !b.dialog {
			t.Errorf("delete: %q (confirm shown: %v)", msg, b.dialog)
		}
		eps, err := f.st.ListEndpoints(context.Background(), &store.ListEndpointsParams{})
		if err != nil || len(eps) != 1 {
			t.Errorf("endpoints after delete: %v %v", eps, err)
		}
		b.clean("endpoint form")
	})

	t.Run("job and token", func(t *testing.T) {
		b.t = t
		b.open(base + "/admin")
		var msg string
		b.run("queue", chromedp.SetValue(chromedp.CSS(`#job-command`), "/api/snapshots/repair/all"),
			chromedp.SetValue(chromedp.CSS(`#job-from`), "2026-03-01"), chromedp.SetValue(chromedp.CSS(`#job-to`), "2026-03-01"),
			navigate(chromedp.Submit(chromedp.CSS(`#job-from`))), chromedp.WaitReady(chromedp.CSS(`.flash`)))
		msg = b.text(`.flash`)
		if !strings.Contains(msg, "Queued job") {
			t.Errorf("queue a job: %q", msg)
		}
		b.run("progress", poll(`document.querySelector("[data-job-progress]").innerText.includes("available")`, 10*time.Second))
		var secret string
		b.run("token", chromedp.SetValue(chromedp.CSS(`#tok-name`), "ci reader"), navigate(chromedp.Submit(chromedp.CSS(`#tok-name`))),
			chromedp.WaitReady(chromedp.CSS(`[data-secret]`)))
		secret = b.text(`[data-secret]`)
		if len(secret) < 32 {
			t.Fatalf("secret %q", secret)
		}
		// The new token signs in; once revoked it no longer does.
		b.signIn(secret)
		b.signIn(f.tokens[api.RoleAdmin])
		b.open(base + "/admin")
		b.run("revoke", chromedp.SetValue(chromedp.CSS(`#tok-revoke`), tokenID(t, f, "ci reader")), navigate(chromedp.Submit(chromedp.CSS(`#tok-revoke`))),
			chromedp.WaitReady(chromedp.CSS(`.flash`)))
		if _, ok, _ := f.api.Authenticate(context.Background(), secret); ok {
			t.Errorf("a revoked token still authenticates")
		}
		b.clean("job and token")
	})

	t.Run("forged form", func(t *testing.T) {
		b.t = t
		before := len(tokenList(t, f))
		evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprintf(w, `<!doctype html><form id=f method=post action="%s/admin/tokens"><input name=name value=forged><input name=role value=admin></form>
				<script>document.getElementById("f").submit()</script>`, base)
		}))
		defer evil.Close()
		b.allow["/admin/tokens"] = true
		var body string
		b.run("forged", chromedp.Navigate(evil.URL), chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			return waitFor(ctx, t, `location.href.startsWith(`+strconv.Quote(base)+`) && document.readyState === "complete"`)
		}))
		body = b.text("main")
		delete(b.allow, "/admin/tokens")
		if !strings.Contains(body, "posted from another site") {
			t.Errorf("forged form answered %q", body)
		}
		if after := len(tokenList(t, f)); after != before {
			t.Errorf("the forged form created a token (%d → %d)", before, after)
		}
		b.clean("forged form")
	})

	t.Run("keyboard", func(t *testing.T) {
		b.t = t
		b.open(base + "/")
		var controls []string
		b.eval(`window.__ids = new Map(); Array.from(document.querySelectorAll("a[href], button, input:not([type=hidden]), select, textarea, [tabindex]:not([tabindex='-1'])"))
			.filter(e => e.offsetParent !== null || e.classList.contains("skip-link")).map((e, i) => { e.dataset.kbd = i; return String(i) })`, &controls)
		seen := map[string]bool{}
		var first string
		for i := 0; i < len(controls)+5; i++ {
			var cur struct {
				ID      string `json:"id"`
				Outline string `json:"outline"`
			}
			b.run("tab", chromedp.KeyEvent(keys.Tab))
			b.eval(`({id: document.activeElement?.dataset?.kbd ?? "", outline: getComputedStyle(document.activeElement).outlineStyle})`, &cur)
			if i == 0 {
				first = cur.ID
			}
			if cur.ID != "" {
				seen[cur.ID] = true
				if cur.Outline == "none" {
					t.Errorf("control %s has no visible focus outline", cur.ID)
				}
			}
		}
		var skip string
		b.eval(`document.querySelector("[data-kbd='`+first+`']")?.className ?? ""`, &skip)
		if skip != "skip-link" {
			t.Errorf("the first Tab stop is %q, not the skip link", skip)
		}
		for _, c := range controls {
			if !seen[c] {
				var desc string
				b.eval(`document.querySelector("[data-kbd='`+c+`']").outerHTML.slice(0, 120)`, &desc)
				t.Errorf("Tab never reaches %s", desc)
			}
		}
		b.clean("keyboard")
	})

	t.Run("screenshots", func(t *testing.T) {
		b.t = t
		dir := t.TempDir()
		if os.Getenv("VINVENTORY_UPDATE_SCREENSHOTS") != "" {
			dir = filepath.Join("..", "..", "docs", "screenshots")
		}
		vm := "/vms/" + url.PathEscape(hostileVC) + "/" + url.PathEscape(f.vmID["renamed-vm"])
		shots := map[string]string{"dashboard": "/", "vm-detail": vm, "chargeback": "/chargeback?period=day&at=2026-03-01&by=tier",
			"trace": "/trace?q=renamed-vm&by=name"}
		for _, w := range []struct {
			name          string
			width, height int64
		}{{"desktop", 1280, 900}, {"phone", 390, 844}} {
			for name, p := range shots {
				b.run("viewport", chromedp.EmulateViewport(w.width, w.height))
				b.open(base + p)
				png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
				if err != nil {
					t.Fatal(err)
				}
				if len(png) < 10000 {
					t.Errorf("screenshot %s is %d bytes", name, len(png))
				}
				if err := os.WriteFile(filepath.Join(dir, name+"-"+w.name+".png"), png, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
		b.clean("screenshots")
	})
}

// signIn signs the browser in with a token.
func (b *browser) signIn(secret string) {
	b.t.Helper()
	b.open(b.base + "/login")
	var who string
	b.run("sign in", chromedp.SetValue(chromedp.CSS(`#login-token`), secret), navigate(chromedp.Submit(chromedp.CSS(`#login-token`))),
		chromedp.WaitReady(chromedp.CSS(`.flash`)))
	who = b.text(`.flash`)
	if !strings.HasPrefix(who, "Signed in as") {
		b.t.Fatalf("sign-in answered %q", who)
	}
}

func tokenList(t *testing.T, f *fixture) []store.TokenInfo {
	t.Helper()
	toks, err := f.st.(store.TokenStore).ListTokens(context.Background(), &store.ListTokensParams{})
	if err != nil {
		t.Fatal(err)
	}
	return toks
}

func tokenID(t *testing.T, f *fixture, name string) string {
	t.Helper()
	for _, tok := range tokenList(t, f) {
		if tok.Name == name {
			return fmt.Sprint(tok.ID)
		}
	}
	t.Fatalf("no token %q", name)
	return ""
}
