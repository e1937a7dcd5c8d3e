package vsphere_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/accessvault/vinventory/capture/vcsim"
	"github.com/accessvault/vinventory/capture/vsphere"
	"github.com/accessvault/vinventory/inventory"
)

func TestTLSVerification(t *testing.T) {
	t.Parallel()
	sim := newSim(t, vcsim.Options{VMs: -1, Templates: -1})
	ctx := context.Background()
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, sim.CertificatePEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	sha1 := sim.Thumbprint()
	wrong := "00" + sha1[2:]
	if wrong == sha1 {
		wrong = "11" + sha1[2:]
	}
	connect := func(o inventory.TLSOptions) error {
		ep := endpoint(sim)
		ep.TLS = o
		src, err := vsphere.New(ctx, ep, vsphere.Options{Credentials: vsphere.Password(sim.Password)})
		if err == nil {
			if _, err = src.Retrieve(ctx); err != nil {
				t.Errorf("Retrieve: %v", err)
			}
			src.Close(ctx)
		}
		return err
	}

	t.Run("default verification rejects the self-signed certificate", func(t *testing.T) {
		err := connect(inventory.TLSOptions{})
		var te *vsphere.TLSError
		if !errors.As(err, &te) || te.Mismatch || te.Endpoint != "vc1" {
			t.Fatalf("err = %v (%T), want a *TLSError", err, err)
		}
		if te.Thumbprint != sha1 {
			t.Errorf("TLSError.Thumbprint = %q, want the server's %q", te.Thumbprint, sha1)
		}
		for _, want := range []string{"thumbprint", "ca_file", "vc1"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not mention %q", err, want)
			}
		}
	})
	for name, o := range map[string]inventory.TLSOptions{
		"SHA-1 thumbprint":                 {Thumbprint: sha1},
		"SHA-256 thumbprint":               {Thumbprint: sim.ThumbprintSHA256()},
		"lower-case thumbprint, no colons": {Thumbprint: strings.ToLower(strings.ReplaceAll(sha1, ":", ""))},
		"CA file":                          {CAFile: caFile},
		"insecure":                         {Insecure: true},
	} {
		t.Run(name+" is accepted", func(t *testing.T) {
			if err := connect(o); err != nil {
				t.Fatal(err)
			}
		})
	}
	t.Run("wrong thumbprint is rejected", func(t *testing.T) {
		err := connect(inventory.TLSOptions{Thumbprint: wrong})
		var te *vsphere.TLSError
		if !errors.As(err, &te) || !te.Mismatch || te.Thumbprint != sha1 {
			t.Fatalf("err = %v, want a thumbprint mismatch *TLSError", err)
		}
		if !strings.Contains(err.Error(), "pinned thumbprint") {
			t.Errorf("error %q does not say the pin failed", err)
		}
	})
	t.Run("pin wins over a trusted CA", func(t *testing.T) {
		err := connect(inventory.TLSOptions{Thumbprint: wrong, CAFile: caFile})
		if _, ok := errors.AsType[*vsphere.TLSError](err); !ok {
			t.Fatalf("err = %v, want a *TLSError", err)
		}
	})
	for name, c := range map[string]struct {
		o     inventory.TLSOptions
		field string
	}{
		"malformed thumbprint": {inventory.TLSOptions{Thumbprint: "AA:BB"}, "tls.thumbprint"},
		"missing CA file":      {inventory.TLSOptions{CAFile: filepath.Join(t.TempDir(), "nope.pem")}, "tls.ca_file"},
		"CA file without PEM":  {inventory.TLSOptions{CAFile: os.Args[0]}, "tls.ca_file"},
	} {
		t.Run(name, func(t *testing.T) {
			var fe *inventory.FieldError
			if err := connect(c.o); !errors.As(err, &fe) || fe.Field != c.field {
				t.Fatalf("err = %v, want a %s FieldError", err, c.field)
			}
		})
	}
}

