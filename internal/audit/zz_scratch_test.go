package audit

import (
	"context"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/caseward/caseward/internal/store"
)

func TestScratch1M(t *testing.T) {
	dir := os.Getenv("SCRATCH_DIR")
	if dir == "" {
		t.Skip()
	}
	loc := store.Location{Dir: dir}
	db := openDB(t, loc)
	l := newLog(t, db, testKey("a"))
	var size int64
	db.QueryRow(context.Background(), "SELECT size FROM audit_head").Scan(&size)
	if size == 0 {
		start := time.Now()
		bulkAppend(t, l, 0, 1000000, 20000)
		t.Logf("built in %v", time.Since(start))
	}
	for range 2 {
		start := time.Now()
		var r0, r1 syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_SELF, &r0)
		s, err := l.Verify(context.Background())
		syscall.Getrusage(syscall.RUSAGE_SELF, &r1)
		cpu := time.Duration(r1.Utime.Nano()-r0.Utime.Nano()+r1.Stime.Nano()-r0.Stime.Nano())
		t.Logf("verify %v %v in %v (cpu %v)", s, err, time.Since(start), cpu)
	}
}
