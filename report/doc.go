// Package report turns two stored snapshots into what a compliance officer
// reads: Diff compares a run with the previous complete run (missing,
// outdated, new, removed, errors, acceptances and the summary counts), and
// Write renders that Report as report.xlsx and CSV files in a run folder of
// its own, written under a temporary name and renamed into place so no
// reader sees half a report.
//
// report uses only the plain types of package storage, and judges every
// customer by storage's one classification rule, (*storage.Result).Standing.
// It must never open a database, call Partner Center, or import config,
// jobs or fetch; it must never write a text cell that a spreadsheet could
// evaluate as a formula; and it must never remove a folder it did not
// create.
package report
