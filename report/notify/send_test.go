package notify

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// panicky is a channel that panics while delivering.
type panicky struct{}

func (panicky) Name() string                           { return "broken channel" }
func (panicky) Deliver(context.Context, Message) error { panic("boom") }

func TestSender_Send_APanickingChannelFailsAloneAndTheOthersDeliver(t *testing.T) {
	rc := newReceiver(t)
	var sl sleeps
	out := (&Sender{Sleep: sl.sleep}).Send(context.Background(), []Channel{panicky{}, &Webhook{URL: rc.srv.URL, Format: FormatJSON}}, sampleMessage(1, 0))
	if len(out) != 2 {
		t.Fatalf("%d outcomes, want 2", len(out))
	}
	if out[0].Err == nil || out[0].Channel != "broken channel" || out[0].Attempts != 1 {
		t.Fatalf("outcome[0]=%+v, want the panic as a final error of broken channel", out[0])
	}
	if !out[1].OK() || len(rc.delivered()) != 1 {
		t.Fatalf("outcome[1]=%+v with %d deliveries, want delivered once", out[1], len(rc.delivered()))
	}
}

func TestSender_Test_SendsATestMessageToEveryChannelAndSaysWhichWorked(t *testing.T) {
	teams, slack := newReceiver(t), newReceiver(t, status(http.StatusOK))
	gone := newReceiver(t, status(http.StatusGone))
	mb := &mailbox{}
	port := smtpServer(t, mb, nil, false, false)
	var sl sleeps
	channels := []Channel{
		&Webhook{Label: "teams webhook #1", URL: teams.srv.URL, Format: FormatTeams},
		&Webhook{Label: "slack webhook #2", URL: slack.srv.URL, Format: FormatSlack},
		&Webhook{Label: "json webhook #3", URL: gone.srv.URL, Format: FormatJSON},
		&Email{Host: "127.0.0.1", Port: port, Security: SecurityNone, From: "mcawatch@example.com", To: []string{"compliance@example.com"}, AttachXLSX: true},
	}
	out := (&Sender{Sleep: sl.sleep, Now: func() time.Time { return started }}).Test(context.Background(), channels)
	for i, want := range []bool{true, true, false, true} {
		if out[i].OK() != want || out[i].Channel != channels[i].Name() {
			t.Fatalf("outcome[%d]=%+v, want ok=%v for %s", i, out[i], want, channels[i].Name())
		}
	}
	if !strings.Contains(out[2].Err.Error(), "410") {
		t.Fatalf("err=%v, want the receiver's 410", out[2].Err)
	}
	var card docTeamsMessage
	if err := json.Unmarshal(teams.delivered()[0], &card); err != nil {
		t.Fatal(err)
	}
	if got := card.Attachments[0].Content.Body[0].Text; got != "mcawatch: test message" {
		t.Fatalf("Teams test card title=%q", got)
	}
	var sm docSlackMessage
	if err := json.Unmarshal(slack.delivered()[0], &sm); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(sm.Text, "test message") {
		t.Fatalf("Slack test text=%q", sm.Text)
	}
	mails := mb.received()
	if len(mails) != 1 {
		t.Fatalf("received %d mails, want 1", len(mails))
	}
	p := mustParseMail(t, mails[0].data)
	if !strings.Contains(p.text, "this channel works") || len(p.attachments) != 0 {
		t.Fatalf("test mail text=%q with %d attachments, want the test text and nothing attached", p.text, len(p.attachments))
	}
}
