package notify

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// mailParts is a received mail taken apart: its header, its text and HTML
// bodies, and its attachments by file name.
type mailParts struct {
	header      mail.Header
	text, html  string
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
		r = quotedPrintable(body)
	}
	data, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("read %s part: %v", mediaType, err)
	}
	if _, dp, err := mime.ParseMediaType(disposition); err == nil && strings.HasPrefix(strings.ToLower(disposition), "attachment") {
		p.attachments[dp["filename"]] = data
		return
	}
	switch mediaType {
	case "text/plain":
		p.text = string(data)
	case "text/html":
		p.html = string(data)
	}
}

func TestEmail_Deliver_StartTLSWithLoginSendsTextHTMLAndWorkbook(t *testing.T) {
	cert, pool := mustCert(t)
	mb := &mailbox{user: "mcawatch", password: "s3cret-smtp-Passw0rd"}
	port := smtpServer(t, mb, &cert, false, false)
	m := sampleMessage(3, 2)
	m.NewlyMissing[1].CompanyName = "Fabrikam <script>alert(1)</script> & Sons"
	m.XLSXPath = mustWriteXLSX(t, m)
	e := &Email{
		Host: "127.0.0.1", Port: port, Username: mb.user, Password: mb.password,
		From: "mcawatch@example.com", To: []string{"compliance@example.com", "cfo@example.com"},
		AttachXLSX: true, TLSConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
	}
	got := Send(context.Background(), []Channel{e}, m)
	if got[0].Err != nil || got[0].Attempts != 1 {
		t.Fatalf("Send()=%+v, want delivered at the first attempt", got[0])
	}
	if got, want := got[0].Channel, "email to compliance@example.com and 1 more"; got != want {
		t.Fatalf("Channel=%q, want %q", got, want)
	}
	mails := mb.received()
	if len(mails) != 1 {
		t.Fatalf("received %d mails, want 1", len(mails))
	}
	if !mails[0].tls {
		t.Fatalf("the mail was sent in the clear, want STARTTLS")
	}
	if got, want := mb.logins(), []string{"mcawatch"}; len(got) != 1 || got[0] != want[0] {
		t.Fatalf("logins=%v, want %v", got, want)
	}
	if got, want := strings.Join(mails[0].to, ","), "compliance@example.com,cfo@example.com"; got != want {
		t.Fatalf("recipients=%q, want %q", got, want)
	}
	p := mustParseMail(t, mails[0].data)
	subject, err := new(mime.WordDecoder).DecodeHeader(p.header.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := subject, "mcawatch run 42: 3 newly missing, 2 newly outdated, 1 removed, 2 errors"; got != want {
		t.Fatalf("Subject=%q, want %q", got, want)
	}
	if ct := p.header.Get("Content-Type"); !strings.HasPrefix(ct, "multipart/mixed") {
		t.Fatalf("Content-Type=%q, want multipart/mixed around the alternative bodies and the workbook", ct)
	}
	for _, c := range append(m.NewlyMissing, m.NewlyOutdated...) {
		if !strings.Contains(p.text, c.CompanyName) {
			t.Errorf("text body lacks %q:\n%s", c.CompanyName, p.text)
		}
	}
	for _, name := range []string{"Missing Company 0", "Outdated Company 1", "Fabrikam &lt;script&gt;alert(1)&lt;/script&gt; &amp; Sons"} {
		if !strings.Contains(p.html, name) {
			t.Errorf("HTML body lacks %q:\n%s", name, p.html)
		}
	}
	if strings.Contains(p.html, "<script>") {
		t.Errorf("HTML body carries a company name unescaped:\n%s", p.html)
	}
	if !strings.Contains(p.text, m.ReportDir) {
		t.Errorf("text body does not name the report folder %q", m.ReportDir)
	}
	data, ok := p.attachments["mcawatch-run42.xlsx"]
	if !ok {
		t.Fatalf("attachments=%v, want mcawatch-run42.xlsx", keys(p.attachments))
	}
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("open the attached workbook: %v", err)
	}
	defer f.Close()
	rows, err := f.GetRows("Missing")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(rows), 1+len(m.NewlyMissing); got != want {
		t.Fatalf("attached workbook has %d rows, want %d", got, want)
	}
	if got, want := rows[2][1], m.NewlyMissing[1].CompanyName; got != want {
		t.Fatalf("attached workbook row 3 company=%q, want %q", got, want)
	}
}

func TestEmail_Deliver_ImplicitTLSOnPort465Style(t *testing.T) {
	cert, pool := mustCert(t)
	mb := &mailbox{user: "u", password: "implicit-tls-password"}
	port := smtpServer(t, mb, &cert, true, false)
	e := &Email{
		Host: "127.0.0.1", Port: port, Security: SecurityTLS, Username: "u", Password: mb.password,
		From: "mcawatch@example.com", To: []string{"compliance@example.com"},
		TLSConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
	}
	if o := Send(context.Background(), []Channel{e}, sampleMessage(1, 0))[0]; o.Err != nil {
		t.Fatalf("Send()=%+v, want delivered", o)
	}
	if got := mb.received(); len(got) != 1 || !got[0].tls {
		t.Fatalf("received %d mails (tls=%v), want 1 over TLS", len(got), len(got) == 1 && got[0].tls)
	}
}

