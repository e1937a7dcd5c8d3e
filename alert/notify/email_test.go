package notify_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"io"
	"math/big"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/accessvault/vinventory/alert/notify"
	"github.com/accessvault/vinventory/inventory"
)

const (
	smtpUser     = "alerts@example.com"
	smtpPassword = "pa55-w0rd!with spaces & <symbols>"
)

// received is one message the SMTP server accepted.
type received struct {
	From   string
	To     []string
	User   string // the authenticated user
	TLS    bool   // the session ran over TLS (STARTTLS)
	Header mail.Header
	Body   string
}

// smtpServer is a local SMTP server (github.com/emersion/go-smtp) with
// STARTTLS under a self-signed certificate and AUTH PLAIN.
type smtpServer struct {
	addr  string
	roots *x509.CertPool
	mu    sync.Mutex
	got   []received
}

func (s *smtpServer) messages() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.got...)
}

// selfSigned returns a TLS certificate for 127.0.0.1 and a pool trusting
// it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "smtp.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}, pool
}

// startSMTP starts the server; withTLS false leaves STARTTLS out.
func startSMTP(t *testing.T, withTLS bool) *smtpServer {
	t.Helper()
	cert, pool := selfSigned(t)
	s := &smtpServer{roots: pool}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &session{srv: s, conn: c}, nil
	}))
	srv.Domain = "smtp.test"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	if withTLS {
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = l.Addr().String()
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return s
}

// session is one SMTP session.
type session struct {
	srv  *smtpServer
	conn *smtp.Conn
	user string
	from string
	to   []string
}

func (s *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != smtpUser || pass != smtpPassword {
			return smtp.ErrAuthFailed
		}
		s.user = user
		return nil
	}), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if s.user == "" {
		return &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "authentication required"}
	}
	s.from = from
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	m, err := mail.ReadMessage(r)
	if err != nil {
		return err
	}
	body, err := io.ReadAll(m.Body)
	if err != nil {
		return err
	}
	_, isTLS := s.conn.TLSConnectionState()
	s.srv.mu.Lock()
	defer s.srv.mu.Unlock()
	s.srv.got = append(s.srv.got, received{From: s.from, To: s.to, User: s.user, TLS: isTLS, Header: m.Header, Body: string(body)})
	return nil
}

func (s *session) Reset()        { s.from, s.to = "", nil }
func (s *session) Logout() error { return nil }

func emailChannel(name string, s *smtpServer) inventory.AlertChannel {
	host, port, _ := net.SplitHostPort(s.addr)
	p, _ := strconv.Atoi(port)
	return inventory.AlertChannel{Name: name, Kind: inventory.ChannelEmail, Enabled: true, SMTPHost: host, SMTPPort: p,
		From: "vinventory <noreply@example.com>", To: []string{"ops@example.com", "oncall@example.com"}, Username: smtpUser}
}

// TestEmail: a notification reaches the local SMTP server over STARTTLS
// (the client trusting the self-signed certificate through TLSConfig)
// with AUTH PLAIN, as plain text with the severity and entity in the
// subject; a digest is one message.
func TestEmail(t *testing.T) { forBackends(t, testEmail) }

