package storetest

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

var ignoreStamps = cmpopts.IgnoreFields(inventory.Endpoint{}, "CreatedAt", "UpdatedAt")

func endpointTests() []test {
	return []test{
		{"UpsertGetList", testEndpointsList},
		{"UpdateKeepsCreatedAt", testEndpointUpdate},
		{"Validation", testEndpointValidation},
		{"CredentialBytes", testEndpointCredential},
		{"Delete", testEndpointDelete},
		{"CaptureStatus", testCaptureStatus},
	}
}

func (e *env) upsert(ep inventory.Endpoint) *inventory.Endpoint {
	e.t.Helper()
	got, err := e.st.UpsertEndpoint(e.ctx, &store.UpsertEndpointParams{Endpoint: ep})
	e.ok(err, "UpsertEndpoint(%s)", ep.Name)
	if got == nil {
		e.t.Fatalf("UpsertEndpoint(%s): nil endpoint and nil error", ep.Name)
	}
	return got
}

func (e *env) endpointData() []inventory.Endpoint {
	b := Endpoint("vc-b")
	a := Endpoint("vc-a")
	a.Enabled, a.Tags, a.Credential = false, nil, nil
	a.Kind, a.PollInterval = "", 0 // stored as given: no defaults filled in
	esx := Endpoint("esx-01")
	esx.Kind, esx.URL, esx.TLS = inventory.KindESXi, "https://10.1.2.3/sdk", inventory.TLSOptions{Insecure: true, CAFile: "/etc/ssl/ca.pem"}
	esx.PollInterval = 90*time.Minute + time.Nanosecond
	esx.Scope = inventory.Scope{
		Include: []inventory.ScopeRule{{Folder: "/DC 1/vm/Prod \"ü\""}, {Attribute: "tag:env=prod", Name: "^web-"}},
		Exclude: []inventory.ScopeRule{{Name: `(?i)^=tmp-.*<script>`}},
	}
	var out []inventory.Endpoint
	for _, ep := range []inventory.Endpoint{b, a, esx} {
		got := e.upsert(ep)
		checkEq(e.t, "UpsertEndpoint("+ep.Name+") result", e.n.endpoint(ep), *got, ignoreStamps)
		if got.CreatedAt.IsZero() || got.UpdatedAt.IsZero() {
			e.t.Errorf("UpsertEndpoint(%s): CreatedAt %v, UpdatedAt %v, want both set by the store", ep.Name, got.CreatedAt, got.UpdatedAt)
		}
		if got.UpdatedAt.Before(got.CreatedAt) {
			e.t.Errorf("UpsertEndpoint(%s): UpdatedAt %v before CreatedAt %v", ep.Name, got.UpdatedAt, got.CreatedAt)
		}
		checkTimes(e.t, "UpsertEndpoint("+ep.Name+")", got, e.n.prec)
		stored, err := e.st.GetEndpoint(e.ctx, &store.GetEndpointParams{Name: ep.Name})
		e.ok(err, "GetEndpoint(%s)", ep.Name)
		checkEq(e.t, "GetEndpoint("+ep.Name+") vs what UpsertEndpoint returned", got, stored)
		out = append(out, *got)
	}
	return []inventory.Endpoint{out[2], out[1], out[0]} // by name: esx-01, vc-a, vc-b
}

func testEndpointsList(e *env) {
	all := e.endpointData()
	got, err := e.st.ListEndpoints(e.ctx, &store.ListEndpointsParams{})
	e.ok(err, "ListEndpoints")
	checkList(e.t, "ListEndpoints (ordered by name)", all, got)
	got, err = e.st.ListEndpoints(e.ctx, &store.ListEndpointsParams{EnabledOnly: true})
	e.ok(err, "ListEndpoints{EnabledOnly}")
	checkList(e.t, "ListEndpoints{EnabledOnly}", []inventory.Endpoint{all[0], all[2]}, got)
	_, err = e.st.GetEndpoint(e.ctx, &store.GetEndpointParams{Name: "vc-z"})
	wantNotFound(e.t, err, "GetEndpoint of an unknown endpoint")
}

