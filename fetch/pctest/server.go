package pctest

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Server is an in-process Partner Center on a loopback port with a generated
// customer portfolio, configurable faults and counters of what clients did.
type Server struct {
	opts      Options
	ts        *httptest.Server
	done      chan struct{} // closed by Close, releases held requests
	closeOnce sync.Once
	partnerID string

	mu    sync.RWMutex // guards the portfolio below
	order []string     // customer ids in listing order
	byID  map[string]*Customer
	today time.Time // date given to Evolve's new records; advanced by each Evolve
	// indirect holds the resellers of an indirect provider (see indirect.go).
	indirect indirectState

	// rendered caches agreements answers: customer id → *renderedAgreements
	// (see agreementsFor).
	rendered sync.Map

	faults faultState
	clock  *holdClock // nil: holds wait on time.Timer
	auth   authState
	stats  counters
	rolls  atomic.Uint64 // fault rolls drawn, the index into the seeded sequence
	boms   atomic.Uint64 // byte-order-mark rolls drawn
}

// New generates the portfolio and starts serving on 127.0.0.1 at a free port.
func New(opts Options) *Server {
	opts = opts.withDefaults()
	s := &Server{
		opts:      opts,
		done:      make(chan struct{}),
		partnerID: newGUID(newRand(opts.Seed, 7)),
		byID:      map[string]*Customer{},
		today:     dayStart(opts.Start),
	}
	for _, c := range generate(opts.Seed, opts.Customers, s.today) {
		s.order = append(s.order, c.ID)
		s.byID[c.ID] = &c
	}
	s.indirect.generate(opts.Seed, opts.Resellers, s.order)
	s.auth.refresh = "pctest-refresh-0"
	s.auth.issued = map[string]issuedToken{}
	s.stats.reset(time.Now())
	s.clock = newHoldClock()

	s.ts = httptest.NewUnstartedServer(s.routes())
	s.ts.Config.ErrorLog = slog.NewLogLogger(opts.Logger.Handler(), slog.LevelDebug)
	s.ts.Start()
	return s
}

// URL returns the base URL, "http://127.0.0.1:PORT"; API paths start with /v1.
func (s *Server) URL() string { return s.ts.URL }

// PartnerID returns the partner tenant id that appears in the relationship request URL.
func (s *Server) PartnerID() string { return s.partnerID }

// Close releases held requests and stops the server. It is safe to call twice.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.done)
		if s.clock != nil {
			s.clock.close()
		}
		s.ts.CloseClientConnections()
		s.ts.Close()
	})
}

// routes wires the endpoints.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/customers", s.api(kindPage, s.handleCustomers))
	mux.HandleFunc("GET /v1/agreements", s.api(kindOther, s.handleAgreementMetadata))
	mux.HandleFunc("GET /v1/relationships", s.api(kindOther, s.handleRelationships))
	mux.HandleFunc("GET /v1/customers/relationshiprequests", s.api(kindOther, s.handleRelationshipRequest))
	mux.HandleFunc("GET /v1/customers/{id}/agreements", s.api(kindAgreements, s.handleAgreements))
	mux.HandleFunc("GET /v1/customers/{id}/directSignedMicrosoftCustomerAgreementStatus", s.api(kindDirectSign, s.handleDirectSign))
	mux.HandleFunc("POST /{tenant}/oauth2/token", s.handleToken)
	mux.HandleFunc("POST /{tenant}/oauth2/v2.0/token", s.handleToken)
	mux.HandleFunc("/", s.handleUnknown)
	return mux
}

// handleUnknown answers paths the server does not serve; under /v1 they are
// API requests and count as such.
func (s *Server) handleUnknown(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/v1/") {
		s.api(kindOther, func(w http.ResponseWriter, r *http.Request, _ *call) {
			writeBody(w, http.StatusNotFound, errorBody("404", "Resource not found: "+r.Method+" "+r.URL.Path, "NotFound", ptr(false)))
		})(w, r)
		return
	}
	http.NotFound(w, r)
}
