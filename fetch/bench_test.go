package fetch

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/mcawatch/mcawatch/fetch/pctest"
)

// benchSweep runs one sweep of a fresh Client over every customer of srv
// and returns its duration and the client's counters.
func benchSweep(b *testing.B, srv *pctest.Server, customers []Customer, concurrency int) (time.Duration, Stats) {
	b.Helper()
	c, err := New(Options{BaseURL: srv.URL(), Token: StaticToken(pctest.DefaultToken), Concurrency: concurrency})
	if err != nil {
		b.Fatal(err)
	}
	failed := 0
	start := time.Now()
	err = c.Sweep(context.Background(), customers, func(r Result) error {
		// A customer's own answer (pctest's 403 for a customer without a
		// reseller relationship) is not the sweep failing; giving up on
		// 429s or on the network is.
		if status, _, _ := ErrorFields(r.Err); r.Err != nil && (status == http.StatusTooManyRequests || status == 0) {
			failed++
		}
		return nil
	})
	elapsed := time.Since(start)
	if err != nil || failed > 0 {
		b.Fatalf("Sweep() = %v with %d failed customers", err, failed)
	}
	return elapsed, c.Stats()
}

// benchCustomers lists srv's portfolio without going through the client.
func benchCustomers(srv *pctest.Server) []Customer {
	var out []Customer
	for _, cu := range srv.Customers() {
		out = append(out, Customer{ID: cu.ID, CompanyName: cu.CompanyName})
	}
	return out
}

// BenchmarkSweep_FanOut: with no throttle, the achieved request rate over
// the ideal Concurrency/Latency (goal ≥ 0.9).
func BenchmarkSweep_FanOut(b *testing.B) {
	const latency = 20 * time.Millisecond
	for _, conc := range []int{16, 64} {
		b.Run(fmt.Sprintf("C=%d", conc), func(b *testing.B) {
			srv := pctest.New(pctest.Options{Customers: conc * 100})
			defer srv.Close()
			srv.SetFaults(pctest.Faults{Latency: latency})
			customers := benchCustomers(srv)
			ideal := float64(conc) / latency.Seconds()
			var total time.Duration
			var reqs, agreements int64
			b.ResetTimer()
			for range b.N {
				srv.ResetStats()
				d, st := benchSweep(b, srv, customers, conc)
				total += d
				reqs += st.Requests
				agreements += srv.Stats().Agreements
			}
			b.ReportMetric(float64(reqs)/total.Seconds()/ideal, "fanout-ratio")
			b.ReportMetric(float64(agreements)/total.Seconds(), "agreements/s")
			b.ReportMetric(float64(reqs)/total.Seconds(), "req/s")
			b.ReportMetric(ideal, "ideal-req/s")
		})
	}
}

// BenchmarkSweep_Throttled: N=2000 customers under a server throttle of
// R=200/s, C=16, L=20ms: sweep time over N/R (goal ≤ 1.15) and the share of
// 429 answers (goal < 2%).
func BenchmarkSweep_Throttled(b *testing.B) {
	const (
		n       = 2000
		r       = 200.0
		conc    = 16
		latency = 20 * time.Millisecond
	)
	for _, allMCA := range []bool{true, false} {
		name := map[bool]string{true: "agreements-only", false: "with-direct-sign"}[allMCA]
		b.Run(name, func(b *testing.B) {
			var total time.Duration
			var reqs, throttled, served int64
			for range b.N {
				b.StopTimer()
				srv := pctest.New(pctest.Options{Customers: n})
				if allMCA {
					// Every customer has an MCA, so the sweep makes exactly N
					// agreements calls and N/R is the ideal time.
					for _, cu := range srv.Customers() {
						if !cu.HasType(pctest.TypeMCA) {
							srv.Accept(cu.ID, pctest.Agreement{Type: pctest.TypeMCA, TemplateID: pctest.TemplateMCA, DateAgreed: pctest.DefaultStart})
						}
					}
				}
				srv.SetFaults(pctest.Faults{Latency: latency, Throttle: r})
				customers := benchCustomers(srv)
				b.StartTimer()
				d, st := benchSweep(b, srv, customers, conc)
				b.StopTimer()
				total += d
				reqs += st.Requests
				throttled += st.Throttled
				served += st.Requests - st.Throttled
				srv.Close()
			}
			runs := float64(b.N)
			b.ReportMetric(total.Seconds()/runs/(n/r), "time/(N/R)")
			b.ReportMetric(total.Seconds()/(float64(served)/r), "time/(served/R)")
			b.ReportMetric(100*float64(throttled)/float64(reqs), "429-%")
			b.ReportMetric(float64(reqs)/runs, "requests/sweep")
		})
	}
}

// BenchmarkRawFanOut is the baseline for BenchmarkSweep_FanOut: C plain
// net/http loops against the same server for one second, no client code at
// all. The gap between its rate and C/L is what this machine and pctest
// cost, not the client.
func BenchmarkRawFanOut(b *testing.B) {
	const latency = 20 * time.Millisecond
	for _, conc := range []int{16, 64} {
		b.Run(fmt.Sprintf("C=%d", conc), func(b *testing.B) {
			srv := pctest.New(pctest.Options{Customers: 100})
			defer srv.Close()
			srv.SetFaults(pctest.Faults{Latency: latency})
			id := srv.Customers()[0].ID
			hc := defaultHTTPClient(conc)
			corr := uuid.NewString()
			var total time.Duration
			var reqs atomic.Int64
			for range b.N {
				start := time.Now()
				var wg sync.WaitGroup
				for range conc {
					wg.Go(func() {
						for time.Since(start) < time.Second {
							req, _ := http.NewRequest(http.MethodGet, srv.URL()+"/v1/customers/"+id+"/agreements?agreementType="+TypeMCA, nil)
							req.Header.Set("Authorization", "Bearer "+pctest.DefaultToken)
							req.Header.Set("Accept", "application/json")
							req.Header.Set("MS-RequestId", uuid.NewString())
							req.Header.Set("MS-CorrelationId", corr)
							req.Header.Set("X-Locale", "en-US")
							req.Header.Set("MS-PartnerCenter-Application", "mcawatch/bench")
							resp, err := hc.Do(req)
							if err != nil {
								b.Error(err)
								return
							}
							io.Copy(io.Discard, resp.Body)
							resp.Body.Close()
							reqs.Add(1)
						}
					})
				}
				wg.Wait()
				total += time.Since(start)
			}
			ideal := float64(conc) / latency.Seconds()
			b.ReportMetric(float64(reqs.Load())/total.Seconds()/ideal, "fanout-ratio")
			b.ReportMetric(float64(reqs.Load())/total.Seconds(), "req/s")
		})
	}
}

// BenchmarkParseAgreements decodes the MCA answers of the fake Partner
// Center (mostly one record; none, or two or three re-attestations, for
// some customers), as a sweep does once per customer.
func BenchmarkParseAgreements(b *testing.B) {
	srv := pctest.New(pctest.Options{Customers: 100})
	defer srv.Close()
	var bodies [][]byte
	for _, cu := range srv.Customers() {
		bodies = append(bodies, fetchBody(b, srv, "/v1/customers/"+cu.ID+"/agreements?agreementType="+TypeMCA))
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := parseAgreements(http.StatusOK, bodies[i%len(bodies)], []string{TypeMCA}); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
