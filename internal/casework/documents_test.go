package casework_test

import (
	"archive/zip"
	"bytes"
	"encoding/hex"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"slices"
	"strings"
	"testing"

	"github.com/caseward/caseward/internal/access"
	"github.com/caseward/caseward/internal/app/apptest"
	"github.com/caseward/caseward/internal/casework"
	"github.com/caseward/caseward/internal/store"
)

// Sample files of every accepted type, and of types that are refused.
var (
	samplePDF  = []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
	sampleText = []byte("Letter from the housing office, received 20 November.\nReference ZEPHYR-QUOKKA-7731: a place is offered.\n")
	sampleWebP = append([]byte("RIFF\x24\x00\x00\x00WEBPVP8 \x18\x00\x00\x00"), make([]byte, 24)...)
	sampleHTML = []byte("<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>")
	sampleSVG  = []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>`)
)

func sampleImage(t testing.TB, enc func(*bytes.Buffer, image.Image) error) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 4, 4))
	img.Set(1, 1, color.RGBA{200, 30, 30, 255})
	var b bytes.Buffer
	if err := enc(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func samplePNG(t testing.TB) []byte {
	return sampleImage(t, func(b *bytes.Buffer, i image.Image) error { return png.Encode(b, i) })
}

func sampleJPEG(t testing.TB) []byte {
	return sampleImage(t, func(b *bytes.Buffer, i image.Image) error { return jpeg.Encode(b, i, nil) })
}

// sampleZip makes a zip archive of the named files, in order; a file named
// "mimetype" is stored uncompressed, as OpenDocument requires.
func sampleZip(t testing.TB, files ...string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for i := 0; i < len(files); i += 2 {
		h := &zip.FileHeader{Name: files[i], Method: zip.Deflate}
		if files[i] == "mimetype" {
			h.Method = zip.Store
		}
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(files[i+1])); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func sampleDOCX(t testing.TB) []byte {
	return sampleZip(t, "[Content_Types].xml", `<Types/>`, "_rels/.rels", `<Relationships/>`, "word/document.xml", `<w:document/>`)
}

func sampleODT(t testing.TB) []byte {
	return sampleZip(t, "mimetype", "application/vnd.oasis.opendocument.text", "content.xml", `<office:document-content/>`, "META-INF/manifest.xml", `<manifest/>`)
}

// Documents are checked by what they contain, never by what they claim:
// each accepted type is kept with the type found; anything else, and
// anything that claims to be other than it is, is refused with the reason,
// and nothing is stored.
func TestDocumentTypeCheckedByContent(t *testing.T) {
	tests := []struct {
		name     string
		file     string
		declared string
		data     func(testing.TB) []byte
		want     casework.DocumentType // zero: refused
		message  string                // part of the refusal
	}{
		{"PDF", "letter.pdf", "application/pdf", func(testing.TB) []byte { return samplePDF }, casework.TypePDF, ""},
		{"PNG", "photo.PNG", "image/png", samplePNG, casework.TypePNG, ""},
		{"JPEG", "scan.jpeg", "image/jpeg", sampleJPEG, casework.TypeJPEG, ""},
		{"JPEG as .jpg", "scan.jpg", "image/jpg", sampleJPEG, casework.TypeJPEG, ""},
		{"WebP", "photo.webp", "", func(testing.TB) []byte { return sampleWebP }, casework.TypeWebP, ""},
		{"text", "note.txt", "text/plain", func(testing.TB) []byte { return sampleText }, casework.TypeText, ""},
		{"Word", "form.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", sampleDOCX, casework.TypeDOCX, ""},
		{"OpenDocument", "form.odt", "", sampleODT, casework.TypeODT, ""},
		{"no extension", "scan", "application/octet-stream", func(testing.TB) []byte { return samplePDF }, casework.TypePDF, ""},
		{"HTML claiming to be PNG", "photo.png", "image/png", func(testing.TB) []byte { return sampleHTML }, casework.DocumentType{}, "web page"},
		{"SVG claiming to be text", "note.txt", "text/plain", func(testing.TB) []byte { return sampleSVG }, casework.DocumentType{}, "markup"},
		{"SVG as itself", "drawing.svg", "image/svg+xml", func(testing.TB) []byte { return sampleSVG }, casework.DocumentType{}, "markup"},
		{"PDF named .png", "photo.png", "image/png", func(testing.TB) []byte { return samplePDF }, casework.DocumentType{}, "name says it is a PNG image but its content is a PDF"},
		{"PNG declared as JPEG", "photo", "image/jpeg", samplePNG, casework.DocumentType{}, "says it is a JPEG image but its content is a PNG image"},
		{"a zip archive", "letters.zip", "application/zip", func(t testing.TB) []byte { return sampleZip(t, "a.txt", "hello") }, casework.DocumentType{}, "zip archive"},
		{"a Word document with macros", "form.docx", "", func(t testing.TB) []byte {
			return sampleZip(t, "[Content_Types].xml", `<Types/>`, "word/document.xml", `<w:document/>`, "word/vbaProject.bin", "macro")
		}, casework.DocumentType{}, "macros"},
		{"a program", "setup.exe", "", func(testing.TB) []byte { return append([]byte("MZ\x90\x00"), make([]byte, 100)...) }, casework.DocumentType{}, "must be a PDF"},
		{"a program named .pdf", "letter.pdf", "", func(testing.TB) []byte { return append([]byte("MZ\x90\x00"), make([]byte, 100)...) }, casework.DocumentType{}, "must be a PDF"},
		{"text with an unknown extension", "notes.html", "", func(testing.TB) []byte { return sampleText }, casework.DocumentType{}, "name ending"},
		{"not UTF-8", "note.txt", "", func(testing.TB) []byte { return []byte("caf\xe9 au lait, \xa3 5, plain Latin-1 text") }, casework.DocumentType{}, "UTF-8"},
		{"empty", "note.txt", "", func(testing.TB) []byte { return nil }, casework.DocumentType{}, "empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, msg := casework.DetectDocumentType(tt.file, tt.declared, tt.data(t))
			if got != tt.want || (tt.message == "") != (msg == "") || !strings.Contains(msg, tt.message) {
				t.Fatalf("got %+v %q, want %+v and a message with %q", got, msg, tt.want, tt.message)
			}
			if msg != "" && strings.Contains(msg, tt.file) {
				t.Errorf("the message repeats the file name: %q", msg)
			}
		})
	}
}

// Documents: an upload is kept sealed under the client's key and listed;
// a download gives back the same bytes and is audited; refused uploads
// store nothing; neither the bytes nor the name rest in clear.
func TestDocumentsUploadDownloadAudited(t *testing.T) {
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		ctx := t.Context()
		pe := newPlanEnv(t, env)
		actor := pe.worker.Actor()

		for _, tt := range []struct {
			name   string
			in     casework.DocumentInput
			fields []string
		}{
			{"nothing chosen", casework.DocumentInput{Kind: casework.DocLetter, Missing: true}, []string{"file"}},
			{"empty", casework.DocumentInput{Kind: casework.DocLetter, FileName: "a.txt"}, []string{"file"}},
			{"too large", casework.DocumentInput{Kind: casework.DocLetter, FileName: "a.txt", Data: bytes.Repeat([]byte("a"), casework.MaxDocumentSize+1)}, []string{"file"}},
			{"cut off by the reader", casework.DocumentInput{Kind: casework.DocLetter, FileName: "a.pdf", TooLarge: true}, []string{"file"}},
			{"HTML claiming to be PNG", casework.DocumentInput{Kind: casework.DocPhoto, FileName: "photo.png", Declared: "image/png", Data: sampleHTML}, []string{"file"}},
			{"no kind", casework.DocumentInput{FileName: "a.pdf", Data: samplePDF}, []string{"kind"}},
		} {
			if _, err := env.Casework.UploadDocument(ctx, actor, pe.client, tt.in); !slices.Equal(planFields(err), tt.fields) {
				t.Errorf("%s: %v, want fields %v", tt.name, err, tt.fields)
			}
		}
		if n := planRows(t, env, "documents") + planRows(t, env, "document_chunks"); n != 0 {
			t.Fatalf("refused uploads stored %d rows", n)
		}

		// A text file with a distinctive marker, and a 2.5 MiB one that
		// takes three chunks.
		id, err := env.Casework.UploadDocument(ctx, actor, pe.client, casework.DocumentInput{
			Kind: casework.DocLetter, Description: "Housing offer PELICAN-9042", FileName: `C:\Users\sam\housing-offer-MARMOSET.txt`, Declared: "text/plain", Data: sampleText})
		if err != nil {
			t.Fatal(err)
		}
		big := bytes.Repeat([]byte("A long statement, line after line. "), 5*(1<<20)/70)
		bigID, err := env.Casework.UploadDocument(ctx, actor, pe.client, casework.DocumentInput{Kind: casework.DocForm, FileName: "statement.txt", Data: big})
		if err != nil {
			t.Fatal(err)
		}
		if n := planRows(t, env, "document_chunks"); n != 1+3 {
			t.Fatalf("%d chunks stored, want 4", n)
		}

		list, err := env.Casework.Documents(ctx, actor, pe.client, access.Casework)
		if err != nil {
			t.Fatal(err)
		}
		if len(list.Documents) != 2 {
			t.Fatalf("%d documents listed", len(list.Documents))
		}
		i := slices.IndexFunc(list.Documents, func(d casework.Document) bool { return d.ID == id })
		if d := list.Documents[i]; d.Name != "housing-offer-MARMOSET.txt" || d.Description != "Housing offer PELICAN-9042" || d.Kind != casework.DocLetter ||
			d.ContentType != casework.TypeText.ContentType || d.Size != int64(len(sampleText)) || d.FileName() != "letter.txt" {
			t.Fatalf("listed %+v", d)
		}

		before := auditActions(t, env, pe.client, id)
		d, data, err := env.Casework.DocumentFile(ctx, actor, pe.client, id, access.Casework)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(data, sampleText) || d.Name != "housing-offer-MARMOSET.txt" {
			t.Fatalf("download gives %q", data)
		}
		if after := auditActions(t, env, pe.client, id); len(after) != len(before)+1 || after[0] != "document.download" {
			t.Fatalf("audit entries naming the document: before %v, after %v", before, after)
		}
		if _, data, err := env.Casework.DocumentFile(ctx, actor, pe.client, bigID, access.Casework); err != nil || !bytes.Equal(data, big) {
			t.Fatalf("the chunked document reads back wrong (%v)", err)
		}

		// Admin staff, who scan in the post, see and upload documents; another
		// service does not; the DPO does not upload.
		admin := env.Person(t, access.AdminStaff, pe.svc)
		if _, _, err := env.Casework.DocumentFile(ctx, admin.Actor(), pe.client, id, access.Administration); err != nil {
			t.Errorf("admin staff download: %v", err)
		}
		outsider := env.Person(t, access.Caseworker, env.Service(t, "Advocacy", false).ID)
		if _, _, err := env.Casework.DocumentFile(ctx, outsider.Actor(), pe.client, id, access.Casework); !errors.Is(err, casework.ErrNotFound) {
			t.Errorf("outsider downloads: %v", err)
		}
		if _, err := env.Casework.Documents(ctx, outsider.Actor(), pe.client, access.Casework); !errors.Is(err, casework.ErrNotFound) {
			t.Errorf("outsider lists: %v", err)
		}
		dpo := env.Person(t, access.DPO)
		if _, err := env.Casework.UploadDocument(ctx, dpo.Actor(), pe.client, casework.DocumentInput{Kind: casework.DocOther, FileName: "a.pdf", Data: samplePDF}); err == nil {
			t.Error("the DPO uploaded a document")
		}

		// P17: nothing of the file, its name or its description is in clear.
		secrets := [][]byte{[]byte("ZEPHYR-QUOKKA-7731"), []byte("MARMOSET"), []byte("PELICAN-9042"), []byte("line after line")}
		switch env.Loc.Engine() {
		case store.SQLite:
			files := readDataDir(t, env.Loc.Dir)
			var sealed []byte
			if err := env.DB.QueryRow(ctx, "SELECT data FROM document_chunks WHERE document_id = ?", id).Scan(&sealed); err != nil {
				t.Fatal(err)
			}
			if !anyContains(files, sealed) {
				t.Fatal("the search does not find the stored chunk: it is not looking where documents are")
			}
			for name, b := range files {
				for _, s := range secrets {
					if bytes.Contains(b, s) {
						t.Errorf("%s holds %q in clear", name, s)
					}
				}
			}
		case store.Postgres:
			dump := dumpPostgres(t, env.Loc.URL)
			if _, ok := dump["caseward_data.document_chunks"]; !ok {
				t.Fatal("document_chunks was not dumped")
			}
			for table, b := range dump {
				for _, s := range secrets {
					if bytes.Contains(b, s) || bytes.Contains(b, []byte(hex.EncodeToString(s))) {
						t.Errorf("%s holds %q in clear", table, s)
					}
				}
			}
		}

		// Chunks moved or lost are caught, not served.
		if err := env.DB.Tx(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, "UPDATE document_chunks SET seq = 7 WHERE document_id = ? AND seq = 2", bigID)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if _, data, err := env.Casework.DocumentFile(ctx, actor, pe.client, bigID, access.Casework); err == nil || data != nil {
			t.Fatal("a document with a chunk moved was served")
		}
	})
}

// BenchmarkDocument10MB uploads and downloads a 10 MB document on SQLite:
// sealing, storing in chunks, reading back and opening.
func BenchmarkDocument10MB(b *testing.B) {
	env := apptest.New(b, store.SQLite, apptest.NewClock())
	svc := env.Service(b, "Counselling", false)
	w := env.Person(b, access.Caseworker, svc.ID)
	client, err := env.Casework.CreateClient(b.Context(), w.Actor(), casework.ClientInput{ServiceID: svc.ID, GivenName: "A", FamilyName: "B", DateOfBirth: "1990-01-01"})
	if err != nil {
		b.Fatal(err)
	}
	data := append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("0123456789abcdef"), (casework.MaxDocumentSize-16)/16)...)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		id, err := env.Casework.UploadDocument(b.Context(), w.Actor(), client, casework.DocumentInput{Kind: casework.DocLetter, FileName: "scan.pdf", Data: data})
		if err != nil {
			b.Fatal(err)
		}
		if _, got, err := env.Casework.DocumentFile(b.Context(), w.Actor(), client, id, access.Casework); err != nil || len(got) != len(data) {
			b.Fatal(err)
		}
	}
}
