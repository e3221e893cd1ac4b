package storage

// Results and acceptance records have integer keys built from the run, the
// customer's position in the run's list and the record's sequence number,
// so that a batch saved in list order appends to the end of their tables.
const (
	positionBits = 32 // positions per run: 2^32
	seqBits      = 10 // records per customer and run: 1024
	maxRecords   = 1 << seqBits
	maxRuns      = 1 << (63 - positionBits - seqBits) // so that keys stay positive int64
)

// resultKey is the key of the result at a position of a run.
func resultKey(runID, position int64) int64 { return runID<<positionBits | position }

// runResults is the key range of a run's results.
func runResults(runID int64) (lo, hi int64) {
	return resultKey(runID, 0), resultKey(runID+1, 0) - 1
}

// acceptanceKey is the key of a result's seq-th record.
func acceptanceKey(result int64, seq int) int64 { return result<<seqBits | int64(seq) }

// runAcceptances is the key range of a run's acceptance records.
func runAcceptances(runID int64) (lo, hi int64) {
	lo, hi = runResults(runID)
	return acceptanceKey(lo, 0), acceptanceKey(hi, maxRecords-1)
}

// resultAcceptances is the key range of one result's records.
func resultAcceptances(result int64) (lo, hi int64) {
	return acceptanceKey(result, 0), acceptanceKey(result, maxRecords-1)
}
