// Package pctest is an in-process Partner Center: an HTTP server on a
// loopback port that answers the calls mcawatch makes (customer listing with
// continuation tokens, agreements, direct-sign status, relationship request,
// and an Entra-like refresh-token endpoint) from a generated, deterministic
// customer portfolio. Tests of other packages, the `mcawatch demo` command and
// the benchmarks use it; it is a documented library, not a test-only hack.
//
// It behaves like the real service where mcawatch depends on it: link URIs
// relative to /v1, continuation tokens holding '+', '/', ',' and '=' that must
// come back byte for byte, agreementType defaulting to
// MicrosoftCloudAgreement, dateAgreed with and without a zone, userId null,
// phoneNumber absent, answers sometimes starting with a UTF-8 byte-order mark
// (about 10% of agreements answers), 401 with code 900401 or 900421, and
// per-partner throttling with 429 and Retry-After. On the customers listing,
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
//     (re-attestations; some with a second template id);
//   - 6% (n*6/100) have a MicrosoftCloudAgreement record only: missing the MCA;
//   - 6% (n*12/100 - n*6/100) have no record at all: missing the MCA;
//   - 3% (n*3/100) have no record but are direct-signed (DirectSigned true);
//   - 7% (n*7/100) have one MCA record and an older MicrosoftCloudAgreement record;
//   - the rest (about 70%) have exactly one MCA record.
//
// With n >= 20 every share above is at least one customer, and the portfolio
// contains every name of SpecialCompanyNames (commas, double quotes, Å, ü,
// 日本, and the formula-like =HYPERLINK("http://x"), +46 Foods, -Minus AB,
// @Home Oy). About one record in five has a null userId and one in seven
// has no phoneNumber; half of the dates are serialised without a zone. All
// dates lie before Options.Start. Customers joining through Evolve draw their
// category with the same shares.
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
