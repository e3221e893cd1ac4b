package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

// receiver is an httptest server that records the bodies it accepts and
// answers with the statuses it is given, one per request (the last one
// repeats).
type receiver struct {
	mu       sync.Mutex
	bodies   [][]byte // bodies answered with 2xx
	requests int
	answers  []func(w http.ResponseWriter)
	srv      *httptest.Server
}

func newReceiver(t *testing.T, answers ...func(w http.ResponseWriter)) *receiver {
	t.Helper()
	rc := &receiver{answers: answers}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		answer := func(w http.ResponseWriter) { w.WriteHeader(http.StatusAccepted) }
		if len(rc.answers) > 0 {
			answer = rc.answers[min(rc.requests, len(rc.answers)-1)]
		}
		rc.requests++
		rc.mu.Unlock()
		if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") || r.Method != http.MethodPost {
			http.Error(w, "want a JSON POST", http.StatusUnsupportedMediaType)
			return
		}
		rec := httptest.NewRecorder()
		answer(rec)
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
		if rec.Code >= 200 && rec.Code < 300 {
			rc.mu.Lock()
			rc.bodies = append(rc.bodies, body)
			rc.mu.Unlock()
		}
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) delivered() [][]byte {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([][]byte(nil), rc.bodies...)
}

func status(code int, header ...string) func(w http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.WriteHeader(code)
	}
}

// The documented Teams Workflows message with an Adaptive Card, written
// from Microsoft's documentation, not from the code's own types.
type docTeamsMessage struct {
	Type        string `json:"type"`
	Attachments []struct {
		ContentType string          `json:"contentType"`
		ContentURL  json.RawMessage `json:"contentUrl"`
		Content     struct {
			Schema  string `json:"$schema"`
			Type    string `json:"type"`
			Version string `json:"version"`
			Body    []struct {
				Type  string `json:"type"`
				Text  string `json:"text"`
				Wrap  bool   `json:"wrap"`
				Facts []struct {
					Title string `json:"title"`
					Value string `json:"value"`
				} `json:"facts"`
			} `json:"body"`
		} `json:"content"`
	} `json:"attachments"`
}

func TestWebhook_Deliver_TeamsGetsAWorkflowsMessageWithAnAdaptiveCard(t *testing.T) {
	rc := newReceiver(t)
	m := sampleMessage(60, 2)
	w, err := NewWebhook("teams", rc.srv.URL+"/workflows/abc/triggers/manual/paths/invoke?sig=teams-secret-signature", 1)
	if err != nil {
		t.Fatal(err)
	}
	if o := Send(context.Background(), []Channel{w}, m)[0]; o.Err != nil || o.Channel != "teams webhook #1" {
		t.Fatalf("Send()=%+v, want teams webhook #1 delivered", o)
	}
	bodies := rc.delivered()
	if len(bodies) != 1 {
		t.Fatalf("delivered %d messages, want 1", len(bodies))
	}
	if n := len(bodies[0]); n > 28*1024 {
		t.Fatalf("payload is %d bytes, over the Teams webhook's 28 KB", n)
	}
	var got docTeamsMessage
	dec := json.NewDecoder(strings.NewReader(string(bodies[0])))
	dec.DisallowUnknownFields()
	if err := json.Unmarshal(bodies[0], &got); err != nil {
		t.Fatalf("decode: %v", err)
	}
	if got.Type != "message" || len(got.Attachments) != 1 {
		t.Fatalf("type=%q with %d attachments, want a message with one attachment", got.Type, len(got.Attachments))
	}
	a := got.Attachments[0]
	if a.ContentType != "application/vnd.microsoft.card.adaptive" || string(a.ContentURL) != "null" {
		t.Fatalf("contentType=%q contentUrl=%s, want the Adaptive Card type and null", a.ContentType, a.ContentURL)
	}
	c := a.Content
	if c.Schema != "http://adaptivecards.io/schemas/adaptive-card.json" || c.Type != "AdaptiveCard" || c.Version != "1.4" || len(c.Body) == 0 {
		t.Fatalf("card $schema=%q type=%q version=%q body=%d, want an AdaptiveCard 1.4 with a body", c.Schema, c.Type, c.Version, len(c.Body))
	}
	var text strings.Builder
	var facts int
	for _, e := range c.Body {
		switch e.Type {
		case "TextBlock":
			if e.Text == "" || !e.Wrap {
				t.Errorf("TextBlock text=%q wrap=%v, want wrapped text", e.Text, e.Wrap)
			}
			text.WriteString(e.Text + "\n")
		case "FactSet":
			facts += len(e.Facts)
		default:
			t.Errorf("body element type %q is not one the card uses", e.Type)
		}
	}
	if facts == 0 {
		t.Error("the card has no counts")
	}
	for _, want := range []string{"mcawatch run 42: 60 newly missing, 2 newly outdated", "Missing Company 0", "Missing Company 24",
		"… and 35 more", "Outdated Company 1", "Removed Record Ltd", m.ReportDir} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("card text lacks %q", want)
		}
	}
	if strings.Contains(text.String(), "Missing Company 25") {
		t.Error("card shows more than 25 customers in a list")
	}
}

