package storage

import (
	"cmp"
	"context"
	"database/sql"
	"slices"
)

// customerConflict merges a customer row into a known one: a name left empty
// (say, by a customer list read from a file) does not overwrite a known one,
// and a row that would not change is not written.
const customerConflict = `ON CONFLICT (ckey, id) DO UPDATE SET
		company_name = CASE WHEN excluded.company_name <> '' THEN excluded.company_name ELSE company_name END,
		domain = CASE WHEN excluded.domain <> '' THEN excluded.domain ELSE domain END,
		relationship = CASE WHEN excluded.relationship <> '' THEN excluded.relationship ELSE relationship END
	WHERE (excluded.company_name <> '' AND excluded.company_name <> company_name)
		OR (excluded.domain <> '' AND excluded.domain <> domain)
		OR (excluded.relationship <> '' AND excluded.relationship <> relationship)`

// upsertCustomer records one customer (?1 id, ?2 name, ?3 domain, ?4
// relationship, ?5 ckey).
const upsertCustomer = `INSERT INTO customers (ckey, id, company_name, domain, relationship)
	VALUES (?5, ?1, ?2, ?3, ?4) ` + customerConflict

// upsertRunCustomers records every customer on the list of run ?1 in one
// statement. Only the list entries that match no customer row exactly go
// through the upsert, as the others would change nothing; the EXCEPT finds
// them by sorting the list and merging it with a scan of customers, which
// costs less than the search in customers the upsert makes for each entry.
// (The WHERE resolves the parsing ambiguity of an upsert after a SELECT.)
const upsertRunCustomers = `INSERT INTO customers (ckey, id, company_name, domain, relationship)
	SELECT * FROM (
		SELECT ckey, customer_id, company_name, domain, relationship FROM run_customers WHERE run_id = ?1
		EXCEPT SELECT ckey, id, company_name, domain, relationship FROM customers
		ORDER BY 1, 2, 3, 4, 5) WHERE true
	` + customerConflict

// runKey is the ckey of the customer at a position of a run's list.
type runKey struct{ ckey, position int64 }

// insertRunKeys records the ckeys of a run's list in run_customer_keys, in
// ckey order, so that they are appended to the table. They are sorted here
// rather than by SQLite, whose sorter costs more than binding them.
func insertRunKeys(ctx context.Context, tx *sql.Tx, table *bulkTable, runID int64, keys []runKey) error {
	slices.SortFunc(keys, func(a, b runKey) int {
		return cmp.Or(cmp.Compare(a.ckey, b.ckey), cmp.Compare(a.position, b.position))
	})
	b := newBulkInsert(ctx, tx, table)
	for _, k := range keys {
		if err := b.add(runID, k.ckey, k.position); err != nil {
			return err
		}
	}
	return b.flush()
}

// customerKey is the ckey of a lower-case GUID: its first 16 hex digits as
// a 64-bit integer.
func customerKey(id string) int64 {
	var k uint64
	for i := 0; i < 18; i++ {
		c := id[i]
		switch {
		case '0' <= c && c <= '9':
			k = k<<4 | uint64(c-'0')
		case 'a' <= c && c <= 'f':
			k = k<<4 | uint64(c-'a'+10)
		}
	}
	return int64(k)
}
