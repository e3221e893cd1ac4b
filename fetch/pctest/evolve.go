package pctest

import (
	"math/rand/v2"
	"slices"
	"strings"
)

// Changes lists the customer ids Evolve changed, by kind of change.
type Changes struct {
	Accepted   []string // had no MCA record and were not direct-signed; now have one
	Reaccepted []string // outdated (every MCA record before DefaultCurrentSince, not direct-signed); now also have a current one
	Redated    []string // had a current MCA record; now also have a later-dated one (a re-attestation)
	Removed    []string // had a current MCA record; lost all their MCA records
	Joined     []string // new customers appended to the listing
	Left       []string // customers removed from the portfolio
}

// Evolve makes n random changes of each kind, as happens between two nightly
// sweeps: n missing customers accept, n outdated ones accept the current
// agreement, n accepted ones re-attest with a later date, n accepted ones
// lose their MCA records, n customers join and n leave (fewer when there are
// not enough candidates). Customers without a commerce relationship are
// never picked to change their records. Each customer changes at most once per
// call. Every call first advances the server's "today" by one day, and new
// records are dated on that day. The result is deterministic for the same
// portfolio, seed and n.
func (s *Server) Evolve(seed int64, n int) Changes {
	r := newRand(seed, 3)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.today = s.today.AddDate(0, 0, 1)

	var missing, outdated, accepted, all []string
	for _, id := range s.order {
		all = append(all, id)
		c := s.byID[id]
		if !c.Commerce() {
			continue
		}
		switch c.Standing(DefaultCurrentSince) {
		case StandingMissing:
			missing = append(missing, id)
		case StandingOutdated:
			outdated = append(outdated, id)
		case StandingAccepted:
			accepted = append(accepted, id)
		}
	}
	used := map[string]bool{}
	pick := func(cands []string) []string {
		cands = slices.Clone(cands)
		r.Shuffle(len(cands), func(i, j int) { cands[i], cands[j] = cands[j], cands[i] })
		var out []string
		for _, id := range cands {
			if len(out) == n {
				break
			}
			if !used[id] {
				used[id] = true
				out = append(out, id)
			}
		}
		return out
	}
	change := func(id string, fn func(c *Customer)) {
		next := s.byID[id].clone()
		fn(&next)
		s.byID[id] = &next
	}

	var ch Changes
	ch.Accepted = pick(missing)
	for _, id := range ch.Accepted {
		change(id, func(c *Customer) {
			c.Agreements = append(c.Agreements, genAgreement(r, TypeMCA, c.Domain, s.today))
		})
	}
	ch.Reaccepted = pick(outdated)
	for _, id := range ch.Reaccepted {
		change(id, func(c *Customer) {
			c.Agreements = append(c.Agreements, genAgreement(r, TypeMCA, c.Domain, s.today))
		})
	}
	ch.Redated = pick(accepted)
	for _, id := range ch.Redated {
		change(id, func(c *Customer) {
			day := s.today
			if last, ok := c.Latest(TypeMCA); ok && !dayStart(last.DateAgreed).Before(day) {
				day = dayStart(last.DateAgreed).AddDate(0, 0, 1)
			}
			c.Agreements = append(c.Agreements, genAgreement(r, TypeMCA, c.Domain, day))
		})
	}
	ch.Removed = pick(accepted)
	for _, id := range ch.Removed {
		change(id, func(c *Customer) {
			c.Agreements = slices.DeleteFunc(c.Agreements, func(a Agreement) bool { return strings.EqualFold(a.Type, TypeMCA) })
		})
	}
	ch.Left = pick(all)
	for _, id := range ch.Left {
		delete(s.byID, id)
		s.rendered.Delete(id)
	}
	if len(ch.Left) > 0 {
		s.order = slices.DeleteFunc(s.order, func(id string) bool { return used[id] && s.byID[id] == nil })
	}
	for i := range n {
		c := genCustomer(r, len(s.order)+i, plan{cat: randomCategory(r), old: r.IntN(100) < outdatedPct}, "", s.today)
		if _, taken := s.byID[c.ID]; taken {
			continue
		}
		s.order = append(s.order, c.ID)
		s.byID[c.ID] = &c
		ch.Joined = append(ch.Joined, c.ID)
	}
	return ch
}

// randomCategory draws a category with the shares documented in doc.go.
func randomCategory(r *rand.Rand) category {
	switch v := r.IntN(100); {
	case v < 70:
		return catSingle
	case v < 77:
		return catBoth
	case v < 85:
		return catSeveral
	case v < 91:
		return catMCloudA
	case v < 97:
		return catNothing
	default:
		return catDirect
	}
}
