package audit

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"
	"math/bits"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// frontier is the right edge of the Merkle tree over the first n records:
// the roots of its complete subtrees, largest (leftmost) first, as tlog
// stored-hash indexes and hashes. It is all that appending record n and
// computing the tree hash need, and it is at most 63 hashes long, so the
// log keeps it in memory instead of reading stored hashes back for every
// append, and Verify rebuilds the whole tree with it in one pass.
type frontier struct {
	n      int64
	index  []int64
	hashes []tlog.Hash
}

// frontierIndexes returns the stored-hash indexes of the complete subtrees
// that make up a tree of n records, left to right: one per set bit of n.
// They are exactly the hashes tlog.TreeHash(n, r) reads.
func frontierIndexes(n int64) []int64 {
	idx := make([]int64, 0, bits.OnesCount64(uint64(n)))
	var start int64
	for level := 62; level >= 0; level-- {
		if n&(1<<level) == 0 {
			continue
		}
		idx = append(idx, tlog.StoredHashIndex(level, start>>level))
		start += 1 << level
	}
	return idx
}

// ReadHashes serves the hashes tlog asks for from the frontier.
// Appending and tree hashing only ever ask for frontier hashes; anything
// else means a bug, reported rather than guessed at.
func (f *frontier) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
next:
	for i, x := range indexes {
		for j := len(f.index) - 1; j >= 0; j-- {
			if f.index[j] == x {
				out[i] = f.hashes[j]
				continue next
			}
		}
		return nil, fmt.Errorf("audit: hash %d is not on the frontier of %d records", x, f.n)
	}
	return out, nil
}

// add appends record f.n with leaf hash leaf and returns the hashes to
// store for it, starting at stored-hash index tlog.StoredHashIndex(0, f.n).
func (f *frontier) add(leaf tlog.Hash) ([]tlog.Hash, error) {
	hs, err := tlog.StoredHashesForRecordHash(f.n, leaf, f)
	if err != nil {
		return nil, err
	}
	// Record n completes one subtree per trailing one bit of n; those
	// subtrees leave the frontier, merged into the single new subtree whose
	// root is the last hash stored.
	m := bits.TrailingZeros64(^uint64(f.n))
	keep := len(f.index) - m
	f.index = append(f.index[:keep], tlog.StoredHashIndex(m, f.n>>m))
	f.hashes = append(f.hashes[:keep], hs[m])
	f.n++
	return hs, nil
}

// root returns the tree hash of the f.n records.
func (f *frontier) root() (tlog.Hash, error) {
	return tlog.TreeHash(f.n, f)
}

func (f *frontier) clone() frontier {
	return frontier{
		n:      f.n,
		index:  append([]int64(nil), f.index...),
		hashes: append([]tlog.Hash(nil), f.hashes...),
	}
}

// SignerName names the key that signs the log's checkpoints, and is the
// first line (the origin) of every checkpoint.
const SignerName = "caseward-audit"

// ed25519Signer is a note.Signer over a plain ed25519 key, so the key can
// come from Caseward's key hierarchy rather than x/mod's text key format.
type ed25519Signer struct {
	key  ed25519.PrivateKey
	hash uint32
}

func (s *ed25519Signer) Name() string                    { return SignerName }
func (s *ed25519Signer) KeyHash() uint32                 { return s.hash }
func (s *ed25519Signer) Sign(msg []byte) ([]byte, error) { return ed25519.Sign(s.key, msg), nil }

// newSignerVerifier returns the signer for key and the verifier for its
// public half. The key hash is taken from the verifier x/mod builds, so
// the two can never disagree on it.
func newSignerVerifier(key ed25519.PrivateKey) (note.Signer, note.Verifier, error) {
	if len(key) != ed25519.PrivateKeySize {
		return nil, nil, errors.New("audit: signing key is not an ed25519 private key")
	}
	vkey, err := note.NewEd25519VerifierKey(SignerName, key.Public().(ed25519.PublicKey))
	if err != nil {
		return nil, nil, err
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, nil, err
	}
	return &ed25519Signer{key: key, hash: v.KeyHash()}, v, nil
}

// checkpointText is the body of a signed tree head, in the C2SP
// tlog-checkpoint layout: origin, tree size, base64 root hash. It carries
// no time, so the same tree always gives the same checkpoint and Verify can
// compare checkpoints byte for byte.
func checkpointText(n int64, root tlog.Hash) string {
	return SignerName + "\n" + strconv.FormatInt(n, 10) + "\n" + root.String() + "\n"
}

func signCheckpoint(s note.Signer, n int64, root tlog.Hash) (string, error) {
	msg, err := note.Sign(&note.Note{Text: checkpointText(n, root)}, s)
	if err != nil {
		return "", fmt.Errorf("audit: sign checkpoint: %w", err)
	}
	return string(msg), nil
}

// openCheckpoint checks msg's signature with v and returns the tree it
// signs.
func openCheckpoint(v note.Verifier, msg string) (int64, tlog.Hash, error) {
	nt, err := note.Open([]byte(msg), note.VerifierList(v))
	if err != nil {
		return 0, tlog.Hash{}, fmt.Errorf("signature does not verify: %w", err)
	}
	lines := strings.Split(nt.Text, "\n")
	if len(lines) != 4 || lines[0] != SignerName || lines[3] != "" {
		return 0, tlog.Hash{}, errors.New("checkpoint is malformed")
	}
	n, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || n < 0 || strconv.FormatInt(n, 10) != lines[1] {
		return 0, tlog.Hash{}, errors.New("checkpoint size is malformed")
	}
	root, err := tlog.ParseHash(lines[2])
	if err != nil {
		return 0, tlog.Hash{}, errors.New("checkpoint root is malformed")
	}
	return n, root, nil
}

// hashFromBytes converts a stored hash column.
func hashFromBytes(b []byte) (tlog.Hash, bool) {
	var h tlog.Hash
	if len(b) != len(h) {
		return h, false
	}
	copy(h[:], b)
	return h, true
}

func equalHash(h tlog.Hash, b []byte) bool { return bytes.Equal(h[:], b) }
