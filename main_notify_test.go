package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/xuri/excelize/v2"

	"github.com/mcawatch/mcawatch/fetch/pctest"
	"github.com/mcawatch/mcawatch/storage"
)

// These tests follow a notification from a real sweep to real receivers:
// an in-process SMTP server speaking STARTTLS with a login, and httptest
// webhooks. The SMTP helpers repeat report/notify's test helpers, which
// live in that package's tests and cannot be imported.

// mailbox is an in-process SMTP server's received mail.
type mailbox struct {
	mu       sync.Mutex
	mails    []receivedMail
	user     string
	password string
}

type receivedMail struct {
	to   []string
	data []byte
	tls  bool
}

func (mb *mailbox) received() []receivedMail {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	return append([]receivedMail(nil), mb.mails...)
}

func (mb *mailbox) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &smtpSession{mb: mb, conn: c}, nil
}

type smtpSession struct {
	mb     *mailbox
	conn   *smtp.Conn
	authed bool
	mail   receivedMail
}

func (s *smtpSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *smtpSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, username, password string) error {
		if username != s.mb.user || password != s.mb.password {
			return smtp.ErrAuthFailed
		}
		s.authed = true
		return nil
	}), nil
}

func (s *smtpSession) Mail(string, *smtp.MailOptions) error {
	if !s.authed {
		return smtp.ErrAuthRequired
	}
	s.mail = receivedMail{}
	return nil
}

func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.mail.to = append(s.mail.to, to)
	return nil
}

func (s *smtpSession) Data(r io.Reader) error {
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

func (s *smtpSession) Reset()        { s.mail = receivedMail{} }
func (s *smtpSession) Logout() error { return nil }

// smtpServer starts an SMTP server on loopback offering STARTTLS with a
// self-signed certificate for 127.0.0.1, and returns its port and the
// certificate as a PEM file, which the binary is told to trust through
// SSL_CERT_FILE.
func smtpServer(t *testing.T, mb *mailbox) (port int, certFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "mcawatch e2e smtp"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"},
		IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	certFile = filepath.Join(t.TempDir(), "smtp-ca.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := smtp.NewServer(mb)
	srv.Domain = "localhost"
	srv.ErrorLog = log.New(io.Discard, "", 0)
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, MinVersion: tls.VersionTLS12}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return l.Addr().(*net.TCPAddr).Port, certFile
}

// mailParts is a received mail taken apart.
type mailParts struct {
	header      mail.Header
	text        string
	attachments map[string][]byte
}

func mustParseMail(t *testing.T, raw []byte) mailParts {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("parse mail: %v", err)
	}
	p := mailParts{header: msg.Header, attachments: map[string][]byte{}}
	walkPart(t, msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), "", msg.Body, &p)
	return p
}

func walkPart(t *testing.T, contentType, encoding, disposition string, body io.Reader, p *mailParts) {
	t.Helper()
	mediaType, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		t.Fatalf("content type %q: %v", contentType, err)
	}
	if strings.HasPrefix(mediaType, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			part, err := mr.NextRawPart()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				t.Fatalf("multipart: %v", err)
			}
			walkPart(t, part.Header.Get("Content-Type"), part.Header.Get("Content-Transfer-Encoding"), part.Header.Get("Content-Disposition"), part, p)
		}
	}
	var r io.Reader = body
	switch strings.ToLower(encoding) {
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, body)
	case "quoted-printable":
		r = quotedprintable.NewReader(body)
	}
	data, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("read %s part: %v", mediaType, err)
	}
	if _, dp, err := mime.ParseMediaType(disposition); err == nil && strings.HasPrefix(strings.ToLower(disposition), "attachment") {
		p.attachments[dp["filename"]] = data
		return
	}
	if mediaType == "text/plain" {
		p.text = string(data)
	}
}

