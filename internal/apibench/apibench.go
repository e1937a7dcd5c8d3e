package apibench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/accessvault/vinventory/capture"
	"github.com/accessvault/vinventory/capture/vcsim"
	"github.com/accessvault/vinventory/capture/vsphere"
	"github.com/accessvault/vinventory/internal/api"
	"github.com/accessvault/vinventory/internal/web"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

// Config describes one run.
type Config struct {
	// Store receives the capture and serves the API. Required; it must
	// implement store.Querier.
	Store store.Store
	// Name labels the store in the output (sqlite, postgres).
	Name string
	// VMs is the simulated vCenter's size. Defaults to 40000.
	VMs int
	// Clients is the number of concurrent clients. Defaults to 100.
	Clients int
	// Duration is how long each workload runs. Defaults to 30s.
	Duration time.Duration
	// StoreDuration is how long each store-alone measurement runs.
	// Defaults to Duration / 3.
	StoreDuration time.Duration
	// Workloads, when set, keeps the workloads whose name it matches
	// (a regular expression); Weights adds the main pages' first-load
	// weight table (web.Weigh) after the workloads.
	Workloads *regexp.Regexp
	Weights   bool
	// Out receives the result lines; Log progress (may be nil).
	Out, Log io.Writer
}

// Result is one workload's figures.
type Result struct {
	Store, Workload    string
	Requests, Errors   int
	PerSecond          float64
	P50, P99           time.Duration
	StoreP50, StoreP99 time.Duration
	StorePerSecond     float64
	Ratio              float64 // P50 / StoreP50
	// Single is the store call's p50 with one caller: its cost alone.
	// Bound is what that cost allows at Clients concurrent callers on
	// GOMAXPROCS cores when the call is CPU-bound: Clients × Single /
	// GOMAXPROCS, the p50 no HTTP layer can beat.
	Single, Bound time.Duration
	// Alone is the request's p50 with one client: its own cost through
	// HTTP (for a page: the store calls, the render and gzip).
	Alone      time.Duration
	FirstError string
}

const vcenter = "vc-bench"

func (c *Config) logf(format string, args ...any) {
	if c.Log != nil {
		fmt.Fprintf(c.Log, "apibench: "+format+"\n", args...)
	}
}

