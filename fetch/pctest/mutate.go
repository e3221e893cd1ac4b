package pctest

import (
	"errors"
	"fmt"
	"slices"
)

// ErrUnknownCustomer is returned by mutations naming a customer the portfolio does not hold.
var ErrUnknownCustomer = errors.New("unknown customer")

// Customers returns a deep copy of the current portfolio, in listing order.
func (s *Server) Customers() []Customer {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]Customer, len(s.order))
	for i, id := range s.order {
		out[i] = s.byID[id].clone()
	}
	return out
}

// Customer returns a deep copy of one customer.
func (s *Server) Customer(id string) (Customer, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c, ok := s.byID[lowerASCII(id)]
	if !ok {
		return Customer{}, false
	}
	return c.clone(), true
}

// update applies fn to a copy of the customer and stores the copy, so that
// answers being rendered keep a consistent view.
func (s *Server) update(id string, fn func(c *Customer)) error {
	id = lowerASCII(id)
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.byID[id]
	if !ok {
		return fmt.Errorf("customer %s: %w", id, ErrUnknownCustomer)
	}
	next := c.clone()
	fn(&next)
	s.byID[id] = &next
	return nil
}

// Accept adds an acceptance record to the customer.
func (s *Server) Accept(id string, a Agreement) error {
	a.DateAgreed = a.DateAgreed.UTC()
	return s.update(id, func(c *Customer) { c.Agreements = append(c.Agreements, a) })
}

// RemoveAgreements drops all the customer's records of type typ.
func (s *Server) RemoveAgreements(id, typ string) error {
	return s.update(id, func(c *Customer) {
		c.Agreements = slices.DeleteFunc(c.Agreements, func(a Agreement) bool { return a.Type == typ })
	})
}

// SetDirectSigned sets the answer of the customer's direct-sign status.
func (s *Server) SetDirectSigned(id string, v bool) error {
	return s.update(id, func(c *Customer) { c.DirectSigned = v })
}

// Join adds a customer at the end of the listing; a customer with the same id
// is replaced in place instead. The id is lower-cased.
func (s *Server) Join(c Customer) {
	c = c.clone()
	c.ID = lowerASCII(c.ID)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.byID[c.ID]; !ok {
		s.order = append(s.order, c.ID)
	}
	s.byID[c.ID] = &c
}

// Leave removes a customer; later requests for it answer 404. Like on the
// real service, a listing walk in progress may then skip one customer, since
// continuation tokens hold an offset.
func (s *Server) Leave(id string) error {
	id = lowerASCII(id)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.byID[id]; !ok {
		return fmt.Errorf("customer %s: %w", id, ErrUnknownCustomer)
	}
	delete(s.byID, id)
	s.rendered.Delete(id)
	s.order = slices.DeleteFunc(s.order, func(v string) bool { return v == id })
	return nil
}
