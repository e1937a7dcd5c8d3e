package web

import (
	"context"
	"fmt"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/accessvault/vinventory/internal/api"
	"github.com/accessvault/vinventory/internal/live"
	"github.com/accessvault/vinventory/internal/live/livetest"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/memstore"
)

// liveServer serves the pages of f's store through an API with hub
// (closed: /stream answers 503).
func liveServer(t *testing.T, f *fixture, hub *live.Hub) *httptest.Server {
	t.Helper()
	a, err := api.New(api.Options{Store: f.st, Tokens: api.Tokens{}, Hub: hub})
	if err != nil {
		t.Fatal(err)
	}
	w, err := New(Options{API: a, Clock: func() time.Time { return fixtureNow }})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(w)
	t.Cleanup(srv.Close)
	return srv
}

// changeVM stores a live change of the fixture's VM id: power flipped,
// renamed to name, vCPU set.
func changeVM(t *testing.T, st store.Store, id, name string, vcpu int) inventory.VM {
	t.Helper()
	vms, err := st.ListVMs(context.Background(), &store.ListVMsParams{Vcenter: hostileVC})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vms.VMs {
		if v.ID != id {
			continue
		}
		if v.PowerState == inventory.PoweredOn {
			v.PowerState = inventory.PoweredOff
		} else {
			v.PowerState = inventory.PoweredOn
		}
		v.Name, v.VCPUCount = name, vcpu
		livetest.Apply(t, st, hostileVC, fixtureNow.Add(time.Minute), []inventory.Change{livetest.Upsert(&v, "power_state", "name", "vcpu_count")})
		return v
	}
	t.Fatalf("no VM %s", id)
	return inventory.VM{}
}

func powerText(s inventory.PowerState) string {
	return map[inventory.PowerState]string{inventory.PoweredOn: "on", inventory.PoweredOff: "off"}[s]
}

// TestBrowserLive: a VM page shows a live change of its VM without a
// reload (hostile names inert), a list row flashes and updates, the
// dashboard's counters move; with the stream failing the page polls.
func TestBrowserLive(t *testing.T) {
	chromium(t)
	f := newFixture(t, memstore.New(memstore.Options{}), Options{}, false)
	hub, err := live.New(live.Options{Store: f.st, PollInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(hub.Close)
	srv := liveServer(t, f, hub)
	b := newBrowser(t, 1280, 900)
	id := f.vmID["renamed-vm"]
	if id == "" {
		t.Fatal("no renamed-vm in the fixture")
	}
	vmPage := srv.URL + vmHref(hostileVC, id)
	connected := poll(`document.getElementById("live-status").dataset.state === "connected"`, 20*time.Second)

	// The VM page.
	b.open(vmPage)
	b.run("stream connects", connected)
	var marker bool
	b.eval(`window.__liveMarker = 1; true`, &marker)
	v := changeVM(t, f.st, id, scriptName, 7)
	b.run("power updates in place", poll(fmt.Sprintf(`document.querySelector('dd[data-live="power_state"]').textContent.trim() === %q &&
		document.querySelector('dd[data-live="vcpu_count"]').textContent.trim() === "7"`, powerText(v.PowerState)), 20*time.Second))
	var got struct {
		Marker int    `json:"marker"`
		Name   string `json:"name"`
		Flash  bool   `json:"flash"`
	}
	b.eval(`({marker: window.__liveMarker, name: document.querySelector('dd[data-live="name"]').textContent,
		flash: document.querySelector('dd[data-live="power_state"]').classList.contains("live-flash")})`, &got)
	if got.Marker != 1 {
		t.Error("the page reloaded (the window marker is gone)")
	}
	if got.Name != scriptName {
		t.Errorf("the name field shows %q, want %q", got.Name, scriptName)
	}
	if !got.Flash {
		t.Error("the changed field does not flash")
	}
	b.hostileInert("VM page after a live change", 1280)
	b.clean("VM page, live")
	for _, x := range b.axe() {
		t.Errorf("VM page, live: axe: %s", x)
	}

	// The VM list: the row flashes and its cells change.
	b.open(srv.URL + "/vms?vcenter=" + url.QueryEscape(hostileVC) + "&limit=100")
	b.run("stream connects on the list", connected)
	key := hostileVC + "/" + id
	v = changeVM(t, f.st, id, "listed again", 9)
	row := fmt.Sprintf(`document.querySelector('tr[data-key="' + CSS.escape(%q) + '"]')`, key)
	b.run("the row flashes", poll(row+`.classList.contains("live-flash") && `+row+`.querySelector('td[data-live="vcpu_count"]').textContent.trim() === "9"`, 20*time.Second))
	if txt := b.text(`tr[data-key="` + cssEscape(key) + `"] td[data-live="power_state"]`); txt != powerText(v.PowerState) {
		t.Errorf("the row's power cell shows %q, want %q", txt, powerText(v.PowerState))
	}
	b.clean("VM list, live")

	// The dashboard's counters move.
	b.open(srv.URL + "/")
	b.run("stream connects on the dashboard", connected)
	changeVM(t, f.st, id, "dash", 3)
	vms, err := f.st.ListVMs(context.Background(), &store.ListVMsParams{Vcenter: hostileVC})
	if err != nil {
		t.Fatal(err)
	}
	on := 0
	for _, v := range vms.VMs {
		if v.PowerState == inventory.PoweredOn && !v.IsTemplate {
			on++
		}
	}
	b.run("powered-on counter moves", poll(fmt.Sprintf(`document.querySelector('[data-live-count="powered_on"]').textContent === %q`, fmt.Sprint(on)), 20*time.Second))
	// A collector card changes state from a collector message.
	if err := f.st.RecordCaptureStatus(context.Background(), &store.RecordCaptureStatusParams{Status: inventory.CaptureStatus{Endpoint: hostileVC,
		LastAttempt: fixtureNow, LastError: scriptName, ConsecutiveFailures: 2}}); err != nil {
		t.Fatal(err)
	}
	card := fmt.Sprintf(`Array.from(document.querySelectorAll("[data-collector]")).find(c => c.dataset.collector === %q)`, hostileVC)
	b.run("the collector card fails", poll(card+`.querySelector("h3 .badge").textContent === "failing (2 in a row)" && `+
		card+`.querySelector(".error-text").textContent === `+fmt.Sprintf("%q", scriptName), 20*time.Second))
	b.hostileInert("dashboard after a live change", 1280)
	b.clean("dashboard, live")

	// The stream fails (its hub is closed: 503): the page falls back to
	// polling the JSON reads.
	closed, err := live.New(live.Options{Store: f.st})
	if err != nil {
		t.Fatal(err)
	}
	closed.Close()
	nostream := liveServer(t, f, closed)
	b.allow["/stream"] = true
	b.open(nostream.URL + vmHref(hostileVC, id))
	b.run("falls back to polling", poll(`document.getElementById("live-status").dataset.state === "polling"`, 20*time.Second))
	b.eval(`window.__liveMarker = 2; true`, &marker)
	v = changeVM(t, f.st, id, "polled", 5)
	b.run("polling updates the page", poll(fmt.Sprintf(`document.querySelector('dd[data-live="power_state"]').textContent.trim() === %q &&
		document.querySelector('dd[data-live="name"]').textContent === "polled" && window.__liveMarker === 2`, powerText(v.PowerState)), 30*time.Second))
}

// cssEscape escapes s for a CSS attribute value in double quotes.
func cssEscape(s string) string {
	out := ""
	for _, r := range s {
		if r == '"' || r == '\\' {
			out += `\`
		}
		out += string(r)
	}
	return out
}
