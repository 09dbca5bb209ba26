package web_test

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/caseward/caseward/internal/access"
	"github.com/caseward/caseward/internal/app/apptest"
	"github.com/caseward/caseward/internal/casework"
)

// docUpload is a multipart upload body: a file (name, declared type, bytes)
// and the form's fields.
func docUpload(t *testing.T, name, ctype string, data []byte, fields map[string]string) (string, *bytes.Buffer) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="file"; filename="`+name+`"`)
	h.Set("Content-Type", ctype)
	w, err := mw.CreatePart(h)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(data)
	for k, v := range fields {
		if err := mw.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return mw.FormDataContentType(), &b
}

// docPost posts an upload as a browser would (same origin), or with a
// bearer token for the API.
func docPost(t *testing.T, ts *testServer, c *http.Client, token, path, ctype string, body *bytes.Buffer) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, ts.URL+path, body)
	req.Header.Set("Content-Type", ctype)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
		c = http.DefaultClient
	} else {
		req.Header.Set("Sec-Fetch-Site", "same-origin")
	}
	return do(t, c, req)
}

func docCount(t *testing.T, env *apptest.Env) int {
	t.Helper()
	var n int
	if err := env.DB.QueryRow(t.Context(), "SELECT (SELECT COUNT(*) FROM documents) + (SELECT COUNT(*) FROM document_chunks)").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

var docPNG = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92\xef\x00\x00\x00\x00IEND\xaeB`\x82")

// Documents through the pages: an upload is listed, its download gives the
// same bytes as an attachment under a generic name, never sniffed, and is
// audited; uploads that are too large, empty or not what they claim are
// refused with the reason, and nothing is stored.
func TestDocumentPages(t *testing.T) {
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		s := newPlanSite(t, env)
		ts, c := s.ts, s.c
		base := "/clients/" + s.client + "/documents"

		resp, body := ts.get(t, c, base)
		if resp.StatusCode != 200 || title(body) != "Documents – Caseward" {
			t.Fatalf("section: %d %q", resp.StatusCode, title(body))
		}
		planMustContain(t, "the section", body, "No documents yet", `enctype="multipart/form-data"`, `type="file"`, "Smaller than 10 MB", `aria-current="page">Documents`)

		for _, tt := range []struct {
			name   string
			file   string
			ctype  string
			data   []byte
			kind   string
			status int
			msg    string
		}{
			{"too large", "scan.pdf", "application/pdf", append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("0"), casework.MaxDocumentSize)...), "letter", http.StatusRequestEntityTooLarge, "The file must be smaller than 10 MB"},
			{"HTML claiming to be PNG", "photo.png", "image/png", []byte("<html><body><script>alert(1)</script></body></html>"), "photo", http.StatusBadRequest, "a web page (HTML)"},
			{"empty", "note.txt", "text/plain", nil, "other", http.StatusBadRequest, "The selected file is empty"},
			{"nothing chosen", "", "application/octet-stream", nil, "other", http.StatusBadRequest, "Select a file"},
			{"no kind", "letter.pdf", "application/pdf", []byte("%PDF-1.4\n%%EOF\n"), "", http.StatusBadRequest, "Choose what kind of document this is"},
		} {
			ct, b := docUpload(t, tt.file, tt.ctype, tt.data, map[string]string{"kind": tt.kind, "description": "Typed description kept"})
			resp, body := docPost(t, ts, c, "", base, ct, b)
			if resp.StatusCode != tt.status || !strings.Contains(body, tt.msg) || !strings.HasPrefix(title(body), "Error: ") {
				t.Errorf("%s: %d %q, want %d with %q", tt.name, resp.StatusCode, title(body), tt.status, tt.msg)
			}
			if !strings.Contains(body, `value="Typed description kept"`) {
				t.Errorf("%s: the description typed was not kept", tt.name)
			}
			if tt.file != "" && strings.Contains(body, tt.file) {
				t.Errorf("%s: the page repeats the file name", tt.name)
			}
		}
		if n := docCount(t, env); n != 0 {
			t.Fatalf("refused uploads stored %d rows", n)
		}

		text := []byte("Letter from the housing office. Reference OKAPI-5521.\n")
		ct, b := docUpload(t, "housing-letter.txt", "text/plain", text, map[string]string{"kind": "letter", "description": "Housing offer"})
		resp, body = docPost(t, ts, c, "", base, ct, b)
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("upload: %d %s", resp.StatusCode, body)
		}
		ct, b = docUpload(t, "photo.png", "image/png", docPNG, map[string]string{"kind": "photo"})
		if resp, _ = docPost(t, ts, c, "", base, ct, b); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("png upload: %d", resp.StatusCode)
		}
		_, body = ts.get(t, c, resp.Header.Get("Location"))
		planMustContain(t, "the list", body, "The document is uploaded", "housing-letter.txt", "Housing offer", "Letter received", "plain text file", "PNG image")
		links := regexp.MustCompile(`href="(/clients/[a-z2-7]{26}/documents/([a-z2-7]{26})/file)"`).FindAllStringSubmatch(body, -1)
		if len(links) != 2 {
			t.Fatalf("%d download links", len(links))
		}
		for _, l := range links {
			before, _ := env.Gate.Audit().ForClient(t.Context(), s.client, 10000)
			resp, got := ts.get(t, c, l[1])
			h := resp.Header
			if resp.StatusCode != 200 || h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Cache-Control") != "no-store" ||
				!strings.Contains(h.Get("Content-Security-Policy"), "sandbox") || !strings.HasPrefix(h.Get("Content-Disposition"), "attachment; ") {
				t.Fatalf("download: %d %v", resp.StatusCode, h)
			}
			switch h.Get("Content-Disposition") {
			case `attachment; filename="letter.txt"`:
				if got != string(text) || h.Get("Content-Type") != "text/plain; charset=utf-8" {
					t.Fatalf("the letter downloads as %q (%s)", got, h.Get("Content-Type"))
				}
			case `attachment; filename="photo.png"`:
				if got != string(docPNG) || h.Get("Content-Type") != "image/png" {
					t.Fatalf("the photo downloads wrong (%s)", h.Get("Content-Type"))
				}
			default:
				t.Fatalf("downloaded as %q", h.Get("Content-Disposition"))
			}
			after, _ := env.Gate.Audit().ForClient(t.Context(), s.client, 10000)
			if len(after) != len(before)+2 || after[0].Action != "document.download" || !slices.Equal(after[0].RecordIDs, []string{l[2]}) || after[0].Actor != s.worker.ID {
				t.Fatalf("the download is not the last audit entry: %+v", after[0])
			}
		}

		// P23: another service's worker cannot list or download.
		outsider := ts.signIn(t, env.Person(t, access.Caseworker, env.Service(t, "Advocacy", false).ID))
		if resp, _ := ts.get(t, outsider, links[0][1]); resp.StatusCode != 404 {
			t.Fatalf("outsider download: %d", resp.StatusCode)
		}
		if resp, _ := ts.get(t, outsider, base); resp.StatusCode != 404 {
			t.Fatalf("outsider list: %d", resp.StatusCode)
		}
		if logs := ts.logs.String(); strings.Contains(logs, "housing-letter") || strings.Contains(logs, "OKAPI") || strings.Contains(logs, "Housing offer") {
			t.Errorf("personal data in the logs:\n%s", logs)
		}
	})
}

