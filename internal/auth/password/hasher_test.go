package password

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// cheap is a parameter set that keeps tests fast. It must never be used
// outside tests.
var cheap = Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

func newCheapHasher(t *testing.T, maxConcurrent int) *Hasher {
	t.Helper()
	return NewHasher(maxConcurrent, WithParams(cheap))
}

func TestDefaultParams(t *testing.T) {
	t.Parallel()
	want := Params{Memory: 65536, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}
	if got := DefaultParams(); got != want {
		t.Fatalf("DefaultParams() = %+v, want %+v", got, want)
	}
	if got := NewHasher(1).Params(); got != want {
		t.Fatalf("NewHasher(1).Params() = %+v, want %+v", got, want)
	}
}

// TestHashDefaultFormat runs one hash with the real parameters, to show the
// default is the strong setting end to end.
func TestHashDefaultFormat(t *testing.T) {
	t.Parallel()
	h := NewHasher(1)
	ctx := context.Background()
	enc, err := h.Hash(ctx, "a long and unremarkable passphrase")
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`^\$argon2id\$v=19\$m=65536,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)
	if !re.MatchString(enc) {
		t.Fatalf("Hash = %q, does not match %v", enc, re)
	}
	ok, rehash, err := h.Verify(ctx, "a long and unremarkable passphrase", enc)
	if err != nil || !ok || rehash {
		t.Fatalf("Verify = %v, %v, %v; want true, false, nil", ok, rehash, err)
	}
}

func TestHashVerifyRoundTrip(t *testing.T) {
	t.Parallel()
	h := newCheapHasher(t, 2)
	ctx := context.Background()
	tests := []struct {
		name, password string
	}{
		{"ascii", "correct horse battery staple"},
		{"empty", ""},
		{"unicode", "pässwörd ✓ 🔐 пароль"},
		{"spaces only", "               "},
		{"nul byte", "before\x00after"},
		{"long", strings.Repeat("x", 4096)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			enc, err := h.Hash(ctx, tt.password)
			if err != nil {
				t.Fatal(err)
			}
			ok, rehash, err := h.Verify(ctx, tt.password, enc)
			if err != nil || !ok || rehash {
				t.Fatalf("Verify(right) = %v, %v, %v; want true, false, nil", ok, rehash, err)
			}
			ok, rehash, err = h.Verify(ctx, tt.password+"!", enc)
			if err != nil || ok || rehash {
				t.Fatalf("Verify(wrong) = %v, %v, %v; want false, false, nil", ok, rehash, err)
			}
		})
	}
}

func TestHashSaltsDiffer(t *testing.T) {
	t.Parallel()
	h := newCheapHasher(t, 1)
	ctx := context.Background()
	a, err := h.Hash(ctx, "same password")
	if err != nil {
		t.Fatal(err)
	}
	b, err := h.Hash(ctx, "same password")
	if err != nil {
		t.Fatal(err)
	}
	if a == b {
		t.Fatalf("two hashes of one password are equal: %q", a)
	}
}

// TestVerifyReference checks interoperability with the Argon2 reference
// implementation: each encoded string was produced by its command-line tool,
// e.g. `echo -n "correct horse battery" | argon2 somesaltvalue -id -t 2 -k 1024 -p 1 -l 32 -e`.
func TestVerifyReference(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, password, encoded string
	}{
		{
			"t2 m1024 p1 l32",
			"correct horse battery",
			"$argon2id$v=19$m=1024,t=2,p=1$c29tZXNhbHR2YWx1ZQ$wMILxgq9bkOy8rTahTFgzMCwLWKyxS1o1sGin1icAqg",
		},
		{
			"t3 m2048 p2 l24",
			"Tr0ub4dor&3",
			"$argon2id$v=19$m=2048,t=3,p=2$c2FsdHNhbHRzYWx0MTZi$I3m8V0otrXjutkV7v9zdEkke1aT3YAsd",
		},
		{
			"unicode",
			"pässwörd ✓",
			"$argon2id$v=19$m=1024,t=2,p=1$dW5pY29kZXNhbHQ$E31PoOLLF5zAAZYkB67He+mj4DeFN/eXDmfZ6UTsDvU",
		},
	}
	h := newCheapHasher(t, 2)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ok, rehash, err := h.Verify(context.Background(), tt.password, tt.encoded)
			if err != nil || !ok {
				t.Fatalf("Verify = %v, %v, %v; want true, _, nil", ok, rehash, err)
			}
			// None of these has the cheap test parameters.
			if !rehash {
				t.Error("needsRehash = false, want true")
			}
			ok, _, err = h.Verify(context.Background(), tt.password+" ", tt.encoded)
			if err != nil || ok {
				t.Fatalf("Verify(wrong) = %v, %v; want false, nil", ok, err)
			}
		})
	}
}

func TestEncodeMatchesReference(t *testing.T) {
	t.Parallel()
	p := Params{Memory: 1024, Time: 2, Threads: 1, SaltLen: 13, KeyLen: 32}
	salt := []byte("somesaltvalue")
	got := encode(p, salt, derive("correct horse battery", salt, p))
	want := "$argon2id$v=19$m=1024,t=2,p=1$c29tZXNhbHR2YWx1ZQ$wMILxgq9bkOy8rTahTFgzMCwLWKyxS1o1sGin1icAqg"
	if got != want {
		t.Fatalf("encode = %q, want %q", got, want)
	}
}

func TestVerifyNeedsRehash(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	old := newCheapHasher(t, 1)
	enc, err := old.Hash(ctx, "rotate me please")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		params Params
		want   bool
	}{
		{"same", cheap, false},
		{"more memory", Params{Memory: 128, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}, true},
		{"more time", Params{Memory: 64, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}, true},
		{"more threads", Params{Memory: 64, Time: 1, Threads: 2, SaltLen: 16, KeyLen: 32}, true},
		{"longer salt", Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 32, KeyLen: 32}, true},
		{"longer key", Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 64}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := NewHasher(1, WithParams(tt.params))
			ok, rehash, err := h.Verify(ctx, "rotate me please", enc)
			if err != nil || !ok {
				t.Fatalf("Verify = %v, %v; want true, nil", ok, err)
			}
			if rehash != tt.want {
				t.Errorf("needsRehash = %v, want %v", rehash, tt.want)
			}
			// A wrong password never asks for a rehash.
			ok, rehash, err = h.Verify(ctx, "wrong", enc)
			if err != nil || ok || rehash {
				t.Errorf("Verify(wrong) = %v, %v, %v; want false, false, nil", ok, rehash, err)
			}
		})
	}
}

func TestVerifyInvalidHash(t *testing.T) {
	t.Parallel()
	const salt = "c29tZXNhbHR2YWx1ZQ"
	const key = "wMILxgq9bkOy8rTahTFgzMCwLWKyxS1o1sGin1icAqg"
	tests := []struct {
		name, encoded string
	}{
		{"empty", ""},
		{"bcrypt", "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"},
		{"argon2i", "$argon2i$v=19$m=1024,t=2,p=1$" + salt + "$" + key},
		{"argon2d", "$argon2d$v=19$m=1024,t=2,p=1$" + salt + "$" + key},
		{"no leading dollar", "argon2id$v=19$m=1024,t=2,p=1$" + salt + "$" + key},
		{"old version", "$argon2id$v=16$m=1024,t=2,p=1$" + salt + "$" + key},
		{"missing version", "$argon2id$m=1024,t=2,p=1$" + salt + "$" + key},
		{"trailing field", "$argon2id$v=19$m=1024,t=2,p=1$" + salt + "$" + key + "$"},
		{"params reordered", "$argon2id$v=19$t=2,m=1024,p=1$" + salt + "$" + key},
		{"extra param", "$argon2id$v=19$m=1024,t=2,p=1,keyid=x$" + salt + "$" + key},
		{"missing param", "$argon2id$v=19$m=1024,t=2$" + salt + "$" + key},
		{"empty param", "$argon2id$v=19$m=,t=2,p=1$" + salt + "$" + key},
		{"leading zero", "$argon2id$v=19$m=01024,t=2,p=1$" + salt + "$" + key},
		{"plus sign", "$argon2id$v=19$m=+1024,t=2,p=1$" + salt + "$" + key},
		{"negative", "$argon2id$v=19$m=-1024,t=2,p=1$" + salt + "$" + key},
		{"zero time", "$argon2id$v=19$m=1024,t=0,p=1$" + salt + "$" + key},
		{"zero threads", "$argon2id$v=19$m=1024,t=2,p=0$" + salt + "$" + key},
		{"threads overflow", "$argon2id$v=19$m=1024,t=2,p=256$" + salt + "$" + key},
		{"memory below 8 per lane", "$argon2id$v=19$m=15,t=2,p=2$" + salt + "$" + key},
		{"memory too large", "$argon2id$v=19$m=4194304,t=2,p=1$" + salt + "$" + key},
		{"memory overflow", "$argon2id$v=19$m=4294967296,t=2,p=1$" + salt + "$" + key},
		{"time too large", "$argon2id$v=19$m=1024,t=1000,p=1$" + salt + "$" + key},
		{"salt too short", "$argon2id$v=19$m=1024,t=2,p=1$c2FsdA$" + key},
		{"key too short", "$argon2id$v=19$m=1024,t=2,p=1$" + salt + "$c2hvcnRrZXk"},
		{"padded base64", "$argon2id$v=19$m=1024,t=2,p=1$" + salt + "==$" + key},
		{"url base64", "$argon2id$v=19$m=1024,t=2,p=1$" + salt + "$" + strings.ReplaceAll(key, "w", "-")},
		{"non-canonical base64", "$argon2id$v=19$m=1024,t=2,p=1$c29tZXNhbHR2YWx1ZR$" + key},
	}
	h := newCheapHasher(t, 1)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ok, rehash, err := h.Verify(context.Background(), "correct horse battery", tt.encoded)
			if !errors.Is(err, ErrInvalidHash) || ok || rehash {
				t.Fatalf("Verify(%q) = %v, %v, %v; want false, false, ErrInvalidHash", tt.encoded, ok, rehash, err)
			}
		})
	}
}

func TestWithParamsInvalidPanics(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		p    Params
	}{
		{"zero", Params{}},
		{"zero time", Params{Memory: 64, Time: 0, Threads: 1, SaltLen: 16, KeyLen: 32}},
		{"zero threads", Params{Memory: 64, Time: 1, Threads: 0, SaltLen: 16, KeyLen: 32}},
		{"too little memory", Params{Memory: 15, Time: 1, Threads: 2, SaltLen: 16, KeyLen: 32}},
		{"too much memory", Params{Memory: maxMemory + 1, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}},
		{"short salt", Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 7, KeyLen: 32}},
		{"short key", Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 15}},
		{"long key", Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 65}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			defer func() {
				if recover() == nil {
					t.Fatalf("NewHasher(WithParams(%+v)) did not panic", tt.p)
				}
			}()
			NewHasher(1, WithParams(tt.p))
		})
	}
}

func TestNewHasherConcurrencyDefault(t *testing.T) {
	t.Parallel()
	for _, n := range []int{-1, 0} {
		if h := NewHasher(n, WithParams(cheap)); cap(h.sem) < 1 {
			t.Errorf("NewHasher(%d): semaphore capacity %d, want at least 1", n, cap(h.sem))
		}
	}
	if h := NewHasher(3, WithParams(cheap)); cap(h.sem) != 3 {
		t.Errorf("NewHasher(3): semaphore capacity %d, want 3", cap(h.sem))
	}
}

func TestDummyVerify(t *testing.T) {
	t.Parallel()
	h := newCheapHasher(t, 1)
	if err := h.DummyVerify(context.Background()); err != nil {
		t.Fatalf("DummyVerify = %v, want nil", err)
	}
	// The dummy is a hash with the current parameters, so DummyVerify does
	// the same work as a real failed Verify.
	p, _, _, err := decode(h.dummy)
	if err != nil {
		t.Fatalf("dummy hash %q does not decode: %v", h.dummy, err)
	}
	if p != h.params {
		t.Fatalf("dummy params = %+v, want %+v", p, h.params)
	}
	// Each Hasher has its own dummy.
	if other := newCheapHasher(t, 1); other.dummy == h.dummy {
		t.Fatal("two Hashers share one dummy hash")
	}
}

func TestDummyVerifyDefaultParams(t *testing.T) {
	t.Parallel()
	h := NewHasher(1)
	p, _, _, err := decode(h.dummy)
	if err != nil || p != DefaultParams() {
		t.Fatalf("dummy = %q (%+v, %v), want default parameters", h.dummy, p, err)
	}
}

// TestCancelledWhileWaiting fills the only slot and checks that each
// operation gives up with the context's error.
func TestCancelledWhileWaiting(t *testing.T) {
	t.Parallel()
	h := newCheapHasher(t, 1)
	enc, err := h.Hash(context.Background(), "x")
	if err != nil {
		t.Fatal(err)
	}
	if err := h.acquire(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer h.release()

	ops := []struct {
		name string
		run  func(context.Context) error
	}{
		{"Hash", func(ctx context.Context) error {
			s, err := h.Hash(ctx, "x")
			if s != "" {
				t.Errorf("Hash returned %q with an error", s)
			}
			return err
		}},
		{"Verify", func(ctx context.Context) error {
			ok, rehash, err := h.Verify(ctx, "x", enc)
			if ok || rehash {
				t.Errorf("Verify returned %v, %v with an error", ok, rehash)
			}
			return err
		}},
		{"DummyVerify", h.DummyVerify},
	}
	for _, op := range ops {
		t.Run(op.name+"/deadline", func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
			defer cancel()
			if err := op.run(ctx); !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("err = %v, want context.DeadlineExceeded", err)
			}
		})
		t.Run(op.name+"/cancelled", func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			go func() {
				time.Sleep(10 * time.Millisecond)
				cancel()
			}()
			if err := op.run(ctx); !errors.Is(err, context.Canceled) {
				t.Fatalf("err = %v, want context.Canceled", err)
			}
		})
	}
}

func TestCancelledBeforeStart(t *testing.T) {
	t.Parallel()
	h := newCheapHasher(t, 4) // free slots: the context alone must stop it
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for range 20 {
		if _, err := h.Hash(ctx, "x"); !errors.Is(err, context.Canceled) {
			t.Fatalf("Hash err = %v, want context.Canceled", err)
		}
		if err := h.DummyVerify(ctx); !errors.Is(err, context.Canceled) {
			t.Fatalf("DummyVerify err = %v, want context.Canceled", err)
		}
	}
}

// TestManyAtOnce runs many hashes at once and checks that the semaphore is
// released: every one finishes, and the slots are free again.
func TestManyAtOnce(t *testing.T) {
	t.Parallel()
	const limit = 2
	h := newCheapHasher(t, limit)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 20 {
		wg.Go(func() {
			enc, err := h.Hash(ctx, "p")
			if err == nil {
				_, _, err = h.Verify(ctx, "p", enc)
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := len(h.sem); n != 0 {
		t.Fatalf("%d slots still held after all hashes finished", n)
	}
}

// TestWaitsForSlot holds every slot, starts a hash, and checks that it
// runs only once a slot is released.
func TestWaitsForSlot(t *testing.T) {
	t.Parallel()
	const limit = 2
	h := newCheapHasher(t, limit)
	ctx := context.Background()
	for range limit {
		if err := h.acquire(ctx); err != nil {
			t.Fatal(err)
		}
	}
	done := make(chan error, 1)
	go func() {
		_, err := h.Hash(ctx, "p")
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("Hash ran with every slot taken (err %v)", err)
	case <-time.After(50 * time.Millisecond):
	}
	h.release()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	h.release()
	if n := len(h.sem); n != 0 {
		t.Fatalf("%d slots still held", n)
	}
}

// BenchmarkHash measures one hash with the default (production) parameters.
func BenchmarkHash(b *testing.B) {
	h := NewHasher(1)
	ctx := context.Background()
	for b.Loop() {
		if _, err := h.Hash(ctx, "correct horse battery staple"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerify measures one successful verify with the default parameters.
func BenchmarkVerify(b *testing.B) {
	h := NewHasher(1)
	ctx := context.Background()
	enc, err := h.Hash(ctx, "correct horse battery staple")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if ok, _, err := h.Verify(ctx, "correct horse battery staple", enc); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}

// BenchmarkDummyVerify should report about the same time as BenchmarkVerify.
func BenchmarkDummyVerify(b *testing.B) {
	h := NewHasher(1)
	ctx := context.Background()
	for b.Loop() {
		if err := h.DummyVerify(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
