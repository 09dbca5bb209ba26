package gate_test

import (
	"context"
	"testing"

	"github.com/caseward/caseward/internal/access"
	"github.com/caseward/caseward/internal/app/apptest"
	"github.com/caseward/caseward/internal/gate"
	"github.com/caseward/caseward/internal/store"
	"github.com/caseward/caseward/internal/store/storetest"
)

// BenchmarkOpenClient measures opening a client through the gate: the
// access decision, the audit append committed in its own transaction, and
// the client's data key. Issue 3's goal: ≥ 5,000 per second on SQLite.
func BenchmarkOpenClient(b *testing.B) {
	for _, e := range storetest.Engines {
		b.Run(string(e), func(b *testing.B) {
			ctx := context.Background()
			env := apptest.New(b, e, nil)
			svc := env.Service(b, "Counselling", false)
			w := env.Person(b, access.Caseworker, svc.ID)
			id, err := env.Gate.CreateClient(ctx, w.Actor(), svc.ID, access.Casework, func(context.Context, *store.Tx, *gate.Handle) error { return nil })
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for b.Loop() {
				if _, err := env.Gate.OpenClient(ctx, w.Actor(), id, access.Casework, access.ViewRecord); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "opens/s")
		})
	}
}

// BenchmarkOpenClientParallel is the same with as many callers as cores, as
// a busy server sees it.
func BenchmarkOpenClientParallel(b *testing.B) {
	for _, e := range storetest.Engines {
		b.Run(string(e), func(b *testing.B) {
			ctx := context.Background()
			env := apptest.New(b, e, nil)
			svc := env.Service(b, "Counselling", false)
			w := env.Person(b, access.Caseworker, svc.ID)
			id, err := env.Gate.CreateClient(ctx, w.Actor(), svc.ID, access.Casework, func(context.Context, *store.Tx, *gate.Handle) error { return nil })
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := env.Gate.OpenClient(ctx, w.Actor(), id, access.Casework, access.ViewRecord); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "opens/s")
		})
	}
}
