// Package password hashes staff passwords with Argon2id and decides whether a
// newly chosen password is acceptable.
//
// A [Hasher] turns a password into a self-describing PHC string, verifies a
// password against such a string, and bounds how many hashes run at once so
// that a flood of sign-in attempts cannot exhaust memory. [Check] applies the
// password policy when a person chooses a password.
package password

import (
	"golang.org/x/text/unicode/norm"

	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Params are the Argon2id cost parameters and output sizes of a hash.
type Params struct {
	// Memory is the memory cost in KiB.
	Memory uint32
	// Time is the number of passes over the memory.
	Time uint32
	// Threads is the degree of parallelism (lanes).
	Threads uint8
	// SaltLen is the length in bytes of the random salt.
	SaltLen uint32
	// KeyLen is the length in bytes of the derived key.
	KeyLen uint32
}

// DefaultParams returns the parameters a [Hasher] uses unless told otherwise:
// 64 MiB of memory, 2 passes, 1 thread, a 16-byte salt and a 32-byte key.
//
// Why these: the OWASP Password Storage Cheat Sheet's Argon2id settings
// are of equal cost, the one with most memory being m=46 MiB, t=1, p=1;
// 64 MiB with t=2 is above it in both memory and time. RFC 9106 (section 4)
// recommends m=64 MiB, t=3, p=4 where 2 GiB per hash is not affordable; we
// keep its memory but use one lane and two passes, so that one sign-in holds
// one core, for 80–100 ms on the 2-core AMD EPYC server we develop on
// (BenchmarkHash), rather than every core. The Hasher's semaphore decides how
// many hashes run at once, and memory is what caps that: n at once need
// n × 64 MiB.
func DefaultParams() Params {
	return Params{
		Memory:  64 * 1024,
		Time:    2,
		Threads: 1,
		SaltLen: 16,
		KeyLen:  32,
	}
}

// Limits on parameters, whether given to [WithParams] or read from a stored
// hash. They keep a corrupt or hostile stored hash from making Verify
// allocate unbounded memory or spin for minutes, and refuse settings too weak
// to be a mistake worth keeping.
const (
	minSaltLen = 8
	maxSaltLen = 64
	minKeyLen  = 16
	maxKeyLen  = 64
	maxMemory  = 2 * 1024 * 1024 // KiB, i.e. 2 GiB: RFC 9106's first recommendation
	maxTime    = 64
)

// ErrInvalidHash is returned by [Hasher.Verify] when the stored hash is not a
// PHC-format Argon2id (version 19) string with acceptable parameters.
var ErrInvalidHash = errors.New("password: invalid or unsupported hash")

// A Hasher hashes and verifies passwords with Argon2id. It is safe for
// concurrent use; at most the number of hashes given to [NewHasher] run at
// once, and callers beyond that wait their turn.
type Hasher struct {
	params Params
	sem    chan struct{}
	// dummy is a well-formed hash with the current parameters that no
	// password matches; DummyVerify verifies against it.
	dummy string
}

// An Option changes how [NewHasher] builds a Hasher.
type Option func(*Hasher)

// WithParams makes the Hasher produce hashes with p instead of
// [DefaultParams]. It exists so that tests, here and in packages that sign
// people in, can use a cheap setting; production code should not use it.
// NewHasher panics if p is outside the accepted limits (salt 8–64 bytes, key
// 16–64 bytes, at least 1 pass and 1 thread, at most 2 GiB and 64 passes).
func WithParams(p Params) Option {
	return func(h *Hasher) { h.params = p }
}

// NewHasher returns a Hasher that runs at most maxConcurrent hashes at once.
// A maxConcurrent below 1 means runtime.GOMAXPROCS(0). With the default
// parameters each running hash holds 64 MiB, so maxConcurrent also bounds
// the memory hashing can take. It panics if an option sets invalid
// parameters.
func NewHasher(maxConcurrent int, opts ...Option) *Hasher {
	if maxConcurrent < 1 {
		maxConcurrent = runtime.GOMAXPROCS(0)
	}
	h := &Hasher{params: DefaultParams(), sem: make(chan struct{}, maxConcurrent)}
	for _, o := range opts {
		o(h)
	}
	if err := h.params.validate(); err != nil {
		panic(err)
	}
	// A random salt and a random key: a valid-looking hash that no password
	// can be found to match, so DummyVerify follows the same path as Verify.
	salt := make([]byte, h.params.SaltLen)
	key := make([]byte, h.params.KeyLen)
	rand.Read(salt) // never returns an error; crashes the program on failure
	rand.Read(key)
	h.dummy = encode(h.params, salt, key)
	return h
}

// Params returns the parameters h uses for new hashes.
func (h *Hasher) Params() Params { return h.params }

// Hash returns the PHC string for password with a fresh random salt, for
// example "$argon2id$v=19$m=65536,t=2,p=1$<salt>$<key>" with both salt and
// key in unpadded standard base64. It waits for a free slot first and
// returns ctx.Err() if ctx ends while waiting. Hash does not apply the
// password policy: call [Check] when a person chooses a password.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	salt := make([]byte, h.params.SaltLen)
	rand.Read(salt) // never returns an error; crashes the program on failure
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	defer h.release()
	key := derive(password, salt, h.params)
	return encode(h.params, salt, key), nil
}

