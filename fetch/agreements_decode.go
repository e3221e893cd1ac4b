package fetch

import (
	"strings"
	"unicode/utf8"
)

// decodeAgreementsFast decodes an agreements answer (BOM already removed)
// without reflection, for the shape Partner Center sends: one object, known
// keys spelled exactly, string values without escape sequences. Every
// sweep decodes one such answer per customer, and encoding/json costs
// several microseconds and about twenty allocations for it.
//
// ok false means the body holds something this decoder leaves to
// encoding/json: an escape in a value it keeps, a null or a number where a
// string belongs, a duplicate key, an unknown key spelled like a known one
// (encoding/json matches keys case-insensitively), invalid UTF-8, or
// anything that is not valid JSON. The caller then decodes with
// encoding/json, so errors and odd inputs behave exactly as before; when ok
// is true the result equals encoding/json's (FuzzDecodeAgreementsFast
// checks that).
func decodeAgreementsFast(body []byte) (a agreementsBody, ok bool) {
	// One string for the whole body: every kept value is a substring of it
	// instead of an allocation of its own.
	d := fastDecoder{s: string(body)}
	var seen uint8
	ok = d.object(func(key string) bool {
		switch key {
		case "totalCount":
			var n int
			if !d.once(&seen, 1) || !d.int(&n) {
				return false
			}
			a.TotalCount = &n
			return true
		case "items":
			return d.once(&seen, 2) && d.items(&a.Items)
		}
		return d.skipUnknown(key)
	})
	return a, ok && d.end()
}

// items decodes the items array; null and non-object items are left to
// encoding/json.
func (d *fastDecoder) items(out *[]agreementItem) bool {
	if !d.consume('[') {
		return false
	}
	items := []agreementItem{}
	if d.consume(']') {
		*out = items
		return true
	}
	for {
		var it agreementItem
		if !d.item(&it) {
			return false
		}
		items = append(items, it)
		if d.consume(',') {
			continue
		}
		*out = items
		return d.consume(']')
	}
}

// item decodes one agreement record.
func (d *fastDecoder) item(it *agreementItem) bool {
	var seen uint8
	return d.object(func(key string) bool {
		switch key {
		case "primaryContact":
			return d.once(&seen, 1) && d.contact(&it.PrimaryContact)
		case "templateId":
			return d.once(&seen, 2) && d.str(&it.TemplateID)
		case "dateAgreed":
			return d.once(&seen, 4) && d.str(&it.DateAgreed)
		case "type":
			return d.once(&seen, 8) && d.str(&it.Type)
		case "agreementLink":
			return d.once(&seen, 16) && d.str(&it.AgreementLink)
		case "userId":
			if !d.once(&seen, 32) {
				return false
			}
			if d.literal("null") {
				it.UserID = nil
				return true
			}
			var id string
			if !d.str(&id) {
				return false
			}
			it.UserID = &id
			return true
		}
		return d.skipUnknown(key)
	})
}

// contact decodes primaryContact.
func (d *fastDecoder) contact(c *agreementContact) bool {
	var seen uint8
	return d.object(func(key string) bool {
		switch key {
		case "firstName":
			return d.once(&seen, 1) && d.str(&c.FirstName)
		case "lastName":
			return d.once(&seen, 2) && d.str(&c.LastName)
		case "email":
			return d.once(&seen, 4) && d.str(&c.Email)
		case "phoneNumber":
			return d.once(&seen, 8) && d.str(&c.PhoneNumber)
		}
		return d.skipUnknown(key)
	})
}

// agreementsKeys are the keys of every level of an agreements answer.
var agreementsKeys = []string{
	"totalCount", "items", "primaryContact", "templateId", "dateAgreed", "type", "agreementLink", "userId",
	"firstName", "lastName", "email", "phoneNumber",
}

// fastDecoder reads JSON from s at i. Its methods report false both for
// invalid JSON and for valid JSON they leave to encoding/json.
type fastDecoder struct {
	s     string
	i     int
	depth int
}

// maxFastDepth bounds the nesting of skipped values; deeper is left to
// encoding/json.
const maxFastDepth = 32

