package casework

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/caseward/caseward/internal/access"
	"github.com/caseward/caseward/internal/store"
)

// MaxDocumentSize is the largest document that may be uploaded: 10 MB,
// enough for a scanned letter or a photo from a phone.
const MaxDocumentSize = 10 << 20

// documentChunk is how much of a document is sealed as one value: each
// chunk is one row, so no single value grows large in either database.
const documentChunk = 1 << 20

// DocumentKind is what a document on a client's file is.
type DocumentKind string

// The kinds of document.
const (
	DocLetter DocumentKind = "letter" // a letter received
	DocForm   DocumentKind = "form"
	DocPhoto  DocumentKind = "photo"
	DocOther  DocumentKind = "other"
)

// DocumentKinds lists the kinds, in the order forms offer them.
var DocumentKinds = []DocumentKind{DocLetter, DocForm, DocPhoto, DocOther}

// Valid reports whether k is one of DocumentKinds.
func (k DocumentKind) Valid() bool {
	return k == DocLetter || k == DocForm || k == DocPhoto || k == DocOther
}

// Label is the kind in plain words.
func (k DocumentKind) Label() string {
	switch k {
	case DocLetter:
		return "Letter received"
	case DocForm:
		return "Form"
	case DocPhoto:
		return "Photo"
	}
	return "Other"
}

// DocumentType is a type of file Caseward accepts, as found by reading the
// file's content.
type DocumentType struct {
	ContentType string // as served on download
	Ext         string // of the generic file name it is served under
	Label       string // in plain words
}

// The types of file that may be uploaded. Anything that a browser would
// run or render as a page (HTML, SVG, scripts) is refused, whatever its
// name says.
var (
	TypePDF  = DocumentType{"application/pdf", ".pdf", "PDF"}
	TypePNG  = DocumentType{"image/png", ".png", "PNG image"}
	TypeJPEG = DocumentType{"image/jpeg", ".jpg", "JPEG image"}
	TypeWebP = DocumentType{"image/webp", ".webp", "WebP image"}
	TypeText = DocumentType{"text/plain; charset=utf-8", ".txt", "plain text file"}
	TypeDOCX = DocumentType{"application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx", "Word document"}
	TypeODT  = DocumentType{"application/vnd.oasis.opendocument.text", ".odt", "OpenDocument text"}
)

// DocumentTypes lists the accepted types.
var DocumentTypes = []DocumentType{TypePDF, TypePNG, TypeJPEG, TypeWebP, TypeText, TypeDOCX, TypeODT}

// extTypes maps the file name endings that may be uploaded to their types.
var extTypes = map[string]DocumentType{
	".pdf": TypePDF, ".png": TypePNG, ".jpg": TypeJPEG, ".jpeg": TypeJPEG, ".webp": TypeWebP,
	".txt": TypeText, ".docx": TypeDOCX, ".odt": TypeODT,
}

// acceptedTypesMessage says what may be uploaded.
const acceptedTypesMessage = "The file must be a PDF, a photo or scan (JPEG, PNG or WebP), a plain text file, or a Word or OpenDocument text document"

// documentTypeByContentType finds the accepted type a declared MIME type
// names, ignoring parameters.
func documentTypeByContentType(ct string) (DocumentType, bool) {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return DocumentType{}, false
	}
	if mt == "image/jpg" || mt == "image/pjpeg" {
		mt = "image/jpeg"
	}
	for _, t := range DocumentTypes {
		if m, _, _ := mime.ParseMediaType(t.ContentType); m == mt {
			return t, true
		}
	}
	return DocumentType{}, false
}

