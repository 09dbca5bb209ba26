package web

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/caseward/caseward/internal/access"
	"github.com/caseward/caseward/internal/casework"
)

// Client comments, suggestions, concerns and complaints (P07): recorded,
// owned, tracked to an answer; listed per client and, for managers, across
// their services with the overdue first.

// commentRow is a comment as the lists show it.
type commentRow struct {
	ID, ClientID, Client, Reference string
	Kind, Received, Owner, Due      string
	Status, StatusClass             string
	Overdue, CanOpen                bool
}

func commentStatusClass(c casework.Comment, overdue bool) string {
	switch {
	case overdue:
		return "govuk-tag--red"
	case c.Status == casework.CommentOpen:
		return "govuk-tag--blue"
	case c.Status == casework.CommentAnswered:
		return "govuk-tag--green"
	}
	return "govuk-tag--grey"
}

func (d apptDirectory) commentRow(c casework.Comment, today time.Time) commentRow {
	overdue := c.Overdue(today)
	status := c.StatusLabel()
	if overdue {
		status = "Overdue"
	}
	return commentRow{
		ID: c.ID, ClientID: c.ClientID, Reference: casework.Reference(c.ClientID),
		Kind: c.KindLabel(), Received: c.ReceivedOn.Format("2 January 2006"), Owner: d.name(c.OwnerID),
		Due: c.DueOn.Format("2 January 2006"), Status: status, StatusClass: commentStatusClass(c, overdue), Overdue: overdue,
	}
}

type commentsPage struct {
	basePage
	Header    casework.Header
	ClientID  string
	Q         string
	Rows      []commentRow
	CanRecord bool
}

func (s *Server) clientComments(w http.ResponseWriter, r *http.Request, v *viewer) error {
	id := r.PathValue("id")
	p, ok := purpose(v, r)
	if !ok {
		return s.apptAskPurpose(w, v, id)
	}
	cc, err := s.app.Casework.ClientCommentList(r.Context(), v.User.Actor(), id, p)
	if err != nil {
		return err
	}
	d, err := s.apptDirectory(r.Context())
	if err != nil {
		return err
	}
	page := commentsPage{basePage: s.base(v), Header: cc.Header, ClientID: id, Q: apptQuery(v, p), CanRecord: cc.CanRecord}
	for _, c := range cc.Comments {
		page.Rows = append(page.Rows, d.commentRow(c, cc.Today))
	}
	page.Message = apptDone(r.URL.Query().Get("done"))
	return s.render(w, http.StatusOK, "comments", page)
}

// commentForm is the form recording a comment, kept whole with errors.
type commentForm struct {
	basePage
	Header                          casework.Header
	ClientID                        string
	Services, Owners, Kinds, Ways   []choice
	Service, Kind, What, How, Owner string
	Received, Due                   dateFields
	Err                             map[string]string
}

var commentFields = map[string]string{
	"service": "service", "kind": "kind", "what": "what", "received_on": "received-day",
	"how_received": "how", "owner": "owner", "due_on": "due-day",
}

func (f *commentForm) fill(bo casework.BookingOptions, d apptDirectory) {
	f.Header = bo.Header
	var ids []string
	for _, l := range bo.Services {
		ids = append(ids, l.ServiceID)
		f.Services = append(f.Services, choice{Value: l.ServiceID, Label: d.services[l.ServiceID]})
	}
	f.Owners = d.workers(ids)
	f.Kinds = apptCodes(casework.CommentKinds)
	f.Ways = apptCodes(casework.CommentChannels)
}

func (s *Server) newCommentForm(w http.ResponseWriter, r *http.Request, v *viewer) error {
	id := r.PathValue("id")
	bo, d, err := s.bookingOptions(r, v, id)
	if err != nil {
		return err
	}
	today := s.now().In(casework.LocalZone())
	f := commentForm{basePage: s.base(v), ClientID: id, Received: dayOf(today)}
	f.fill(bo, d)
	if len(bo.Services) == 1 {
		f.Service = bo.Services[0].ServiceID
	}
	if v.User.Role == access.Caseworker || v.User.Role == access.Manager {
		f.Owner = v.User.ID
	}
	return s.render(w, http.StatusOK, "comments_new", f)
}

