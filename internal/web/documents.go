package web

import (
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/caseward/caseward/internal/access"
	"github.com/caseward/caseward/internal/casework"
)

// Documents: the "Documents" section of a client's record. Letters
// received, forms and photos, uploaded with a size limit and their type
// checked by content, sealed under the client's key; every download
// audited, and served only as an attachment under a generic name.

// maxUploadBody bounds an upload request. It is well above the document
// limit, so that a file somewhat too large is read to its end and refused
// with a page saying why; a browser sending far more is cut off.
const maxUploadBody = 2*casework.MaxDocumentSize + 1<<20

// maxUploadField bounds a text field of the upload form.
const maxUploadField = 8 << 10

// errNotMultipart is an upload that is not multipart/form-data.
var errNotMultipart = &apiError{Status: http.StatusUnsupportedMediaType, Code: "unsupported_media_type", Message: "Send multipart/form-data with the file in a part named \"file\"."}

// readUpload reads an upload form part by part, keeping the file in
// memory only: r.ParseMultipartForm would write large files to a
// temporary file on disk, in clear. It reads at most
// MaxDocumentSize+1 bytes of the file, enough to tell that it is too large.
func readUpload(w http.ResponseWriter, r *http.Request) (casework.DocumentInput, error) {
	in := casework.DocumentInput{Missing: true}
	r.Body = http.MaxBytesReader(w, r.Body, maxUploadBody)
	mr, err := r.MultipartReader()
	if err != nil {
		return in, errNotMultipart
	}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return in, nil
		}
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			in.TooLarge, in.Missing = true, false
			return in, nil
		}
		if err != nil {
			return in, &apiError{Status: http.StatusBadRequest, Code: "invalid", Message: "The upload could not be read: send it again."}
		}
		switch part.FormName() {
		case "file":
			in.FileName, in.Declared = part.FileName(), part.Header.Get("Content-Type")
			data, err := io.ReadAll(io.LimitReader(part, casework.MaxDocumentSize+1))
			if errors.As(err, &tooBig) || len(data) > casework.MaxDocumentSize {
				in.TooLarge, in.Missing = true, false
				_, _ = io.Copy(io.Discard, part) // read to the end, if it is not too far, to answer cleanly
				in.Data = nil
				continue
			}
			if err != nil {
				return in, &apiError{Status: http.StatusBadRequest, Code: "invalid", Message: "The upload could not be read: send it again."}
			}
			in.Data = data
			in.Missing = in.FileName == "" && len(data) == 0
		case "kind", "description":
			b, err := io.ReadAll(io.LimitReader(part, maxUploadField))
			if err != nil {
				return in, &apiError{Status: http.StatusBadRequest, Code: "invalid", Message: "The upload could not be read: send it again."}
			}
			if part.FormName() == "kind" {
				in.Kind = casework.DocumentKind(b)
			} else {
				in.Description = string(b)
			}
		}
		part.Close()
	}
}

type documentsPage struct {
	basePage
	casework.DocumentsPage
	Purpose     string
	CanUpload   bool
	Kinds       []casework.DocumentKind
	Kind        string
	Description string
	Err         map[string]string
	MaxSize     string
}

func (s *Server) documentsPage(r *http.Request, v *viewer, p access.Purpose) (documentsPage, error) {
	list, err := s.app.Casework.Documents(r.Context(), v.User.Actor(), r.PathValue("id"), p)
	if err != nil {
		return documentsPage{}, err
	}
	return documentsPage{basePage: s.base(v), DocumentsPage: list, Purpose: purposeQuery(v, p),
		CanUpload: v.User.Role != access.DPO, Kinds: casework.DocumentKinds,
		MaxSize: strconv.Itoa(casework.MaxDocumentSize>>20) + " MB"}, nil
}

func (s *Server) documents(w http.ResponseWriter, r *http.Request, v *viewer) error {
	p, ok, err := s.casePurpose(w, r, v)
	if !ok {
		return err
	}
	page, err := s.documentsPage(r, v, p)
	if err != nil {
		return err
	}
	if r.URL.Query().Get("uploaded") == "1" {
		page.Message = "The document is uploaded and kept on the record."
	}
	return s.render(w, http.StatusOK, "documents", page)
}

