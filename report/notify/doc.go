// Package notify tells people about a finished sweep: it delivers one
// Message per run to webhooks (Microsoft Teams Workflows with an Adaptive
// Card, Slack blocks, plain JSON) and to email over SMTP with the workbook
// attached.
//
// The caller builds a Message from the run and its report, asks ShouldSend
// (or Reasons) whether the configured notify.on triggers fire, and calls
// Send with its channels; every channel is tried on its own, retried a few
// times, and comes back as an Outcome. A channel that fails never blocks or
// fails the others, and Send never panics on a receiver's answer.
//
// notify uses only its own plain types: it must never import config, jobs,
// storage or fetch, never open a database, and never let a secret (a webhook
// URL, which is a secret, or an SMTP password) reach an error, a log line or
// an Outcome.
package notify