// Run captures, serves and measures.
func Run(ctx context.Context, cfg Config) ([]Result, error) {
	if cfg.Store == nil {
		return nil, errors.New("apibench: Config.Store is required")
	}
	q, ok := cfg.Store.(store.Querier)
	if !ok {
		return nil, errors.New("apibench: the store does not implement store.Querier")
	}
	if cfg.VMs <= 0 {
		cfg.VMs = 40000
	}
	if cfg.Clients <= 0 {
		cfg.Clients = 100
	}
	if cfg.Duration <= 0 {
		cfg.Duration = 30 * time.Second
	}
	if cfg.StoreDuration <= 0 {
		cfg.StoreDuration = cfg.Duration / 3
	}
	if err := load(ctx, &cfg); err != nil {
		return nil, err
	}
	vms, err := allVMs(ctx, cfg.Store)
	if err != nil {
		return nil, err
	}

	secret, tok, err := api.NewToken("bench", api.RoleViewer)
	if err != nil {
		return nil, err
	}
	h, err := api.New(api.Options{Store: cfg.Store, Tokens: api.Tokens{tok}})
	if err != nil {
		return nil, err
	}
	pages, err := web.New(web.Options{API: h})
	if err != nil {
		return nil, err
	}
	// The API at /api/, the pages (over the same API, in-process) at /,
	// as the daemon serves them.
	mux := http.NewServeMux()
	mux.Handle("/api/", h)
	mux.Handle("/", pages)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln) //nolint:errcheck
	defer srv.Close()
	base := "http://" + ln.Addr().String()
	client := &http.Client{Transport: &http.Transport{MaxIdleConns: cfg.Clients, MaxIdleConnsPerHost: cfg.Clients}, Timeout: 30 * time.Second}

	words := nameWords(vms)
	// The VM list page's question: the page asks the API for 50 rows
	// with their count, and the collectors (its vCenter filter).
	pageQuery := func(ctx context.Context) error {
		if _, err := q.QueryVMs(ctx, &store.QueryVMsParams{PowerState: inventory.PoweredOn, Limit: 50, Sort: "-vcpu_count", Count: true}); err != nil {
			return err
		}
		if _, err := cfg.Store.ListEndpoints(ctx, &store.ListEndpointsParams{}); err != nil {
			return err
		}
		_, err := cfg.Store.ListCaptureStatus(ctx, &store.ListCaptureStatusParams{})
		return err
	}
	sorts := []string{"-ram_mb", "name", "-vcpu_count", "-provisioned_disk_gb"}
	type workload struct {
		name  string
		path  func(r *rand.Rand) string
		store func(ctx context.Context, r *rand.Rand) error
	}
	wls := []workload{
		{"vm list (power_state, sorted, page 100)",
			func(r *rand.Rand) string {
				return "/api/vms?power_state=poweredOn&limit=100&sort=" + url.QueryEscape(sorts[r.IntN(len(sorts))])
			},
			func(ctx context.Context, r *rand.Rand) error {
				_, err := q.QueryVMs(ctx, &store.QueryVMsParams{PowerState: inventory.PoweredOn, Limit: 100, Sort: sorts[r.IntN(len(sorts))]})
				return err
			}},
		{"vm list (power_state + q, sorted, page 100)",
			func(r *rand.Rand) string {
				return "/api/vms?power_state=poweredOn&limit=100&sort=" + url.QueryEscape(sorts[r.IntN(len(sorts))]) + "&q=" + url.QueryEscape(words[r.IntN(len(words))])
			},
			func(ctx context.Context, r *rand.Rand) error {
				_, err := q.QueryVMs(ctx, &store.QueryVMsParams{PowerState: inventory.PoweredOn, Limit: 100, Sort: sorts[r.IntN(len(sorts))], Q: words[r.IntN(len(words))]})
				return err
			}},
		{"vm detail",
			func(r *rand.Rand) string {
				v := vms[r.IntN(len(vms))]
				return "/api/vms/" + url.PathEscape(v.Vcenter) + "/" + url.PathEscape(v.ID)
			},
			func(ctx context.Context, r *rand.Rand) error {
				v := vms[r.IntN(len(vms))]
				_, err := h.VMDetail(ctx, v.Vcenter, v.ID)
				return err
			}},
		{"quick search",
			func(r *rand.Rand) string { return "/api/search?q=" + url.QueryEscape(words[r.IntN(len(words))]) },
			func(ctx context.Context, r *rand.Rand) error {
				_, err := q.Search(ctx, &store.SearchParams{Q: words[r.IntN(len(words))]})
				return err
			}},
		{"vm list, the page's query (power_state, -vcpu_count, page 50, count)",
			func(*rand.Rand) string {
				return "/api/vms?power_state=poweredOn&sort=-vcpu_count&limit=50&count=true"
			},
			func(ctx context.Context, _ *rand.Rand) error {
				_, err := q.QueryVMs(ctx, &store.QueryVMsParams{PowerState: inventory.PoweredOn, Limit: 50, Sort: "-vcpu_count", Count: true})
				return err
			}},
		{"vm list page (HTML, power_state, -vcpu_count, 50 rows)",
			func(*rand.Rand) string { return "/vms?power_state=poweredOn&sort=-vcpu_count" },
			func(ctx context.Context, _ *rand.Rand) error { return pageQuery(ctx) }},
	}
	if cfg.Workloads != nil {
		wls = slices.DeleteFunc(wls, func(wl workload) bool { return !cfg.Workloads.MatchString(wl.name) })
	}
	var out []Result
	for _, wl := range wls {
		cfg.logf("%s: %s, %d clients for %s", cfg.Name, wl.name, cfg.Clients, cfg.Duration)
		res := Result{Store: cfg.Name, Workload: wl.name}
		get := func(ctx context.Context, r *rand.Rand) error {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+wl.path(r), nil)
			if strings.HasPrefix(req.URL.Path, "/api/") {
				req.Header.Set("Authorization", "Bearer "+secret)
			} else {
				// A signed-in browser: the session cookie holds the token,
				// and the page comes gzip-compressed (Go's transport asks
				// for gzip and decodes it).
				req.AddCookie(&http.Cookie{Name: web.SessionCookie, Value: secret})
			}
			resp, err := client.Do(req)
			if err != nil {
				return err
			}
			_, err = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("%s: %d", req.URL.Path, resp.StatusCode)
			}
			return err
		}
		lat, errs, first := drive(ctx, cfg.Clients, cfg.Duration, get)
		res.Requests, res.Errors, res.FirstError = len(lat), errs, first
		res.PerSecond = float64(len(lat)) / cfg.Duration.Seconds()
		res.P50, res.P99 = quantile(lat, 0.50), quantile(lat, 0.99)
		cfg.logf("%s: %s, the store calls alone, %d goroutines for %s", cfg.Name, wl.name, cfg.Clients, cfg.StoreDuration)
		slat, serrs, sfirst := drive(ctx, cfg.Clients, cfg.StoreDuration, wl.store)
		if serrs > 0 && res.FirstError == "" {
			res.FirstError = "store: " + sfirst
		}
		res.StoreP50, res.StoreP99 = quantile(slat, 0.50), quantile(slat, 0.99)
		res.StorePerSecond = float64(len(slat)) / cfg.StoreDuration.Seconds()
		if res.StoreP50 > 0 {
			res.Ratio = float64(res.P50) / float64(res.StoreP50)
		}
		one, _, _ := drive(ctx, 1, cfg.StoreDuration/2, wl.store)
		res.Single = quantile(one, 0.50)
		res.Bound = time.Duration(float64(res.Single) * float64(cfg.Clients) / float64(runtime.GOMAXPROCS(0)))
		cfg.logf("%s: %s, one client for %s", cfg.Name, wl.name, cfg.StoreDuration/2)
		alone, _, _ := drive(ctx, 1, cfg.StoreDuration/2, get)
		res.Alone = quantile(alone, 0.50)
		fmt.Fprintf(cfg.Out, "| %s | %s | %d | %.0f | %s | %s | %d | %.0f | %s | %s | %.2f | %s | %s | %s |\n", res.Store, res.Workload, res.Requests, res.PerSecond,
			ms(res.P50), ms(res.P99), res.Errors, res.StorePerSecond, ms(res.StoreP50), ms(res.StoreP99), res.Ratio, ms(res.Single), ms(res.Bound), ms(res.Alone))
		if res.FirstError != "" {
			fmt.Fprintf(cfg.Out, "  first error: %s\n", res.FirstError)
		}
		out = append(out, res)
	}
	if cfg.Weights && len(vms) > 0 {
		if err := weights(cfg, pages, vms[len(vms)/2], secret); err != nil {
			return out, err
		}
	}
	return out, nil
}