// The documented Slack incoming-webhook message with blocks.
type docSlackMessage struct {
	Text   string `json:"text"`
	Blocks []struct {
		Type string `json:"type"`
		Text *struct {
			Type string `json:"type"`
			Text string `json:"text"`
		} `json:"text"`
	} `json:"blocks"`
}

func TestWebhook_Deliver_SlackBlocksStayWithinSlackLimits(t *testing.T) {
	rc := newReceiver(t, status(http.StatusOK))
	m := sampleMessage(400, 300)
	for i := range m.NewlyMissing {
		m.NewlyMissing[i].CompanyName = strings.Repeat("Very Long Company Name ", 8) + fmt.Sprint(i)
	}
	m.NewlyMissing[0].CompanyName = "<!channel> & friends"
	w := &Webhook{Label: "slack webhook #1", URL: rc.srv.URL + "/services/T000/B000/slacksecrettoken", Format: FormatSlack}
	if o := Send(context.Background(), []Channel{w}, m)[0]; o.Err != nil {
		t.Fatalf("Send()=%+v, want delivered", o)
	}
	var got docSlackMessage
	if err := json.Unmarshal(rc.delivered()[0], &got); err != nil {
		t.Fatal(err)
	}
	if got.Text == "" {
		t.Fatal("no text fallback")
	}
	if n := len(got.Blocks); n == 0 || n > 50 {
		t.Fatalf("%d blocks, want 1 to 50", n)
	}
	if b := got.Blocks[0]; b.Type != "header" || b.Text == nil || b.Text.Type != "plain_text" || utf8.RuneCountInString(b.Text.Text) > 150 {
		t.Fatalf("first block=%+v, want a plain_text header of at most 150 characters", b)
	}
	var all strings.Builder
	for i, b := range got.Blocks[1:] {
		if b.Type != "section" || b.Text == nil || b.Text.Type != "mrkdwn" {
			t.Fatalf("block %d=%+v, want a mrkdwn section", i+1, b)
		}
		if n := utf8.RuneCountInString(b.Text.Text); n > 3000 {
			t.Fatalf("block %d text has %d characters, over Slack's 3000", i+1, n)
		}
		all.WriteString(b.Text.Text + "\n")
	}
	for _, want := range []string{"&lt;!channel&gt; &amp; friends", "Outdated Company 0", "more"} {
		if !strings.Contains(all.String(), want) {
			t.Errorf("blocks lack %q", want)
		}
	}
	if strings.Contains(all.String()+got.Text, "<!channel>") {
		t.Error("a company name reached Slack as an @channel mention")
	}
	// What the lists show plus what they say is left must add up to the counts.
	if shown, more := countListed(all.String(), "Very Long Company Name"), sumMore(all.String(), "Newly missing ("); shown+more != 400 {
		t.Errorf("newly missing shown %d + more %d, want 400", shown, more)
	}
}

func countListed(text, marker string) int {
	n := 0
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, "• ") && (strings.Contains(l, marker) || strings.Contains(l, "&lt;!channel&gt;")) {
			n++
		}
	}
	return n
}

// sumMore reads the "… and N more" closing the section whose heading starts
// with heading.
func sumMore(text, heading string) int {
	sections := strings.Split(text, "\n*")
	for _, s := range sections {
		if !strings.HasPrefix(strings.TrimPrefix(s, "*"), heading) {
			continue
		}
		var n int
		if i := strings.Index(s, "… and "); i >= 0 {
			_, _ = fmt.Sscanf(s[i+len("… and "):], "%d more", &n)
		}
		return n
	}
	return -1
}

