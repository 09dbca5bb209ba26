package staff

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/caseward/caseward/internal/store"
)

// Service is a part of the organisation with its own team: counselling,
// children and young people, advocacy.
type Service struct {
	ID   string
	Name string
	// SharedCaseload lets every caseworker in the service see all its
	// clients, not only those assigned to them.
	SharedCaseload bool
	CreatedAt      time.Time
}

// AddService creates a service. The name is trimmed and must be 1–100
// characters and unique whatever its case; a duplicate gives a
// ValidationErrors wrapping ErrExists.
func (s *Store) AddService(ctx context.Context, name string, sharedCaseload bool) (Service, error) {
	name, msg := checkName(name, "a service name")
	if msg != "" {
		return Service{}, ValidationErrors{{Field: "name", Message: msg}}
	}
	svc := Service{ID: store.NewID(), Name: name, SharedCaseload: sharedCaseload, CreatedAt: fromMicros(micros(s.now()))}
	dup := exists("name", "A service with this name already exists")
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		var one int
		switch err := store.NotFound(tx.QueryRow(ctx, "SELECT 1 FROM services WHERE name_key = ?", strings.ToLower(name)).Scan(&one)); {
		case err == nil:
			return dup
		case !errors.Is(err, store.ErrNotFound):
			return err
		}
		_, err := tx.Exec(ctx, "INSERT INTO services (id, name, name_key, caseload_shared, created_at) VALUES (?, ?, ?, ?, ?)",
			svc.ID, svc.Name, strings.ToLower(name), boolInt(sharedCaseload), micros(svc.CreatedAt))
		if isUniqueViolation(err) {
			return dup
		}
		return err
	})
	if err != nil {
		if isValidation(err) {
			return Service{}, err
		}
		return Service{}, fmt.Errorf("staff: add service: %w", err)
	}
	return svc, nil
}

// Services returns every service, ordered by name.
func (s *Store) Services(ctx context.Context) ([]Service, error) {
	svcs, err := s.services(ctx, s.db)
	if err != nil {
		return nil, fmt.Errorf("staff: services: %w", err)
	}
	return svcs, nil
}

func (s *Store) services(ctx context.Context, q querier) ([]Service, error) {
	rows, err := q.Query(ctx, "SELECT id, name, caseload_shared, created_at FROM services")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var svcs []Service
	for rows.Next() {
		var (
			svc     Service
			shared  int64
			created int64
		)
		if err := rows.Scan(&svc.ID, &svc.Name, &shared, &created); err != nil {
			return nil, err
		}
		svc.SharedCaseload, svc.CreatedAt = shared != 0, fromMicros(created)
		svcs = append(svcs, svc)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	slices.SortFunc(svcs, func(a, b Service) int {
		return cmpFold(a.Name, a.ID, b.Name, b.ID)
	})
	return svcs, nil
}

// ServiceByName returns the service called name, whatever its case, or an
// error wrapping store.ErrNotFound.
func (s *Store) ServiceByName(ctx context.Context, name string) (Service, error) {
	return s.service(ctx, "name_key = ?", strings.ToLower(strings.TrimSpace(name)))
}

// ServiceByID returns the service with id, or an error wrapping
// store.ErrNotFound.
func (s *Store) ServiceByID(ctx context.Context, id string) (Service, error) {
	return s.service(ctx, "id = ?", id)
}

func (s *Store) service(ctx context.Context, where string, arg any) (Service, error) {
	var (
		svc     Service
		shared  int64
		created int64
	)
	err := s.db.QueryRow(ctx, "SELECT id, name, caseload_shared, created_at FROM services WHERE "+where, arg).
		Scan(&svc.ID, &svc.Name, &shared, &created)
	if err != nil {
		return Service{}, fmt.Errorf("staff: service: %w", store.NotFound(err))
	}
	svc.SharedCaseload, svc.CreatedAt = shared != 0, fromMicros(created)
	return svc, nil
}

// resolveServices turns service ids or names into sorted, distinct ids, and
// says which were not found.
func (s *Store) resolveServices(ctx context.Context, q querier, refs []string) (ids, unknown []string, err error) {
	if len(refs) == 0 {
		return nil, nil, nil
	}
	all, err := s.services(ctx, q)
	if err != nil {
		return nil, nil, err
	}
	for _, ref := range refs {
		ref = strings.TrimSpace(ref)
		i := slices.IndexFunc(all, func(svc Service) bool { return svc.ID == ref })
		if i < 0 {
			i = slices.IndexFunc(all, func(svc Service) bool { return strings.EqualFold(svc.Name, ref) })
		}
		if i < 0 {
			unknown = append(unknown, ref)
			continue
		}
		ids = append(ids, all[i].ID)
	}
	slices.Sort(ids)
	return slices.Compact(ids), unknown, nil
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// cmpFold orders by name ignoring case, then by id, the same on both
// engines whatever their collation.
func cmpFold(nameA, idA, nameB, idB string) int {
	if c := strings.Compare(strings.ToLower(nameA), strings.ToLower(nameB)); c != 0 {
		return c
	}
	return strings.Compare(idA, idB)
}