func (s *Server) recordComment(w http.ResponseWriter, r *http.Request, v *viewer) error {
	id := r.PathValue("id")
	f := commentForm{basePage: s.base(v), ClientID: id,
		Service: r.PostFormValue("service"), Kind: r.PostFormValue("kind"), What: r.PostFormValue("what"),
		How: r.PostFormValue("how_received"), Owner: r.PostFormValue("owner"),
		Received: postedDate(r, "received"), Due: postedDate(r, "due"),
	}
	in := casework.CommentInput{Service: f.Service, Kind: f.Kind, What: f.What, HowReceived: f.How, Owner: f.Owner,
		ReceivedOn: f.Received.date(), DueOn: f.Due.date()}
	cid, err := s.app.Casework.RecordComment(r.Context(), v.User.Actor(), id, in)
	var ve *casework.ValidationError
	switch {
	case errors.As(err, &ve):
		bo, d, err := s.bookingOptions(r, v, id)
		if err != nil {
			return err
		}
		f.fill(bo, d)
		f.Err = apptErrors(ve, commentFields, &f.basePage)
		return s.render(w, http.StatusBadRequest, "comments_new", f)
	case err != nil:
		return err
	}
	http.Redirect(w, r, "/clients/"+id+"/comments/"+cid+"?done=recorded", http.StatusSeeOther)
	return nil
}

// commentPage is one comment with the forms that track it to an answer.
type commentPage struct {
	basePage
	Header                 casework.Header
	ClientID               string
	Q                      string
	C                      casework.Comment
	Row                    commentRow
	Service                string
	RecordedBy, AnsweredBy string
	WhatLines, AnswerLines []string
	CanChange              bool
	Version                int64
	Owners                 []choice
	Answer, Owner          string
	Answered               dateFields
	Err                    map[string]string
}

var commentPageFields = map[string]string{"answer": "answer", "answered_on": "answered-day", "owner": "owner", "status": ""}

func (s *Server) commentPage(r *http.Request, v *viewer, clientID, commentID string, p access.Purpose) (commentPage, error) {
	cv, err := s.app.Casework.ClientComment(r.Context(), v.User.Actor(), clientID, commentID, p)
	if err != nil {
		return commentPage{}, err
	}
	d, err := s.apptDirectory(r.Context())
	if err != nil {
		return commentPage{}, err
	}
	c := cv.Comment
	page := commentPage{basePage: s.base(v), Header: cv.Header, ClientID: clientID, Q: apptQuery(v, p), C: c,
		Row: d.commentRow(c, cv.Today), Service: d.services[c.ServiceID], RecordedBy: d.name(c.RecordedBy), AnsweredBy: d.name(c.AnsweredBy),
		CanChange: v.User.Role != access.DPO && c.Status != casework.CommentClosed, Version: c.Version,
		Owners: d.workers([]string{c.ServiceID}), Answer: c.Answer, Owner: c.OwnerID,
		WhatLines: apptLines(c.What), AnswerLines: apptLines(c.Answer)}
	return page, nil
}

func (p *commentPage) form() (*basePage, *map[string]string) { return &p.basePage, &p.Err }

var commentItem = itemPage[commentPage]{list: "comments", idParam: "cid", template: "comments_view",
	noun: "comment", fields: commentPageFields, build: (*Server).commentPage}

func (s *Server) viewComment(w http.ResponseWriter, r *http.Request, v *viewer) error {
	return viewItem(s, w, r, v, commentItem)
}

func (s *Server) answerComment(w http.ResponseWriter, r *http.Request, v *viewer) error {
	on := postedDate(r, "answered")
	in := casework.CommentAnswerInput{Answer: r.PostFormValue("answer"), AnsweredOn: on.date()}
	return changeItem(s, w, r, v, commentItem, "answered",
		func(p *commentPage) { p.Answer, p.Answered = in.Answer, on },
		func(version int64) error {
			in.Version = version
			return s.app.Casework.AnswerComment(r.Context(), v.User.Actor(), r.PathValue("id"), r.PathValue("cid"), in)
		})
}

func (s *Server) closeComment(w http.ResponseWriter, r *http.Request, v *viewer) error {
	return changeItem(s, w, r, v, commentItem, "closed", func(*commentPage) {},
		func(version int64) error {
			return s.app.Casework.CloseComment(r.Context(), v.User.Actor(), r.PathValue("id"), r.PathValue("cid"), version)
		})
}

func (s *Server) setCommentOwner(w http.ResponseWriter, r *http.Request, v *viewer) error {
	in := casework.CommentOwnerInput{Owner: r.PostFormValue("owner")}
	return changeItem(s, w, r, v, commentItem, "owner",
		func(p *commentPage) { p.Owner = in.Owner },
		func(version int64) error {
			in.Version = version
			return s.app.Casework.SetCommentOwner(r.Context(), v.User.Actor(), r.PathValue("id"), r.PathValue("cid"), in)
		})
}

// trackPage is the list a manager tracks: comments across their services.
type trackPage struct {
	basePage
	Closed     bool
	Manager    bool
	Rows       []commentRow
	Overdue    int
	Page       int
	Prev, Next string
}

const commentsPerPage = 100

