package stafftest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"testing"

	"github.com/go-webauthn/webauthn/protocol/webauthncbor"
	"github.com/go-webauthn/webauthn/protocol/webauthncose"
)

// Authenticator is a software WebAuthn authenticator for tests, standing in
// for a security key or a phone and the browser in front of it: it makes
// ES256 credentials with "none" attestation and answers sign-in challenges,
// as a browser at Origin would pass them to the server. Use it with the
// JSON that staff.Store's Begin… methods (or the web endpoints) return.
// It is not safe for concurrent use.
type Authenticator struct {
	// Origin is what the browser reports in the client data, such as
	// "http://localhost:8080".
	Origin string
	// Credentials are the credentials made so far, oldest first.
	Credentials []*SoftCredential
}

// SoftCredential is one credential of an Authenticator.
type SoftCredential struct {
	ID         []byte
	RPID       string
	UserHandle []byte
	// Count is the signature counter; each answer adds one first.
	Count uint32
	key   *ecdsa.PrivateKey
}

// NewAuthenticator returns an Authenticator with no credentials, reporting
// origin.
func NewAuthenticator(origin string) *Authenticator { return &Authenticator{Origin: origin} }

// testAAGUID names the software authenticator's "model".
var testAAGUID = []byte("caseward-test-ak")

var b64 = base64.RawURLEncoding

// Authenticator data flags (WebAuthn §6.1).
const (
	flagUP = 0x01 // user present
	flagUV = 0x04 // user verified
	flagAT = 0x40 // attested credential data included
)

// Create answers the options of navigator.credentials.create()
// ({"publicKey": …}) with the JSON of a new PublicKeyCredential, as a
// browser would post it. It fails the test if the authenticator already
// holds one of the excluded credentials.
func (a *Authenticator) Create(t testing.TB, options []byte) []byte {
	t.Helper()
	var o struct {
		PublicKey struct {
			Challenge string `json:"challenge"`
			RP        struct {
				ID string `json:"id"`
			} `json:"rp"`
			User struct {
				ID string `json:"id"`
			} `json:"user"`
			Exclude []struct {
				ID string `json:"id"`
			} `json:"excludeCredentials"`
		} `json:"publicKey"`
	}
	if err := json.Unmarshal(options, &o); err != nil {
		t.Fatalf("stafftest: creation options: %v", err)
	}
	pk := o.PublicKey
	for _, ex := range pk.Exclude {
		for _, c := range a.Credentials {
			if b64.EncodeToString(c.ID) == ex.ID {
				t.Fatalf("stafftest: authenticator already holds an excluded credential")
			}
		}
	}
	handle, err := b64.DecodeString(pk.User.ID)
	if err != nil || pk.Challenge == "" || pk.RP.ID == "" {
		t.Fatalf("stafftest: creation options lack challenge, relying party or user (%v): %s", err, options)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	c := &SoftCredential{ID: make([]byte, 32), RPID: pk.RP.ID, UserHandle: handle, key: key}
	_, _ = rand.Read(c.ID)

	point, err := key.PublicKey.Bytes() // 0x04 ‖ X ‖ Y
	if err != nil {
		t.Fatal(err)
	}
	cose, err := webauthncbor.Marshal(webauthncose.EC2PublicKeyData{
		PublicKeyData: webauthncose.PublicKeyData{KeyType: int64(webauthncose.EllipticKey), Algorithm: int64(webauthncose.AlgES256)},
		Curve:         int64(webauthncose.P256),
		XCoord:        point[1:33],
		YCoord:        point[33:],
	})
	if err != nil {
		t.Fatal(err)
	}
	var authData bytes.Buffer
	authData.Write(rpIDHash(c.RPID))
	authData.WriteByte(flagUP | flagUV | flagAT)
	_ = binary.Write(&authData, binary.BigEndian, c.Count)
	authData.Write(testAAGUID)
	_ = binary.Write(&authData, binary.BigEndian, uint16(len(c.ID)))
	authData.Write(c.ID)
	authData.Write(cose)
	attestation, err := webauthncbor.Marshal(map[string]any{"fmt": "none", "attStmt": map[string]any{}, "authData": authData.Bytes()})
	if err != nil {
		t.Fatal(err)
	}
	a.Credentials = append(a.Credentials, c)
	return a.credentialJSON(t, c, map[string]any{
		"clientDataJSON":    b64.EncodeToString(a.clientData(t, "webauthn.create", pk.Challenge)),
		"attestationObject": b64.EncodeToString(attestation),
		"transports":        []string{"internal"},
	})
}

// Get answers the options of navigator.credentials.get() ({"publicKey": …})
// with the JSON of an assertion by the first allowed credential it holds,
// as a browser would post it. It fails the test if it holds none.
func (a *Authenticator) Get(t testing.TB, options []byte) []byte {
	t.Helper()
	var o struct {
		PublicKey struct {
			Challenge string `json:"challenge"`
			RPID      string `json:"rpId"`
			Allow     []struct {
				ID string `json:"id"`
			} `json:"allowCredentials"`
		} `json:"publicKey"`
	}
	if err := json.Unmarshal(options, &o); err != nil {
		t.Fatalf("stafftest: request options: %v", err)
	}
	pk := o.PublicKey
	var c *SoftCredential
	for _, allowed := range pk.Allow {
		for _, have := range a.Credentials {
			if b64.EncodeToString(have.ID) == allowed.ID && have.RPID == pk.RPID {
				c = have
				break
			}
		}
		if c != nil {
			break
		}
	}
	if c == nil {
		t.Fatalf("stafftest: the authenticator holds none of the allowed credentials for %q", pk.RPID)
	}
	c.Count++
	var authData bytes.Buffer
	authData.Write(rpIDHash(c.RPID))
	authData.WriteByte(flagUP | flagUV)
	_ = binary.Write(&authData, binary.BigEndian, c.Count)
	clientData := a.clientData(t, "webauthn.get", pk.Challenge)
	clientHash := sha256.Sum256(clientData)
	digest := sha256.Sum256(append(authData.Bytes(), clientHash[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, c.key, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	return a.credentialJSON(t, c, map[string]any{
		"clientDataJSON":    b64.EncodeToString(clientData),
		"authenticatorData": b64.EncodeToString(authData.Bytes()),
		"signature":         b64.EncodeToString(sig),
		"userHandle":        b64.EncodeToString(c.UserHandle),
	})
}

func (a *Authenticator) clientData(t testing.TB, typ, challenge string) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{"type": typ, "challenge": challenge, "origin": a.Origin, "crossOrigin": false})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (a *Authenticator) credentialJSON(t testing.TB, c *SoftCredential, response map[string]any) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{
		"id":                      b64.EncodeToString(c.ID),
		"rawId":                   b64.EncodeToString(c.ID),
		"type":                    "public-key",
		"authenticatorAttachment": "platform",
		"clientExtensionResults":  map[string]any{},
		"response":                response,
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func rpIDHash(rpID string) []byte {
	h := sha256.Sum256([]byte(rpID))
	return h[:]
}
