package notify

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"os"
	"strings"
	"time"

	mail "github.com/wneessen/go-mail"
)

// Security is how an SMTP connection is protected.
type Security string

// The SMTP security modes.
const (
	// SecurityStartTLS upgrades a plain connection with STARTTLS and refuses a
	// server that does not offer it (port 587; the default on every port but 465).
	SecurityStartTLS Security = "starttls"
	// SecurityTLS speaks TLS from the first byte (implicit TLS, port 465; the
	// default on port 465).
	SecurityTLS Security = "tls"
	// SecurityNone sends in the clear. Only a loopback host is allowed: it is
	// for tests and local relays.
	SecurityNone Security = "none"
)

// emailTimeout bounds one attempt (connect, TLS, auth, send) when Email
// has no Timeout of its own.
const emailTimeout = 30 * time.Second

// maxAttachment is the largest workbook attached; a bigger one is named in
// the body instead (mail servers commonly refuse messages over 25 MB, and
// base64 adds a third).
const maxAttachment = 15 << 20

// emailMaxItems is how many customers a list in the email body shows; the
// attached workbook has them all.
const emailMaxItems = 50

// xlsxType is the media type of an .xlsx workbook.
const xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// Email sends messages over SMTP: a short text and HTML body
// (multipart/alternative) and, with AttachXLSX, the run's workbook.
type Email struct {
	Label    string   // the channel's Name; empty: "email to <first recipient>"
	Host     string   //
	Port     int      // 0: 587, or 465 with SecurityTLS
	Security Security // empty: SecurityTLS on port 465, SecurityStartTLS otherwise
	Username string   // empty: no SMTP AUTH
	Password string   // a secret: never in an error, a log line or a Name
	From     string
	To       []string

	AttachXLSX bool          // attach Message.XLSXPath (notify.email.attach: xlsx)
	TLSConfig  *tls.Config   // nil: the system's roots, verifying Host; tests pass their own roots
	Timeout    time.Duration // one attempt; 0 means 30 s
}

// Name says whom the email goes to; it never holds a credential.
func (e *Email) Name() string {
	if e.Label != "" {
		return e.Label
	}
	switch len(e.To) {
	case 0:
		return "email"
	case 1:
		return "email to " + e.To[0]
	}
	return fmt.Sprintf("email to %s and %d more", e.To[0], len(e.To)-1)
}

// Validate checks the settings a send needs, saying what is wrong.
func (e *Email) Validate() error {
	switch {
	case strings.TrimSpace(e.Host) == "":
		return fmt.Errorf("%s: no SMTP host", e.Name())
	case e.Port < 0 || e.Port > 65535:
		return fmt.Errorf("%s: SMTP port %d is not a port", e.Name(), e.Port)
	case e.From == "":
		return fmt.Errorf("%s: no from address", e.Name())
	case len(e.To) == 0:
		return fmt.Errorf("%s: no recipient", e.Name())
	case e.Password != "" && e.Username == "":
		return fmt.Errorf("%s: a password without a username", e.Name())
	}
	switch e.security() {
	case SecurityStartTLS, SecurityTLS:
	case SecurityNone:
		if !isLoopback(e.Host) {
			return fmt.Errorf("%s: security none is allowed only to a loopback host, not %s", e.Name(), e.Host)
		}
	default:
		return fmt.Errorf("%s: unknown SMTP security %q: use starttls or tls", e.Name(), e.Security)
	}
	return nil
}

func (e *Email) security() Security {
	if e.Security != "" {
		return e.Security
	}
	if e.Port == 465 {
		return SecurityTLS
	}
	return SecurityStartTLS
}

func (e *Email) port() int {
	if e.Port != 0 {
		return e.Port
	}
	if e.security() == SecurityTLS {
		return 465
	}
	return 587
}

// Deliver sends m once. A refusal the server calls permanent (5xx), a
// refused login included, is final; anything else may be retried.
func (e *Email) Deliver(ctx context.Context, m Message) error {
	if err := e.Validate(); err != nil {
		return &deliveryError{msg: e.redact(err.Error()), permanent: true}
	}
	msg, err := e.message(m)
	if err != nil {
		return &deliveryError{msg: e.Name() + ": " + e.redact(err.Error()), permanent: true}
	}
	client, err := mail.NewClient(e.Host, e.options()...)
	if err != nil {
		return &deliveryError{msg: e.Name() + ": " + e.redact(err.Error()), permanent: true}
	}
	if err := client.DialAndSendWithContext(ctx, msg); err != nil {
		return e.sendError(ctx, err)
	}
	return nil
}