// The API mirrors the documents pages: a multipart upload, the list, the
// download; refusals name the field file.
func TestDocumentsAPI(t *testing.T) {
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		s := newPlanSite(t, env)
		ts := s.ts
		token, err := env.Staff.CreateToken(t.Context(), s.worker.Email, 3600*1e9)
		if err != nil {
			t.Fatal(err)
		}
		base := "/api/v1/clients/" + s.client + "/documents"

		errorOf := func(body string) (code, field string) {
			var out struct {
				Error struct {
					Code   string `json:"code"`
					Fields []struct {
						Field string `json:"field"`
					} `json:"fields"`
				} `json:"error"`
			}
			if err := json.Unmarshal([]byte(body), &out); err != nil {
				t.Fatalf("not JSON: %q", body)
			}
			if len(out.Error.Fields) > 0 {
				field = out.Error.Fields[0].Field
			}
			return out.Error.Code, field
		}
		ct, b := docUpload(t, "photo.png", "image/png", []byte("<html><script>alert(1)</script></html>"), map[string]string{"kind": "photo"})
		resp, body := docPost(t, ts, nil, token, base, ct, b)
		if code, field := errorOf(body); resp.StatusCode != 400 || code != "invalid" || field != "file" {
			t.Fatalf("HTML as PNG: %d %s", resp.StatusCode, body)
		}
		ct, b = docUpload(t, "big.txt", "text/plain", bytes.Repeat([]byte("a"), casework.MaxDocumentSize+1), map[string]string{"kind": "other"})
		resp, body = docPost(t, ts, nil, token, base, ct, b)
		if code, field := errorOf(body); resp.StatusCode != 413 || code != "too_large" || field != "file" {
			t.Fatalf("too large: %d %s", resp.StatusCode, body)
		}
		req, _ := http.NewRequest(http.MethodPost, ts.URL+base, strings.NewReader(`{"kind":"letter"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		if resp, body := do(t, http.DefaultClient, req); resp.StatusCode != 415 {
			t.Fatalf("JSON upload: %d %s", resp.StatusCode, body)
		}
		if n := docCount(t, env); n != 0 {
			t.Fatalf("refused uploads stored %d rows", n)
		}

		pdf := []byte("%PDF-1.4\n1 0 obj << >> endobj\n%%EOF\n")
		ct, b = docUpload(t, "form.pdf", "application/pdf", pdf, map[string]string{"kind": "form", "description": "Referral form"})
		resp, body = docPost(t, ts, nil, token, base, ct, b)
		if resp.StatusCode != 201 {
			t.Fatalf("upload: %d %s", resp.StatusCode, body)
		}
		loc := resp.Header.Get("Location")
		resp, out := ts.api(t, token, "GET", base, "")
		docs := out["documents"].([]any)
		if resp.StatusCode != 200 || len(docs) != 1 || docs[0].(map[string]any)["name"] != "form.pdf" || docs[0].(map[string]any)["content_type"] != "application/pdf" {
			t.Fatalf("list: %d %v", resp.StatusCode, out)
		}
		req, _ = http.NewRequest(http.MethodGet, ts.URL+loc, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, got := do(t, http.DefaultClient, req)
		if resp.StatusCode != 200 || got != string(pdf) || resp.Header.Get("Content-Disposition") != `attachment; filename="form.pdf"` || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Fatalf("download: %d %v", resp.StatusCode, resp.Header)
		}
		entries, _ := env.Gate.Audit().ForClient(t.Context(), s.client, 1)
		if entries[0].Action != "document.download" {
			t.Fatalf("the download is not audited: %+v", entries[0])
		}
	})
}