func testEndpointUpdate(e *env) {
	all := e.endpointData()
	first := all[2] // vc-b
	time.Sleep(2 * e.n.prec)
	upd := Endpoint("vc-b")
	upd.URL, upd.Username, upd.Tags, upd.Enabled = "https://vc-b-new.example.com/sdk", "other@vsphere.local", nil, false
	upd.Credential = []byte("rotated")
	upd.CreatedAt, upd.UpdatedAt = t0, t0 // ignored: stores maintain them
	got := e.upsert(upd)
	checkEq(e.t, "UpsertEndpoint (update) result", e.n.endpoint(upd), *got, ignoreStamps)
	if !got.CreatedAt.Equal(first.CreatedAt) {
		e.t.Errorf("UpsertEndpoint (update): CreatedAt %v, want the first upsert's %v", got.CreatedAt, first.CreatedAt)
	}
	if got.UpdatedAt.Before(first.UpdatedAt) {
		e.t.Errorf("UpsertEndpoint (update): UpdatedAt %v is before the first upsert's %v", got.UpdatedAt, first.UpdatedAt)
	}
	stored, err := e.st.GetEndpoint(e.ctx, &store.GetEndpointParams{Name: "vc-b"})
	e.ok(err, "GetEndpoint")
	checkEq(e.t, "GetEndpoint after update", got, stored)
}

func testEndpointValidation(e *env) {
	e.endpointData()
	before := e.dump()
	const secret = "s3cr3t-XYZ"
	for _, c := range []struct {
		name, field string
		mod         func(ep *inventory.Endpoint)
	}{
		{"empty name", "name", func(ep *inventory.Endpoint) { ep.Name = "  " }},
		{"name too long", "name", func(ep *inventory.Endpoint) { ep.Name = strings.Repeat("n", 256) }},
		{"password in URL", "url", func(ep *inventory.Endpoint) { ep.URL = "https://admin:hunter2-pw@vc1.example.com/sdk" }},
		{"unparsable URL with password", "url", func(ep *inventory.Endpoint) { ep.URL = "https://admin:hunter2-pw@vc1 example.com:xx/%zz" }},
		{"empty URL", "url", func(ep *inventory.Endpoint) { ep.URL = "" }},
		{"ftp URL", "url", func(ep *inventory.Endpoint) { ep.URL = "ftp://vc1.example.com/" }},
		{"bad kind", "kind", func(ep *inventory.Endpoint) { ep.Kind = "nsx" }},
		{"negative poll interval", "poll_interval", func(ep *inventory.Endpoint) { ep.PollInterval = -time.Second }},
		{"insecure with thumbprint", "tls", func(ep *inventory.Endpoint) { ep.TLS.Insecure = true }},
		{"bad scope regexp", "scope.exclude[1]", func(ep *inventory.Endpoint) {
			ep.Scope.Exclude = []inventory.ScopeRule{{Folder: "/DC1/vm/Test"}, {Name: "(unclosed"}}
		}},
		{"empty scope rule", "scope.include[0]", func(ep *inventory.Endpoint) { ep.Scope.Include = []inventory.ScopeRule{{}} }},
	} {
		ep := Endpoint("vc-new")
		ep.Credential = []byte(secret)
		c.mod(&ep)
		_, err := e.st.UpsertEndpoint(e.ctx, &store.UpsertEndpointParams{Endpoint: ep})
		wantInvalid(e.t, err, "UpsertEndpoint", c.name)
		if err == nil {
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, c.field) {
			e.t.Errorf("UpsertEndpoint %s: error %q does not name the field %q", c.name, msg, c.field)
		}
		for _, leak := range []string{secret, "hunter2"} {
			if strings.Contains(msg, leak) || strings.Contains(fmt.Sprintf("%+v %#v", err, err), leak) {
				e.t.Errorf("UpsertEndpoint %s: error leaks a secret (%q): %q", c.name, leak, msg)
			}
		}
	}
	e.unchanged(before, "invalid UpsertEndpoint")
}

func testEndpointCredential(e *env) {
	blobs := [][]byte{
		{0x00},
		{0xff, 0xfe, 0xfd, 0x00, 0x80, 0xc0, 0xc1, 0xf5},
		bytes.Repeat([]byte{0x00, 0xff, 'x', 0x27, 0x5c}, 1000),
		[]byte("plain ascii'\\\""),
	}
	for i, b := range blobs {
		ep := Endpoint(fmt.Sprintf("vc-%d", i))
		ep.Credential = b
		e.upsert(ep)
		got, err := e.st.GetEndpoint(e.ctx, &store.GetEndpointParams{Name: ep.Name})
		e.ok(err, "GetEndpoint")
		if !bytes.Equal(got.Credential, b) {
			e.t.Errorf("Credential blob #%d (%d bytes) did not round-trip: got %x", i, len(b), got.Credential)
		}
	}
	for _, cred := range [][]byte{nil, {}} {
		ep := Endpoint("vc-empty")
		ep.Credential = cred
		e.upsert(ep)
		got, err := e.st.GetEndpoint(e.ctx, &store.GetEndpointParams{Name: ep.Name})
		e.ok(err, "GetEndpoint")
		if got.Credential != nil {
			e.t.Errorf("empty Credential (%#v) came back as %#v, want nil", cred, got.Credential)
		}
	}
}

