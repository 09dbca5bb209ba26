package keys

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
)

const (
	keySize   = 32 // AES-256
	nonceSize = 12 // GCM's standard 96-bit nonce
	tagSize   = 16

	// formatV1 is the first byte of every ciphertext this package makes:
	// version || nonce || AES-256-GCM(plaintext) with its tag. A new format
	// gets a new byte, so old ciphertexts stay readable beside new ones.
	formatV1 = 1

	// Overhead is how many bytes Seal adds to a plaintext.
	Overhead = 1 + nonceSize + tagSize
)

// Domain strings open the associated data of each kind of ciphertext, so a
// ciphertext made for one purpose can never be accepted for another.
const (
	domainField     = "caseward/keys/field/v1"
	domainClientKey = "caseward/keys/client-key/v1"
	domainSecret    = "caseward/keys/keyring-secret/v1"
	domainBlind     = "caseward/keys/blind-index/v1"
)

// Cipher encrypts and decrypts one client's fields with that client's data
// key. Only package gate can hold one, and only after the access decision
// and the audit entry; it should live no longer than one request, because a
// Cipher already in memory keeps working after the client is shredded.
// A Cipher is safe for concurrent use.
type Cipher struct {
	clientID string
	aead     cipher.AEAD
}

// newCipher wraps a 256-bit data key. The caller may clear key afterwards:
// the AES key schedule is a copy.
func newCipher(clientID string, key []byte) (*Cipher, error) {
	aead, err := newAEAD(key)
	if err != nil {
		return nil, err
	}
	return &Cipher{clientID: clientID, aead: aead}, nil
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	if len(key) != keySize {
		return nil, fmt.Errorf("key is %d bytes, want %d", len(key), keySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// ClientID returns the id of the client whose key this is.
func (c *Cipher) ClientID() string { return c.clientID }

// Seal encrypts plaintext as the value of column in the row rowID of table,
// for this client. The result opens only with the same table, column, row
// and client, so a ciphertext copied into another place (by a bug or an
// attacker with write access to the database) fails to open rather than
// showing one client's data as another's.
//
// Use names that never change (renaming a column in SQL later must not
// rename it here), and store NULL for "no value": an empty or nil
// plaintext seals to a ciphertext that opens to an empty, non-nil value.
func (c *Cipher) Seal(table, column, rowID string, plaintext []byte) ([]byte, error) {
	if table == "" || column == "" || rowID == "" {
		return nil, errors.New("keys: seal: table, column and row id are required")
	}
	return seal(c.aead, plaintext, fieldAD(table, column, rowID, c.clientID)), nil
}

// Open decrypts a ciphertext made by Seal with the same table, column and
// row id. Any change to the ciphertext, or a different place or client,
// gives an error wrapping ErrDecrypt. The result is never nil on success.
func (c *Cipher) Open(table, column, rowID string, ciphertext []byte) ([]byte, error) {
	plain, err := open(c.aead, ciphertext, fieldAD(table, column, rowID, c.clientID))
	if err != nil {
		// Names only: the row id and the ciphertext stay out of messages.
		return nil, fmt.Errorf("%w: %s.%s", ErrDecrypt, table, column)
	}
	return plain, nil
}

// SealString is Seal for text.
func (c *Cipher) SealString(table, column, rowID, s string) ([]byte, error) {
	return c.Seal(table, column, rowID, []byte(s))
}

// OpenString is Open for text.
func (c *Cipher) OpenString(table, column, rowID string, ciphertext []byte) (string, error) {
	b, err := c.Open(table, column, rowID, ciphertext)
	return string(b), err
}

// seal encrypts with a fresh random nonce in the v1 format. Random 96-bit
// nonces are safe for 2^32 messages under one key, far more than one client
// or one root key will ever see.
func seal(aead cipher.AEAD, plaintext, ad []byte) []byte {
	out := make([]byte, 1+nonceSize, Overhead+len(plaintext))
	out[0] = formatV1
	nonce := out[1 : 1+nonceSize]
	_, _ = rand.Read(nonce) // crypto/rand.Read never fails on supported platforms
	return aead.Seal(out, nonce, plaintext, ad)
}

// open reverses seal. It returns a non-nil slice on success, so an empty
// value stays distinct from "no value".
func open(aead cipher.AEAD, ciphertext, ad []byte) ([]byte, error) {
	if len(ciphertext) < Overhead || ciphertext[0] != formatV1 {
		return nil, errors.New("malformed ciphertext")
	}
	nonce, sealed := ciphertext[1:1+nonceSize], ciphertext[1+nonceSize:]
	return aead.Open(make([]byte, 0, len(sealed)-tagSize), nonce, sealed, ad)
}

// associatedData encodes the format version, then each part as a 4-byte
// big-endian length and its bytes. Length prefixes make the encoding
// unambiguous: ("ab", "c") and ("a", "bc") give different bytes.
func associatedData(parts ...string) []byte {
	n := 1
	for _, p := range parts {
		n += 4 + len(p)
	}
	ad := make([]byte, 1, n)
	ad[0] = formatV1
	for _, p := range parts {
		ad = binary.BigEndian.AppendUint32(ad, uint32(len(p)))
		ad = append(ad, p...)
	}
	return ad
}

func fieldAD(table, column, rowID, clientID string) []byte {
	return associatedData(domainField, table, column, rowID, clientID)
}
