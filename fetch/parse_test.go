package fetch

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseAgreements_Fixtures(t *testing.T) {
	tests := []struct {
		name      string
		file      string
		wantN     int
		wantErr   bool
		truncated bool
		first     time.Time
	}{
		{name: "seed 004 corrected", file: "agreements_seed004_valid.json", wantN: 2, first: time.Date(2019, 8, 26, 0, 0, 0, 0, time.UTC)},
		{name: "seed 004 verbatim is malformed", file: "agreements_seed004_malformed.json", wantErr: true},
		{name: "byte-order mark", file: "agreements_bom.json", wantN: 1, first: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)},
		{name: "both date forms", file: "agreements_mixed.json", wantN: 4, first: time.Date(2019, 8, 26, 0, 0, 0, 0, time.UTC)},
		{name: "empty", file: "agreements_empty.json", wantN: 0},
		{name: "truncated", file: "agreements_truncated.json", wantErr: true, truncated: true},
		{name: "bad date", file: "agreements_bad_date.json", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseAgreements(200, fixture(t, tt.file), bothTypes)
			if tt.wantErr {
				var be *BodyError
				if !errors.As(err, &be) {
					t.Fatalf("parseAgreements() error = %v, want *BodyError", err)
				}
				if be.Status != 200 || len(be.Excerpt) > excerptLen || be.Excerpt == "" {
					t.Fatalf("BodyError = %+v, want status 200 and a short excerpt", be)
				}
				if be.truncated != tt.truncated {
					t.Fatalf("truncated = %v, want %v", be.truncated, tt.truncated)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseAgreements() error = %v", err)
			}
			if len(got) != tt.wantN {
				t.Fatalf("parseAgreements() = %d records, want %d", len(got), tt.wantN)
			}
			if tt.wantN > 0 && !got[0].DateAgreed.Equal(tt.first) {
				t.Fatalf("first dateAgreed = %v, want %v", got[0].DateAgreed, tt.first)
			}
			for _, a := range got {
				if a.DateAgreed.Location() != time.UTC {
					t.Fatalf("dateAgreed %v is not in UTC", a.DateAgreed)
				}
			}
		})
	}
}