// weights prints the main pages' first-load weight over the benchmark's
// inventory (web.Weigh, in-process, as the signed-in client).
func weights(cfg Config, pages http.Handler, v inventory.VM, secret string) error {
	hdr := http.Header{"Cookie": {(&http.Cookie{Name: web.SessionCookie, Value: secret}).String()}}
	fmt.Fprintf(cfg.Out, "\n| store | page | HTML | CSS + JS | total (gzip) |\n|---|---|---|---|---|\n")
	for _, target := range web.MainPages(v.Vcenter, v.ID, v.Name) {
		w, err := web.Weigh(pages, target, hdr)
		if err != nil {
			return err
		}
		fmt.Fprintf(cfg.Out, "| %s | %s | %.1f KB | %.1f KB (%d files) | %.1f KB |\n", cfg.Name, target,
			kb(w.HTML), kb(w.Total-w.HTML), len(w.Assets), kb(w.Total))
	}
	return nil
}

func kb(n int) float64 { return float64(n) / 1000 }

// Header is the result table's header (Markdown).
const Header = "| store | workload | requests | req/s | p50 | p99 | errors | store calls/s | store p50 | store p99 | API p50 ÷ store p50 | store p50, 1 caller | CPU bound on p50 | request p50, 1 client |\n" +
	"|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n"

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

