package pctest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

// benchClient is a keep-alive client sized for parallel benchmarks.
func benchClient(conns int) *http.Client {
	return &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns}}
}

// fetchStatus sends req and drains the answer.
func fetchStatus(c *http.Client, req *http.Request) (int, error) {
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, err
}

func BenchmarkNew_100k(b *testing.B) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	s := New(Options{Customers: 100_000})
	runtime.GC()
	runtime.ReadMemStats(&after)
	heap := (float64(after.HeapAlloc) - float64(before.HeapAlloc)) / (1 << 20)
	s.Close()
	for b.Loop() {
		s := New(Options{Customers: 100_000})
		s.Close()
	}
	b.ReportMetric(heap, "MiB-heap")
}

func BenchmarkServer_Agreements(b *testing.B) {
	s := mustServer(b, Options{Customers: 100_000})
	ids := make([]string, 0, 100_000)
	for _, c := range s.Customers() {
		ids = append(ids, c.ID)
	}
	client := benchClient(64)
	var next atomic.Int64
	b.SetParallelism(8)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			id := ids[next.Add(1)%int64(len(ids))]
			req := newRequest(b, s, "/v1/customers/"+id+"/agreements?agreementType=MicrosoftCustomerAgreement")
			if status, err := fetchStatus(client, req); err != nil || status != http.StatusOK {
				b.Errorf("status %d err %v", status, err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
}

func BenchmarkServer_CustomerListing(b *testing.B) {
	s := mustServer(b, Options{Customers: 100_000})
	client := benchClient(1)
	for b.Loop() {
		path, token := "/v1/customers?size=100", ""
		for path != "" {
			req := newRequest(b, s, path)
			if token != "" {
				req.Header.Set("MS-ContinuationToken", token)
			}
			resp, err := client.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			var p pageBody
			err = decodeJSON(resp.Body, &p)
			resp.Body.Close()
			if err != nil {
				b.Fatal(err)
			}
			path, token = "", ""
			if p.Links.Next != nil {
				path, token = "/v1"+p.Links.Next.URI, p.Links.Next.Headers[0].Value
			}
		}
	}
}

// BenchmarkServer_ThrottleAccuracy measures how exactly the throttle holds a
// rate R: a greedy client (32 workers, no pacing) should be served about R
// requests a second, and a client pacing itself at 0.98 R with a small burst
// should be served that rate with almost no 429s.
func BenchmarkServer_ThrottleAccuracy(b *testing.B) {
	for _, r := range []float64{200, 1000, 3000} {
		for _, mode := range []string{"greedy", "paced"} {
			b.Run(fmt.Sprintf("R=%v/%s", r, mode), func(b *testing.B) {
				s := mustServer(b, Options{Customers: 1000})
				ids := make([]string, 0, 1000)
				for _, c := range s.Customers() {
					ids = append(ids, c.ID)
				}
				client := benchClient(32)
				var served, throttled float64
				for b.Loop() {
					s.SetFaults(Faults{})
					s.SetFaults(Faults{Throttle: r})
					var lim *rate.Limiter
					if mode == "paced" {
						lim = rate.NewLimiter(rate.Limit(0.98*r), max(1, int(r/20)))
					}
					ok, tooMany, elapsed := drive(b, client, s, ids, lim, 3*time.Second)
					served, throttled = float64(ok)/elapsed.Seconds(), 100*float64(tooMany)/float64(ok+tooMany)
				}
				b.ReportMetric(served, "served/s")
				b.ReportMetric(served/r, "served/R")
				b.ReportMetric(throttled, "%429")
			})
		}
	}
}

// drive sends agreements requests from 32 workers for d, each waiting on lim
// when it is not nil, and counts the answers.
func drive(b *testing.B, client *http.Client, s *Server, ids []string, lim *rate.Limiter, d time.Duration) (ok, tooMany int64, elapsed time.Duration) {
	return driveWith(b, client, s, ids, lim, 32, d)
}

// driveN is drive with workers workers and no pacing.
func driveN(b *testing.B, client *http.Client, s *Server, ids []string, workers int, d time.Duration) (ok, tooMany int64, elapsed time.Duration) {
	return driveWith(b, client, s, ids, nil, workers, d)
}

// driveWith sends agreements requests from workers goroutines for d, each
// waiting on lim when it is not nil, and counts the answers.
func driveWith(b *testing.B, client *http.Client, s *Server, ids []string, lim *rate.Limiter, workers int, d time.Duration) (ok, tooMany int64, elapsed time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var okN, tooManyN, next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range workers {
		wg.Go(func() {
			for ctx.Err() == nil {
				if lim != nil && lim.Wait(ctx) != nil {
					return
				}
				id := ids[next.Add(1)%int64(len(ids))]
				req := newRequest(b, s, "/v1/customers/"+id+"/agreements?agreementType=*")
				status, err := fetchStatus(client, req)
				switch {
				case err != nil:
					b.Error(err)
					return
				case status == http.StatusTooManyRequests:
					tooManyN.Add(1)
				default:
					okN.Add(1)
				}
			}
		})
	}
	wg.Wait()
	return okN.Load(), tooManyN.Load(), time.Since(start)
}

// BenchmarkServer_LatencyFanOut checks the server is not what limits a
// fan-out: C workers against latency L should get close to C/L requests a second.
func BenchmarkServer_LatencyFanOut(b *testing.B) {
	const c, latency = 64, 50 * time.Millisecond
	s := mustServer(b, Options{Customers: 1000})
	s.SetFaults(Faults{Latency: latency})
	ids := make([]string, 0, 1000)
	for _, cu := range s.Customers() {
		ids = append(ids, cu.ID)
	}
	client := benchClient(c)
	var perSecond float64
	for b.Loop() {
		okN, _, elapsed := driveN(b, client, s, ids, c, 3*time.Second)
		perSecond = float64(okN) / elapsed.Seconds()
	}
	ideal := float64(c) / latency.Seconds()
	b.ReportMetric(perSecond, "req/s")
	b.ReportMetric(perSecond/ideal, "of-ideal")
}