func TestWebhook_Deliver_JSONCarriesRunCountsCustomersAndFolder(t *testing.T) {
	rc := newReceiver(t, status(http.StatusNoContent))
	m := sampleMessage(2, 1)
	w := &Webhook{URL: rc.srv.URL + "/hook", Format: FormatJSON}
	if o := Send(context.Background(), []Channel{w}, m)[0]; o.Err != nil {
		t.Fatalf("Send()=%+v, want delivered", o)
	}
	var got struct {
		Event   string         `json:"event"`
		RunID   int64          `json:"run_id"`
		Outcome string         `json:"outcome"`
		Counts  map[string]int `json:"counts"`
		Missing []struct {
			CustomerID  string `json:"customer_id"`
			CompanyName string `json:"company_name"`
			Domain      string `json:"domain"`
			Since       string `json:"since"`
		} `json:"newly_missing"`
		Outdated []struct {
			CompanyName string `json:"company_name"`
		} `json:"newly_outdated"`
		ReportDir string `json:"report_dir"`
	}
	if err := json.Unmarshal(rc.delivered()[0], &got); err != nil {
		t.Fatal(err)
	}
	if got.Event != "mcawatch.run" || got.RunID != 42 || got.Outcome != "ok" || got.ReportDir != m.ReportDir {
		t.Fatalf("event=%q run_id=%d outcome=%q report_dir=%q", got.Event, got.RunID, got.Outcome, got.ReportDir)
	}
	for key, want := range map[string]int{"customers": 1200, "missing": 102, "outdated": 151, "blocked": 253, "newly_missing": 2,
		"newly_outdated": 1, "errors": 2, "removed": 1, "new": 7, "accepted": 900, "direct_signed": 20} {
		if got, ok := got.Counts[key]; !ok || got != want {
			t.Errorf("counts.%s=%d (present %v), want %d", key, got, ok, want)
		}
	}
	if len(got.Missing) != 2 || got.Missing[1].CompanyName != "Missing Company 1" || got.Missing[1].Domain != "missing1.onmicrosoft.com" ||
		got.Missing[1].Since != "2026-11-29T02:00:00Z" || got.Missing[1].CustomerID == "" {
		t.Fatalf("newly_missing=%+v", got.Missing)
	}
	if len(got.Outdated) != 1 || got.Outdated[0].CompanyName != "Outdated Company 0" {
		t.Fatalf("newly_outdated=%+v", got.Outdated)
	}
}

func TestSender_Send_RetriesA500AndDeliversExactlyOnce(t *testing.T) {
	rc := newReceiver(t, status(http.StatusInternalServerError), status(http.StatusOK))
	var sl sleeps
	s := &Sender{Sleep: sl.sleep}
	o := s.Send(context.Background(), []Channel{&Webhook{URL: rc.srv.URL, Format: FormatJSON}}, sampleMessage(1, 0))[0]
	if o.Err != nil || o.Attempts != 2 {
		t.Fatalf("Send()=%+v, want delivered at attempt 2", o)
	}
	if got := len(rc.delivered()); got != 1 {
		t.Fatalf("delivered %d messages, want exactly 1", got)
	}
	if got := sl.all(); len(got) != 1 || got[0] != 2*time.Second {
		t.Fatalf("waits=%v, want one 2s backoff", got)
	}
}

func TestSender_Send_HonoursRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 29, 2, 15, 0, 0, time.UTC)
	tests := []struct {
		name   string
		answer func(http.ResponseWriter)
		want   time.Duration
	}{
		{"429 with seconds", status(http.StatusTooManyRequests, "Retry-After", "7"), 7 * time.Second},
		{"503 with an HTTP date", status(http.StatusServiceUnavailable, "Retry-After", now.Add(90*time.Second).Format(http.TimeFormat)), 90 * time.Second},
		{"502 without Retry-After backs off", status(http.StatusBadGateway), 2 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc := newReceiver(t, tt.answer, status(http.StatusOK))
			var sl sleeps
			s := &Sender{Sleep: sl.sleep, Now: func() time.Time { return now }}
			o := s.Send(context.Background(), []Channel{&Webhook{URL: rc.srv.URL, Format: FormatSlack}}, sampleMessage(1, 0))[0]
			if o.Err != nil || o.Attempts != 2 {
				t.Fatalf("Send()=%+v, want delivered at attempt 2", o)
			}
			if got := sl.all(); len(got) != 1 || got[0] != tt.want {
				t.Fatalf("waits=%v, want [%v]", got, tt.want)
			}
		})
	}
}