func TestEmail_Deliver_PlainLoopbackWithAuthPlain(t *testing.T) {
	mb := &mailbox{user: "relay", password: "loopback-password"}
	port := smtpServer(t, mb, nil, false, true)
	m := sampleMessage(2, 1)
	e := &Email{
		Host: "127.0.0.1", Port: port, Security: SecurityNone, Username: "relay", Password: mb.password,
		From: "mcawatch@example.com", To: []string{"compliance@example.com"}, AttachXLSX: true,
	}
	if o := Send(context.Background(), []Channel{e}, m)[0]; o.Err != nil {
		t.Fatalf("Send()=%+v, want delivered", o)
	}
	mails := mb.received()
	if len(mails) != 1 {
		t.Fatalf("received %d mails, want 1", len(mails))
	}
	p := mustParseMail(t, mails[0].data)
	if len(p.attachments) != 0 {
		t.Fatalf("attachments=%v, want none: the message has no workbook", keys(p.attachments))
	}
	if !strings.Contains(p.text, "No workbook was written for this run") {
		t.Fatalf("text body does not say why nothing is attached:\n%s", p.text)
	}
}

func TestEmail_Deliver_DefaultsRefuseUntrustedAndUnencryptedServers(t *testing.T) {
	cert, _ := mustCert(t)
	tlsPort := smtpServer(t, &mailbox{}, &cert, false, false)
	plainPort := smtpServer(t, &mailbox{}, nil, false, false)
	tests := []struct {
		name  string
		email Email
		want  string
	}{
		{"self-signed certificate, system roots", Email{Host: "127.0.0.1", Port: tlsPort}, "certificate"},
		{"server without STARTTLS", Email{Host: "127.0.0.1", Port: plainPort}, "STARTTLS"},
		{"security none to a remote host", Email{Host: "smtp.example.com", Port: 25, Security: SecurityNone}, "loopback"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := tt.email
			e.From, e.To, e.Timeout = "mcawatch@example.com", []string{"compliance@example.com"}, 5*time.Second
			s := Sender{Sleep: (&sleeps{}).sleep}
			o := s.Send(context.Background(), []Channel{&e}, sampleMessage(1, 0))[0]
			if o.Err == nil || !strings.Contains(o.Err.Error(), tt.want) {
				t.Fatalf("Send() err=%v, want an error mentioning %q", o.Err, tt.want)
			}
		})
	}
}

func TestEmail_Deliver_WrongPasswordIsFinalAndNeverQuoted(t *testing.T) {
	cert, pool := mustCert(t)
	mb := &mailbox{user: "mcawatch", password: "the-right-one"}
	port := smtpServer(t, mb, &cert, false, false)
	const wrong = "Wr0ng-Pa55word-xyz"
	e := &Email{
		Host: "127.0.0.1", Port: port, Username: "mcawatch", Password: wrong,
		From: "mcawatch@example.com", To: []string{"compliance@example.com"},
		TLSConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
	}
	var sl sleeps
	o := (&Sender{Sleep: sl.sleep}).Send(context.Background(), []Channel{e}, sampleMessage(1, 0))[0]
	if o.Err == nil {
		t.Fatal("Send() delivered with a wrong password")
	}
	if got, want := o.Attempts, 1; got != want {
		t.Fatalf("Attempts=%d, want %d: a refused login is not retried", got, want)
	}
	for _, s := range []string{o.Err.Error(), o.Channel, e.Name()} {
		if strings.Contains(s, wrong) {
			t.Fatalf("the password reached %q", s)
		}
	}
	if len(mb.received()) != 0 {
		t.Fatal("a mail was received without a login")
	}
}

func TestEmail_Deliver_ServerDownFailsQuicklyWithoutPanic(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close() // nothing listens there now
	e := &Email{Host: "127.0.0.1", Port: port, From: "mcawatch@example.com", To: []string{"compliance@example.com"}, Timeout: 2 * time.Second}
	var sl sleeps
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	hook := &Webhook{Label: "json webhook #1", URL: srv.URL + "/hook", Format: FormatJSON}
	out := (&Sender{Sleep: sl.sleep}).Send(ctx, []Channel{e, hook}, sampleMessage(1, 0))
	if out[0].Err == nil {
		t.Fatal("Send() to a closed port succeeded")
	}
	if got, want := out[0].Attempts, 3; got != want {
		t.Fatalf("Attempts=%d, want %d", got, want)
	}
	if !strings.Contains(out[0].Err.Error(), "connection refused") {
		t.Fatalf("err=%v, want it to say the connection was refused", out[0].Err)
	}
	if ctx.Err() != nil {
		t.Fatal("Send() ran into the test's deadline: the attempt timeout did not bound it")
	}
	if out[1].Err != nil || hits.Load() != 1 {
		t.Fatalf("webhook outcome=%+v with %d deliveries, want delivered once beside the failing email", out[1], hits.Load())
	}
	if got, want := len(sl.all()), 2; got != want {
		t.Fatalf("waits=%v, want two: between the email's three attempts", sl.all())
	}
}

func keys(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
