// Package access decides who may do what to which client's record. It holds
// rules only: no SQL, no keys, no audit. Package gate asks it and records the
// answer. Everything not allowed here is denied (deny by default).
package access

import "slices"

// Role is what a member of staff does in the organisation.
type Role string

// The roles of Caseward. A role alone never grants access to a client: the
// services a person belongs to and the client's assignment do.
const (
	Caseworker Role = "caseworker"  // caseworker, keyworker, counsellor
	Manager    Role = "manager"     // service manager
	AdminStaff Role = "admin-staff" // books appointments, handles contact details
	DPO        Role = "dpo"         // Data Protection Officer
	Trustee    Role = "trustee"     // board member: no access (P14)
	Sysadmin   Role = "sysadmin"    // runs the server, manages accounts: no client data (P13)
)

// System is the installation itself, running a command for its own upkeep
// (caseward search reindex). It is not in Roles: no member of staff has
// it, so no session or token can act as it; it is allowed only
// Maintenance, only to read names and contact details.
const System Role = "system"

// Roles lists every role, in the order forms offer them.
var Roles = []Role{Caseworker, Manager, AdminStaff, DPO, Trustee, Sysadmin}

// Valid reports whether r is one of Roles.
func (r Role) Valid() bool { return slices.Contains(Roles, r) }

// Action is what an actor wants to do with a client's record.
type Action string

// The actions the gate decides.
const (
	Create      Action = "create"       // create a client in a service
	ViewContact Action = "view-contact" // name and contact details
	ViewRecord  Action = "view-record"  // the personal record: contact details, date of birth, circumstances
	ViewNotes   Action = "view-notes"   // contact, sessional and clinical notes
	WriteNotes  Action = "write-notes"  // add or correct a note
	Edit        Action = "edit"         // change the personal record, cases, appointments

	// ViewClinicalNotes is reading a sessional or clinical note someone
	// else wrote (P13). A note's author always reads their own note
	// (package casework checks that first); for everyone else this action
	// decides: the service's managers, the DPO for their purposes, and the
	// caseworkers the service's ClinicalReaders setting names.
	ViewClinicalNotes Action = "view-clinical-notes"
)

// Actions lists every action.
var Actions = []Action{Create, ViewContact, ViewRecord, ViewNotes, WriteNotes, Edit, ViewClinicalNotes}

// ClinicalReaders is a service's setting: who, besides a note's author and
// the service's managers, reads the sessional and clinical notes written in
// that service (P13: "who the service allows").
type ClinicalReaders string

// The settings a service may choose, from the strictest.
const (
	ClinicalAuthorOnly ClinicalReaders = ""         // nobody else: the default
	ClinicalAssigned   ClinicalReaders = "assigned" // also the worker who owns the client's work in the service
	ClinicalTeam       ClinicalReaders = "team"     // also every caseworker who may read the client's notes there
)

// Valid reports whether c is one of the settings.
func (c ClinicalReaders) Valid() bool {
	return c == ClinicalAuthorOnly || c == ClinicalAssigned || c == ClinicalTeam
}

// Purpose is why the actor opens the record. It is recorded in the audit
// log with every decision, so it is a short code, never free text.
type Purpose string

// The purposes Caseward knows.
const (
	Casework       Purpose = "casework"       // working with the client
	Administration Purpose = "administration" // booking, contact details
	RightsRequest  Purpose = "rights-request" // the DPO answering a subject access, correction or erasure request
	Review         Purpose = "review"         // the DPO's review: a complaint, an audit, retention
	Maintenance    Purpose = "maintenance"    // the installation's upkeep: rebuilding the search index from the record
)

// Purposes lists every purpose.
var Purposes = []Purpose{Casework, Administration, RightsRequest, Review, Maintenance}

// Valid reports whether p is one of Purposes.
func (p Purpose) Valid() bool { return slices.Contains(Purposes, p) }

// Actor is the member of staff asking, as the session established them.
type Actor struct {
	UserID   string
	Role     Role
	Services []string // ids of the services the actor belongs to
}

// InService reports whether the actor belongs to service id.
func (a Actor) InService(id string) bool { return slices.Contains(a.Services, id) }