// Verify reports whether password matches encoded, a string made by Hash
// (with any parameters within the limits, not only h's). needsRehash is true
// when the password matched but encoded was made with parameters other than
// h's current ones: the caller should then hash the password again and store
// the new string. The comparison takes constant time. Verify returns
// ErrInvalidHash for a malformed or unsupported encoded string, and
// ctx.Err() if ctx ends while waiting for a slot.
func (h *Hasher) Verify(ctx context.Context, password, encoded string) (ok, needsRehash bool, err error) {
	p, salt, want, err := decode(encoded)
	if err != nil {
		return false, false, err
	}
	if err := h.acquire(ctx); err != nil {
		return false, false, err
	}
	defer h.release()
	got := derive(password, salt, p)
	if subtle.ConstantTimeCompare(got, want) != 1 {
		return false, false, nil
	}
	return true, p != h.params, nil
}

// DummyVerify does the work of a failed [Hasher.Verify] with h's current
// parameters and discards the result. Call it when someone signs in as an
// account that does not exist, so that the response takes as long as for a
// real account with a wrong password and its timing does not reveal which
// accounts exist. It returns only ctx.Err() if ctx ends while waiting.
//
// Accounts whose stored hash still has older, cheaper parameters verify
// faster than this; rehashing on sign-in (needsRehash) closes that gap.
func (h *Hasher) DummyVerify(ctx context.Context) error {
	_, _, err := h.Verify(ctx, "", h.dummy)
	return err
}

func (h *Hasher) acquire(ctx context.Context) error {
	// Check first: select picks at random when a slot is free and ctx is
	// already done, and a cancelled request should not start a hash.
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case h.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (h *Hasher) release() { <-h.sem }

// derive hashes the NFKC form of the password (NIST SP 800-63B), so that the
// same password typed on two keyboards that compose accents differently
// still matches.
func derive(password string, salt []byte, p Params) []byte {
	return argon2.IDKey([]byte(norm.NFKC.String(password)), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
}

func (p Params) validate() error {
	switch {
	case p.Time < 1 || p.Time > maxTime:
		return fmt.Errorf("password: time %d outside 1..%d", p.Time, maxTime)
	case p.Threads < 1:
		return errors.New("password: threads must be at least 1")
	case p.Memory < 8*uint32(p.Threads) || p.Memory > maxMemory:
		return fmt.Errorf("password: memory %d KiB outside %d..%d", p.Memory, 8*uint32(p.Threads), maxMemory)
	case p.SaltLen < minSaltLen || p.SaltLen > maxSaltLen:
		return fmt.Errorf("password: salt length %d outside %d..%d", p.SaltLen, minSaltLen, maxSaltLen)
	case p.KeyLen < minKeyLen || p.KeyLen > maxKeyLen:
		return fmt.Errorf("password: key length %d outside %d..%d", p.KeyLen, minKeyLen, maxKeyLen)
	}
	return nil
}

// b64 is the PHC string format's base64: standard alphabet, no padding.
var b64 = base64.RawStdEncoding

func encode(p Params, salt, key []byte) string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// decode parses an Argon2id PHC string strictly: the parameters must appear
// in the order m, t, p with canonical decimal values, as every mainstream
// encoder writes them.
func decode(s string) (p Params, salt, key []byte, err error) {
	fields := strings.Split(s, "$")
	// "", "argon2id", "v=19", "m=..,t=..,p=..", salt, key
	if len(fields) != 6 || fields[0] != "" || fields[1] != "argon2id" {
		return Params{}, nil, nil, ErrInvalidHash
	}
	if fields[2] != "v="+strconv.Itoa(argon2.Version) {
		return Params{}, nil, nil, ErrInvalidHash
	}
	kv := strings.Split(fields[3], ",")
	if len(kv) != 3 {
		return Params{}, nil, nil, ErrInvalidHash
	}
	m, ok1 := param(kv[0], "m=", 32)
	t, ok2 := param(kv[1], "t=", 32)
	th, ok3 := param(kv[2], "p=", 8)
	if !ok1 || !ok2 || !ok3 {
		return Params{}, nil, nil, ErrInvalidHash
	}
	salt, err1 := b64.Strict().DecodeString(fields[4])
	key, err2 := b64.Strict().DecodeString(fields[5])
	if err1 != nil || err2 != nil {
		return Params{}, nil, nil, ErrInvalidHash
	}
	p = Params{
		Memory:  uint32(m),
		Time:    uint32(t),
		Threads: uint8(th),
		SaltLen: uint32(len(salt)),
		KeyLen:  uint32(len(key)),
	}
	if p.validate() != nil {
		return Params{}, nil, nil, ErrInvalidHash
	}
	return p, salt, key, nil
}

// param parses "name=decimal" with no sign and no leading zeros.
func param(s, name string, bits int) (uint64, bool) {
	v, ok := strings.CutPrefix(s, name)
	if !ok || v == "" || (len(v) > 1 && v[0] == '0') || v[0] == '+' {
		return 0, false
	}
	n, err := strconv.ParseUint(v, 10, bits)
	return n, err == nil
}