func TestWrongPassword(t *testing.T) {
	t.Parallel()
	sim := newSim(t, vcsim.Options{VMs: -1, Templates: -1})
	const bad = "Not-The-Pa55word"
	_, err := vsphere.New(context.Background(), endpoint(sim), vsphere.Options{Credentials: vsphere.Password(bad)})
	var le *vsphere.LoginError
	if !errors.As(err, &le) || le.Endpoint != "vc1" || le.Username != sim.Username {
		t.Fatalf("err = %v (%T), want a *LoginError", err, err)
	}
	msg := err.Error()
	if strings.Contains(msg, bad) || !strings.Contains(msg, "vc1") || !strings.Contains(msg, "login") {
		t.Fatalf("error %q must name the endpoint and the failed login, never the password", msg)
	}

	creds := func(context.Context) (string, string, error) { return "", "", errors.New("keyring locked") }
	_, err = vsphere.New(context.Background(), endpoint(sim), vsphere.Options{Credentials: creds})
	if !errors.As(err, &le) || !strings.Contains(err.Error(), "keyring locked") {
		t.Fatalf("credentials error = %v", err)
	}
}

func TestUnreachable(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	ep := inventory.Endpoint{Name: "vc-gone", URL: "https://" + addr + "/sdk", Username: "u", TLS: inventory.TLSOptions{Insecure: true}}
	_, err = vsphere.New(context.Background(), ep, vsphere.Options{Credentials: vsphere.Password("p")})
	var ce *vsphere.ConnectError
	if !errors.As(err, &ce) || !ce.Unreachable || ce.Endpoint != "vc-gone" {
		t.Fatalf("err = %v (%T), want an unreachable *ConnectError", err, err)
	}
	if !strings.Contains(err.Error(), "vc-gone") || !strings.Contains(err.Error(), addr) {
		t.Fatalf("error %q must name the endpoint and its address", err)
	}
}

func TestNotAnSDKEndpoint(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	ep := inventory.Endpoint{Name: "web", URL: srv.URL + "/sdk", Username: "u"}
	// An http:// endpoint is refused unless it says so (the password would
	// cross the network in clear), before any connection is made.
	_, err := vsphere.New(context.Background(), ep, vsphere.Options{Credentials: vsphere.Password("p")})
	if err == nil || !strings.Contains(err.Error(), "tls.allow_plaintext") {
		t.Fatalf("http:// without allow_plaintext: err = %v, want a refusal naming tls.allow_plaintext", err)
	}
	ep.TLS.AllowPlaintext = true
	_, err = vsphere.New(context.Background(), ep, vsphere.Options{Credentials: vsphere.Password("p")})
	var ce *vsphere.ConnectError
	if !errors.As(err, &ce) || ce.Unreachable || !strings.Contains(err.Error(), "404") {
		t.Fatalf("err = %v (%T), want a *ConnectError with the HTTP status", err, err)
	}
}

func TestInvalidEndpointAndOptions(t *testing.T) {
	t.Parallel()
	ep := inventory.Endpoint{Name: "vc1", URL: "ftp://admin:hunter2@vc1/sdk", TLS: inventory.TLSOptions{Insecure: true, Thumbprint: "AA"}}
	_, err := vsphere.New(context.Background(), ep, vsphere.Options{PageSize: -1, Concurrency: -2})
	if err == nil {
		t.Fatal("no error")
	}
	fields := map[string]bool{}
	var walk func(error)
	walk = func(e error) {
		if fe, ok := e.(*inventory.FieldError); ok {
			fields[fe.Field] = true
		}
		switch u := e.(type) {
		case interface{ Unwrap() []error }:
			for _, x := range u.Unwrap() {
				walk(x)
			}
		case interface{ Unwrap() error }:
			walk(u.Unwrap())
		}
	}
	walk(err)
	for _, f := range []string{"url", "tls", "credentials", "page_size", "concurrency", "tls.thumbprint"} {
		if !fields[f] {
			t.Errorf("no FieldError for %s in %v", f, err)
		}
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("error leaks the URL password: %v", err)
	}
}
