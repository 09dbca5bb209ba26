package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	_ "embed"

	"github.com/caseward/caseward/internal/access"
	"github.com/caseward/caseward/internal/casework"
	"github.com/caseward/caseward/internal/staff"
	"github.com/caseward/caseward/internal/store"
)

//go:embed openapi.json
var openAPIDocument []byte

// maxBody bounds a JSON request body.
const maxBody = 64 << 10

type apiHandler func(w http.ResponseWriter, r *http.Request, v *viewer) error

// apiError is the one shape of every API error.
type apiError struct {
	Status  int                   `json:"-"`
	Code    string                `json:"code"`
	Message string                `json:"message"`
	Fields  []casework.FieldError `json:"fields,omitempty"`
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

// api adapts an API handler: bearer token, no caching, JSON errors.
func (s *Server) api(h apiHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		noStore(w)
		auth := r.Header.Get("Authorization")
		token, ok := strings.CutPrefix(auth, "Bearer ")
		if !ok || token == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="caseward"`)
			s.apiError(w, r, &apiError{Status: http.StatusUnauthorized, Code: "unauthorized", Message: "Send a bearer token in the Authorization header."})
			return
		}
		u, err := s.app.Staff.TokenUser(r.Context(), strings.TrimSpace(token))
		if err != nil {
			if errors.Is(err, staff.ErrNoSession) {
				w.Header().Set("WWW-Authenticate", `Bearer realm="caseward", error="invalid_token"`)
				s.apiError(w, r, &apiError{Status: http.StatusUnauthorized, Code: "unauthorized", Message: "The token is not valid or has expired."})
				return
			}
			s.apiError(w, r, err)
			return
		}
		if err := h(w, r, &viewer{User: u}); err != nil {
			s.apiError(w, r, err)
		}
	})
}

func (s *Server) apiError(w http.ResponseWriter, r *http.Request, err error) {
	var ae *apiError
	var ve *casework.ValidationError
	switch {
	case errors.As(err, &ae):
	case errors.As(err, &ve):
		ae = &apiError{Status: http.StatusBadRequest, Code: "invalid", Message: "The request has invalid fields.", Fields: ve.Fields}
	case errors.Is(err, casework.ErrNotFound):
		ae = &apiError{Status: http.StatusNotFound, Code: "not_found", Message: "Not found."}
	case errors.Is(err, casework.ErrForbidden):
		ae = &apiError{Status: http.StatusForbidden, Code: "forbidden", Message: "You do not have permission to do that."}
	case errors.Is(err, casework.ErrConflict):
		ae = &apiError{Status: http.StatusConflict, Code: "conflict", Message: "The record was changed by someone else; fetch it and try again."}
	case store.IsUnavailable(err):
		ae = &apiError{Status: http.StatusServiceUnavailable, Code: "unavailable", Message: "The database is not available. Nothing was saved. Try again."}
	default:
		s.log.ErrorContext(r.Context(), "api request failed", "request_id", requestID(r.Context()), "route", r.Pattern, "error", err)
		ae = &apiError{Status: http.StatusInternalServerError, Code: "internal", Message: "Internal error, reference " + requestID(r.Context()) + "."}
	}
	writeJSON(w, ae.Status, map[string]any{"error": ae})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// decodeJSON reads exactly one JSON object with no unknown fields, naming
// the problem without repeating the value.
func decodeJSON(r *http.Request, dst any) error {
	bad := func(msg string) error {
		return &apiError{Status: http.StatusBadRequest, Code: "invalid_json", Message: msg}
	}
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return &apiError{Status: http.StatusUnsupportedMediaType, Code: "unsupported_media_type", Message: "Send application/json."}
	}
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		var tooBig *http.MaxBytesError
		switch {
		case errors.As(err, &tooBig):
			return &apiError{Status: http.StatusRequestEntityTooLarge, Code: "too_large", Message: fmt.Sprintf("The body must be at most %d bytes.", maxBody)}
		case errors.As(err, &syn):
			return bad(fmt.Sprintf("The body is not valid JSON (at byte %d).", syn.Offset))
		case errors.As(err, &typ):
			return &apiError{Status: http.StatusBadRequest, Code: "invalid", Message: "The request has invalid fields.",
				Fields: []casework.FieldError{{Field: typ.Field, Message: "must be a " + typ.Type.String()}}}
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			return &apiError{Status: http.StatusBadRequest, Code: "invalid", Message: "The request has an unknown field.",
				Fields: []casework.FieldError{{Field: field, Message: "is not a field of this request"}}}
		case errors.Is(err, io.EOF):
			return bad("The body is empty: send a JSON object.")
		}
		return bad("The body is not valid JSON.")
	}
	if dec.More() {
		return bad("The body must hold exactly one JSON object.")
	}
	return nil
}

// apiClient is a client as the API shows it: every part of the record,
// and the header every page shows (flags and safe contact) in words. When
// the client's name is hidden from the token's user, name_withheld is true
// and the names and date of birth are left out.
type apiClient struct {
	ID            string   `json:"id"`
	Service       string   `json:"service"`
	GivenName     string   `json:"given_name,omitempty"`
	FamilyName    string   `json:"family_name,omitempty"`
	PreferredName string   `json:"preferred_name,omitempty"`
	PreviousNames []string `json:"previous_names"`
	DateOfBirth   string   `json:"date_of_birth,omitempty"`
	NameWithheld  bool     `json:"name_withheld"`
	Initials      string   `json:"initials"`
	Reference     string   `json:"reference"`
	AgeBand       string   `json:"age_band"`

	Details        casework.Details         `json:"details"`
	HowHeardLabel  string                   `json:"how_heard_label"`
	Contact        casework.Contact         `json:"contact"`
	SafeContact    casework.SafeContact     `json:"safe_contact"`
	GP             casework.GP              `json:"gp"`
	SupportNetwork []casework.SupportPerson `json:"support_network"`
	Monitoring     casework.Monitoring      `json:"monitoring"`
	Flags          casework.Flags           `json:"flags"`
	Header         apiHeader                `json:"header"`
	Version        int64                    `json:"version"`
}

// apiHeader is what must be read before anyone contacts the client (P29).
type apiHeader struct {
	DisplayName string   `json:"display_name"`
	Flags       []string `json:"flags"`
	SafeContact []string `json:"safe_contact"`
}

func toAPIClient(c casework.Client) apiClient {
	h := c.Header()
	out := apiClient{
		ID: c.ID, Service: c.ServiceID, GivenName: c.GivenName, FamilyName: c.FamilyName,
		PreferredName: c.PreferredName, PreviousNames: c.PreviousNames,
		NameWithheld: c.NameWithheld, Initials: c.Initials, Reference: h.Reference, AgeBand: c.AgeBand,
		Details: c.Details, HowHeardLabel: c.HowHeardLabel, Contact: c.Contact, SafeContact: c.SafeContact,
		GP: c.GP, SupportNetwork: c.Network, Monitoring: c.Monitoring, Flags: c.Flags,
		Header:  apiHeader{DisplayName: h.DisplayName, Flags: h.Flags, SafeContact: h.SafeContact},
		Version: c.Version,
	}
	if !c.DateOfBirth.IsZero() {
		out.DateOfBirth = c.DateOfBirth.Format(casework.DateLayout)
	}
	// Empty lists as [], not null.
	if out.PreviousNames == nil {
		out.PreviousNames = []string{}
	}
	if out.SupportNetwork == nil {
		out.SupportNetwork = []casework.SupportPerson{}
	}
	if out.Contact.Phones == nil {
		out.Contact.Phones = []casework.Phone{}
	}
	if out.Flags.Kinds == nil {
		out.Flags.Kinds = []string{}
	}
	if out.Header.Flags == nil {
		out.Header.Flags = []string{}
	}
	return out
}

func (s *Server) apiCreateClient(w http.ResponseWriter, r *http.Request, v *viewer) error {
	var in casework.ClientInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	// "service" may be a service's id or its name.
	if in.ServiceID != "" && !store.ValidID(in.ServiceID) {
		if sv, err := s.app.Staff.ServiceByName(r.Context(), in.ServiceID); err == nil {
			in.ServiceID = sv.ID
		}
	}
	id, err := s.app.Casework.CreateClient(r.Context(), v.User.Actor(), in)
	if errors.Is(err, casework.ErrForbidden) {
		return &apiError{Status: http.StatusBadRequest, Code: "invalid", Message: "The request has invalid fields.",
			Fields: []casework.FieldError{{Field: "service", Message: "is not a service you can add clients to"}}}
	}
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/clients/"+id)
	writeJSON(w, http.StatusCreated, map[string]string{"id": id})
	return nil
}

// apiCreate answers the POST that records something new of a client's (a
// case, a note, a letter, an appointment, a comment): it decodes a T,
// records it with create, and answers 201 with the new id and, in
// Location, where it is, under kind.
func apiCreate[T any](kind string, create func(ctx context.Context, actor access.Actor, clientID string, in T) (string, error)) apiHandler {
	return func(w http.ResponseWriter, r *http.Request, v *viewer) error {
		var in T
		if err := decodeJSON(r, &in); err != nil {
			return err
		}
		clientID := r.PathValue("id")
		id, err := create(r.Context(), v.User.Actor(), clientID, in)
		if err != nil {
			return err
		}
		w.Header().Set("Location", "/api/v1/clients/"+clientID+"/"+kind+"/"+id)
		writeJSON(w, http.StatusCreated, map[string]string{"id": id})
		return nil
	}
}

// apiChange answers the POST that changes one of a client's records (a
// case's status, an appointment's time, a comment's answer): it decodes a
// T, applies it with change to the record the path names by idParam, and
// answers with get: the record as it now is.
func apiChange[T any](idParam string, change func(ctx context.Context, actor access.Actor, clientID, id string, in T) error, get apiHandler) apiHandler {
	return func(w http.ResponseWriter, r *http.Request, v *viewer) error {
		var in T
		if err := decodeJSON(r, &in); err != nil {
			return err
		}
		if err := change(r.Context(), v.User.Actor(), r.PathValue("id"), r.PathValue(idParam), in); err != nil {
			return err
		}
		return get(w, r, v)
	}
}

// apiPurpose reads the purpose query parameter of every API read; the
// default is casework (administration for admin staff).
func apiPurpose(r *http.Request, v *viewer) (access.Purpose, error) {
	p := access.Purpose(r.URL.Query().Get("purpose"))
	if p == "" {
		p = access.Casework
		if v.User.Role == access.AdminStaff {
			p = access.Administration
		}
	}
	if !p.Valid() {
		return p, &apiError{Status: http.StatusBadRequest, Code: "invalid", Message: "Unknown purpose.",
			Fields: []casework.FieldError{{Field: "purpose", Message: "must be one of casework, administration, rights-request, review"}}}
	}
	return p, nil
}

func (s *Server) apiGetClient(w http.ResponseWriter, r *http.Request, v *viewer) error {
	p, err := apiPurpose(r, v)
	if err != nil {
		return err
	}
	c, err := s.app.Casework.Client(r.Context(), v.User.Actor(), r.PathValue("id"), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toAPIClient(c))
	return nil
}

// apiClientPatch changes some parts of a record. version is the version
// the change was made from. The names part (given_name, family_name,
// date_of_birth, preferred_name, previous_names) is replaced whole when
// any of its fields is sent; each other part is replaced whole when sent,
// and left as it is when not.
type apiClientPatch struct {
	Version       *int64    `json:"version"`
	GivenName     *string   `json:"given_name"`
	FamilyName    *string   `json:"family_name"`
	DateOfBirth   *string   `json:"date_of_birth"`
	PreferredName *string   `json:"preferred_name"`
	PreviousNames *[]string `json:"previous_names"`
	casework.RecordParts
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func (s *Server) apiUpdateClient(w http.ResponseWriter, r *http.Request, v *viewer) error {
	var in apiClientPatch
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if in.Version == nil {
		return &apiError{Status: http.StatusBadRequest, Code: "invalid", Message: "The request has invalid fields.",
			Fields: []casework.FieldError{{Field: "version", Message: "is required: send the version you read"}}}
	}
	id, actor := r.PathValue("id"), v.User.Actor()
	var err error
	if in.GivenName != nil || in.FamilyName != nil || in.DateOfBirth != nil || in.PreferredName != nil || in.PreviousNames != nil {
		err = s.app.Casework.UpdateClient(r.Context(), actor, id, *in.Version, casework.ClientInput{
			GivenName: deref(in.GivenName), FamilyName: deref(in.FamilyName), DateOfBirth: deref(in.DateOfBirth),
			PreferredName: deref(in.PreferredName), PreviousNames: deref(in.PreviousNames), RecordParts: in.RecordParts,
		})
	} else {
		err = s.app.Casework.UpdateRecord(r.Context(), actor, id, *in.Version, in.RecordParts)
	}
	if err != nil {
		return err
	}
	p := access.Casework
	if v.User.Role == access.AdminStaff {
		p = access.Administration
	}
	c, err := s.app.Casework.Client(r.Context(), actor, id, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toAPIClient(c))
	return nil
}

// apiList is one of the organisation's lists.
type apiList struct {
	Name  casework.ListName   `json:"name"`
	Title string              `json:"title"`
	Items []casework.ListItem `json:"items"`
}

func (s *Server) apiLists(w http.ResponseWriter, r *http.Request, v *viewer) error {
	out := []apiList{}
	for _, l := range casework.ListNames {
		items, err := s.app.Casework.List(r.Context(), l)
		if err != nil {
			return err
		}
		if items == nil {
			items = []casework.ListItem{}
		}
		out = append(out, apiList{Name: l, Title: l.Title(), Items: items})
	}
	writeJSON(w, http.StatusOK, map[string]any{"lists": out})
	return nil
}

func (s *Server) apiNotFound(w http.ResponseWriter, r *http.Request, v *viewer) error {
	return casework.ErrNotFound
}

func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(openAPIDocument)
}
