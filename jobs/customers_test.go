package jobs

import (
	"errors"
	"strings"
	"testing"
)

func TestReadCustomersFile(t *testing.T) {
	tests := []struct {
		name    string
		file    string
		wantIDs []string
		wantErr string // substring; "" means success
	}{
		{
			name: "ids with BOM, CRLF, blanks, comment and a duplicate",
			file: "../testdata/customers/good.txt",
			wantIDs: []string{
				"3f2504e0-4f89-11d3-9a0c-0305e82c3301",
				"9b3e7a4c-1d2f-4e5a-8b6c-7d8e9f0a1b2c",
				"0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
			},
		},
		{
			name:    "bad id named with its line",
			file:    "../testdata/customers/bad-id.txt",
			wantErr: `../testdata/customers/bad-id.txt:4: "not-a-guid" is not a customer tenant id`,
		},
		{
			name:    "csv with a customer_id column",
			file:    "../testdata/customers/good.csv",
			wantIDs: []string{"3f2504e0-4f89-11d3-9a0c-0305e82c3301", "9b3e7a4c-1d2f-4e5a-8b6c-7d8e9f0a1b2c"},
		},
		{
			name:    "csv with a short id",
			file:    "../testdata/customers/bad-id.csv",
			wantErr: `../testdata/customers/bad-id.csv:3: customer_id: "3f2504e0-4f89-11d3-9a0c-0305e82c330" is not`,
		},
		{
			name:    "empty file",
			file:    "../testdata/customers/empty.txt",
			wantErr: "../testdata/customers/empty.txt: no customer ids",
		},
		{
			name:    "no such file",
			file:    "../testdata/customers/absent.txt",
			wantErr: "absent.txt: no such file",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadCustomersFile(tt.file)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ReadCustomersFile() error = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ReadCustomersFile() error = %v", err)
			}
			var ids []string
			for _, c := range got {
				ids = append(ids, c.ID)
			}
			if g, w := strings.Join(ids, " "), strings.Join(tt.wantIDs, " "); g != w {
				t.Fatalf("ids = %s, want %s", g, w)
			}
		})
	}
}

func TestParseCustomers_CSVNames(t *testing.T) {
	got, err := ParseCustomers(strings.NewReader("customer_id,company_name,domain\n3f2504e0-4f89-11d3-9a0c-0305e82c3301,\"Contoso, Ltd.\",contoso.example\n"), "list.csv")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].CompanyName != "Contoso, Ltd." || got[0].Domain != "contoso.example" {
		t.Fatalf("ParseCustomers() = %+v, want Contoso, Ltd. with its domain", got)
	}
}

func TestParseCustomers_ErrorType(t *testing.T) {
	_, err := ParseCustomers(strings.NewReader("x\n"), "c.txt")
	var fe *CustomerFileError
	if !errors.As(err, &fe) || fe.Line != 1 || fe.File != "c.txt" {
		t.Fatalf("error = %#v, want a *CustomerFileError for c.txt line 1", err)
	}
}

func FuzzParseCustomers(f *testing.F) {
	f.Add([]byte("3f2504e0-4f89-11d3-9a0c-0305e82c3301\n"))
	f.Add([]byte("\xef\xbb\xbfcustomer_id,company_name\r\n3f2504e0-4f89-11d3-9a0c-0305e82c3301,\"a,b\"\r\n"))
	f.Add([]byte("customer_id\n\"unterminated\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := ParseCustomers(strings.NewReader(string(data)), "fuzz.txt")
		if err != nil {
			var fe *CustomerFileError
			if !errors.As(err, &fe) || !strings.HasPrefix(err.Error(), "fuzz.txt") {
				t.Fatalf("error %q does not name the file", err)
			}
			return
		}
		if len(got) == 0 {
			t.Fatal("success with no customers")
		}
		seen := map[string]bool{}
		for _, c := range got {
			if !guidPattern.MatchString(c.ID) || c.ID != strings.ToLower(c.ID) {
				t.Fatalf("accepted id %q", c.ID)
			}
			if seen[c.ID] {
				t.Fatalf("duplicate id %q", c.ID)
			}
			seen[c.ID] = true
		}
	})
}

// TestParseCustomers_HeaderWithoutCustomerID: a CSV file whose header has
// no customer_id column says so, instead of calling the header "not a GUID".
func TestParseCustomers_HeaderWithoutCustomerID(t *testing.T) {
	_, err := ParseCustomers(strings.NewReader("tenant_id,company_name\n3f2504e0-4f89-11d3-9a0c-0305e82c3301,Contoso\n"), "list.csv")
	if err == nil || !strings.Contains(err.Error(), `list.csv:1: the header row has no customer_id column (it has "tenant_id", "company_name")`) {
		t.Fatalf("ParseCustomers() = %v, want it to say the header has no customer_id column", err)
	}
	if strings.Contains(err.Error(), "GUID") {
		t.Fatalf("ParseCustomers() = %v: a header is not a customer id", err)
	}
}
