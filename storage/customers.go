package storage

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
// statement.
const upsertRunCustomers = `INSERT INTO customers (ckey, id, company_name, domain, relationship)
	SELECT ckey, customer_id, company_name, domain, relationship FROM run_customers WHERE run_id = ?1
	` + customerConflict

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