// DetectDocumentType reads data and says which accepted type it is, or
// why it is refused: the content decides, never the name or the declared
// type. name and declared (a MIME type, "" if none) are what the upload
// claims; if they claim a different type than the content is, the file is
// refused as not being what it says. Messages never repeat the name.
func DetectDocumentType(name, declared string, data []byte) (DocumentType, string) {
	if len(data) == 0 {
		return DocumentType{}, "The selected file is empty"
	}
	actual, ok, found := sniffDocument(data)
	if !ok {
		if found != "" {
			return DocumentType{}, acceptedTypesMessage + ": this one is " + found
		}
		return DocumentType{}, acceptedTypesMessage
	}
	ext := strings.ToLower(path.Ext(strings.ReplaceAll(name, `\`, "/")))
	if ext != "" {
		claimed, known := extTypes[ext]
		if !known {
			return DocumentType{}, acceptedTypesMessage + ", with a name ending .pdf, .jpg, .png, .webp, .txt, .docx or .odt"
		}
		if claimed != actual {
			return DocumentType{}, "The file’s name says it is a " + claimed.Label + " but its content is a " + actual.Label + ": check it is the right file"
		}
	}
	if declared != "" && declared != "application/octet-stream" {
		if claimed, known := documentTypeByContentType(declared); known && claimed != actual {
			return DocumentType{}, "The file says it is a " + claimed.Label + " but its content is a " + actual.Label + ": check it is the right file"
		}
	}
	return actual, ""
}

// sniffDocument finds the type of data by its content, with the standard
// library's content sniffer (http.DetectContentType: a pure function, the
// only reason this package imports net/http). It returns the
// accepted type and true, or false and, where it can tell, what the file
// is instead (in words for a message).
func sniffDocument(data []byte) (DocumentType, bool, string) {
	ct := http.DetectContentType(data)
	mt, _, _ := mime.ParseMediaType(ct)
	switch mt {
	case "application/pdf":
		return TypePDF, true, ""
	case "image/png":
		return TypePNG, true, ""
	case "image/jpeg":
		return TypeJPEG, true, ""
	case "image/webp":
		return TypeWebP, true, ""
	case "application/zip":
		return sniffOfficeDocument(data)
	case "text/plain":
		// The sniffer reads only the first 512 bytes and answers UTF-16 by
		// its byte-order mark: the whole file must be UTF-8 text.
		if t := bytes.TrimLeft(data, " \t\r\n\ufeff"); len(t) > 0 && t[0] == '<' {
			// The sniffer knows some HTML tags only; "<svg onload=…>" passes
			// for text. Nothing that starts like markup is kept as text.
			return DocumentType{}, false, "markup (HTML, SVG or XML)"
		}
		if strings.Contains(ct, "charset=utf-8") && utf8.Valid(data) && !bytes.ContainsRune(data, 0) {
			return TypeText, true, ""
		}
		return DocumentType{}, false, "not plain UTF-8 text"
	case "text/html":
		return DocumentType{}, false, "a web page (HTML)"
	case "text/xml":
		return DocumentType{}, false, "XML or SVG"
	case "application/x-gzip", "application/x-rar-compressed", "application/vnd.rar":
		return DocumentType{}, false, "a compressed archive"
	}
	if strings.HasPrefix(mt, "image/") {
		return DocumentType{}, false, "an image of a type Caseward does not accept"
	}
	return DocumentType{}, false, ""
}

// sniffOfficeDocument tells a Word (.docx) or OpenDocument (.odt) text
// document from any other zip archive. Word documents with macros are
// refused.
func sniffOfficeDocument(data []byte) (DocumentType, bool, string) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return DocumentType{}, false, "a damaged archive"
	}
	var hasTypes, hasWord, hasMacros bool
	for _, f := range zr.File {
		switch {
		case f.Name == "[Content_Types].xml":
			hasTypes = true
		case f.Name == "word/document.xml":
			hasWord = true
		case strings.HasSuffix(strings.ToLower(f.Name), "vbaproject.bin"):
			hasMacros = true
		case f.Name == "mimetype" && len(zr.File) > 0 && zr.File[0] == f:
			rc, err := f.Open()
			if err != nil {
				return DocumentType{}, false, "a damaged archive"
			}
			b, err := io.ReadAll(io.LimitReader(rc, 100))
			rc.Close()
			if err == nil && string(b) == "application/vnd.oasis.opendocument.text" {
				return TypeODT, true, ""
			}
		}
	}
	switch {
	case hasMacros:
		return DocumentType{}, false, "a document with macros"
	case hasTypes && hasWord:
		return TypeDOCX, true, ""
	}
	return DocumentType{}, false, "a zip archive"
}

// Document is one document on a client's file, decrypted for one actor.
type Document struct {
	ID          string       `json:"id"`
	ClientID    string       `json:"client_id"`
	Kind        DocumentKind `json:"kind"`
	ContentType string       `json:"content_type"`
	Size        int64        `json:"size"`
	Name        string       `json:"name"` // as uploaded: shown on the record, never used to serve it
	Description string       `json:"description"`
	UploadedBy  string       `json:"uploaded_by"`
	UploadedAt  time.Time    `json:"uploaded_at"`
}

// Type returns the document's accepted type.
func (d Document) Type() DocumentType {
	for _, t := range DocumentTypes {
		if t.ContentType == d.ContentType {
			return t
		}
	}
	return DocumentType{ContentType: "application/octet-stream", Ext: "", Label: "file"}
}

// FileName is the generic name a download is saved under: it never holds
// the client's name, nor the name it was uploaded with.
func (d Document) FileName() string {
	base := "document"
	if d.Kind == DocLetter {
		base = "letter"
	} else if d.Kind == DocPhoto {
		base = "photo"
	} else if d.Kind == DocForm {
		base = "form"
	}
	return base + d.Type().Ext
}

// SizeLabel is the size in plain words: "850 KB", "2.4 MB".
func (d Document) SizeLabel() string {
	switch {
	case d.Size < 1000:
		return strconv.FormatInt(d.Size, 10) + " bytes"
	case d.Size < 1000*1000:
		return strconv.FormatInt((d.Size+999)/1000, 10) + " KB"
	}
	return strconv.FormatFloat(float64(d.Size)/1e6, 'f', 1, 64) + " MB"
}

// DocumentInput is an upload: the file as received (at most
// MaxDocumentSize+1 bytes are needed to tell that it is too large), what
// it claims to be, and what the worker says it is.
type DocumentInput struct {
	Kind        DocumentKind `json:"kind"`
	Description string       `json:"description"`
	FileName    string       `json:"-"` // as declared by the upload
	Declared    string       `json:"-"` // the MIME type the upload declared, if any
	Data        []byte       `json:"-"`
	// Missing is set when no file was chosen at all.
	Missing bool `json:"-"`
	// TooLarge is set by a reader that stopped before the end of the file.
	TooLarge bool `json:"-"`
}

// maxDocumentName bounds a declared file name, in characters.
const maxDocumentName = 255

// UploadDocument checks an upload and stores it on the client's file,
// sealed: its bytes, its declared name and its description. A refused
// upload (none chosen, empty, too large, not what it claims, of a type not
// accepted) stores nothing and says why, in the "file" field.
func (cw *Casework) UploadDocument(ctx context.Context, actor access.Actor, clientID string, in DocumentInput) (string, error) {
	var v ValidationError
	if !in.Kind.Valid() {
		v.add("kind", "Choose what kind of document this is")
	}
	desc := cleanText(&v, "description", "the description", in.Description, MaxTextLength, false)
	name := strings.TrimSpace(strings.ToValidUTF8(in.FileName, "�"))
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:] // some browsers send the whole path
	}
	if utf8.RuneCountInString(name) > maxDocumentName {
		name = string([]rune(name)[:maxDocumentName])
	}
	var typ DocumentType
	switch {
	case in.Missing:
		v.add("file", "Select a file")
	case in.TooLarge || len(in.Data) > MaxDocumentSize:
		v.add("file", "The file must be smaller than "+strconv.Itoa(MaxDocumentSize>>20)+" MB")
	default:
		var msg string
		if typ, msg = DetectDocumentType(name, in.Declared, in.Data); msg != "" {
			v.add("file", msg)
		}
	}
	if err := v.orNil(); err != nil {
		return "", err
	}
	h, err := cw.gate.OpenClient(ctx, actor, clientID, access.Casework, access.Edit)
	if err != nil {
		return "", err
	}
	id := store.NewID()
	sealedName, err := h.SealString("documents", "name", id, name)
	if err != nil {
		return "", err
	}
	sealedDesc, err := h.SealString("documents", "description", id, desc)
	if err != nil {
		return "", err
	}
	var chunks [][]byte
	for seq, off := 0, 0; off < len(in.Data); seq, off = seq+1, off+documentChunk {
		c, err := h.Seal("document_chunks", "data", documentChunkRow(id, seq), in.Data[off:min(off+documentChunk, len(in.Data))])
		if err != nil {
			return "", err
		}
		chunks = append(chunks, c)
	}
	now := cw.now().UTC().UnixMicro()
	err = h.Update(ctx, []string{id}, func(ctx context.Context, tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO documents (id, client_id, kind, content_type, size, chunks, name, description, uploaded_by, uploaded_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, id, h.ClientID(), string(in.Kind), typ.ContentType, len(in.Data), len(chunks), sealedName, sealedDesc, actor.UserID, now); err != nil {
			return err
		}
		for seq, c := range chunks {
			if _, err := tx.Exec(ctx, "INSERT INTO document_chunks (document_id, seq, data) VALUES (?, ?, ?)", id, seq, c); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	return id, nil
}

func documentChunkRow(documentID string, seq int) string {
	return documentID + "." + strconv.Itoa(seq)
}

// DocumentsPage is the "Documents" section of a client's record.
type DocumentsPage struct {
	Header    Header
	Documents []Document // newest first
}

// Documents lists the documents on a client's file, newest first, with
// their names and descriptions; the files themselves stay sealed.
func (cw *Casework) Documents(ctx context.Context, actor access.Actor, clientID string, purpose access.Purpose) (DocumentsPage, error) {
	h, err := cw.gate.OpenClient(ctx, actor, clientID, purpose, access.ViewRecord)
	if err != nil {
		return DocumentsPage{}, err
	}
	var page DocumentsPage
	if page.Header, err = cw.headerFor(ctx, actor, h); err != nil {
		return DocumentsPage{}, err
	}
	rows, err := cw.db.Query(ctx, `SELECT id, kind, content_type, size, name, description, uploaded_by, uploaded_at
		FROM documents WHERE client_id = ? ORDER BY uploaded_at DESC, id`, h.ClientID())
	if err != nil {
		return DocumentsPage{}, fmt.Errorf("documents: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		d := Document{ClientID: h.ClientID()}
		var name, desc []byte
		var at int64
		if err := rows.Scan(&d.ID, &d.Kind, &d.ContentType, &d.Size, &name, &desc, &d.UploadedBy, &at); err != nil {
			return DocumentsPage{}, fmt.Errorf("documents: %w", err)
		}
		d.UploadedAt = time.UnixMicro(at).UTC()
		if d.Name, err = h.OpenString("documents", "name", d.ID, name); err != nil {
			return DocumentsPage{}, fmt.Errorf("documents: %w", err)
		}
		if d.Description, err = h.OpenString("documents", "description", d.ID, desc); err != nil {
			return DocumentsPage{}, fmt.Errorf("documents: %w", err)
		}
		page.Documents = append(page.Documents, d)
	}
	if err := rows.Err(); err != nil {
		return DocumentsPage{}, fmt.Errorf("documents: %w", err)
	}
	return page, nil
}

// ErrDocumentDamaged is returned when a document's stored chunks do not
// add up to the document: one is missing, moved or changed.
var ErrDocumentDamaged = errors.New("the stored document is damaged")

// DocumentFile opens one document and returns it with its bytes, and
// records the download in the audit log as "document.download". If the
// entry cannot be written, nothing is returned.
func (cw *Casework) DocumentFile(ctx context.Context, actor access.Actor, clientID, documentID string, purpose access.Purpose) (Document, []byte, error) {
	h, err := cw.gate.OpenClient(ctx, actor, clientID, purpose, access.ViewRecord)
	if err != nil {
		return Document{}, nil, err
	}
	d := Document{ID: documentID, ClientID: h.ClientID()}
	var chunks int
	var at int64
	var name, desc []byte
	err = cw.db.QueryRow(ctx, `SELECT kind, content_type, size, chunks, name, description, uploaded_by, uploaded_at
		FROM documents WHERE id = ? AND client_id = ?`, documentID, h.ClientID()).
		Scan(&d.Kind, &d.ContentType, &d.Size, &chunks, &name, &desc, &d.UploadedBy, &at)
	if errors.Is(store.NotFound(err), store.ErrNotFound) {
		return Document{}, nil, ErrNotFound
	}
	if err != nil {
		return Document{}, nil, fmt.Errorf("document: %w", err)
	}
	d.UploadedAt = time.UnixMicro(at).UTC()
	if d.Name, err = h.OpenString("documents", "name", d.ID, name); err != nil {
		return Document{}, nil, fmt.Errorf("document: %w", err)
	}
	if d.Description, err = h.OpenString("documents", "description", d.ID, desc); err != nil {
		return Document{}, nil, fmt.Errorf("document: %w", err)
	}
	rows, err := cw.db.Query(ctx, "SELECT seq, data FROM document_chunks WHERE document_id = ? ORDER BY seq", documentID)
	if err != nil {
		return Document{}, nil, fmt.Errorf("document: %w", err)
	}
	defer rows.Close()
	data := make([]byte, 0, d.Size)
	n := 0
	for rows.Next() {
		var seq int
		var sealed []byte
		if err := rows.Scan(&seq, &sealed); err != nil {
			return Document{}, nil, fmt.Errorf("document: %w", err)
		}
		if seq != n {
			return Document{}, nil, ErrDocumentDamaged
		}
		b, err := h.Open("document_chunks", "data", documentChunkRow(documentID, seq), sealed)
		if err != nil {
			return Document{}, nil, fmt.Errorf("document: %w", err)
		}
		data = append(data, b...)
		n++
	}
	if err := rows.Err(); err != nil {
		return Document{}, nil, fmt.Errorf("document: %w", err)
	}
	rows.Close()
	if n != chunks || int64(len(data)) != d.Size {
		return Document{}, nil, ErrDocumentDamaged
	}
	if err := cw.recordClientEvent(ctx, actor, "document.download", h.ClientID(), purpose, "download", documentID); err != nil {
		return Document{}, nil, err
	}
	return d, data, nil
}