func (e *Email) options() []mail.Option {
	timeout := e.Timeout
	if timeout <= 0 {
		timeout = emailTimeout
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if e.TLSConfig != nil {
		tc = e.TLSConfig.Clone()
	}
	if tc.ServerName == "" {
		tc.ServerName = e.Host
	}
	opts := []mail.Option{
		mail.WithPort(e.port()),
		mail.WithTimeout(timeout),
		mail.WithTLSConfig(tc),
	}
	switch e.security() {
	case SecurityTLS:
		opts = append(opts, mail.WithSSL())
	case SecurityNone:
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	default:
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	}
	if e.Username != "" {
		// On TLS the strongest mechanism the server offers; in the clear
		// (loopback only) PLAIN, which go-mail allows to localhost alone.
		auth := mail.SMTPAuthAutoDiscover
		if e.security() == SecurityNone {
			auth = mail.SMTPAuthPlain
		}
		opts = append(opts, mail.WithSMTPAuth(auth), mail.WithUsername(e.Username), mail.WithPassword(e.Password))
	}
	return opts
}

// sendError describes a failed send without the password, and says
// whether another attempt can help.
func (e *Email) sendError(ctx context.Context, err error) error {
	de := &deliveryError{cause: ctx.Err()}
	var ne net.Error
	switch {
	case errors.Is(err, context.Canceled):
		de.msg = "cancelled"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		de.msg = fmt.Sprintf("no answer from %s:%d in time", e.Host, e.port())
	default:
		de.msg = e.redact(err.Error())
	}
	var se *mail.SendError
	var te *textproto.Error
	switch {
	case errors.As(err, &se):
		de.permanent = !se.IsTemp()
	case errors.As(err, &te):
		de.permanent = te.Code >= 500
	}
	de.msg = e.Name() + ": " + de.msg
	return de
}

func (e *Email) redact(s string) string {
	return redact(s, e.Password)
}

// message builds the mail for m.
func (e *Email) message(m Message) (*mail.Msg, error) {
	msg := mail.NewMsg()
	if err := msg.From(e.From); err != nil {
		return nil, fmt.Errorf("from address: %w", err)
	}
	if err := msg.To(e.To...); err != nil {
		return nil, fmt.Errorf("recipient: %w", err)
	}
	msg.Subject(m.Title())
	msg.SetMessageID()
	switch {
	case !m.Finished.IsZero():
		msg.SetDateWithValue(m.Finished)
	case !m.Started.IsZero():
		msg.SetDateWithValue(m.Started)
	default:
		msg.SetDate()
	}
	att := e.attachment(m)
	msg.SetBodyString(mail.TypeTextPlain, emailText(m, att.note))
	html, err := emailHTML(m, att.note)
	if err != nil {
		return nil, err
	}
	msg.AddAlternativeString(mail.TypeTextHTML, html)
	if att.data != nil {
		if err := msg.AttachReader(att.name, bytes.NewReader(att.data), mail.WithFileContentType(xlsxType)); err != nil {
			return nil, fmt.Errorf("attach the workbook: %w", err)
		}
	}
	return msg, nil
}

// attachment is the workbook to attach, or a note saying why there is none.
type attachment struct {
	name string
	data []byte
	note string
}

func (e *Email) attachment(m Message) attachment {
	if !e.AttachXLSX || m.Test {
		return attachment{}
	}
	if m.XLSXPath == "" {
		return attachment{note: "No workbook was written for this run, so none is attached."}
	}
	name := fmt.Sprintf("mcawatch-%s%d.xlsx", m.kind(), m.RunID)
	fi, err := os.Stat(m.XLSXPath)
	switch {
	case err != nil:
		return attachment{note: "The workbook could not be read, so it is not attached: " + err.Error()}
	case fi.Size() > maxAttachment:
		return attachment{note: fmt.Sprintf("The workbook (%.1f MB) is too large to attach; it is in the report folder.", float64(fi.Size())/(1<<20))}
	}
	data, err := os.ReadFile(m.XLSXPath)
	if err != nil {
		return attachment{note: "The workbook could not be read, so it is not attached: " + err.Error()}
	}
	return attachment{name: name, data: data, note: "The workbook is attached (" + name + ")."}
}
