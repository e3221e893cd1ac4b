// Package fetch is mcawatch's Partner Center client: it lists a partner's
// customers, asks each customer's agreement acceptances and direct-sign
// status, and fans those calls out over a whole portfolio (Sweep) with
// bounded concurrency, retries, token refresh and a request rate that adapts
// to the server's throttle.
//
// It must never import config, jobs, storage or report: callers copy plain
// values into Options. It must never put an access token, refresh token or
// client secret into an error, a log line or a Result, and it never treats a
// failed call as a missing acceptance: a customer's failure is recorded on
// that customer's Result.
package fetch
