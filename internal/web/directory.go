package web

import (
	"context"

	"github.com/caseward/caseward/internal/staff"
)

// staffDirectory names the staff and services that records refer to by
// id, read once per request. The pages of each area embed it and add
// their own ways of listing people.
type staffDirectory struct {
	users    []staff.User
	names    map[string]string // staff id → name
	services map[string]string // service id → name
}

func (s *Server) staffDirectory(ctx context.Context) (staffDirectory, error) {
	users, err := s.app.Staff.Users(ctx)
	if err != nil {
		return staffDirectory{}, err
	}
	svcs, err := s.app.Staff.Services(ctx)
	if err != nil {
		return staffDirectory{}, err
	}
	d := staffDirectory{users: users, names: make(map[string]string, len(users)), services: make(map[string]string, len(svcs))}
	for _, u := range users {
		d.names[u.ID] = u.Name
	}
	for _, sv := range svcs {
		d.services[sv.ID] = sv.Name
	}
	return d, nil
}

// name names a member of staff; an account that no longer exists was
// still somebody who did the work.
func (d staffDirectory) name(id string) string {
	if id == "" {
		return ""
	}
	if n, ok := d.names[id]; ok {
		return n
	}
	return "A former member of staff"
}
