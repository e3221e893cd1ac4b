package notify

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"log"
	"math/big"
	"mime/quotedprintable"
	"net"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/xuri/excelize/v2"
)

var (
	started  = time.Date(2026, 11, 29, 2, 0, 0, 0, time.UTC)
	finished = time.Date(2026, 11, 29, 2, 14, 31, 0, time.UTC)
)

// sampleMessage is a finished run with nMissing newly missing and
// nOutdated newly outdated customers, one removed record and two errors.
func sampleMessage(nMissing, nOutdated int) Message {
	m := Message{
		RunID: 42, RunKind: "run", Started: started, Finished: finished, Outcome: OutcomeOK,
		ReportDir: "/var/lib/mcawatch/reports/20261129T020000Z-run42",
	}
	for i := range nMissing {
		m.NewlyMissing = append(m.NewlyMissing, Customer{
			ID: fmt.Sprintf("00000000-0000-0000-0000-%012d", i), CompanyName: fmt.Sprintf("Missing Company %d", i),
			Domain: fmt.Sprintf("missing%d.onmicrosoft.com", i), Since: started,
		})
	}
	for i := range nOutdated {
		m.NewlyOutdated = append(m.NewlyOutdated, Customer{
			ID: fmt.Sprintf("11111111-0000-0000-0000-%012d", i), CompanyName: fmt.Sprintf("Outdated Company %d", i),
			Domain: fmt.Sprintf("outdated%d.onmicrosoft.com", i), Since: started,
		})
	}
	m.Removed = []Record{{CustomerID: "22222222-0000-0000-0000-000000000001", CompanyName: "Removed Record Ltd",
		AgreementType: "MicrosoftCustomerAgreement", DateAgreed: time.Date(2022, 3, 1, 0, 0, 0, 0, time.UTC), TemplateID: "117a488c"}}
	m.Counts = Counts{Customers: 1200, Accepted: 900, DirectSigned: 20, Outdated: 150 + nOutdated, Missing: 100 + nMissing,
		Errors: 2, New: 7, Removed: 1, NewlyMissing: nMissing, NewlyOutdated: nOutdated}
	m.Counts.Blocked = m.Counts.Missing + m.Counts.Outdated
	return m
}

// noSleep is a Sender whose waits return at once and are recorded.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(_ context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.d = append(s.d, d)
	return nil
}

func (s *sleeps) all() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.d...)
}

// mustWriteXLSX writes a small real workbook naming the companies of m and
// returns its path.
func mustWriteXLSX(tb testing.TB, m Message) string {
	tb.Helper()
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", "Missing"); err != nil {
		tb.Fatal(err)
	}
	if err := f.SetSheetRow("Missing", "A1", &[]any{"Customer", "Company", "Domain"}); err != nil {
		tb.Fatal(err)
	}
	for i, c := range m.NewlyMissing {
		if err := f.SetSheetRow("Missing", fmt.Sprintf("A%d", i+2), &[]any{c.ID, c.CompanyName, c.Domain}); err != nil {
			tb.Fatal(err)
		}
	}
	path := filepath.Join(tb.TempDir(), "report.xlsx")
	if err := f.SaveAs(path); err != nil {
		tb.Fatal(err)
	}
	return path
}

// mustCert makes a self-signed certificate for 127.0.0.1 and localhost and
// a pool that trusts it.
func mustCert(tb testing.TB) (tls.Certificate, *x509.CertPool) {
	tb.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "mcawatch test smtp"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
		IsCA:                  true,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		tb.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		tb.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}, pool
}

// mailbox is an in-process SMTP server's received mail.
type mailbox struct {
	mu       sync.Mutex
	mails    []receivedMail
	user     string // required login; empty: no AUTH offered
	password string
	authed   []string // usernames that logged in
}

type receivedMail struct {
	from string
	to   []string
	data []byte
	tls  bool
}

func (mb *mailbox) received() []receivedMail {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	return append([]receivedMail(nil), mb.mails...)
}

func (mb *mailbox) logins() []string {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	return append([]string(nil), mb.authed...)
}

func (mb *mailbox) NewSession(c *smtp.Conn) (smtp.Session, error) {
	_, isTLS := c.TLSConnectionState()
	return &session{mb: mb, tls: isTLS, conn: c}, nil
}

type session struct {
	mb     *mailbox
	conn   *smtp.Conn
	tls    bool
	authed bool
	mail   receivedMail
}

func (s *session) AuthMechanisms() []string {
	if s.mb.user == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (s *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, username, password string) error {
		if username != s.mb.user || password != s.mb.password {
			return smtp.ErrAuthFailed
		}
		s.authed = true
		s.mb.mu.Lock()
		s.mb.authed = append(s.mb.authed, username)
		s.mb.mu.Unlock()
		return nil
	}), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if s.mb.user != "" && !s.authed {
		return smtp.ErrAuthRequired
	}
	s.mail = receivedMail{from: from}
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.mail.to = append(s.mail.to, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.mail.data = b
	_, s.mail.tls = s.conn.TLSConnectionState()
	s.mb.mu.Lock()
	s.mb.mails = append(s.mb.mails, s.mail)
	s.mb.mu.Unlock()
	return nil
}

func (s *session) Reset()        { s.mail = receivedMail{} }
func (s *session) Logout() error { return nil }

// smtpServer starts an in-process SMTP server on loopback. With cert it
// offers STARTTLS (or, with implicitTLS, speaks TLS from the first byte);
// insecureAuth lets it take AUTH PLAIN in the clear. It returns the port.
func smtpServer(tb testing.TB, mb *mailbox, cert *tls.Certificate, implicitTLS, insecureAuth bool) int {
	tb.Helper()
	srv := smtp.NewServer(mb)
	srv.Domain = "localhost"
	srv.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are what some tests want
	srv.AllowInsecureAuth = insecureAuth
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	var l net.Listener
	var err error
	if cert != nil {
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{*cert}, MinVersion: tls.VersionTLS12}
	}
	if implicitTLS {
		l, err = tls.Listen("tcp", "127.0.0.1:0", srv.TLSConfig)
	} else {
		l, err = net.Listen("tcp", "127.0.0.1:0")
	}
	if err != nil {
		tb.Fatal(err)
	}
	go func() { _ = srv.Serve(l) }()
	tb.Cleanup(func() { _ = srv.Close() })
	return l.Addr().(*net.TCPAddr).Port
}

// quotedPrintable decodes a quoted-printable body.
func quotedPrintable(r io.Reader) io.Reader { return quotedprintable.NewReader(r) }
