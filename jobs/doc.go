// Package jobs runs mcawatch's work end to end: one sweep (fetch every
// customer's acceptances, store them in batches, finish the run, diff it
// against the previous complete run and write the reports), its resumption
// after an interruption, the re-rendering of stored runs, and the built-in
// scheduler that runs sweeps on a cron schedule.
//
// jobs wires fetch, storage and report together; it never reads the config
// file or the command line (main copies plain values into Options) and never
// exits the process.
package jobs
