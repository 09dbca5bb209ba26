package audit

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/caseward/caseward/internal/store"
	"github.com/caseward/caseward/internal/store/storetest"
)

// BenchmarkAppend times one Record (its own transaction, committed) on a
// log that already holds 10,000 entries; "parallel" runs one per CPU.
func BenchmarkAppend(b *testing.B) {
	for _, engine := range storetest.Engines {
		b.Run(string(engine), func(b *testing.B) {
			db := openDB(b, storetest.New(b, engine))
			l := newLog(b, db, testKey("a"))
			bulkAppend(b, l, 0, 10000, 10000)
			ctx := context.Background()
			e := entryFor(1)
			for b.Loop() {
				if _, err := l.Record(ctx, e); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(string(engine)+"/parallel", func(b *testing.B) {
			db := openDB(b, storetest.New(b, engine))
			l := newLog(b, db, testKey("a"))
			ctx := context.Background()
			b.RunParallel(func(pb *testing.PB) {
				e := entryFor(2)
				for pb.Next() {
					if _, err := l.Record(ctx, e); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// BenchmarkVerify times Verify over 10,000 entries on each engine.
func BenchmarkVerify(b *testing.B) {
	for _, engine := range storetest.Engines {
		b.Run(string(engine), func(b *testing.B) {
			benchVerify(b, engine, 10000)
		})
	}
}

// BenchmarkVerify1M times Verify over 1,000,000 entries on each engine. Building
// them takes longer than verifying (and half a gigabyte of disk), so it runs
// only when asked for:
//
//	CASEWARD_BENCH_1M=1 go test ./internal/audit -run '^$' -bench Verify1M -benchtime 1x
func BenchmarkVerify1M(b *testing.B) {
	if testing.Short() || os.Getenv("CASEWARD_BENCH_1M") != "1" {
		b.Skip("set CASEWARD_BENCH_1M=1 (and no -short) to build and verify a log of 1,000,000 entries")
	}
	for _, e := range storetest.Engines {
		b.Run(string(e), func(b *testing.B) { benchVerify(b, e, 1_000_000) })
	}
}

func benchVerify(b *testing.B, engine store.Engine, n int) {
	db := openDB(b, storetest.New(b, engine))
	l := newLog(b, db, testKey("a"))
	start := time.Now()
	bulkAppend(b, l, 0, n, 20000)
	b.Logf("built %d entries in %v", n, time.Since(start).Round(time.Millisecond))
	for b.Loop() {
		s, err := l.Verify(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		if s.Entries != int64(n) {
			b.Fatalf("verified %d entries", s.Entries)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/entry")
}
