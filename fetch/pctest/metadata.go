package pctest

import (
	"maps"
	"net/http"
	"time"
)

// TemplateMCloudAReal is the Microsoft Cloud Agreement template id the
// service answered in a recorded session of Partner-Center-PowerShell
// (SessionRecords/GetPartnerAgreementDetail.json).
const TemplateMCloudAReal = "998b88de-aa99-4388-a42c-1b3517d49490"

// AgreementMetadata is one agreement template of GET /v1/agreements: the
// highest VersionRank of a type is the version enforced now.
type AgreementMetadata struct {
	TemplateID, AgreementType, AgreementLink string
	VersionRank                              int
}

// Agreements returns the agreement templates the server answers for
// agreementType typ (TypeMCA, TypeMCloudA or TypeAll): two MCA versions (the
// one before the 2023 update, rank 0; the 2023 one, rank 1, current) and one
// Microsoft Cloud Agreement; nil for an unknown type.
func Agreements(typ string) []AgreementMetadata {
	mca := []AgreementMetadata{
		{TemplateID: TemplateMCA, AgreementType: TypeMCA, AgreementLink: LinkMCA, VersionRank: 0},
		{TemplateID: TemplateMCAv, AgreementType: TypeMCA, AgreementLink: LinkMCAv, VersionRank: 1},
	}
	cloud := []AgreementMetadata{{TemplateID: TemplateMCloudAReal, AgreementType: TypeMCloudA, AgreementLink: "https://docs.microsoft.com/en-us/partner-center/agreements", VersionRank: 0}}
	switch typ {
	case TypeMCA:
		return mca
	case TypeMCloudA:
		return cloud
	case TypeAll:
		return append(cloud, mca...)
	}
	return nil
}

// agreementMetadataJSON is one item of the GET /v1/agreements answer.
type agreementMetadataJSON struct {
	TemplateID    string `json:"templateId"`
	AgreementType string `json:"agreementType"`
	AgreementLink string `json:"agreementLink"`
	VersionRank   int    `json:"versionRank"`
}

// agreementMetadataPageJSON is the GET /v1/agreements answer.
type agreementMetadataPageJSON struct {
	TotalCount int                     `json:"totalCount"`
	Items      []agreementMetadataJSON `json:"items"`
	Links      linksJSON               `json:"links"`
	Attributes attributesJSON          `json:"attributes"`
}

// handleAgreementMetadata serves GET /v1/agreements?agreementType=T. Like the
// service (recorded without the parameter, see TemplateMCloudAReal), an
// omitted agreementType answers the Microsoft Cloud Agreement; an unknown
// one answers 400.
func (s *Server) handleAgreementMetadata(w http.ResponseWriter, r *http.Request, _ *call) {
	typ := queryValue(r.URL.RawQuery, "agreementType")
	self := "/agreements"
	if typ == "" {
		typ = TypeMCloudA
	} else {
		self += "?agreementType=" + typ
	}
	items := Agreements(typ)
	if items == nil {
		writeBody(w, http.StatusBadRequest, errorBody("400", "Invalid agreement type: "+typ, "InvalidAgreementType", ptr(false)))
		return
	}
	page := agreementMetadataPageJSON{
		TotalCount: len(items),
		Links:      linksJSON{Self: &linkJSON{URI: self, Method: "GET", Headers: []headerJSON{}}},
		Attributes: attributesJSON{ObjectType: "Collection"},
	}
	for _, m := range items {
		page.Items = append(page.Items, agreementMetadataJSON(m))
	}
	writeJSON(w, http.StatusOK, page)
}

// Expected returns, for every customer in the portfolio now, the standing a
// correct sweep reports with the cut-off currentSince (zero: no cut-off):
// customer id → StandingAccepted, StandingDirectSigned, StandingOutdated,
// StandingMissing or StandingError. It follows the generator's own records
// (see Customer.Standing); a customer whose calls always fail through
// Faults.Customers is StandingError too. Faults drawn by Faults.Rates are not
// taken into account: they are transient and a sweep retries them.
func (s *Server) Expected(currentSince time.Time) map[string]string {
	failing := maps.Clone(s.faults.current().f.Customers)
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make(map[string]string, len(s.order))
	for _, id := range s.order {
		if _, bad := failing[id]; bad {
			out[id] = StandingError
			continue
		}
		out[id] = s.byID[id].Standing(currentSince)
	}
	return out
}
