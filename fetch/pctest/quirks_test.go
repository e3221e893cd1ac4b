package pctest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestNew_OutdatedShare(t *testing.T) {
	for _, n := range []int{20, 500, 10000} {
		var withMCA, onlyOld, oneOldOneNew, twoOld, undated, minDate, lower, oldDirect, advisors int
		for _, c := range generate(1, n, DefaultStart) {
			if !c.Commerce() {
				advisors++
			}
			var old, current int
			for _, a := range c.Agreements {
				if !strings.EqualFold(a.Type, TypeMCA) {
					continue
				}
				switch {
				case a.DateAgreed.IsZero() && a.MinDate:
					minDate++
					old++
				case a.DateAgreed.IsZero():
					undated++
					old++
					if a.UserID != "" {
						t.Errorf("n=%d: undated record of %s has userId %q, want null", n, c.ID, a.UserID)
					}
				case a.DateAgreed.Before(DefaultCurrentSince):
					old++
				default:
					current++
				}
				if a.Type != TypeMCA {
					lower++
				}
			}
			if old+current == 0 {
				continue
			}
			withMCA++
			if current == 0 {
				onlyOld++
				if c.DirectSigned {
					oldDirect++
				}
			}
			if old == 1 && current == 1 {
				oneOldOneNew++
			}
			if old == 2 && current == 0 {
				twoOld++
			}
		}
		pct := onlyOld * 100 / withMCA
		if n >= 500 && (pct < 35 || pct > 45) {
			t.Errorf("n=%d: %d of %d customers with an MCA (%d%%) have only acceptances before %s, want 35-45%%", n, onlyOld, withMCA, pct, DefaultCurrentSince.Format(time.DateOnly))
		}
		for name, got := range map[string]int{"one old and one new record": oneOldOneNew, "two old records": twoOld,
			"undated record": undated, ".NET minimum date": minDate, "lower-case type": lower, "old record but direct-signed": oldDirect, "advisor": advisors} {
			if got == 0 && (n >= 500 || !strings.Contains(name, "records")) {
				t.Errorf("n=%d: no customer with %s", n, name)
			}
		}
		if want := n * 2 / 100; n >= 500 && advisors != want {
			t.Errorf("n=%d: %d advisor customers, want %d", n, advisors, want)
		}
	}
}

func TestServer_QuirkyRecords(t *testing.T) {
	s := mustServer(t, Options{Customers: 500, Seed: 2})
	seen := map[string]bool{}
	for _, c := range s.Customers() {
		resp, body := get(t, s, "/v1/customers/"+c.ID+"/agreements?agreementType="+TypeMCA)
		if !c.Commerce() {
			if resp.StatusCode != http.StatusForbidden || !bytes.Equal(body, noCommerceBody) {
				t.Errorf("advisor %s: %d %s, want 403 with code 20002", c.ID, resp.StatusCode, body)
			}
			if resp, body := get(t, s, "/v1/customers/"+c.ID+"/directSignedMicrosoftCustomerAgreementStatus"); resp.StatusCode != http.StatusForbidden {
				t.Errorf("advisor %s direct-sign status: %d %s, want 403", c.ID, resp.StatusCode, body)
			}
			seen["advisor"] = true
			continue
		}
		var raw struct {
			Items []map[string]json.RawMessage `json:"items"`
		}
		if err := json.Unmarshal(bytes.TrimPrefix(body, []byte(bom)), &raw); err != nil {
			t.Fatalf("customer %s: %v: %s", c.ID, err, body)
		}
		for _, it := range raw.Items {
			date, hasDate := it["dateAgreed"]
			switch {
			case !hasDate:
				seen["no dateAgreed"] = true
				if string(it["userId"]) != "null" {
					t.Errorf("customer %s: record without dateAgreed has userId %s, want null", c.ID, it["userId"])
				}
			case string(date) == `"0001-01-01T00:00:00"`:
				seen[".NET minimum date"] = true
			}
			if string(it["type"]) == `"microsoftCustomerAgreement"` {
				seen["lower-case type"] = true
			}
		}
	}
	for _, want := range []string{"advisor", "no dateAgreed", ".NET minimum date", "lower-case type"} {
		if !seen[want] {
			t.Errorf("no answer showed a %s", want)
		}
	}
}

func TestServer_AgreementMetadata(t *testing.T) {
	s := mustServer(t, Options{Customers: 20})
	tests := []struct {
		query       string
		status      int
		wantType    string
		wantRanks   []int
		wantCurrent string
	}{
		{"?agreementType=MicrosoftCustomerAgreement", http.StatusOK, TypeMCA, []int{0, 1}, TemplateMCAv},
		{"", http.StatusOK, TypeMCloudA, []int{0}, TemplateMCloudAReal},
		{"?agreementType=MicrosoftCloudAgreement", http.StatusOK, TypeMCloudA, []int{0}, TemplateMCloudAReal},
		{"?agreementType=NoSuchAgreement", http.StatusBadRequest, "", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			resp, body := get(t, s, "/v1/agreements"+tt.query)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, body)
			}
			if tt.status != http.StatusOK {
				return
			}
			var page struct {
				TotalCount int `json:"totalCount"`
				Items      []struct {
					TemplateID    string `json:"templateId"`
					AgreementType string `json:"agreementType"`
					AgreementLink string `json:"agreementLink"`
					VersionRank   int    `json:"versionRank"`
				} `json:"items"`
			}
			if err := json.Unmarshal(body, &page); err != nil {
				t.Fatal(err)
			}
			if page.TotalCount != len(tt.wantRanks) || len(page.Items) != len(tt.wantRanks) {
				t.Fatalf("totalCount %d, %d items, want %d: %s", page.TotalCount, len(page.Items), len(tt.wantRanks), body)
			}
			best := -1
			current := ""
			for i, it := range page.Items {
				if it.AgreementType != tt.wantType || it.VersionRank != tt.wantRanks[i] || !strings.HasPrefix(it.AgreementLink, "https://") {
					t.Errorf("item %d = %+v, want type %s, rank %d, an https link", i, it, tt.wantType, tt.wantRanks[i])
				}
				if it.VersionRank > best {
					best, current = it.VersionRank, it.TemplateID
				}
			}
			if current != tt.wantCurrent {
				t.Errorf("highest versionRank is template %s, want %s", current, tt.wantCurrent)
			}
		})
	}
	if st := s.Stats(); st.Violations != 0 {
		t.Errorf("violations: %v", st.ViolationLog)
	}
}

