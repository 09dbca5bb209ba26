package web

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/caseward/caseward/internal/access"
	"github.com/caseward/caseward/internal/casework"
)

// itemPage is the page of one thing on a client's record that has forms of
// its own (an appointment, a comment): the parts in which one kind's page
// differs from another's, so that viewing it and running its forms are written
// once.
type itemPage[P any] struct {
	list     string // the record's list of these, the path below /clients/{id}/
	idParam  string // the path value that names the item
	template string
	noun     string            // names the item in the conflict message
	fields   map[string]string // a field's form input, for the error summary
	build    func(s *Server, r *http.Request, v *viewer, clientID, itemID string, p access.Purpose) (P, error)
}

// formPage is a page of forms that shows a message, errors in a summary and
// errors next to the fields.
type formPage[P any] interface {
	*P
	form() (*basePage, *map[string]string)
}

func viewItem[P any, PP formPage[P]](s *Server, w http.ResponseWriter, r *http.Request, v *viewer, it itemPage[P]) error {
	id := r.PathValue("id")
	p, ok := purpose(v, r)
	if !ok {
		return s.apptAskPurpose(w, v, id)
	}
	page, err := it.build(s, r, v, id, r.PathValue(it.idParam), p)
	if err != nil {
		return err
	}
	base, _ := PP(&page).form()
	base.Message = apptDone(r.URL.Query().Get("done"))
	return s.render(w, http.StatusOK, it.template, page)
}

// changeItem runs one of the item's forms: on success back to the item; with
// errors or a conflict, the page again with what was typed.
func changeItem[P any, PP formPage[P]](s *Server, w http.ResponseWriter, r *http.Request, v *viewer, it itemPage[P], done string,
	keep func(p *P), change func(version int64) error) error {
	id, itemID := r.PathValue("id"), r.PathValue(it.idParam)
	version, _ := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	if version <= 0 {
		version = -1 // a form always carries the version it was made from
	}
	err := change(version)
	var ve *casework.ValidationError
	switch {
	case err == nil:
		http.Redirect(w, r, "/clients/"+id+"/"+it.list+"/"+itemID+"?done="+done, http.StatusSeeOther)
		return nil
	case errors.As(err, &ve), errors.Is(err, casework.ErrConflict):
		p, _ := purpose(v, r)
		page, perr := it.build(s, r, v, id, itemID, p)
		if perr != nil {
			return perr
		}
		keep(&page)
		base, errs := PP(&page).form()
		if ve != nil {
			*errs = apptErrors(ve, it.fields, base)
			return s.render(w, http.StatusBadRequest, it.template, page)
		}
		base.Errors = []errorItem{{"", "Someone else changed this " + it.noun + " while you were working on it. Check it below, then try again"}}
		return s.render(w, http.StatusConflict, it.template, page)
	}
	return err
}
