package fetch

import "time"

// Customer is one customer tenant of the partner.
type Customer struct {
	ID           string // customer tenant id (a GUID)
	CompanyName  string
	Domain       string
	Relationship string // relationshipToPartner: reseller, advisor, …
}

// Contact is the person who accepted an agreement.
type Contact struct {
	FirstName, LastName, Email, Phone string
}

// Agreement is one acceptance record of a customer.
type Agreement struct {
	Type          string    // MicrosoftCustomerAgreement, MicrosoftCloudAgreement, …
	DateAgreed    time.Time // UTC
	TemplateID    string
	Contact       Contact
	AgreementLink string
	UserID        string // empty when the answer had none or null
}

// Result is one customer's outcome in a Sweep.
type Result struct {
	Customer     Customer
	Agreements   []Agreement // tracked types only, newest first within a type
	DirectSigned *bool       // nil when not asked
	Attempts     int         // HTTP requests made for this customer, retries included
	// Err is nil when the customer answered. A 403 code 20002 (no
	// reseller relationship) is an *APIError{Status: 403, Code: "20002"}
	// that matches ErrNoRelationship; ErrorFields gives it the code
	// CodeNoRelationship.
	Err error
}

// Stats are a Client's cumulative counters.
type Stats struct {
	Requests  int64   // HTTP requests sent
	Throttled int64   // 429 answers seen
	Retries   int64   // requests that repeated an earlier one
	Rate      float64 // current adaptive limit in requests/s
}
