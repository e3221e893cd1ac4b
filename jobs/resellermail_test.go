package jobs

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/xuri/excelize/v2"

	"github.com/mcawatch/mcawatch/fetch/pctest"
	"github.com/mcawatch/mcawatch/report/notify"
	"github.com/mcawatch/mcawatch/storage"
)

// mailbox is an in-process SMTP server's received mail (loopback, no TLS:
// report/notify allows plain SMTP to loopback only).
type mailbox struct {
	mu    sync.Mutex
	mails []receivedMail
}

type receivedMail struct {
	to   []string
	data []byte
}

func (mb *mailbox) received() []receivedMail {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	return slices.Clone(mb.mails)
}

func (mb *mailbox) NewSession(*smtp.Conn) (smtp.Session, error) { return &smtpSession{mb: mb}, nil }

type smtpSession struct {
	mb   *mailbox
	mail receivedMail
}

func (s *smtpSession) Mail(string, *smtp.MailOptions) error { s.mail = receivedMail{}; return nil }
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
	s.mb.mu.Lock()
	s.mb.mails = append(s.mb.mails, s.mail)
	s.mb.mu.Unlock()
	return nil
}
func (s *smtpSession) Reset()        { s.mail = receivedMail{} }
func (s *smtpSession) Logout() error { return nil }

// smtpServer serves mb on a loopback port and returns the port.
func smtpServer(t *testing.T, mb *mailbox) int {
	t.Helper()
	srv := smtp.NewServer(mb)
	srv.Domain = "localhost"
	srv.ErrorLog = log.New(io.Discard, "", 0)
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return l.Addr().(*net.TCPAddr).Port
}

// attachments returns the attachments of a raw mail by file name.
func attachments(t *testing.T, raw []byte) map[string][]byte {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("parse mail: %v", err)
	}
	out := map[string][]byte{}
	walkPart(t, msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), "", msg.Body, out)
	return out
}

func walkPart(t *testing.T, contentType, encoding, disposition string, body io.Reader, out map[string][]byte) {
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
			walkPart(t, part.Header.Get("Content-Type"), part.Header.Get("Content-Transfer-Encoding"),
				part.Header.Get("Content-Disposition"), part, out)
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
		out[dp["filename"]] = data
	}
}

func TestNotifier_Report_EachResellerGetsOnlyItsOwnWorkbookAtItsOwnAddress(t *testing.T) {
	mb := &mailbox{}
	port := smtpServer(t, mb)
	contacts := notify.ResellerContacts{}
	notifier := &Notifier{Resellers: &ResellerMail{
		Email:    notify.Email{Host: "127.0.0.1", Port: port, Security: notify.SecurityNone, From: "provider@example.com"},
		Contacts: contacts,
	}}
	// Every reseller but the last gets an address of its own; the last
	// has none and is mailed nothing.
	srv, out := splitSweep(t, notifier, func(srv *pctest.Server) {
		rs := srv.Resellers()
		for i, r := range rs[:len(rs)-1] {
			contacts[strings.ToLower(r.ID)] = []string{fmt.Sprintf("reseller%d@example.com", i)}
		}
	})
	byAddress := map[string]string{} // address → reseller id
	for id, to := range contacts {
		byAddress[to[0]] = id
	}
	mails := mb.received()
	// Both nights' reports mail every reseller with an address once.
	if got, want := len(mails), 2*len(contacts); got != want {
		t.Fatalf("%d mails, want %d (one a reseller with an address, each night)", got, want)
	}
	for _, m := range mails[len(contacts):] {
		if len(m.to) != 1 {
			t.Fatalf("mail to %v, want one reseller's address", m.to)
		}
		id, ok := byAddress[m.to[0]]
		if !ok {
			t.Fatalf("mail to %s, no reseller's address", m.to[0])
		}
		mine := map[string]bool{}
		for _, c := range srv.ResellerCustomers(id) {
			mine[strings.ToLower(c)] = true
		}
		atts := attachments(t, m.data)
		if len(atts) != 1 {
			t.Fatalf("mail to %s has %d attachments, want its workbook", m.to[0], len(atts))
		}
		for name, data := range atts {
			f, err := excelize.OpenReader(bytes.NewReader(data))
			if err != nil {
				t.Fatalf("attachment %s: %v", name, err)
			}
			seen := 0
			for _, sheet := range f.GetSheetList() {
				rows, err := f.GetRows(sheet)
				if err != nil {
					t.Fatal(err)
				}
				col := -1
				if len(rows) > 0 {
					col = slices.Index(rows[0], "Customer ID")
				}
				if sheet == "Resellers" && (len(rows) != 2 || rows[1][0] != id) {
					t.Fatalf("mail to %s: Resellers sheet %v, want only reseller %s", m.to[0], rows, id)
				}
				if col < 0 {
					continue
				}
				for _, row := range rows[1:] {
					if !mine[row[col]] {
						t.Fatalf("mail to %s (reseller %s) holds customer %s of another", m.to[0], id, row[col])
					}
					seen++
				}
			}
			f.Close()
			if seen == 0 && len(mine) > 0 {
				t.Fatalf("mail to %s holds none of its %d customers", m.to[0], len(mine))
			}
		}
	}
	recs, err := out.db.Notifications(out.Run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(recs), len(contacts); got != want {
		t.Fatalf("%d notification records, want one a mailed reseller (%d)", got, want)
	}
	for _, r := range recs {
		if r.Outcome != storage.NotificationOK {
			t.Fatalf("record %+v not ok", r)
		}
	}
	// A second delivery of the same run's report mails no one again.
	notifier.Report(context.Background(), out.db, out.Outcome, nil)
	if got := len(mb.received()); got != len(mails) {
		t.Fatalf("the same run mailed again: %d mails, had %d", got, len(mails))
	}
}