func (d *fastDecoder) ws() {
	for d.i < len(d.s) {
		switch d.s[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// consume skips white space and then c, if c is next.
func (d *fastDecoder) consume(c byte) bool {
	d.ws()
	if d.i < len(d.s) && d.s[d.i] == c {
		d.i++
		return true
	}
	return false
}

// end reports whether only white space is left.
func (d *fastDecoder) end() bool {
	d.ws()
	return d.i == len(d.s)
}

// once marks bit in seen and reports whether it was clear: a key given
// twice is left to encoding/json.
func (d *fastDecoder) once(seen *uint8, bit uint8) bool {
	if *seen&bit != 0 {
		return false
	}
	*seen |= bit
	return true
}

// object reads an object, calling member with each key; member must read
// the value.
func (d *fastDecoder) object(member func(key string) bool) bool {
	if !d.consume('{') {
		return false
	}
	if d.consume('}') {
		return true
	}
	for {
		d.ws()
		var key string
		if !d.str(&key) || !d.consume(':') || !member(key) {
			return false
		}
		if d.consume(',') {
			continue
		}
		return d.consume('}')
	}
}

// skipUnknown skips the value of a key the caller does not keep, unless the
// key could be a known one to encoding/json (which folds case, and some
// non-ASCII letters to ASCII ones).
func (d *fastDecoder) skipUnknown(key string) bool {
	for i := 0; i < len(key); i++ {
		if key[i] >= utf8.RuneSelf {
			return false
		}
	}
	for _, k := range agreementsKeys {
		if strings.EqualFold(key, k) {
			return false
		}
	}
	return d.skip()
}

// str reads a string without escapes or control characters, in valid
// UTF-8.
func (d *fastDecoder) str(out *string) bool {
	d.ws()
	if d.i >= len(d.s) || d.s[d.i] != '"' {
		return false
	}
	start := d.i + 1
	ascii := true
	for j := start; j < len(d.s); j++ {
		switch c := d.s[j]; {
		case c == '"':
			v := d.s[start:j]
			if !ascii && !utf8.ValidString(v) {
				return false
			}
			*out = v
			d.i = j + 1
			return true
		case c == '\\' || c < 0x20:
			return false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return false
}

// literal reads the literal lit (true, false, null) if it is next.
func (d *fastDecoder) literal(lit string) bool {
	d.ws()
	if !strings.HasPrefix(d.s[d.i:], lit) {
		return false
	}
	d.i += len(lit)
	return true
}

// int reads an integer without fraction or exponent that fits an int64.
func (d *fastDecoder) int(out *int) bool {
	d.ws()
	j := d.i
	neg := j < len(d.s) && d.s[j] == '-'
	if neg {
		j++
	}
	start := j
	n := 0
	for j < len(d.s) && d.s[j] >= '0' && d.s[j] <= '9' {
		n = n*10 + int(d.s[j]-'0')
		j++
	}
	digits := j - start
	if digits == 0 || digits > 18 || (d.s[start] == '0' && digits > 1) {
		return false
	}
	if j < len(d.s) {
		switch d.s[j] {
		case '.', 'e', 'E':
			return false
		}
	}
	if neg {
		n = -n
	}
	*out = n
	d.i = j
	return true
}

// skip reads any JSON value, checking its syntax.
func (d *fastDecoder) skip() bool {
	d.ws()
	if d.i >= len(d.s) {
		return false
	}
	switch c := d.s[d.i]; {
	case c == '{':
		return d.nested(func() bool {
			return d.object(func(string) bool { return d.skip() })
		})
	case c == '[':
		return d.nested(func() bool {
			d.i++
			if d.consume(']') {
				return true
			}
			for {
				if !d.skip() {
					return false
				}
				if d.consume(',') {
					continue
				}
				return d.consume(']')
			}
		})
	case c == '"':
		return d.skipString()
	case c == 't':
		return d.literal("true")
	case c == 'f':
		return d.literal("false")
	case c == 'n':
		return d.literal("null")
	case c == '-' || c >= '0' && c <= '9':
		return d.skipNumber()
	}
	return false
}

// nested runs f one level deeper, refusing to go past maxFastDepth.
func (d *fastDecoder) nested(f func() bool) bool {
	if d.depth >= maxFastDepth {
		return false
	}
	d.depth++
	ok := f()
	d.depth--
	return ok
}

// skipString reads a string, escapes included, checking them.
func (d *fastDecoder) skipString() bool {
	for j := d.i + 1; j < len(d.s); j++ {
		switch c := d.s[j]; {
		case c == '"':
			d.i = j + 1
			return true
		case c < 0x20:
			return false
		case c == '\\':
			j++
			if j >= len(d.s) {
				return false
			}
			switch d.s[j] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if j+4 >= len(d.s) {
					return false
				}
				for _, h := range []byte(d.s[j+1 : j+5]) {
					if !isHex(h) {
						return false
					}
				}
				j += 4
			default:
				return false
			}
		}
	}
	return false
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// skipNumber reads a number in JSON's grammar:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (d *fastDecoder) skipNumber() bool {
	j := d.i
	if d.s[j] == '-' {
		j++
	}
	digits := func() int {
		n := 0
		for j < len(d.s) && d.s[j] >= '0' && d.s[j] <= '9' {
			j++
			n++
		}
		return n
	}
	switch {
	case j < len(d.s) && d.s[j] == '0':
		j++
	case digits() == 0:
		return false
	}
	if j < len(d.s) && d.s[j] == '.' {
		j++
		if digits() == 0 {
			return false
		}
	}
	if j < len(d.s) && (d.s[j] == 'e' || d.s[j] == 'E') {
		j++
		if j < len(d.s) && (d.s[j] == '+' || d.s[j] == '-') {
			j++
		}
		if digits() == 0 {
			return false
		}
	}
	d.i = j
	return true
}