func (s *Server) trackComments(w http.ResponseWriter, r *http.Request, v *viewer) error {
	p, ok := purpose(v, r)
	if !ok || v.User.Role == access.DPO {
		return casework.ErrNotFound
	}
	q := r.URL.Query()
	closed := q.Get("show") == "closed"
	n, _ := strconv.Atoi(q.Get("page"))
	n = max(n, 1)
	list, more, err := s.app.Casework.TrackComments(r.Context(), v.User.Actor(),
		casework.CommentFilter{Closed: closed, Limit: commentsPerPage, Offset: (n - 1) * commentsPerPage}, p)
	if err != nil {
		return err
	}
	d, err := s.apptDirectory(r.Context())
	if err != nil {
		return err
	}
	today := s.now().In(casework.LocalZone())
	today = time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, time.UTC)
	page := trackPage{basePage: s.base(v), Closed: closed, Manager: v.User.Role == access.Manager, Page: n}
	for _, tc := range list {
		row := d.commentRow(tc.Comment, today)
		row.Client, row.CanOpen = tc.DisplayName, tc.CanOpen
		page.Rows = append(page.Rows, row)
		if row.Overdue {
			page.Overdue++
		}
	}
	base := "/comments?"
	if closed {
		base += "show=closed&"
	}
	if n > 1 {
		page.Prev = base + "page=" + strconv.Itoa(n-1)
	}
	if more {
		page.Next = base + "page=" + strconv.Itoa(n+1)
	}
	return s.render(w, http.StatusOK, "comments_track", page)
}

// The JSON API mirrors the pages.

// apiComment is a comment as the API shows it.
type apiComment struct {
	ID          string `json:"id"`
	Client      string `json:"client"`
	DisplayName string `json:"display_name,omitempty"`
	Service     string `json:"service"`
	Kind        string `json:"kind"`
	What        string `json:"what,omitempty"`
	ReceivedOn  string `json:"received_on"`
	HowReceived string `json:"how_received"`
	Owner       string `json:"owner"`
	Status      string `json:"status"`
	DueOn       string `json:"due_on"`
	Overdue     bool   `json:"overdue"`
	Answer      string `json:"answer,omitempty"`
	AnsweredOn  string `json:"answered_on,omitempty"`
	ClosedOn    string `json:"closed_on,omitempty"`
	Version     int64  `json:"version"`
}

func toAPIComment(c casework.Comment, today time.Time) apiComment {
	day := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.Format(casework.DateLayout)
	}
	return apiComment{
		ID: c.ID, Client: c.ClientID, Service: c.ServiceID, Kind: c.Kind, What: c.What, ReceivedOn: day(c.ReceivedOn),
		HowReceived: c.HowReceived, Owner: c.OwnerID, Status: c.Status, DueOn: day(c.DueOn), Overdue: c.Overdue(today),
		Answer: c.Answer, AnsweredOn: day(c.AnsweredOn), ClosedOn: day(c.ClosedOn), Version: c.Version,
	}
}

func (s *Server) apiClientComments(w http.ResponseWriter, r *http.Request, v *viewer) error {
	p, err := apiPurpose(r, v)
	if err != nil {
		return err
	}
	cc, err := s.app.Casework.ClientCommentList(r.Context(), v.User.Actor(), r.PathValue("id"), p)
	if err != nil {
		return err
	}
	list := []apiComment{}
	for _, c := range cc.Comments {
		list = append(list, toAPIComment(c, cc.Today))
	}
	writeJSON(w, http.StatusOK, map[string]any{"comments": list})
	return nil
}

func (s *Server) apiGetComment(w http.ResponseWriter, r *http.Request, v *viewer) error {
	p, err := apiPurpose(r, v)
	if err != nil {
		return err
	}
	cv, err := s.app.Casework.ClientComment(r.Context(), v.User.Actor(), r.PathValue("id"), r.PathValue("cid"), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toAPIComment(cv.Comment, cv.Today))
	return nil
}

type apiCloseInput struct {
	Version int64 `json:"version"`
}

func (s *Server) apiTrackComments(w http.ResponseWriter, r *http.Request, v *viewer) error {
	p, err := apiPurpose(r, v)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	n, _ := strconv.Atoi(q.Get("page"))
	n = max(n, 1)
	list, more, err := s.app.Casework.TrackComments(r.Context(), v.User.Actor(),
		casework.CommentFilter{Closed: q.Get("show") == "closed", Limit: commentsPerPage, Offset: (n - 1) * commentsPerPage}, p)
	if err != nil {
		return err
	}
	today := s.now().In(casework.LocalZone())
	today = time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, time.UTC)
	out := []apiComment{}
	for _, tc := range list {
		c := toAPIComment(tc.Comment, today)
		c.DisplayName = tc.DisplayName
		out = append(out, c)
	}
	writeJSON(w, http.StatusOK, map[string]any{"comments": out, "more": more})
	return nil
}

// apiCloseComment closes a comment: the API sends only the version.
func (s *Server) apiCloseComment(ctx context.Context, actor access.Actor, clientID, id string, in apiCloseInput) error {
	return s.app.Casework.CloseComment(ctx, actor, clientID, id, in.Version)
}
