package pctest

import (
	"errors"
	"net/http"
	"reflect"
	"testing"
	"time"
)

func TestServer_Evolve(t *testing.T) {
	a := mustServer(t, Options{Customers: 300, Seed: 4})
	b := mustServer(t, Options{Customers: 300, Seed: 4})
	before := map[string]Customer{}
	for _, c := range a.Customers() {
		before[c.ID] = c
	}
	ch := a.Evolve(7, 5)
	if other := b.Evolve(7, 5); !reflect.DeepEqual(ch, other) || !reflect.DeepEqual(a.Customers(), b.Customers()) {
		t.Fatal("Evolve(7, 5) on two equal servers gave different changes or portfolios")
	}
	for name, ids := range map[string][]string{"Accepted": ch.Accepted, "Reaccepted": ch.Reaccepted, "Redated": ch.Redated, "Removed": ch.Removed, "Joined": ch.Joined, "Left": ch.Left} {
		if len(ids) != 5 {
			t.Errorf("%s has %d ids, want 5", name, len(ids))
		}
	}
	for _, id := range ch.Accepted {
		c, ok := a.Customer(id)
		if !before[id].Missing(TypeMCA) || !ok || c.Missing(TypeMCA) {
			t.Errorf("accepted %s: missing before %v, now %v", id, before[id].Missing(TypeMCA), c.Missing(TypeMCA))
		}
	}
	for _, id := range ch.Redated {
		old, _ := before[id].Latest(TypeMCA)
		c, _ := a.Customer(id)
		now, _ := c.Latest(TypeMCA)
		if !now.DateAgreed.After(old.DateAgreed) || countType(c, TypeMCA) != countType(before[id], TypeMCA)+1 {
			t.Errorf("redated %s: newest %v -> %v, records %d -> %d", id, old.DateAgreed, now.DateAgreed, countType(before[id], TypeMCA), countType(c, TypeMCA))
		}
	}
	for _, id := range ch.Removed {
		if c, _ := a.Customer(id); !before[id].HasType(TypeMCA) || c.HasType(TypeMCA) {
			t.Errorf("removed %s still has an MCA record or never had one", id)
		}
	}
	for _, id := range ch.Joined {
		if _, ok := before[id]; ok {
			t.Errorf("joined %s was already there", id)
		}
		if _, ok := a.Customer(id); !ok {
			t.Errorf("joined %s is not in the portfolio", id)
		}
	}
	for _, id := range ch.Left {
		if _, ok := a.Customer(id); ok {
			t.Errorf("left %s is still in the portfolio", id)
		}
		if resp, _ := get(t, a, "/v1/customers/"+id+"/agreements?agreementType=*"); resp.StatusCode != http.StatusNotFound {
			t.Errorf("left %s answers %d, want 404", id, resp.StatusCode)
		}
	}
	if got, want := len(a.Customers()), 300; got != want {
		t.Errorf("portfolio size %d after 5 joins and 5 leaves, want %d", got, want)
	}
	if next := a.Evolve(8, 5); reflect.DeepEqual(next, ch) {
		t.Error("Evolve(8, 5) repeated the changes of Evolve(7, 5)")
	}
}

func TestServer_Mutations(t *testing.T) {
	s := mustServer(t, Options{Customers: 30})
	var missing Customer
	for _, c := range s.Customers() {
		if c.Missing(TypeMCA) {
			missing = c
			break
		}
	}
	rec := Agreement{Type: TypeMCA, TemplateID: TemplateMCA, FirstName: "Åsa", LastName: "Berg", Email: "asa@example.com",
		AgreementLink: LinkMCA, DateAgreed: time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)}
	if err := s.Accept(missing.ID, rec); err != nil {
		t.Fatalf("Accept: %v", err)
	}
	_, body := get(t, s, "/v1/customers/"+missing.ID+"/agreements?agreementType=MicrosoftCustomerAgreement")
	if b := decodeAgreements(t, body); len(b.Items) != 1 || b.Items[0].DateAgreed != "2026-11-02T10:00:00.000Z" || b.Items[0].UserID != nil {
		t.Errorf("after Accept: %s", body)
	}
	if err := s.RemoveAgreements(missing.ID, TypeMCA); err != nil {
		t.Fatalf("RemoveAgreements: %v", err)
	}
	if c, _ := s.Customer(missing.ID); c.HasType(TypeMCA) {
		t.Error("RemoveAgreements left an MCA record")
	}
	if err := s.SetDirectSigned(missing.ID, true); err != nil {
		t.Fatalf("SetDirectSigned: %v", err)
	}
	if c, _ := s.Customer(missing.ID); !c.DirectSigned {
		t.Error("SetDirectSigned(true) not applied")
	}
	joined := Customer{ID: "AAAAAAAA-0000-4000-8000-000000000001", CompanyName: "New, Co", Domain: "newco.onmicrosoft.com", Relationship: "reseller"}
	s.Join(joined)
	if cs := s.Customers(); cs[len(cs)-1].ID != "aaaaaaaa-0000-4000-8000-000000000001" {
		t.Errorf("joined customer not last in the listing: %+v", cs[len(cs)-1])
	}
	if err := s.Leave(joined.ID); err != nil {
		t.Fatalf("Leave: %v", err)
	}
	for name, err := range map[string]error{
		"Accept":           s.Accept(joined.ID, rec),
		"RemoveAgreements": s.RemoveAgreements(joined.ID, TypeMCA),
		"SetDirectSigned":  s.SetDirectSigned(joined.ID, true),
		"Leave":            s.Leave(joined.ID),
	} {
		if !errors.Is(err, ErrUnknownCustomer) {
			t.Errorf("%s on a departed customer: %v, want ErrUnknownCustomer", name, err)
		}
	}
}

func TestServer_MutationsWhileServing(t *testing.T) {
	s := mustServer(t, Options{Customers: 200})
	ids := []string{}
	for _, c := range s.Customers() {
		ids = append(ids, c.ID)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 20 {
			s.Evolve(int64(i), 3)
			s.SetFaults(Faults{Rates: map[Fault]float64{Fault500: 0.1}})
		}
	}()
	client := &http.Client{Timeout: 10 * time.Second}
	for i := range 200 {
		resp, err := client.Do(newRequest(t, s, "/v1/customers/"+ids[i]+"/agreements?agreementType=*"))
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		_ = resp.Body.Close()
		switch resp.StatusCode {
		case http.StatusOK, http.StatusNotFound, http.StatusInternalServerError, http.StatusForbidden:
		default:
			t.Fatalf("request %d: status %d", i, resp.StatusCode)
		}
	}
	<-done
}

func TestServer_CustomersIsACopy(t *testing.T) {
	s := mustServer(t, Options{Customers: 20})
	cs := s.Customers()
	for i := range cs {
		for j := range cs[i].Agreements {
			cs[i].Agreements[j].Type = "Changed"
		}
		cs[i].CompanyName = "Changed"
	}
	for _, c := range s.Customers() {
		if c.CompanyName == "Changed" || c.HasType("Changed") {
			t.Fatalf("changing the result of Customers() changed the server: %+v", c)
		}
	}
}