func TestParseAgreements_Fields(t *testing.T) {
	got, err := parseAgreements(200, fixture(t, "agreements_mixed.json"), bothTypes)
	if err != nil {
		t.Fatal(err)
	}
	want := []Agreement{
		{Type: TypeMCA, DateAgreed: time.Date(2019, 8, 26, 0, 0, 0, 0, time.UTC), TemplateID: "117a99a5-9ac6-4f4c-a8ee-35cfa5d2df6d",
			Contact: Contact{FirstName: "Tania", LastName: "Carr", Email: "tania@example.com"}, AgreementLink: "https://aka.ms/customeragreement"},
		{Type: "MicrosoftCloudAgreement", DateAgreed: time.Date(2018, 6, 14, 0, 0, 0, 0, time.UTC), TemplateID: "0c2f4b1d-7e3a-4d5b-8c6f-9a1e2d3c4b5a",
			Contact: Contact{FirstName: "Tania", LastName: "Carr", Email: "tania@example.com", Phone: "1234567890"}, AgreementLink: "https://aka.ms/microsoftcloudagreement"},
		{Type: TypeMCA, DateAgreed: time.Date(2023, 2, 1, 9, 30, 0, 123456700, time.UTC), TemplateID: "2b5d7e8c-1f4a-4c63-9b8e-7a0d3c9f5e21",
			Contact: Contact{FirstName: "Lee", LastName: "Park", Email: "lee@example.com", Phone: "555"}, AgreementLink: "https://aka.ms/customeragreement",
			UserID: "9b0e7c1d-5a2f-4e3b-8c6d-1f0a2b3c4d5e"},
		{Type: TypeMCA, DateAgreed: time.Date(2021, 11, 5, 8, 0, 0, 0, time.UTC), TemplateID: "117a99a5-9ac6-4f4c-a8ee-35cfa5d2df6d",
			Contact: Contact{FirstName: "Lee", LastName: "Park", Email: "lee@example.com"}, AgreementLink: "https://aka.ms/customeragreement"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d records, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("record %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestParseDateAgreed(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Time
		wantErr bool
	}{
		{in: "2019-08-26T00:00:00", want: time.Date(2019, 8, 26, 0, 0, 0, 0, time.UTC)},
		{in: "2018-06-14T00:00:00.000Z", want: time.Date(2018, 6, 14, 0, 0, 0, 0, time.UTC)},
		{in: "2018-06-14T00:00:00Z", want: time.Date(2018, 6, 14, 0, 0, 0, 0, time.UTC)},
		{in: "2018-06-14T02:00:00.5+02:00", want: time.Date(2018, 6, 14, 0, 0, 0, 5e8, time.UTC)},
		{in: "2019-08-26T13:14:15.1234567", want: time.Date(2019, 8, 26, 13, 14, 15, 123456700, time.UTC)},
		{in: "2019-08-26", want: time.Date(2019, 8, 26, 0, 0, 0, 0, time.UTC)},
		{in: ""},
		{in: "0001-01-01T00:00:00"},
		{in: "0001-01-01T00:00:00Z"},
		{in: "0001-01-01T00:00:00.0000000"},
		{in: "0001-01-01T00:00:00.000Z"},
		{in: "0001-01-01x", wantErr: true},
		{in: "yesterday", wantErr: true},
		{in: "2019-13-26T00:00:00", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseDateAgreed(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseDateAgreed(%q) error = %v, wantErr %v", tt.in, err, tt.wantErr)
			}
			if !tt.wantErr && (!got.Equal(tt.want) || !tt.want.IsZero() && got.Location() != time.UTC) {
				t.Fatalf("parseDateAgreed(%q) = %v, want %v UTC", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseCustomers_Pages(t *testing.T) {
	items, next, err := parseCustomers(200, fixture(t, "customers_page1.json"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(items), 2; got != want {
		t.Fatalf("page 1 items = %d, want %d", got, want)
	}
	if got, want := items[1], (Customer{ID: "0c5a7c2e-1111-4a3b-9c2d-000000000002", CompanyName: "Fabrikam, Inc.", Domain: "fabrikam.onmicrosoft.com", Relationship: "advisor"}); got != want {
		t.Fatalf("customer = %+v, want %+v", got, want)
	}
	if next == nil || next.URI != "/customers?size=2&seekOperation=Next" || len(next.Headers) != 1 ||
		next.Headers[0].Value != "AAEAAAD/////AQAAAAAAAAAMAgAAAE1NaWNyb3NvZnQu,Q29tbWVyY2U=/+page2==" {
		t.Fatalf("next = %+v, want the continuation link", next)
	}
	_, next, err = parseCustomers(200, fixture(t, "customers_page3.json"))
	if err != nil {
		t.Fatalf("page 3 (with BOM): %v", err)
	}
	if next != nil {
		t.Fatalf("last page next = %+v, want nil", next)
	}
}

func TestParseAPIError(t *testing.T) {
	tests := []struct {
		name      string
		status    int
		body      []byte
		code      string
		retryable bool
		bodyErr   bool
	}{
		{name: "403 numeric code", status: 403, body: fixture(t, "error_403_mca_missing.json"), code: "13605"},
		{name: "404 string code", status: 404, body: fixture(t, "error_404_string_code.json"), code: "600008"},
		{name: "401 mfa", status: 401, body: fixture(t, "error_401_mfa.json"), code: "900421"},
		{name: "429 empty body", status: 429, body: nil, retryable: true},
		{name: "503 isRetryable", status: 503, body: []byte(`{"code":"3000","description":"busy","isRetryable":true}`), code: "3000", retryable: true},
		{name: "403 claims retryable", status: 403, body: []byte(`{"code":"1","isRetryable":true}`), code: "1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := parseAPIError(tt.status, tt.body, "rid")
			if tt.bodyErr {
				var be *BodyError
				if !errors.As(err, &be) || be.Status != tt.status {
					t.Fatalf("parseAPIError() = %v, want *BodyError with status %d", err, tt.status)
				}
				return
			}
			var ae *APIError
			if !errors.As(err, &ae) {
				t.Fatalf("parseAPIError() = %v, want *APIError", err)
			}
			if ae.Status != tt.status || ae.Code != tt.code || ae.Retryable != tt.retryable || ae.RequestID != "rid" {
				t.Fatalf("APIError = %+v, want status %d code %q retryable %v", ae, tt.status, tt.code, tt.retryable)
			}
		})
	}
}

func TestErrorFields(t *testing.T) {
	mfa := &APIError{Status: 401, Code: "900421", Description: "MFA required"}
	tests := []struct {
		name   string
		err    error
		status int
		code   string
		msg    string // a substring of the message
	}{
		{name: "nil", err: nil},
		{name: "api", err: &APIError{Status: 403, Code: "13605", Description: "not accepted"}, status: 403, code: "13605", msg: "not accepted"},
		{name: "api without code", err: &APIError{Status: 404}, status: 404, code: "http_404", msg: "404"},
		{name: "malformed", err: newBodyError(200, []byte("{x"), errors.New("bad"), false), status: 200, code: "malformed_body", msg: "malformed"},
		{name: "truncated", err: newBodyError(200, []byte("{"), errors.New("eof"), true), status: 200, code: "truncated_body", msg: "truncated"},
		{name: "too large", err: newBodyError(200, nil, errBodyTooLarge, false), status: 200, code: "body_too_large", msg: "size limit"},
		{name: "timeout", err: &transportError{kind: "timeout", err: errors.New("deadline")}, code: "timeout"},
		{name: "reset", err: &transportError{kind: "reset", err: errors.New("reset by peer")}, code: "reset"},
		{name: "mfa", err: errors.Join(ErrMFARequired, mfa), status: 401, code: "900421", msg: "re-consent with MFA"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, code, msg := ErrorFields(tt.err)
			if status != tt.status || code != tt.code || !strings.Contains(msg, tt.msg) {
				t.Fatalf("ErrorFields() = %d, %q, %q; want %d, %q, containing %q", status, code, msg, tt.status, tt.code, tt.msg)
			}
			if len(msg) > 310 {
				t.Fatalf("message is %d bytes, want short", len(msg))
			}
		})
	}
}
