package audit

import (
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"slices"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// mapReader is the textbook hash store: every stored hash in a map.
type mapReader map[int64]tlog.Hash

func (m mapReader) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		h, ok := m[x]
		if !ok {
			return nil, fmt.Errorf("no hash %d", x)
		}
		out[i] = h
	}
	return out, nil
}

// The in-memory frontier gives exactly what tlog gives with every stored
// hash at hand: the same hashes to store, the same tree hash, and the same
// indexes TreeHash reads.
func TestFrontierMatchesTlog(t *testing.T) {
	all := mapReader{}
	var f frontier
	for n := int64(0); n < 2100; n++ {
		var asked []int64
		rec := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
			asked = append(asked, idx...)
			return all.ReadHashes(idx)
		})
		want, err := tlog.TreeHash(n, rec)
		if err != nil {
			t.Fatal(err)
		}
		got, err := f.root()
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Fatalf("root of %d differs", n)
		}
		if n > 0 && !slices.Equal(asked, frontierIndexes(n)) {
			t.Fatalf("frontier of %d: TreeHash reads %v, frontierIndexes says %v", n, asked, frontierIndexes(n))
		}
		if !slices.Equal(f.index, frontierIndexes(n)) {
			t.Fatalf("frontier of %d holds %v, want %v", n, f.index, frontierIndexes(n))
		}

		data := []byte(fmt.Sprint("record ", n))
		wantHs, err := tlog.StoredHashes(n, data, all)
		if err != nil {
			t.Fatal(err)
		}
		gotHs, err := f.add(tlog.RecordHash(data))
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(gotHs, wantHs) {
			t.Fatalf("stored hashes for %d differ", n)
		}
		for i, h := range wantHs {
			all[tlog.StoredHashIndex(0, n)+int64(i)] = h
		}
		if int64(len(all)) != tlog.StoredHashCount(n+1) {
			t.Fatalf("stored hashes not contiguous at %d", n)
		}
	}
}

func testKey(seed string) ed25519.PrivateKey {
	s := sha256.Sum256([]byte(seed))
	return ed25519.NewKeyFromSeed(s[:])
}

func TestCheckpointSignature(t *testing.T) {
	s, v, err := newSignerVerifier(testKey("a"))
	if err != nil {
		t.Fatal(err)
	}
	root := tlog.RecordHash([]byte("x"))
	ckpt, err := signCheckpoint(s, 7, root)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(ckpt, "caseward-audit\n7\n"+root.String()+"\n\n— caseward-audit ") {
		t.Fatalf("checkpoint:\n%s", ckpt)
	}
	n, r, err := openCheckpoint(v, ckpt)
	if err != nil || n != 7 || r != root {
		t.Fatalf("open = %d %v %v", n, r, err)
	}
	// x/mod's own verifier, built from the published key, agrees.
	l := &Log{signer: s, public: testKey("a").Public().(ed25519.PublicKey)}
	ev, err := note.NewVerifier(l.VerifierKey())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := note.Open([]byte(ckpt), note.VerifierList(ev)); err != nil {
		t.Fatalf("x/mod verifier: %v", err)
	}
	_, other, _ := newSignerVerifier(testKey("b"))
	if _, _, err := openCheckpoint(other, ckpt); err == nil {
		t.Fatal("checkpoint verified with another key")
	}
	forged := strings.Replace(ckpt, "\n7\n", "\n8\n", 1)
	if _, _, err := openCheckpoint(v, forged); err == nil {
		t.Fatal("edited checkpoint verified")
	}
}
