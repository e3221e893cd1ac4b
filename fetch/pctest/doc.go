// Package pctest is an in-process Partner Center: an HTTP server on a
// loopback port that answers the calls mcawatch makes (customer listing with
// continuation tokens, agreements, direct-sign status, relationship request,
// agreement metadata, and an Entra-like refresh-token endpoint) from a generated, deterministic
// customer portfolio. Tests of other packages, the `mcawatch demo` command and
// the benchmarks use it; it is a documented library, not a test-only hack.
//
// It behaves like the real service where mcawatch depends on it: link URIs
// relative to /v1, continuation tokens holding '+', '/', ',' and '=' that must
// come back byte for byte, agreementType defaulting to
// MicrosoftCloudAgreement, dateAgreed with and without a zone, userId null,
// phoneNumber absent, answers sometimes starting with a UTF-8 byte-order mark
// (about 10% of agreements answers), the relationship request URL with its '&'
// HTML-escaped as "&amp;" (RelationshipURL is the readable link), 401 with
// code 900401 or 900421, and per-partner throttling with 429, Retry-After and
// the service's {"statusCode":429,"message":…} body. On the customers listing,
// totalCount is the number of items on that page, as the service answers; a
// client must follow links.next rather than trust it as a total.
//
// Clients are checked as well as served: every API request must carry
// Accept: application/json, GUIDs in MS-RequestId and MS-CorrelationId,
// X-Locale and MS-PartnerCenter-Application; a request missing one, omitting
// agreementType or altering a continuation token counts one Violation in
// Stats (it is still answered like the service would).
//
// # Auth
//
// API requests need "Authorization: Bearer" with Options.Token (static, never
// expires) or an access token from the token endpoint (TokenURL, v1, form
// field resource, expires_in as a string; TokenV2URL, v2.0, form field scope,
// expires_in as a number, as Entra answers). Each exchange rotates the refresh
// token: the one used stops working at once.
//
// # Generated portfolio
//
// New(Options{Customers: n, Seed: s}) always generates the same customers for
// the same n and s, in the same listing order. The shares are exact counts
// (integer division, then shuffled into place):
//
//   - 8% (n*8/100) have two or three MCA records with different dates
//     (re-attestations);
//   - 6% (n*6/100) have a MicrosoftCloudAgreement record only: missing the MCA;
//   - 6% (n*12/100 - n*6/100) have no record at all: missing the MCA;
//   - 3% (n*3/100) have no record but are direct-signed (DirectSigned true);
//   - 7% (n*7/100) have one MCA record and an older MicrosoftCloudAgreement record;
//   - the rest (about 70%) have exactly one MCA record.
//
// The 2023 update of the MCA (DefaultCurrentSince, 2023-04-01): 38% of the
// customers with an ordinary MCA record, spread evenly over the listing,
// have only records dated before it (outdated: a re-attesting one has two or
// three old records); the others' newest record is dated after it (a
// re-attesting one has old records and one new: accepted). Records dated
// from the cut-off on carry the 2023 template (TemplateMCAv, versionRank 1 of
// GET /v1/agreements), older ones TemplateMCA. With the quirks below, about
// 40% of the customers with an MCA record must accept it again.
//
// Quirks of the real service, each on n*1/100 customers with one MCA record
// (at least one when n >= 20): a record with no dateAgreed and a null userId
// (outdated: an unknown date proves nothing), a record dated with the .NET
// minimum 0001-01-01T00:00:00 (outdated), a current record typed
// "microsoftCustomerAgreement" (accepted: the type is matched
// case-insensitively), and an old record on a customer who signed directly
// (direct-signed). n*2/100 other customers (at least one when n >= 20),
// evenly spaced, have relationshipToPartner "advisor": their agreements and
// direct-sign calls answer 403 with the service's
// {"code":20002,"description":"No relationship between caller and account.",…}.
// Customer.Standing and Server.Expected say what a correct sweep reports for
// each customer.
//
// With n >= 20 every share above is at least one customer, and the portfolio
// contains every name of SpecialCompanyNames (commas, double quotes, Å, ü,
// 日本, and the formula-like =HYPERLINK("http://x"), +46 Foods, -Minus AB,
// @Home Oy). About one record in five has a null userId and one in seven
// has no phoneNumber; half of the dates are serialised without a zone. All
// dates lie before Options.Start. Customers joining through Evolve draw their
// category with the same shares (38% of them outdated, no quirks); Evolve
// also re-accepts outdated customers with a record dated after the cut-off.
//
// GET /v1/agreements?agreementType=MicrosoftCustomerAgreement answers the
// two MCA versions (Agreements); without agreementType it answers the
// Microsoft Cloud Agreement, as the service did in a recorded session, and
// an unknown type gets 400.
//
// # Indirect providers
//
// With Options.Resellers = r > 0 the partner is an indirect provider (a
// distributor) with r indirect resellers; the customers are the same as
// without. GET /v1/relationships?relationship_type=IsIndirectCloudSolutionProviderOf
// lists the resellers (Resellers) in one answer, as the documentation's
// example does (relationshipType "is_indirect_cloud_solution_provider_of",
// state "Active", a seven-digit mpnId, location); with r at least 13 every
// name of SpecialResellerNames (slashes, a colon, <>, a backslash, quotes,
// a pipe, ? and *, CON, "..", white space and a dot at the ends, Japanese,
// a name over 255 bytes) appears, with fewer the odd-numbered resellers take
// them in turn. Names repeat: a name does not identify a reseller.
//
// The customers are spread with exact shares: 10% (share(n, 10)) are
// reached directly, through no reseller; 4% (when r >= 2) through two
// resellers; the rest through one. Resellers are drawn skewed (u² over the
// range), so a few are large (the first reaches about 1/√r of the customers)
// and most are small; with r >= 3 the last reseller has no customers at all.
// ResellersOf, ResellerCustomers and SetResellersOf say and change who is
// reached through whom.
//
// GET /v1/customers?size=N&filter=F lists the customers the URL-encoded JSON
// filter F selects (see ParseCustomerFilter: IndirectReseller, CompanyName
// or Domain, operator starts_with, matched case-insensitively), paged like
// the full listing: size capped by PageSize, totalCount the items on the
// page, links.next relative to /v1 with the filter in it and a continuation
// token that is valid only for the same filter. A filter that cannot be read
// answers 400, never the full list. These requests are counted, checked and
// throttled like every other; SetIndirectFaults makes the relationships
// call, or one reseller's listing, fail every time.
//
// # Memory
//
// The server keeps no per-request logs that grow with traffic except two
// bounded ones: MS-RequestId values of agreements requests for the first
// 10,000 customers asked about (at most 64 each), and up to 1,000 distinct
// MS-CorrelationId values. Stats.PerSecond grows by one number a second.
// Agreements answers are rendered once per customer and agreement type and
// kept until that customer changes, so that memory grows with the customers
// asked about, never with the requests.
//
// # Must never
//
// pctest must never import another mcawatch package (it is the server side
// and keeps its own types), listen on anything but loopback, reach the
// network, or hold a request longer than 60 seconds.
package pctest