func TestCustomer_Standing(t *testing.T) {
	cut := DefaultCurrentSince
	old := Agreement{Type: TypeMCA, DateAgreed: cut.AddDate(-1, 0, 0)}
	current := Agreement{Type: TypeMCA, DateAgreed: cut}
	undated := Agreement{Type: TypeMCA}
	cloud := Agreement{Type: TypeMCloudA, DateAgreed: cut.AddDate(1, 0, 0)}
	lower := Agreement{Type: "microsoftCustomerAgreement", DateAgreed: cut.AddDate(0, 0, 1)}
	tests := []struct {
		name  string
		c     Customer
		since time.Time
		want  string
	}{
		{"one current record", Customer{Agreements: []Agreement{current}}, cut, StandingAccepted},
		{"one old and one new record", Customer{Agreements: []Agreement{old, current}}, cut, StandingAccepted},
		{"two old records", Customer{Agreements: []Agreement{old, old}}, cut, StandingOutdated},
		{"undated record alone", Customer{Agreements: []Agreement{undated}}, cut, StandingOutdated},
		{"undated record beside a current one", Customer{Agreements: []Agreement{undated, current}}, cut, StandingAccepted},
		{"old record, signed directly", Customer{Agreements: []Agreement{old}, DirectSigned: true}, cut, StandingDirectSigned},
		{"lower-case type", Customer{Agreements: []Agreement{lower}}, cut, StandingAccepted},
		{"cloud agreement only", Customer{Agreements: []Agreement{cloud}}, cut, StandingMissing},
		{"nothing", Customer{}, cut, StandingMissing},
		{"nothing, signed directly", Customer{DirectSigned: true}, cut, StandingDirectSigned},
		{"old record, check off", Customer{Agreements: []Agreement{old}}, time.Time{}, StandingAccepted},
		{"undated record, check off", Customer{Agreements: []Agreement{undated}}, time.Time{}, StandingAccepted},
		{"advisor", Customer{Relationship: "advisor", Agreements: []Agreement{current}}, cut, StandingError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.c.Relationship == "" {
				tt.c.Relationship = "reseller"
			}
			if got := tt.c.Standing(tt.since); got != tt.want {
				t.Errorf("Standing()=%s, want %s", got, tt.want)
			}
		})
	}
}

func TestServer_Expected(t *testing.T) {
	s := mustServer(t, Options{Customers: 400, Seed: 3})
	cs := s.Customers()
	s.SetFaults(Faults{Customers: map[string]Fault{cs[0].ID: Fault404, cs[1].ID: FaultMalformed}})
	got := s.Expected(DefaultCurrentSince)
	if len(got) != len(cs) {
		t.Fatalf("Expected has %d customers, want %d", len(got), len(cs))
	}
	count := map[string]int{}
	for i, c := range cs {
		want := c.Standing(DefaultCurrentSince)
		if i < 2 {
			want = StandingError
		}
		if got[c.ID] != want {
			t.Errorf("customer %s: %s, want %s", c.ID, got[c.ID], want)
		}
		count[got[c.ID]]++
	}
	for _, st := range []string{StandingAccepted, StandingDirectSigned, StandingOutdated, StandingMissing, StandingError} {
		if count[st] == 0 {
			t.Errorf("no customer is %s: %v", st, count)
		}
	}
	if off := s.Expected(time.Time{}); func() bool {
		for _, st := range off {
			if st == StandingOutdated {
				return true
			}
		}
		return false
	}() {
		t.Error("with the check off, a customer is still outdated")
	}

	ch := s.Evolve(9, 4)
	after := s.Expected(DefaultCurrentSince)
	if len(ch.Reaccepted) != 4 {
		t.Fatalf("Evolve re-accepted %d customers, want 4", len(ch.Reaccepted))
	}
	for _, id := range ch.Reaccepted {
		if got[id] != StandingOutdated || after[id] != StandingAccepted {
			t.Errorf("re-accepted %s: %s → %s, want outdated → accepted", id, got[id], after[id])
		}
	}
	for _, id := range ch.Accepted {
		if got[id] != StandingMissing || after[id] != StandingAccepted {
			t.Errorf("accepted %s: %s → %s, want missing → accepted", id, got[id], after[id])
		}
	}
	for _, id := range ch.Removed {
		if got[id] != StandingAccepted || after[id] != StandingMissing && after[id] != StandingDirectSigned {
			t.Errorf("removed %s: %s → %s, want accepted → missing", id, got[id], after[id])
		}
	}
}