func testEmail(t *testing.T, e *env) {
	srv := startSMTP(t, true)
	ch := emailChannel("mail", srv)
	ch.DigestAfter = 2
	e.putChannel(ch, notify.Secret{Password: smtpPassword})
	a := alertN(0, inventory.SeverityCritical)
	a.EntityName = hostile + "\r\nBcc: victim@example.com"
	e.enqueue("mail", inventory.NotifyOpened, a)
	d := e.dispatcher("a", nil, func(o *notify.DispatcherOptions) { o.TLSConfig = &tls.Config{RootCAs: srv.roots} })
	if rep := e.runOnce(d); rep.Delivered != 1 {
		t.Fatalf("report %+v; log:\n%s", rep, e.log)
	}
	msgs := srv.messages()
	if len(msgs) != 1 {
		t.Fatalf("%d messages", len(msgs))
	}
	m := msgs[0]
	if !m.TLS || m.User != smtpUser || m.From != "noreply@example.com" || strings.Join(m.To, ",") != "ops@example.com,oncall@example.com" {
		t.Fatalf("envelope %+v", m)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(subject, "[vinventory] CRITICAL opened: datastore <script>") || strings.ContainsAny(subject, "\r\n") {
		t.Errorf("subject %q", subject)
	}
	if m.Header.Get("Bcc") != "" {
		t.Errorf("a header was injected: Bcc %q", m.Header.Get("Bcc"))
	}
	if ct := m.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("content type %q", ct)
	}
	body := decodeBody(t, m)
	for _, want := range []string{"Summary: datastore is 91.2% used (raise at 85%)", "Rule: ds-full", "vCenter: vc1", "Alert: #100"} {
		if !strings.Contains(body, want) {
			t.Errorf("body lacks %q:\n%s", want, body)
		}
	}

	e.enqueue("mail", inventory.NotifyOpened, alertN(1, inventory.SeverityCritical), alertN(2, inventory.SeverityWarning), alertN(3, inventory.SeverityInfo))
	if rep := e.runOnce(d); rep.Delivered != 3 || rep.Digests != 1 {
		t.Fatalf("digest report %+v", rep)
	}
	msgs = srv.messages()
	if len(msgs) != 2 {
		t.Fatalf("%d messages", len(msgs))
	}
	subject, _ = new(mime.WordDecoder).DecodeHeader(msgs[1].Header.Get("Subject"))
	body = decodeBody(t, msgs[1])
	if subject != "[vinventory] 3 alert notifications (1 critical opened)" || !strings.Contains(body, "WARNING opened: datastore dsc on vc1") {
		t.Errorf("digest %q:\n%s", subject, body)
	}
}

// TestEmailFailures: a server without STARTTLS, and a wrong password,
// fail the notification for good, without the password in any error or
// log line.
func TestEmailFailures(t *testing.T) { forBackends(t, testEmailFailures) }

func testEmailFailures(t *testing.T, e *env) {
	plain := startSMTP(t, false)
	e.putChannel(emailChannel("plain", plain), notify.Secret{Password: smtpPassword})
	tlsSrv := startSMTP(t, true)
	const wrong = "wr0ng-pa55word-Zq9"
	e.putChannel(emailChannel("wrong", tlsSrv), notify.Secret{Password: wrong})
	noTLS := e.enqueue("plain", inventory.NotifyOpened, alertN(0, inventory.SeverityCritical))[0]
	bad := e.enqueue("wrong", inventory.NotifyOpened, alertN(0, inventory.SeverityCritical))[0]
	d := e.dispatcher("a", nil, func(o *notify.DispatcherOptions) { o.TLSConfig = &tls.Config{RootCAs: tlsSrv.roots} })
	if rep := e.runOnce(d); rep.Failed != 2 {
		t.Fatalf("report %+v; log:\n%s", rep, e.log)
	}
	if n := e.notification(noTLS); n.State != inventory.NotificationFailed || !strings.Contains(n.LastError, "STARTTLS") {
		t.Errorf("without STARTTLS: %+v", n)
	}
	n := e.notification(bad)
	if n.State != inventory.NotificationFailed || !strings.Contains(n.LastError, "535") {
		t.Errorf("wrong password: %+v", n)
	}
	if len(plain.messages())+len(tlsSrv.messages()) != 0 {
		t.Error("a message was accepted")
	}
	noSecret(t, "LastError", n.LastError, wrong, smtpPassword)
	noSecret(t, "log", e.log.String(), wrong, smtpPassword)
}

// decodeBody returns a message's body, decoded from quoted-printable
// or base64 as its header says.
func decodeBody(t *testing.T, m received) string {
	t.Helper()
	switch strings.ToLower(m.Header.Get("Content-Transfer-Encoding")) {
	case "quoted-printable":
		b, err := io.ReadAll(quotedprintable.NewReader(strings.NewReader(m.Body)))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	case "base64":
		b, err := base64.StdEncoding.DecodeString(strings.NewReplacer("\r", "", "\n", "").Replace(m.Body))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	return m.Body
}