func TestSender_Send_RetryAfterBeyondTheLimitEndsTheRetries(t *testing.T) {
	rc := newReceiver(t, status(http.StatusTooManyRequests, "Retry-After", "3600"))
	var sl sleeps
	o := (&Sender{Sleep: sl.sleep}).Send(context.Background(), []Channel{&Webhook{URL: rc.srv.URL, Format: FormatJSON}}, sampleMessage(1, 0))[0]
	if o.Err == nil || o.Attempts != 1 || len(sl.all()) != 0 {
		t.Fatalf("Send()=%+v after waits %v, want one attempt and no hour-long wait", o, sl.all())
	}
	if !strings.Contains(o.Err.Error(), "1h0m0s") {
		t.Fatalf("err=%v, want it to say how long the receiver asked to wait", o.Err)
	}
}

func TestSender_Send_RefusalIsNotRetried(t *testing.T) {
	rc := newReceiver(t, func(w http.ResponseWriter) { http.Error(w, "invalid_blocks", http.StatusBadRequest) })
	var sl sleeps
	o := (&Sender{Sleep: sl.sleep}).Send(context.Background(), []Channel{&Webhook{URL: rc.srv.URL, Format: FormatSlack}}, sampleMessage(1, 0))[0]
	if o.Err == nil || o.Attempts != 1 {
		t.Fatalf("Send()=%+v, want one attempt and an error", o)
	}
	if !strings.Contains(o.Err.Error(), "400") || !strings.Contains(o.Err.Error(), "invalid_blocks") {
		t.Fatalf("err=%v, want the status and what the receiver said", o.Err)
	}
}

func TestWebhook_Deliver_NeverQuotesItsURL(t *testing.T) {
	const token = "Sup3rSecretWebhookToken"
	const sig = "sigValue-0123456789abcdef"
	secretPath := "/workflows/" + token + "/triggers/manual/paths/invoke?api-version=1&sig=" + sig

	// A receiver that echoes the URL it was called on, as some error pages do.
	echo := newReceiver(t, nil)
	echo.answers = []func(http.ResponseWriter){func(w http.ResponseWriter) {
		http.Error(w, "no such flow: "+echo.srv.URL+secretPath, http.StatusNotFound)
	}}
	redirect := newReceiver(t, status(http.StatusFound, "Location", "https://elsewhere.example/"+token))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String()
	l.Close()
	hang := make(chan struct{})
	var once sync.Once
	hanging := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The server notices a client gone only once the body is read.
		_, _ = io.ReadAll(r.Body)
		once.Do(func() { close(hang) })
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	}))
	defer hanging.Close()

	tests := []struct {
		name string
		url  string
		ctx  func() (context.Context, context.CancelFunc)
	}{
		{"closed port", closed + secretPath, nil},
		{"an answer that echoes the URL", echo.srv.URL + secretPath, nil},
		{"a redirect", redirect.srv.URL + secretPath, nil},
		{"plain http to a remote host", "http://hooks.example.com" + secretPath, nil},
		{"not a URL", "https://%zz" + secretPath, nil},
		{"cancelled while waiting for the answer", hanging.URL + secretPath, func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			go func() {
				select {
				case <-hang:
				case <-time.After(10 * time.Second):
				}
				cancel()
			}()
			return ctx, cancel
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			if tt.ctx != nil {
				ctx, cancel = tt.ctx()
			}
			defer cancel()
			var sl sleeps
			w := &Webhook{Label: "teams webhook #1", URL: tt.url, Format: FormatTeams}
			o := (&Sender{Sleep: sl.sleep}).Send(ctx, []Channel{w}, sampleMessage(1, 0))[0]
			if o.Err == nil {
				t.Fatal("Send() succeeded, want an error")
			}
			for _, s := range []string{o.Err.Error(), fmt.Sprintf("%v %+v %#v", o, o, o.Err), o.Channel} {
				for _, secret := range []string{token, sig, secretPath} {
					if strings.Contains(s, secret) {
						t.Fatalf("a secret reached %q", s)
					}
				}
			}
			if _, err := NewWebhook("teams", tt.url, 1); err != nil && (strings.Contains(err.Error(), token) || strings.Contains(err.Error(), sig)) {
				t.Fatalf("NewWebhook error quotes the URL: %v", err)
			}
		})
	}
}