// hook is an httptest webhook receiver whose URL carries a secret path.
type hook struct {
	srv    *httptest.Server
	secret string
	mu     sync.Mutex
	bodies [][]byte
	fail   int // answer 500 to this many requests first, quoting the URL
	status int // answer every request with this status when not 0
}

func newHook(t *testing.T, name string, fail int) *hook {
	t.Helper()
	h := &hook{secret: "secret-" + name + "-T0B0XXYYZZ", fail: fail}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		defer h.mu.Unlock()
		switch {
		case h.status != 0:
			http.Error(w, "no such hook "+r.URL.String(), h.status)
			return
		case h.fail > 0:
			h.fail--
			// Retry at a date already passed: at once, so the test waits
			// for nothing.
			w.Header().Set("Retry-After", time.Now().Add(-time.Hour).UTC().Format(http.TimeFormat))
			http.Error(w, "upstream broke while handling "+r.URL.String(), http.StatusInternalServerError)
			return
		}
		h.bodies = append(h.bodies, body)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

// answer makes every later request get status (0: the usual answers).
func (h *hook) answer(status int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.status = status
}

func (h *hook) url() string { return h.srv.URL + "/webhook/" + h.secret }

func (h *hook) received() [][]byte {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([][]byte(nil), h.bodies...)
}

// runEnv runs the binary in w with extra environment variables.
func (w *workspace) runEnv(env []string, args ...string) result {
	w.t.Helper()
	cmd := w.command(args...)
	cmd.Env = append(cmd.Env, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		w.t.Fatalf("run %v: %v", args, err)
	}
	return result{stdout: stdout.String(), stderr: stderr.String(), code: code}
}

// loseAgreements makes n accepted customers lose every MCA record and
// answer "not direct-signed": newly missing at the next sweep.
func loseAgreements(t *testing.T, srv *pctest.Server, n int) map[string]string {
	t.Helper()
	lost := map[string]string{}
	for _, c := range srv.Customers() {
		if len(lost) == n {
			break
		}
		if c.Standing(pctest.DefaultCurrentSince) != pctest.StandingAccepted {
			continue
		}
		for _, typ := range []string{mca, "microsoftCustomerAgreement"} {
			if err := srv.RemoveAgreements(c.ID, typ); err != nil {
				t.Fatal(err)
			}
		}
		if err := srv.SetDirectSigned(c.ID, false); err != nil {
			t.Fatal(err)
		}
		lost[c.ID] = c.CompanyName
	}
	if len(lost) != n {
		t.Fatalf("only %d accepted customers to change, want %d", len(lost), n)
	}
	return lost
}

// mustNotifications reads what the database recorded about runID.
func mustNotifications(t *testing.T, dbPath string, runID int64) []storage.NotificationRecord {
	t.Helper()
	db, err := storage.Open(dbPath, storage.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	recs, err := db.Notifications(runID)
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// dbText is the database's bytes (with its WAL), to look for secrets in.
func dbText(t *testing.T, path string) string {
	t.Helper()
	var b strings.Builder
	for _, suffix := range []string{"", "-wal"} {
		data, err := os.ReadFile(path + suffix)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
		b.Write(data)
	}
	return b.String()
}

// treeText is every file under dir, concatenated.
func treeText(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			// Folders, and links such as reports/latest, are read through
			// what they hold.
			return err
		}
		data, err := os.ReadFile(path)
		b.Write(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func assertNoSecret(t *testing.T, where, text string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if s != "" && strings.Contains(text, s) {
			t.Errorf("%s holds the secret %q", where, s)
		}
	}
}

func TestE2E_Notify_EmailNamesNewlyMissingAndAttachesTheWorkbook(t *testing.T) {
	srv := newE2EServer(t, 120, 41)
	mb := &mailbox{user: "mcawatch", password: "smtp-Passw0rd-e2e"}
	port, certFile := smtpServer(t, mb)
	w := newWorkspace(t, srv, fmt.Sprintf(`notify:
  on: [newly_missing, failed]
  email:
    host: 127.0.0.1
    port: %d
    username_env: E2E_SMTP_USER
    password_env: E2E_SMTP_PASSWORD
    from: mcawatch@example.com
    to: [compliance@example.com]
    attach: xlsx
`, port))
	env := []string{"SSL_CERT_FILE=" + certFile, "E2E_SMTP_USER=" + mb.user, "E2E_SMTP_PASSWORD=" + mb.password}

	first := w.runEnv(env, "run")
	if first.code != 0 {
		t.Fatalf("first run exit %d:\n%s", first.code, first.stderr)
	}
	if n := len(mb.received()); n != 0 {
		t.Fatalf("the baseline run sent %d mails, want none: nothing is newly missing", n)
	}
	lost := loseAgreements(t, srv, 3)
	second := w.runEnv(env, "run")
	if second.code != 0 {
		t.Fatalf("second run exit %d:\n%s", second.code, second.stderr)
	}
	mails := mb.received()
	if len(mails) != 1 {
		t.Fatalf("received %d mails, want 1:\n%s", len(mails), second.stderr)
	}
	if !mails[0].tls || strings.Join(mails[0].to, ",") != "compliance@example.com" {
		t.Fatalf("mail tls=%v to=%v, want STARTTLS to compliance@example.com", mails[0].tls, mails[0].to)
	}
	p := mustParseMail(t, mails[0].data)
	subject, err := new(mime.WordDecoder).DecodeHeader(p.header.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(subject, "mcawatch run 2: 3 newly missing") {
		t.Errorf("Subject = %q, want it to say run 2 has 3 newly missing", subject)
	}
	for _, name := range lost {
		if !strings.Contains(p.text, name) {
			t.Errorf("text body lacks newly missing %q:\n%s", name, p.text)
		}
	}
	folder := second.lastLine()
	if !strings.Contains(p.text, folder) {
		t.Errorf("text body lacks the report folder %s:\n%s", folder, p.text)
	}
	xlsx, ok := p.attachments["mcawatch-run2.xlsx"]
	if !ok {
		t.Fatalf("attachments %v, want mcawatch-run2.xlsx", len(p.attachments))
	}
	f, err := excelize.OpenReader(bytes.NewReader(xlsx))
	if err != nil {
		t.Fatalf("open the attached workbook: %v", err)
	}
	defer f.Close()
	rows, err := f.GetRows("Missing")
	if err != nil {
		t.Fatal(err)
	}
	onSheet := map[string]bool{}
	for _, r := range rows[1:] {
		for _, cell := range r {
			onSheet[cell] = true
		}
	}
	for id := range lost {
		if !onSheet[id] {
			t.Errorf("the attached workbook's Missing sheet lacks %s", id)
		}
	}
	_, csvRows := readCSV(t, filepath.Join(folder, "missing.csv"))
	if len(rows)-1 != len(csvRows) {
		t.Errorf("attached Missing sheet has %d rows, the report's missing.csv %d", len(rows)-1, len(csvRows))
	}
	recs := mustNotifications(t, w.db, 2)
	if len(recs) != 1 || !recs[0].OK() || recs[0].Channel != "email to compliance@example.com" || strings.Join(recs[0].Reasons, ",") != "newly_missing" {
		t.Errorf("notifications of run 2 = %+v, want one ok email for newly_missing", recs)
	}
	for _, r := range []result{first, second} {
		assertNoSecret(t, "stderr", r.stderr+r.stdout, mb.password)
	}
	assertNoSecret(t, "the database", dbText(t, w.db), mb.password)
	assertNoSecret(t, "the reports", treeText(t, filepath.Join(w.dir, "reports")), mb.password)
}

func TestE2E_Notify_WebhooksToldOnceAndNeverAgain(t *testing.T) {
	srv := newE2EServer(t, 100, 43)
	teams, slack, plain := newHook(t, "teams", 0), newHook(t, "slack", 0), newHook(t, "json", 1)
	w := newWorkspace(t, srv, `notify:
  on: [newly_missing, removed, failed]
  webhooks:
    - {url_env: E2E_TEAMS_HOOK, format: teams}
    - {url_env: E2E_SLACK_HOOK, format: slack}
    - {url_env: E2E_JSON_HOOK, format: json}
`)
	env := []string{"E2E_TEAMS_HOOK=" + teams.url(), "E2E_SLACK_HOOK=" + slack.url(), "E2E_JSON_HOOK=" + plain.url()}
	hooks := map[string]*hook{"teams": teams, "slack": slack, "json": plain}
	count := func(want int, after string) {
		t.Helper()
		for name, h := range hooks {
			if got := len(h.received()); got != want {
				t.Fatalf("after %s the %s receiver got %d messages, want %d", after, name, got, want)
			}
		}
	}

	var runs []result
	runs = append(runs, w.runEnv(env, "run"))
	count(0, "the baseline run")
	lost := loseAgreements(t, srv, 2)
	runs = append(runs, w.runEnv(env, "run", "--fail-on", "missing"))
	if runs[1].code != 3 {
		t.Fatalf("second run exit %d, want 3 (--fail-on missing), notifications or not:\n%s", runs[1].code, runs[1].stderr)
	}
	count(1, "the run with newly missing customers")

	var card struct {
		Type        string `json:"type"`
		Attachments []struct {
			ContentType string `json:"contentType"`
			Content     struct {
				Type string            `json:"type"`
				Body []json.RawMessage `json:"body"`
			} `json:"content"`
		} `json:"attachments"`
	}
	if err := json.Unmarshal(teams.received()[0], &card); err != nil || card.Type != "message" || len(card.Attachments) != 1 ||
		card.Attachments[0].ContentType != "application/vnd.microsoft.card.adaptive" || card.Attachments[0].Content.Type != "AdaptiveCard" {
		t.Errorf("teams payload is not a Workflows message with an Adaptive Card (%v):\n%s", err, teams.received()[0])
	}
	var blocks struct {
		Text   string            `json:"text"`
		Blocks []json.RawMessage `json:"blocks"`
	}
	if err := json.Unmarshal(slack.received()[0], &blocks); err != nil || blocks.Text == "" || len(blocks.Blocks) == 0 {
		t.Errorf("slack payload has no text fallback or no blocks (%v):\n%s", err, slack.received()[0])
	}
	var js struct {
		Event        string `json:"event"`
		RunID        int64  `json:"run_id"`
		ReportDir    string `json:"report_dir"`
		NewlyMissing []struct {
			CustomerID  string `json:"customer_id"`
			CompanyName string `json:"company_name"`
		} `json:"newly_missing"`
	}
	if err := json.Unmarshal(plain.received()[0], &js); err != nil {
		t.Fatal(err)
	}
	if js.Event != "mcawatch.run" || js.RunID != 2 || js.ReportDir != runs[1].lastLine() || len(js.NewlyMissing) != len(lost) {
		t.Errorf("json payload = %+v, want run 2, its report folder and %d newly missing", js, len(lost))
	}
	for _, c := range js.NewlyMissing {
		if lost[c.CustomerID] != c.CompanyName {
			t.Errorf("json newly missing %s %q, want one of %v", c.CustomerID, c.CompanyName, lost)
		}
	}
	recs := mustNotifications(t, w.db, 2)
	if len(recs) != 3 {
		t.Fatalf("notifications of run 2 = %+v, want one a channel", recs)
	}
	for _, r := range recs {
		wantAttempts := 1
		if r.Channel == "json webhook #3" {
			wantAttempts = 2 // a 500, then delivered
		}
		if !r.OK() || r.Attempts != wantAttempts || strings.Join(r.Reasons, ",") != "newly_missing,removed" {
			t.Errorf("record %+v: want ok after %d attempts for newly_missing,removed", r, wantAttempts)
		}
	}

	// Nothing re-sends run 2: a re-render, a resume with nothing to
	// resume, and a run with nothing new.
	runs = append(runs, w.runEnv(env, "report", "--run", "2", "--out", filepath.Join(w.dir, "again")))
	if last := runs[len(runs)-1]; last.code != 0 {
		t.Fatalf("report exit %d:\n%s", last.code, last.stderr)
	}
	runs = append(runs, w.runEnv(env, "run", "--resume"))
	runs = append(runs, w.runEnv(env, "run"))
	if last := runs[len(runs)-1]; last.code != 0 {
		t.Fatalf("third run exit %d:\n%s", last.code, last.stderr)
	}
	count(1, "report, run --resume and a quiet run")
	if recs := mustNotifications(t, w.db, 2); len(recs) != 3 {
		t.Errorf("notifications of run 2 after the rest = %d, want still 3", len(recs))
	}

	var logs string
	for _, r := range runs {
		logs += r.stdout + r.stderr
	}
	if !strings.Contains(logs, "notification attempt failed") {
		t.Errorf("the json hook's 500 was not logged:\n%s", logs)
	}
	for _, h := range hooks {
		assertNoSecret(t, "the output", logs, h.secret)
		assertNoSecret(t, "the database", dbText(t, w.db), h.secret)
		assertNoSecret(t, "the reports", treeText(t, filepath.Join(w.dir, "reports")), h.secret)
	}
}

func TestE2E_Notify_RefusedTokenSendsFailed(t *testing.T) {
	srv := newE2EServer(t, 20, 45)
	plain := newHook(t, "json", 0)
	w := newWorkspace(t, srv, "notify:\n  on: [failed]\n  webhooks:\n    - {url_env: E2E_JSON_HOOK, format: json}\n")
	r := w.runEnv([]string{"E2E_TOKEN=a-token-partner-center-refuses", "E2E_JSON_HOOK=" + plain.url()}, "run")
	if r.code != 4 {
		t.Fatalf("run with a refused token exit %d, want 4:\n%s", r.code, r.stderr)
	}
	got := plain.received()
	if len(got) != 1 {
		t.Fatalf("webhook got %d messages, want the failed one:\n%s", len(got), r.stderr)
	}
	var p struct {
		Outcome string `json:"outcome"`
		Title   string `json:"title"`
		Reason  string `json:"reason"`
	}
	if err := json.Unmarshal(got[0], &p); err != nil {
		t.Fatal(err)
	}
	if p.Outcome != "failed" || !strings.Contains(p.Title, "failed") || p.Reason == "" {
		t.Errorf("message = %+v, want a failed run with its reason", p)
	}
	assertNoSecret(t, "the output", r.stdout+r.stderr, plain.secret, "a-token-partner-center-refuses")
	assertNoSecret(t, "the message", string(got[0]), "a-token-partner-center-refuses")
}

func TestE2E_NotifyTest_SaysWhichChannelWorked(t *testing.T) {
	srv := newE2EServer(t, 5, 47)
	mb := &mailbox{user: "mcawatch", password: "smtp-Passw0rd-test"}
	port, certFile := smtpServer(t, mb)
	good, gone := newHook(t, "json", 0), newHook(t, "slack", 0)
	gone.answer(http.StatusNotFound)
	w := newWorkspace(t, srv, fmt.Sprintf(`notify:
  webhooks:
    - {url_env: E2E_JSON_HOOK, format: json}
    - {url_env: E2E_SLACK_HOOK, format: slack}
  email:
    host: 127.0.0.1
    port: %d
    username_env: E2E_SMTP_USER
    password_env: E2E_SMTP_PASSWORD
    from: mcawatch@example.com
    to: [compliance@example.com]
`, port))
	env := []string{"SSL_CERT_FILE=" + certFile, "E2E_JSON_HOOK=" + good.url(), "E2E_SLACK_HOOK=" + gone.url(),
		"E2E_SMTP_USER=" + mb.user, "E2E_SMTP_PASSWORD=" + mb.password}

	r := w.runEnv(env, "notify", "--test")
	if r.code != 1 {
		t.Fatalf("notify --test with one bad channel exit %d, want 1:\n%s%s", r.code, r.stdout, r.stderr)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 3 || lines[0] != "json webhook #1: ok" || !strings.HasPrefix(lines[1], "slack webhook #2: failed after 1 attempts: ") ||
		!strings.Contains(lines[1], "404") || lines[2] != "email to compliance@example.com: ok" {
		t.Fatalf("notify --test printed:\n%s\nwant json ok, slack failed with its 404, email ok", r.stdout)
	}
	if len(good.received()) != 1 || len(mb.received()) != 1 {
		t.Fatalf("test messages received: json %d, email %d; want 1 each", len(good.received()), len(mb.received()))
	}
	assertNoSecret(t, "the output", r.stdout+r.stderr, gone.secret, good.secret, mb.password)

	gone.answer(0)
	if r := w.runEnv(env, "notify", "--test"); r.code != 0 {
		t.Fatalf("notify --test with every channel working exit %d, want 0:\n%s%s", r.code, r.stdout, r.stderr)
	}

	// A secret whose variable is not set is named; it is a config error.
	r = w.runEnv([]string{"SSL_CERT_FILE=" + certFile, "E2E_JSON_HOOK=" + good.url(), "E2E_SMTP_USER=" + mb.user, "E2E_SMTP_PASSWORD=" + mb.password}, "notify", "--test")
	if r.code != 2 || !strings.Contains(r.stderr, "notify.webhooks[1].url_env: environment variable E2E_SLACK_HOOK is empty") {
		t.Fatalf("notify --test without E2E_SLACK_HOOK exit %d, want 2 naming the variable:\n%s", r.code, r.stderr)
	}
	// The same holds for a sweep, before it asks Partner Center anything.
	before := srv.Stats().Requests
	r = w.runEnv([]string{"SSL_CERT_FILE=" + certFile, "E2E_JSON_HOOK=" + good.url(), "E2E_SLACK_HOOK=" + gone.url(), "E2E_SMTP_USER=" + mb.user}, "run")
	if r.code != 2 || !strings.Contains(r.stderr, "E2E_SMTP_PASSWORD is empty") || srv.Stats().Requests != before {
		t.Fatalf("run without E2E_SMTP_PASSWORD exit %d, want 2 naming it before any request:\n%s", r.code, r.stderr)
	}
	if r := w.runEnv(nil, "notify"); r.code != 2 {
		t.Fatalf("notify without --test exit %d, want 2", r.code)
	}
}

// TestMain_Run_SMTPDownKeepsReportAndExitStatus runs the program in-process
// so the notification's retries wait on an injected clock.
func TestMain_Run_SMTPDownKeepsReportAndExitStatus(t *testing.T) {
	srv := newE2EServer(t, 60, 49)
	cs := srv.Customers()
	srv.SetFaults(pctest.Faults{Customers: map[string]pctest.Fault{cs[3].ID: pctest.Fault404}})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close() // nothing listens there: the mail server is down
	w := newWorkspace(t, srv, fmt.Sprintf(`notify:
  on: [errors, newly_missing, failed]
  email:
    host: 127.0.0.1
    port: %d
    username_env: E2E_SMTP_USER
    password_env: E2E_SMTP_PASSWORD
    from: mcawatch@example.com
    to: [compliance@example.com]
    attach: xlsx
`, port))
	const password = "smtp-password-of-a-down-server"
	env := map[string]string{"E2E_TOKEN": e2eToken, "MCAWATCH_CONFIG": w.config, "E2E_SMTP_USER": "mcawatch", "E2E_SMTP_PASSWORD": password}
	var mu sync.Mutex
	var waits []time.Duration
	run := func(args ...string) (int, string, string) {
		var stdout, stderr bytes.Buffer
		m := &Main{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr, Getenv: func(k string) string { return env[k] }, Now: time.Now,
			NotifySleep: func(_ context.Context, d time.Duration) error {
				mu.Lock()
				defer mu.Unlock()
				waits = append(waits, d)
				return nil
			}}
		code := m.Run(context.Background(), args)
		return code, stdout.String(), stderr.String()
	}

	code, stdout, stderr := run("run")
	if code != 0 {
		t.Fatalf("run with the mail server down exit %d, want 0:\n%s", code, stderr)
	}
	folder := strings.TrimSpace(stdout)
	if _, err := os.Stat(filepath.Join(folder, "report.xlsx")); err != nil {
		t.Fatalf("report not written with the mail server down: %v", err)
	}
	if !strings.Contains(stderr, "notification failed") {
		t.Errorf("the failed channel was not logged:\n%s", stderr)
	}
	assertNoSecret(t, "stderr", stderr, password)
	recs := mustNotifications(t, w.db, 1)
	if len(recs) != 1 || recs[0].OK() || recs[0].Attempts != 3 {
		t.Fatalf("notifications of run 1 = %+v, want one failure after 3 attempts", recs)
	}
	assertNoSecret(t, "the record", recs[0].Outcome, password)
	if len(waits) != 2 {
		t.Errorf("waits between attempts = %v, want 2", waits)
	}

	code, _, stderr = run("run", "--fail-on", "missing")
	if code != 3 {
		t.Fatalf("run --fail-on missing with the mail server down exit %d, want 3 as without notifications:\n%s", code, stderr)
	}
	assertNoSecret(t, "stderr", stderr, password)
	assertNoSecret(t, "the database", dbText(t, w.db), password)
}

func TestE2E_Notify_SetupFailureToldButBusyDatabaseNot(t *testing.T) {
	srv := newE2EServer(t, 200, 51)
	plain := newHook(t, "json", 0)
	w := newWorkspace(t, srv, "notify:\n  on: [failed]\n  webhooks:\n    - {url_env: E2E_JSON_HOOK, format: json}\n")
	env := []string{"E2E_JSON_HOOK=" + plain.url()}

	// A database that cannot be created (its folder is a file) fails the
	// sweep before it starts: that is told.
	notADir := filepath.Join(w.dir, "not-a-folder")
	if err := os.WriteFile(notADir, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := w.runEnv(env, "run", "--db", filepath.Join(notADir, "mcawatch.db"))
	if r.code != 1 {
		t.Fatalf("run with an unusable database exit %d, want 1:\n%s", r.code, r.stderr)
	}
	got := plain.received()
	if len(got) != 1 {
		t.Fatalf("webhook got %d messages for a sweep that could not start, want 1:\n%s", len(got), r.stderr)
	}
	var p struct {
		Title   string `json:"title"`
		Outcome string `json:"outcome"`
		Reason  string `json:"reason"`
	}
	if err := json.Unmarshal(got[0], &p); err != nil {
		t.Fatal(err)
	}
	if p.Title != "mcawatch run failed" || p.Outcome != "failed" || !strings.Contains(p.Reason, "database") {
		t.Errorf("message = %+v, want the run failed because of its database", p)
	}

	// Another sweep holding the database is not a failure: nothing is told.
	srv.SetFaults(pctest.Faults{Latency: 50 * time.Millisecond})
	holder := w.command("run", "--log-level", "info")
	holder.Env = append(holder.Env, env...)
	held := &lockedBuffer{}
	holder.Stderr = held
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = holder.Process.Kill(); _ = holder.Wait() })
	waitForLine(t, held, "sweep started", 60*time.Second)
	if r := w.runEnv(env, "run"); r.code != 5 {
		t.Fatalf("second run exit %d, want 5 (locked):\n%s", r.code, r.stderr)
	}
	if n := len(plain.received()); n != 1 {
		t.Fatalf("webhook got %d messages after a sweep found the database busy, want still 1", n)
	}
}