// drive runs fn from n goroutines for d and returns every call's latency
// (of the calls that succeeded), the number of errors and the first one.
func drive(ctx context.Context, n int, d time.Duration, fn func(context.Context, *rand.Rand) error) ([]time.Duration, int, string) {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var (
		mu    sync.Mutex
		all   []time.Duration
		errs  atomic.Int64
		first atomic.Value
		wg    sync.WaitGroup
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(i), 42))
			var mine []time.Duration
			for ctx.Err() == nil {
				start := time.Now()
				err := fn(context.WithoutCancel(ctx), r)
				if err != nil {
					errs.Add(1)
					first.CompareAndSwap(nil, err.Error())
					continue
				}
				mine = append(mine, time.Since(start))
			}
			mu.Lock()
			all = append(all, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	f, _ := first.Load().(string)
	return all, int(errs.Load()), f
}

func quantile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[min(len(s)-1, int(q*float64(len(s))))]
}

// load captures a simulated vCenter of cfg.VMs VMs into the store (once:
// a store that already holds the vCenter is reused).
func load(ctx context.Context, cfg *Config) error {
	if t, err := cfg.Store.StateTime(ctx, vcenter); err == nil && !t.IsZero() {
		cfg.logf("%s already holds %s (captured %s); reusing it", cfg.Name, vcenter, t.UTC().Format(time.RFC3339))
		return nil
	}
	cfg.logf("building a simulated vCenter of %d VMs", cfg.VMs)
	start := time.Now()
	sim, err := vcsim.Start(ctx, vcsim.Options{VMs: cfg.VMs, Templates: -1})
	if err != nil {
		return err
	}
	defer sim.Close()
	cfg.logf("built in %s; capturing into %s", time.Since(start).Round(time.Second), cfg.Name)
	u := *sim.URL
	u.User = nil
	src, err := vsphere.New(ctx, inventory.Endpoint{Name: vcenter, URL: u.String(), Username: sim.Username,
		TLS: inventory.TLSOptions{Thumbprint: sim.Thumbprint()}}, vsphere.Options{Credentials: vsphere.Password(sim.Password)})
	if err != nil {
		return err
	}
	defer src.Close(context.WithoutCancel(ctx))
	start = time.Now()
	res, err := capture.Capture(ctx, cfg.Store, src, capture.Options{SnapshotTime: time.Now().UTC().Truncate(time.Hour)})
	if err != nil {
		return err
	}
	cfg.logf("captured %d VMs in %s", res.Counts.VMs, time.Since(start).Round(time.Second))
	return nil
}

// allVMs lists the store's VMs (the detail workload picks among them).
func allVMs(ctx context.Context, st store.Store) ([]inventory.VM, error) {
	var out []inventory.VM
	p := &store.ListVMsParams{Limit: 10000}
	for {
		pg, err := st.ListVMs(ctx, p)
		if err != nil {
			return nil, err
		}
		out = append(out, pg.VMs...)
		if pg.NextCursor == "" {
			return out, nil
		}
		p.Cursor = pg.NextCursor
	}
}

// nameWords are the search terms: 3-character pieces of VM names (each
// matches a part of the inventory, as a user typing does).
func nameWords(vms []inventory.VM) []string {
	seen := map[string]bool{}
	var out []string
	for i := 0; i < len(vms) && len(out) < 200; i += max(1, len(vms)/400) {
		n := strings.ToLower(vms[i].Name)
		if len(n) < 6 {
			continue
		}
		w := n[len(n)-5 : len(n)-2]
		if !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	if len(out) == 0 {
		out = []string{"vm"}
	}
	return out
}
