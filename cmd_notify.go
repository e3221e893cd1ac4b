package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"

	"github.com/mcawatch/mcawatch/config"
	"github.com/mcawatch/mcawatch/jobs"
	"github.com/mcawatch/mcawatch/report/notify"
)

// runNotify is "mcawatch notify --test".
func (m *Main) runNotify(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("notify", flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	var c commonFlags
	fs.StringVar(&c.config, "config", "", "config `file` (default $MCAWATCH_CONFIG, else ./mcawatch.yaml if present)")
	test := fs.Bool("test", false, "send a test message to every configured channel")
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	if !*test {
		return usage(errors.New("notify: say --test to send a test message to every configured channel"))
	}
	cfg, err := m.load(c)
	if err != nil {
		return err
	}
	channels, err := notifyChannels(cfg)
	if err != nil {
		return err
	}
	if len(channels) == 0 {
		where := cfg.Path
		if where == "" {
			where = "the built-in defaults (no config file)"
		}
		return usage(fmt.Errorf("notify: no channel is configured in %s: add notify.webhooks or notify.email", where))
	}
	sender := notify.Sender{Sleep: m.NotifySleep, Now: m.Now}
	failed := 0
	for _, o := range sender.Test(ctx, channels) {
		if o.OK() {
			fmt.Fprintf(m.Stdout, "%s: ok\n", o.Channel)
			continue
		}
		failed++
		fmt.Fprintf(m.Stdout, "%s: failed after %d attempts: %v\n", o.Channel, o.Attempts, o.Err)
	}
	if failed > 0 {
		return &statusError{code: exitError, msg: fmt.Sprintf("notify: %d of %d channels failed", failed, len(channels))}
	}
	return nil
}

// notifyChannels builds the channels of cfg's notify block: the webhooks in
// the config's order, then the email. A secret whose variable is empty, or
// a URL that is not https, is a configuration error naming the key and the
// variable, never the value.
func notifyChannels(cfg config.Config) ([]notify.Channel, error) {
	if err := cfg.CheckNotifySecrets(); err != nil {
		return nil, usage(err)
	}
	n := cfg.Notify
	var out []notify.Channel
	for i, w := range n.Webhooks {
		hook, err := notify.NewWebhook(w.Format, w.URL, i+1)
		if err != nil {
			return nil, usage(fmt.Errorf("notify.webhooks[%d].url_env %s: %w", i, w.URLEnv, err))
		}
		out = append(out, hook)
	}
	if e := n.Email; e.Host != "" {
		mail := &notify.Email{
			Host: e.Host, Port: e.Port, Username: e.Username, Password: e.Password,
			From: e.From, To: e.To, AttachXLSX: e.Attach == "xlsx",
		}
		if err := mail.Validate(); err != nil {
			return nil, usage(fmt.Errorf("notify.email: %w", err))
		}
		out = append(out, mail)
	}
	return out, nil
}

// newNotifier is the sweep's Notifier for cfg; nil when no channel is
// configured.
func newNotifier(cfg config.Config) (*jobs.Notifier, error) {
	channels, err := notifyChannels(cfg)
	if err != nil || len(channels) == 0 {
		return nil, err
	}
	n := &jobs.Notifier{On: cfg.Notify.Triggers(), Channels: channels}
	if path := cfg.Notify.ResellerContacts; path != "" {
		contacts, err := notify.ReadResellerContacts(path)
		if err != nil {
			return nil, usage(fmt.Errorf("notify.reseller_contacts: %w", err))
		}
		e := cfg.Notify.Email
		n.Resellers = &jobs.ResellerMail{
			Email:    notify.Email{Host: e.Host, Port: e.Port, Username: e.Username, Password: e.Password, From: e.From},
			Contacts: contacts,
		}
	}
	return n, nil
}

// notifySetupFailure tells the configured channels about a sweep that
// failed before it could start (its database, customers file or
// credentials): no run exists yet, so nothing is recorded, and a sweep
// that merely found the database busy or nothing to resume is not news.
func (m *Main) notifySetupFailure(ctx context.Context, cfg config.Config, kind string, err error, log *slog.Logger) {
	n, nerr := newNotifier(cfg)
	if nerr != nil || n == nil {
		return
	}
	n.Sender.Sleep = m.NotifySleep
	now := m.Now()
	n.Failure(ctx, nil, nil, kind, now, now, err, log)
}