func (s *Server) uploadDocument(w http.ResponseWriter, r *http.Request, v *viewer) error {
	id := r.PathValue("id")
	in, err := readUpload(w, r)
	if err != nil {
		var ae *apiError
		if !errors.As(err, &ae) {
			return err
		}
		in = casework.DocumentInput{Missing: true}
	}
	_, err = s.app.Casework.UploadDocument(r.Context(), v.User.Actor(), id, in)
	var ve *casework.ValidationError
	switch {
	case errors.As(err, &ve):
	case err != nil:
		return err
	default:
		http.Redirect(w, r, "/clients/"+id+"/documents?uploaded=1", http.StatusSeeOther)
		return nil
	}
	// Uploads come only from staff working with the client, never the DPO,
	// so the purpose is the viewer's ordinary one; it is read from the
	// URL, not the form, which must not be parsed again.
	p := access.Casework
	if v.User.Role == access.AdminStaff {
		p = access.Administration
	}
	page, perr := s.documentsPage(r, v, p)
	if perr != nil {
		return perr
	}
	page.Kind, page.Description = string(in.Kind), in.Description
	page.Err = documentErrors(ve, &page.basePage)
	status := http.StatusBadRequest
	if in.TooLarge {
		status = http.StatusRequestEntityTooLarge
	}
	return s.render(w, status, "documents", page)
}

func documentErrors(ve *casework.ValidationError, b *basePage) map[string]string {
	return fieldErrors(ve, b, func(f string) string { return f })
}

func (s *Server) downloadDocument(w http.ResponseWriter, r *http.Request, v *viewer) error {
	p, ok := purpose(v, r)
	if !ok {
		return casework.ErrForbidden
	}
	return s.writeDocument(w, r, v, p)
}

// writeDocument sends a document's bytes, after the download is recorded
// in the audit log. It is always an attachment under a generic name, with
// the type found from its content, never sniffed, and sandboxed: nothing
// uploaded is ever rendered as a page of Caseward's origin.
func (s *Server) writeDocument(w http.ResponseWriter, r *http.Request, v *viewer, p access.Purpose) error {
	d, data, err := s.app.Casework.DocumentFile(r.Context(), v.User.Actor(), r.PathValue("id"), r.PathValue("doc"), p)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", d.Type().ContentType)
	h.Set("Content-Disposition", `attachment; filename="`+d.FileName()+`"`)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	h.Set("Content-Length", strconv.Itoa(len(data)))
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(data)
	return err
}

// --- The JSON API ---

func (s *Server) apiDocuments(w http.ResponseWriter, r *http.Request, v *viewer) error {
	p, err := apiPurpose(r, v)
	if err != nil {
		return err
	}
	list, err := s.app.Casework.Documents(r.Context(), v.User.Actor(), r.PathValue("id"), p)
	if err != nil {
		return err
	}
	docs := list.Documents
	if docs == nil {
		docs = []casework.Document{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"documents": docs})
	return nil
}

func (s *Server) apiUploadDocument(w http.ResponseWriter, r *http.Request, v *viewer) error {
	in, err := readUpload(w, r)
	if err != nil {
		return err
	}
	id, err := s.app.Casework.UploadDocument(r.Context(), v.User.Actor(), r.PathValue("id"), in)
	var ve *casework.ValidationError
	if errors.As(err, &ve) && in.TooLarge {
		return &apiError{Status: http.StatusRequestEntityTooLarge, Code: "too_large", Message: "The file is too large.", Fields: ve.Fields}
	}
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/clients/"+r.PathValue("id")+"/documents/"+id+"/file")
	writeJSON(w, http.StatusCreated, map[string]string{"id": id})
	return nil
}

func (s *Server) apiDownloadDocument(w http.ResponseWriter, r *http.Request, v *viewer) error {
	p, err := apiPurpose(r, v)
	if err != nil {
		return err
	}
	return s.writeDocument(w, r, v, p)
}