func testEndpointDelete(e *env) {
	all := e.endpointData()
	p := e.snapshot("vc-b", t0, 4, 1)
	e.write(p)
	for _, name := range []string{"vc-a", "vc-b"} {
		e.ok(e.st.RecordCaptureStatus(e.ctx, &store.RecordCaptureStatusParams{Status: inventory.CaptureStatus{Endpoint: name, LastAttempt: t0}}), "RecordCaptureStatus")
	}
	before := e.dump()
	e.ok(e.st.DeleteEndpoint(e.ctx, &store.DeleteEndpointParams{Name: "vc-b"}), "DeleteEndpoint")
	_, err := e.st.GetEndpoint(e.ctx, &store.GetEndpointParams{Name: "vc-b"})
	wantNotFound(e.t, err, "GetEndpoint after DeleteEndpoint")
	err = e.st.DeleteEndpoint(e.ctx, &store.DeleteEndpointParams{Name: "vc-b"})
	wantNotFound(e.t, err, "DeleteEndpoint of a deleted endpoint")
	err = e.st.DeleteEndpoint(e.ctx, &store.DeleteEndpointParams{Name: "never"})
	wantNotFound(e.t, err, "DeleteEndpoint of an unknown endpoint")
	after := e.dump()
	checkList(e.t, "ListEndpoints after DeleteEndpoint", all[:2], after.Endpoints)
	checkList(e.t, "ListCaptureStatus after DeleteEndpoint (its status is gone)", before.CaptureStatus[:1], after.CaptureStatus)
	before.Endpoints, before.CaptureStatus, after.Endpoints, after.CaptureStatus = nil, nil, nil, nil
	if d := Diff(before, after); d != "" {
		e.t.Errorf("DeleteEndpoint removed captured data (-before +after):\n%s", d)
	}
}

func testCaptureStatus(e *env) {
	e.endpointData()
	n := e.n
	sts := []inventory.CaptureStatus{
		{Endpoint: "vc-b", LastAttempt: t0, LastSuccess: t0, LastDuration: 987654321, Counts: inventory.ObjectCounts{VMs: 120, Hosts: 4, Clusters: 2, Datastores: 6, Networks: 3, ResourcePools: 11}},
		{Endpoint: "vc-a", LastAttempt: t0.Add(time.Hour), LastError: "ServerFaultCode: Permission to perform this operation was denied.\nline 2\t'quoted'", ConsecutiveFailures: 3},
		{Endpoint: "esx-01", LastAttempt: t0, LastSuccess: t0.Add(-time.Hour), LastDuration: time.Nanosecond},
	}
	for _, s := range sts {
		e.ok(e.st.RecordCaptureStatus(e.ctx, &store.RecordCaptureStatusParams{Status: s}), "RecordCaptureStatus(%s)", s.Endpoint)
	}
	want := []inventory.CaptureStatus{n.status(sts[2]), n.status(sts[1]), n.status(sts[0])}
	got, err := e.st.ListCaptureStatus(e.ctx, &store.ListCaptureStatusParams{})
	e.ok(err, "ListCaptureStatus")
	checkList(e.t, "ListCaptureStatus (ordered by endpoint)", want, got)
	got, err = e.st.ListCaptureStatus(e.ctx, &store.ListCaptureStatusParams{Endpoint: "vc-a"})
	e.ok(err, "ListCaptureStatus{vc-a}")
	checkList(e.t, "ListCaptureStatus{Endpoint: vc-a}", want[1:2], got)
	// Upsert: every field replaced.
	upd := inventory.CaptureStatus{Endpoint: "vc-a", LastAttempt: t0.Add(2 * time.Hour), LastSuccess: t0.Add(2 * time.Hour), LastDuration: 3 * time.Second,
		Counts: inventory.ObjectCounts{VMs: 1}}
	e.ok(e.st.RecordCaptureStatus(e.ctx, &store.RecordCaptureStatusParams{Status: upd}), "RecordCaptureStatus (update)")
	want[1] = n.status(upd)
	got, err = e.st.ListCaptureStatus(e.ctx, &store.ListCaptureStatusParams{})
	e.ok(err, "ListCaptureStatus")
	checkList(e.t, "ListCaptureStatus after an update (LastError cleared, failures reset)", want, got)
	err = e.st.RecordCaptureStatus(e.ctx, &store.RecordCaptureStatusParams{Status: inventory.CaptureStatus{LastAttempt: t0}})
	wantInvalid(e.t, err, "RecordCaptureStatus", "without Endpoint")
}
