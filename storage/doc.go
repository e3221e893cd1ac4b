// Package storage keeps mcawatch's sweeps in one SQLite file: the runs, the
// customers, each customer's result in each run and its acceptance records,
// so that two snapshots can be diffed and an interrupted sweep resumed.
//
// It owns the database handles: Open checks the file is an mcawatch database
// (or creates one, mode 0600), sets the pragmas and applies the embedded,
// numbered migrations; every public method is one transaction. Writes go
// through a single connection (SQLite has one writer); reads use a separate
// pool so a report can be read while a sweep writes.
//
// Times are stored as INTEGER Unix seconds in UTC (NULL for "not set"), so a
// time round-trips to the second: run times are truncated to the second when
// they are taken, and acceptance dates, which Partner Center gives to the
// second, lose any sub-second part. An acceptance without a usable date is
// stored with a NULL date and read back as the zero time.
//
// A run stores the settings it started with (Since, CurrentSince, Required,
// Types), so a resumed run uses them; what the sweep learnt (SetRunInfo);
// and whether its report is in place (SetReport, SetReportFailed): the next
// diff is made against PreviousReported. Each customer of a complete run
// has its missing and outdated streaks, judged as (*Result).Standing judges.
// Storage carries one customer's odd answer as that customer's error, never
// as a failed batch (see migration/0003_run_settings_outdated_undated.sql).
//
// A run's results and acceptance records are keyed by the customer's position
// in the run's list (see migration/0001_init.sql), which limits a database to
// 2^21 runs and a customer to 1024 records a run. A customer's entries in
// other runs are found run by run through run_customer_keys (see
// migration/0002_run_customer_keys.sql); when it was first and last seen is
// read from the view customers_seen.
//
// History lasts as long as the retention policy says: Prune removes the
// runs a Retention (restic's forget rules) does not keep, and the runs no
// longer of use (interrupted runs that can no longer be resumed, failed
// runs), but never a running run nor one a kept run reads: its report's
// baseline and the runs carrying its errors' last good answers. History
// reads one customer's timeline by key; RunCounts reads the counts each
// complete run stored when it completed (migration/0004_run_counts.sql).
//
// Storage must never import config, jobs, fetch or report, never change a
// file that is not an mcawatch database, never create one when opened
// ReadOnly, and never write a partial batch.
package storage
