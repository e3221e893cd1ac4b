// Package fetch is mcawatch's Partner Center client: it lists a partner's
// customers, asks each customer's agreement acceptances and direct-sign
// status, and fans those calls out over a whole portfolio (Sweep) with
// bounded concurrency, retries, token refresh and a request rate that adapts
// to the server's throttle. For an indirect provider it also lists the
// indirect resellers and each one's customers (ResellerAssignments), so each
// customer carries the resellers it is reached through; a reseller whose
// listing fails is that reseller's error, never a customer missing.
//
// It must never import config, jobs, storage or report: callers copy plain
// values into Options. It must never put an access token, refresh token or
// client secret into an error, a log line or a Result, and it never treats a
// failed call as a missing acceptance: a customer's failure is recorded on
// that customer's Result. An answer that says nothing ({}, null, an empty
// body, a totalCount its items contradict) is such a failure, never "no
// acceptances"; one customer's odd record never fails more than that
// customer, and a record of an untracked type never fails anyone.
//
// Agreement types are normalised here, once: every Agreement carries the
// canonical spelling (CanonicalType), so the rest of mcawatch compares
// types exactly. Credentials never follow a redirect to another host or to
// plain http (guardRedirects), and a stored refresh token is exchanged only
// when the rotated one can be saved.
package fetch