// Link ties a client to a service, and to the worker who owns their work
// there (empty when nobody does yet). A client has a link for each service
// with an open case of theirs.
type Link struct {
	ServiceID string
	WorkerID  string
	// Shared is the service's setting: every caseworker in it sees all its
	// clients, not only their own.
	Shared bool
	// Clinical is the service's setting for sessional and clinical notes.
	// The gate leaves it empty, the strictest; package casework, which
	// keeps the setting, fills it in before deciding ViewClinicalNotes.
	Clinical ClinicalReaders
}

// Subject is what the gate knows about a client without decrypting anything.
type Subject struct {
	ClientID string
	Links    []Link
}

// ServiceIDs lists the services the client is linked to.
func (s Subject) ServiceIDs() []string {
	ids := make([]string, 0, len(s.Links))
	for _, l := range s.Links {
		if !slices.Contains(ids, l.ServiceID) {
			ids = append(ids, l.ServiceID)
		}
	}
	return ids
}

// Decision is the answer, with a reason code for the audit log.
type Decision struct {
	Allowed bool
	Reason  string
}

func allow(reason string) Decision { return Decision{Allowed: true, Reason: reason} }
func deny(reason string) Decision  { return Decision{Allowed: false, Reason: reason} }

// Decide answers whether actor may perform act on subject for purpose.
// For Create, subject has one link: the service the client is to join.
func Decide(actor Actor, subject Subject, act Action, purpose Purpose) Decision {
	if actor.UserID == "" || !(actor.Role.Valid() || actor.Role == System) {
		return deny("no-actor")
	}
	if !purpose.Valid() {
		return deny("no-purpose")
	}
	if !slices.Contains(Actions, act) {
		return deny("unknown-action")
	}
	switch actor.Role {
	case Trustee:
		// P14: trustees see nothing; exceptional, time-limited grants are a
		// separate, recorded mechanism, not a role.
		return deny("trustee")
	case Sysadmin:
		// P13: running the server needs no client data.
		return deny("sysadmin")
	case DPO:
		return decideDPO(act, purpose)
	case System:
		if purpose == Maintenance && act == ViewContact {
			return allow("system-maintenance")
		}
		return deny("system-maintenance-only")
	}

	var mine []Link // the client's links in the actor's services
	for _, l := range subject.Links {
		if actor.InService(l.ServiceID) {
			mine = append(mine, l)
		}
	}
	if len(mine) == 0 {
		return deny("other-service")
	}
	if purpose == RightsRequest || purpose == Review || purpose == Maintenance {
		return deny("purpose-not-for-role")
	}
	switch actor.Role {
	case Manager:
		return allow("service-manager")
	case AdminStaff:
		// Admin staff handle contact details and bookings; they need not
		// see notes (002).
		if act == ViewNotes || act == WriteNotes || act == ViewClinicalNotes {
			return deny("admin-no-notes")
		}
		return allow("admin-staff")
	case Caseworker:
		if act == Create {
			return allow("service-member")
		}
		if act == ViewClinicalNotes {
			return decideClinical(actor, mine)
		}
		for _, l := range mine {
			if l.WorkerID == actor.UserID {
				return allow("assigned")
			}
		}
		for _, l := range mine {
			if l.Shared {
				return allow("shared-caseload")
			}
		}
		return deny("not-assigned")
	}
	return deny("no-rule")
}

// decideClinical decides whether a caseworker other than the author reads
// a sessional or clinical note, from the setting of the services the
// client is linked to in the actor's services.
func decideClinical(actor Actor, mine []Link) Decision {
	for _, l := range mine {
		switch l.Clinical {
		case ClinicalTeam:
			if l.WorkerID == actor.UserID || l.Shared {
				return allow("clinical-team")
			}
		case ClinicalAssigned:
			if l.WorkerID == actor.UserID {
				return allow("clinical-assigned")
			}
		}
	}
	return deny("clinical-author-only")
}

// decideDPO lets the Data Protection Officer read what a rights request or a
// review needs, organisation-wide, and nothing for any other purpose. The
// DPO does not create or change records through casework.
func decideDPO(act Action, purpose Purpose) Decision {
	if purpose != RightsRequest && purpose != Review {
		return deny("purpose-not-for-role")
	}
	switch act {
	case ViewContact, ViewRecord, ViewNotes, ViewClinicalNotes:
		return allow("dpo-" + string(purpose))
	}
	return deny("dpo-read-only")
}
