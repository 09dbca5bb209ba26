package keys

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/caseward/caseward/internal/store"
)

// rootKeyVersion starts every key line of the root key file. A later format
// gets a new word, so an old binary refuses it instead of misreading it.
const rootKeyVersion = "caseward-root-key-v1"

// rootKeyHeader is written at the top of every root key file, for the
// operator who finds it.
const rootKeyHeader = `# Caseward root key file. It unwraps every client's data key.
# Keep it secret (mode 0600), keep it apart from the data and its backups,
# and back it up somewhere safe: without it no client record can be read,
# and Caseward never makes a new one over existing data.
# Each line: ` + rootKeyVersion + ` <key id> <base64 of 32 bytes>
`

// rootKey is one AES-256 key from the root key file.
type rootKey struct {
	id  string
	key []byte
}

// newRootKey makes a random root key with a fresh id.
func newRootKey() rootKey {
	k := rootKey{id: store.NewID(), key: make([]byte, keySize)}
	_, _ = rand.Read(k.key) // crypto/rand.Read never fails on supported platforms
	return k
}

// readRootKeyFile reads the keys in path, newest first. It refuses a file
// that group or others may read, since the key would then be exposed to
// every account on the machine. Errors wrap fs.ErrNotExist when the file
// is missing, so that Open can tell "first start" from "lost key".
func readRootKeyFile(path string) ([]rootKey, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// Stat the open file, not the path, so the mode checked is the mode of
	// the file read.
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("root key file %s is not a regular file", path)
	}
	// Windows has no such mode bits; there the directory's ACL protects it.
	if perm := info.Mode().Perm(); perm&0o077 != 0 && runtime.GOOS != "windows" {
		return nil, fmt.Errorf("root key file %s has mode %04o: group or others can read it; "+
			"run chmod 600 %s, and consider who may have copied it", path, perm, path)
	}
	b, err := io.ReadAll(io.LimitReader(f, 1<<20))
	if err != nil {
		return nil, err
	}
	keys, err := parseRootKeys(b)
	if err != nil {
		return nil, fmt.Errorf("root key file %s: %w", path, err)
	}
	return keys, nil
}

// parseRootKeys reads the text format: comment lines (#), blank lines, and
// key lines "caseward-root-key-v1 <id> <base64>".
func parseRootKeys(b []byte) ([]rootKey, error) {
	var keys []rootKey
	seen := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if f[0] != rootKeyVersion {
			// Do not echo the line: it may hold key material.
			return nil, fmt.Errorf("line %d: not a %s line", n, rootKeyVersion)
		}
		if len(f) != 3 {
			return nil, fmt.Errorf("line %d: want %s <key id> <base64 key>", n, rootKeyVersion)
		}
		key, err := base64.StdEncoding.DecodeString(f[2])
		if err != nil || len(key) != keySize {
			return nil, fmt.Errorf("line %d: key %s is not %d bytes of base64", n, f[1], keySize)
		}
		if seen[f[1]] {
			return nil, fmt.Errorf("line %d: key id %s appears twice", n, f[1])
		}
		seen[f[1]] = true
		keys = append(keys, rootKey{id: f[1], key: key})
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(keys) == 0 {
		return nil, errors.New("holds no key")
	}
	return keys, nil
}

// formatRootKeys is the inverse of parseRootKeys.
func formatRootKeys(keys []rootKey) []byte {
	var b bytes.Buffer
	b.WriteString(rootKeyHeader)
	for _, k := range keys {
		fmt.Fprintf(&b, "%s %s %s\n", rootKeyVersion, k.id, base64.StdEncoding.EncodeToString(k.key))
	}
	return b.Bytes()
}

// writeRootKeyFile replaces path with keys atomically: a crash leaves
// either the old file or the new one, never a torn one. The temporary file
// is created 0600 in the same directory (so rename stays on one file
// system), synced, renamed over path, and the directory synced so the
// rename itself survives a power cut.
func writeRootKeyFile(path string, keys []rootKey) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".root.key-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(0o600); err != nil {
		return err
	}
	if _, err := tmp.Write(formatRootKeys(keys)); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	return syncDir(dir)
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil // directories cannot be opened for sync there; rename is durable
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// isNotExist reports whether err says the root key file is missing.
func isNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }
