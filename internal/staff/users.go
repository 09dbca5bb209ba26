package staff

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/caseward/caseward/internal/access"
	"github.com/caseward/caseward/internal/auth/password"
	"github.com/caseward/caseward/internal/auth/totp"
	"github.com/caseward/caseward/internal/store"
)

// User is a member of staff's account.
type User struct {
	ID       string
	Email    string
	Name     string
	Role     access.Role
	Services []string // ids of the services the person belongs to, sorted
	Disabled bool
	// CreatedAt is when the account was made.
	CreatedAt time.Time
}

// Actor returns who the user is to the access policy. A disabled user is the
// empty Actor, which the policy denies everything.
func (u User) Actor() access.Actor {
	if u.Disabled || u.ID == "" {
		return access.Actor{}
	}
	return access.Actor{UserID: u.ID, Role: u.Role, Services: slices.Clone(u.Services)}
}

// NewUser is what it takes to make an account.
type NewUser struct {
	Email string
	Name  string
	Role  access.Role
	// Services are the ids or names of the services the person belongs
	// to. Caseworkers, managers and admin staff need at least one.
	Services []string
	// Password is the first password, chosen under password.Check.
	Password string
}

// UserUpdate is the new name, role and services of an account; every field
// replaces the old value.
type UserUpdate struct {
	Name     string
	Role     access.Role
	Services []string // ids or names
}

// Enrolment is what a person's authenticator app needs: the TOTP secret in
// base32, to type in, and the otpauth URI carrying it, to show as a QR code.
// Show it once, to the person whose account it is, and store it nowhere.
type Enrolment struct {
	Secret string
	URI    string
}

// AddUser validates nu, hashes the password with Argon2id, generates a TOTP
// secret and creates the account. Problems with the input come back as
// ValidationErrors, all at once, and nothing is written; an email address
// already in use (whatever its case) wraps ErrExists. The Enrolment is
// returned only here (and by ResetSecondFactor).
func (s *Store) AddUser(ctx context.Context, nu NewUser) (User, Enrolment, error) {
	u, hash, err := s.prepareUser(ctx, nu)
	if err != nil {
		return User{}, Enrolment{}, err
	}
	enrol, sealed, err := s.newEnrolment(u)
	if err != nil {
		return User{}, Enrolment{}, fmt.Errorf("staff: add user: %w", err)
	}
	err = s.db.Tx(ctx, func(tx *store.Tx) error { return s.insertUser(ctx, tx, u, hash, sealed) })
	if err != nil {
		if isValidation(err) {
			return User{}, Enrolment{}, err
		}
		return User{}, Enrolment{}, fmt.Errorf("staff: add user: %w", err)
	}
	return u, enrol, nil
}

// prepareUser validates nu and hashes its password, returning the User to
// insert with a fresh id. If roles are given, the role must be one of them.
func (s *Store) prepareUser(ctx context.Context, nu NewUser, roles ...access.Role) (User, string, error) {
	var (
		problems ValidationErrors
		msg      string
		u        = User{ID: store.NewID(), Role: nu.Role, CreatedAt: fromMicros(micros(s.now()))}
	)
	if u.Email, msg = checkEmail(nu.Email); msg != "" {
		problems.add("email", msg)
	} else {
		var one int
		switch err := store.NotFound(s.db.QueryRow(ctx, "SELECT 1 FROM users WHERE email_key = ?", emailKey(u.Email)).Scan(&one)); {
		case err == nil:
			problems = append(problems, exists("email", "An account with this email address already exists").(ValidationErrors)...)
		case !errors.Is(err, store.ErrNotFound):
			return User{}, "", fmt.Errorf("staff: add user: %w", err)
		}
	}
	var err error
	if u.Name, u.Services, err = s.checkAccess(ctx, &problems, nu.Name, nu.Role, nu.Services, roles...); err != nil {
		return User{}, "", fmt.Errorf("staff: add user: %w", err)
	}
	if err := password.Check(nu.Password, true); err != nil {
		problems.add("password", err.Error())
	}
	if err := problems.err(); err != nil {
		return User{}, "", err
	}
	hash, err := s.hasher.Hash(ctx, nu.Password)
	if err != nil {
		return User{}, "", fmt.Errorf("staff: add user: %w", err)
	}
	return u, hash, nil
}

// checkAccess validates a name, a role (one of roles, if given) and
// services, adding problems, and returns the trimmed name and the service
// ids.
func (s *Store) checkAccess(ctx context.Context, problems *ValidationErrors, name string, role access.Role, services []string, roles ...access.Role) (string, []string, error) {
	name, msg := checkName(name, "a name")
	if msg != "" {
		problems.add("name", msg)
	}
	switch {
	case !role.Valid():
		problems.add("role", "Select a role")
	case len(roles) > 0 && !slices.Contains(roles, role):
		problems.add("role", "Select one of: "+roleList(roles))
	}
	ids, unknown, err := s.resolveServices(ctx, s.db, services)
	if err != nil {
		return "", nil, err
	}
	switch {
	case len(unknown) > 0:
		problems.add("services", fmt.Sprintf("There is no service called %q", unknown[0]))
	case len(ids) == 0 && needsService(role):
		problems.add("services", "Select at least one service")
	}
	return name, ids, nil
}

// needsService reports whether role sees clients only through services, so
// that an account without one could do nothing.
func needsService(role access.Role) bool {
	return role == access.Caseworker || role == access.Manager || role == access.AdminStaff
}

// newEnrolment generates a TOTP secret for u and seals it for storage.
func (s *Store) newEnrolment(u User) (Enrolment, []byte, error) {
	secret, uri, err := totp.Generate(s.issuer, u.Email)
	if err != nil {
		return Enrolment{}, nil, fmt.Errorf("totp: %w", err)
	}
	return Enrolment{Secret: secret, URI: uri}, s.sealSecret(u.ID, secret), nil
}

// insertUser writes a prepared account in tx.
func (s *Store) insertUser(ctx context.Context, tx *store.Tx, u User, hash string, sealedSecret []byte) error {
	dup := exists("email", "An account with this email address already exists")
	var one int
	switch err := store.NotFound(tx.QueryRow(ctx, "SELECT 1 FROM users WHERE email_key = ?", emailKey(u.Email)).Scan(&one)); {
	case err == nil:
		return dup
	case !errors.Is(err, store.ErrNotFound):
		return err
	}
	_, err := tx.Exec(ctx, `INSERT INTO users (id, email, email_key, name, role, password_hash, totp_secret, totp_last_step, disabled, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, 0, 0, ?)`,
		u.ID, u.Email, emailKey(u.Email), u.Name, string(u.Role), hash, sealedSecret, micros(u.CreatedAt))
	if isUniqueViolation(err) {
		return dup
	}
	if err != nil {
		return err
	}
	return setServices(ctx, tx, u.ID, u.Services)
}

// setServices replaces the services of user id.
func setServices(ctx context.Context, tx *store.Tx, id string, serviceIDs []string) error {
	if _, err := tx.Exec(ctx, "DELETE FROM user_services WHERE user_id = ?", id); err != nil {
		return err
	}
	for _, sid := range serviceIDs {
		if _, err := tx.Exec(ctx, "INSERT INTO user_services (user_id, service_id) VALUES (?, ?)", id, sid); err != nil {
			return err
		}
	}
	return nil
}

// UserByID returns the account with id, disabled or not, or an error
// wrapping store.ErrNotFound.
func (s *Store) UserByID(ctx context.Context, id string) (User, error) {
	u, err := userWhere(ctx, s.db, "id = ?", id)
	if err != nil {
		return User{}, fmt.Errorf("staff: user: %w", err)
	}
	return u, nil
}

// UserByEmail returns the account with the email address, whatever its
// case, disabled or not, or an error wrapping store.ErrNotFound.
func (s *Store) UserByEmail(ctx context.Context, email string) (User, error) {
	u, err := userWhere(ctx, s.db, "email_key = ?", emailKey(email))
	if err != nil {
		return User{}, fmt.Errorf("staff: user: %w", err)
	}
	return u, nil
}

// userWhere reads one account and its services.
func userWhere(ctx context.Context, q querier, where string, arg any) (User, error) {
	var (
		u        User
		role     string
		disabled int64
		created  int64
	)
	err := q.QueryRow(ctx, "SELECT id, email, name, role, disabled, created_at FROM users WHERE "+where, arg).
		Scan(&u.ID, &u.Email, &u.Name, &role, &disabled, &created)
	if err != nil {
		return User{}, store.NotFound(err)
	}
	u.Role, u.Disabled, u.CreatedAt = access.Role(role), disabled != 0, fromMicros(created)
	rows, err := q.Query(ctx, "SELECT service_id FROM user_services WHERE user_id = ? ORDER BY service_id", u.ID)
	if err != nil {
		return User{}, err
	}
	defer rows.Close()
	for rows.Next() {
		var sid string
		if err := rows.Scan(&sid); err != nil {
			return User{}, err
		}
		u.Services = append(u.Services, sid)
	}
	if err := rows.Err(); err != nil {
		return User{}, err
	}
	return u, nil
}

// Users returns every account, disabled ones included, ordered by name.
func (s *Store) Users(ctx context.Context) ([]User, error) {
	users, err := s.users(ctx)
	if err != nil {
		return nil, fmt.Errorf("staff: users: %w", err)
	}
	return users, nil
}

func (s *Store) users(ctx context.Context) ([]User, error) {
	rows, err := s.db.Query(ctx, "SELECT id, email, name, role, disabled, created_at FROM users")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var (
		users []User
		index = map[string]int{}
	)
	for rows.Next() {
		var (
			u        User
			role     string
			disabled int64
			created  int64
		)
		if err := rows.Scan(&u.ID, &u.Email, &u.Name, &role, &disabled, &created); err != nil {
			return nil, err
		}
		u.Role, u.Disabled, u.CreatedAt = access.Role(role), disabled != 0, fromMicros(created)
		index[u.ID] = len(users)
		users = append(users, u)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()

	srows, err := s.db.Query(ctx, "SELECT user_id, service_id FROM user_services ORDER BY user_id, service_id")
	if err != nil {
		return nil, err
	}
	defer srows.Close()
	for srows.Next() {
		var uid, sid string
		if err := srows.Scan(&uid, &sid); err != nil {
			return nil, err
		}
		if i, ok := index[uid]; ok {
			users[i].Services = append(users[i].Services, sid)
		}
	}
	if err := srows.Err(); err != nil {
		return nil, err
	}
	slices.SortFunc(users, func(a, b User) int { return cmpFold(a.Name, a.ID, b.Name, b.ID) })
	return users, nil
}

// UpdateUser replaces the name, role and services of account id. Problems
// with the input come back as ValidationErrors and nothing is written.
// Sessions carry on: every request reads the account afresh, so the change
// applies at the next one.
func (s *Store) UpdateUser(ctx context.Context, id string, up UserUpdate) (User, error) {
	var problems ValidationErrors
	name, services, err := s.checkAccess(ctx, &problems, up.Name, up.Role, up.Services)
	if err != nil {
		return User{}, fmt.Errorf("staff: update user: %w", err)
	}
	if err := problems.err(); err != nil {
		return User{}, err
	}
	var u User
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		n, err := rowsAffected(tx.Exec(ctx, "UPDATE users SET name = ?, role = ? WHERE id = ?", name, string(up.Role), id))
		if err != nil {
			return err
		}
		if n == 0 {
			return store.ErrNotFound
		}
		if err := setServices(ctx, tx, id, services); err != nil {
			return err
		}
		u, err = userWhere(ctx, tx, "id = ?", id)
		return err
	})
	if err != nil {
		return User{}, fmt.Errorf("staff: update user: %w", err)
	}
	return u, nil
}

// SetPassword checks pw against the password policy (a ValidationErrors
// for field "password" if it fails), stores its hash, clears the account's
// failed sign-ins and ends all its sessions, so the person signs in again
// everywhere.
func (s *Store) SetPassword(ctx context.Context, userID, pw string) error {
	if err := password.Check(pw, true); err != nil {
		return ValidationErrors{{Field: "password", Message: err.Error()}}
	}
	hash, err := s.hasher.Hash(ctx, pw)
	if err != nil {
		return fmt.Errorf("staff: set password: %w", err)
	}
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		var email string
		if err := tx.QueryRow(ctx, "SELECT email FROM users WHERE id = ?"+tx.ForUpdate(), userID).Scan(&email); err != nil {
			return store.NotFound(err)
		}
		if _, err := tx.Exec(ctx, "UPDATE users SET password_hash = ? WHERE id = ?", hash, userID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "DELETE FROM signin_failures WHERE account_key = ?", accountKey(email)); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, "DELETE FROM sessions WHERE user_id = ?", userID)
		return err
	})
	if err != nil {
		return fmt.Errorf("staff: set password: %w", err)
	}
	return nil
}

// ResetSecondFactor gives account id a new TOTP secret, for a lost or
// replaced phone, and ends all its sessions. The old secret stops working
// at once. Show the Enrolment once, to the account's owner.
func (s *Store) ResetSecondFactor(ctx context.Context, userID string) (Enrolment, error) {
	var enrol Enrolment
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		u, err := userWhere(ctx, tx, "id = ?", userID)
		if err != nil {
			return err
		}
		var sealed []byte
		if enrol, sealed, err = s.newEnrolment(u); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "UPDATE users SET totp_secret = ?, totp_last_step = 0 WHERE id = ?", sealed, userID); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, "DELETE FROM sessions WHERE user_id = ?", userID)
		return err
	})
	if err != nil {
		return Enrolment{}, fmt.Errorf("staff: reset second factor: %w", err)
	}
	return enrol, nil
}

// DisableUser stops account id from signing in and ends its sessions and
// API tokens at once. The account and its history stay.
func (s *Store) DisableUser(ctx context.Context, userID string) error {
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		n, err := rowsAffected(tx.Exec(ctx, "UPDATE users SET disabled = 1 WHERE id = ?", userID))
		if err != nil {
			return err
		}
		if n == 0 {
			return store.ErrNotFound
		}
		if _, err := tx.Exec(ctx, "DELETE FROM sessions WHERE user_id = ?", userID); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, "DELETE FROM api_tokens WHERE user_id = ?", userID)
		return err
	})
	if err != nil {
		return fmt.Errorf("staff: disable user: %w", err)
	}
	return nil
}

// EnableUser lets a disabled account sign in again. Its old sessions and
// API tokens stay ended.
func (s *Store) EnableUser(ctx context.Context, userID string) error {
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		n, err := rowsAffected(tx.Exec(ctx, "UPDATE users SET disabled = 0 WHERE id = ?", userID))
		if err != nil {
			return err
		}
		if n == 0 {
			return store.ErrNotFound
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("staff: enable user: %w", err)
	}
	return nil
}

// roleList names roles for a message.
func roleList(roles []access.Role) string {
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = RoleName(r)
	}
	return strings.Join(names, ", ")
}

// RoleName returns the name of role as pages show it.
func RoleName(r access.Role) string {
	switch r {
	case access.Caseworker:
		return "caseworker"
	case access.Manager:
		return "service manager"
	case access.AdminStaff:
		return "admin staff"
	case access.DPO:
		return "Data Protection Officer"
	case access.Trustee:
		return "trustee"
	case access.Sysadmin:
		return "system administrator"
	}
	return string(r)
}
