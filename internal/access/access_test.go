package access

import "testing"

func TestDecide(t *testing.T) {
	worker := Actor{UserID: "u1", Role: Caseworker, Services: []string{"s1"}}
	dpo := Actor{UserID: "d1", Role: DPO}
	tests := []struct {
		name    string
		actor   Actor
		subject Subject
		act     Action
		purpose Purpose
		want    bool
	}{
		{"assigned caseworker reads notes", worker, Subject{Links: []Link{{ServiceID: "s1", WorkerID: "u1"}}}, ViewNotes, Casework, true},
		{"shared caseload opens the whole service", worker, Subject{Links: []Link{{ServiceID: "s1", WorkerID: "u2", Shared: true}}}, ViewRecord, Casework, true},
		{"shared caseload stops at the service's edge", worker, Subject{Links: []Link{{ServiceID: "s2", Shared: true}}}, ViewRecord, Casework, false},
		{"no purpose, no access", worker, Subject{Links: []Link{{ServiceID: "s1", WorkerID: "u1"}}}, ViewRecord, "", false},
		{"unknown purpose", worker, Subject{Links: []Link{{ServiceID: "s1", WorkerID: "u1"}}}, ViewRecord, "curiosity", false},
		{"caseworker cannot borrow the DPO's purpose", worker, Subject{Links: []Link{{ServiceID: "s1", WorkerID: "u1"}}}, ViewRecord, Review, false},
		{"DPO for a rights request", dpo, Subject{Links: []Link{{ServiceID: "s9"}}}, ViewNotes, RightsRequest, true},
		{"DPO for casework", dpo, Subject{Links: []Link{{ServiceID: "s9"}}}, ViewRecord, Casework, false},
		{"DPO never edits through casework", dpo, Subject{Links: []Link{{ServiceID: "s9"}}}, Edit, RightsRequest, false},
		{"a client in two services: the other service's worker", worker, Subject{Links: []Link{{ServiceID: "s2", WorkerID: "u9"}, {ServiceID: "s1", WorkerID: "u1"}}}, ViewRecord, Casework, true},
		{"admin staff never write notes", Actor{UserID: "a", Role: AdminStaff, Services: []string{"s1"}}, Subject{Links: []Link{{ServiceID: "s1"}}}, WriteNotes, Administration, false},
		{"no actor", Actor{Role: Manager, Services: []string{"s1"}}, Subject{Links: []Link{{ServiceID: "s1"}}}, ViewRecord, Casework, false},
		{"unknown role", Actor{UserID: "x", Role: "owner", Services: []string{"s1"}}, Subject{Links: []Link{{ServiceID: "s1"}}}, ViewRecord, Casework, false},
		{"unknown action", worker, Subject{Links: []Link{{ServiceID: "s1", WorkerID: "u1"}}}, "delete", Casework, false},
		// P14: a trustee sees nothing, even in a service they are listed in.
		{"trustee", Actor{UserID: "t1", Role: Trustee, Services: []string{"s1"}}, Subject{Links: []Link{{ServiceID: "s1", WorkerID: "t1"}}}, ViewContact, Casework, false},
		// P13: the sysadmin runs the server and sees no client data.
		{"sysadmin", Actor{UserID: "a1", Role: Sysadmin, Services: []string{"s1"}}, Subject{Links: []Link{{ServiceID: "s1", WorkerID: "a1"}}}, ViewContact, Casework, false},
		// P13: sessional and clinical notes someone else wrote: the
		// service's managers, the DPO for their purposes, and the
		// caseworkers the service's setting names; nobody else.
		{"clinical: manager of the service", Actor{UserID: "m1", Role: Manager, Services: []string{"s1"}}, Subject{Links: []Link{{ServiceID: "s1", WorkerID: "u2"}}}, ViewClinicalNotes, Casework, true},
		{"clinical: manager of another service", Actor{UserID: "m1", Role: Manager, Services: []string{"s2"}}, Subject{Links: []Link{{ServiceID: "s1", WorkerID: "u2"}}}, ViewClinicalNotes, Casework, false},
		{"clinical: admin staff", Actor{UserID: "a", Role: AdminStaff, Services: []string{"s1"}}, Subject{Links: []Link{{ServiceID: "s1", Clinical: ClinicalTeam}}}, ViewClinicalNotes, Administration, false},
		{"clinical: DPO for a rights request", dpo, Subject{Links: []Link{{ServiceID: "s9"}}}, ViewClinicalNotes, RightsRequest, true},
		{"clinical: DPO for casework", dpo, Subject{Links: []Link{{ServiceID: "s9"}}}, ViewClinicalNotes, Casework, false},
		{"clinical: shared caseload, author only", worker, Subject{Links: []Link{{ServiceID: "s1", WorkerID: "u2", Shared: true}}}, ViewClinicalNotes, Casework, false},
		{"clinical: assigned worker, author only", worker, Subject{Links: []Link{{ServiceID: "s1", WorkerID: "u1"}}}, ViewClinicalNotes, Casework, false},
		{"clinical: assigned worker, service allows assigned", worker, Subject{Links: []Link{{ServiceID: "s1", WorkerID: "u1", Clinical: ClinicalAssigned}}}, ViewClinicalNotes, Casework, true},
		{"clinical: shared caseload, service allows assigned", worker, Subject{Links: []Link{{ServiceID: "s1", WorkerID: "u2", Shared: true, Clinical: ClinicalAssigned}}}, ViewClinicalNotes, Casework, false},
		{"clinical: shared caseload, service allows the team", worker, Subject{Links: []Link{{ServiceID: "s1", WorkerID: "u2", Shared: true, Clinical: ClinicalTeam}}}, ViewClinicalNotes, Casework, true},
		{"clinical: team setting stops at the caseload", worker, Subject{Links: []Link{{ServiceID: "s1", WorkerID: "u2", Clinical: ClinicalTeam}}}, ViewClinicalNotes, Casework, false},
		{"clinical: another service's setting", worker, Subject{Links: []Link{{ServiceID: "s2", WorkerID: "u1", Clinical: ClinicalTeam}}}, ViewClinicalNotes, Casework, false},
		// The installation's upkeep (search reindex) reads names and
		// contact details of any client, for that purpose only; no member
		// of staff can borrow the purpose.
		{"system maintenance", Actor{UserID: "cli", Role: System}, Subject{}, ViewContact, Maintenance, true},
		{"system maintenance reads no notes", Actor{UserID: "cli", Role: System}, Subject{}, ViewNotes, Maintenance, false},
		{"system maintenance never edits", Actor{UserID: "cli", Role: System}, Subject{}, Edit, Maintenance, false},
		{"system for casework", Actor{UserID: "cli", Role: System}, Subject{Links: []Link{{ServiceID: "s1"}}}, ViewContact, Casework, false},
		{"DPO cannot borrow maintenance", dpo, Subject{Links: []Link{{ServiceID: "s9"}}}, ViewContact, Maintenance, false},
		{"manager cannot borrow maintenance", Actor{UserID: "m1", Role: Manager, Services: []string{"s1"}}, Subject{Links: []Link{{ServiceID: "s1"}}}, ViewContact, Maintenance, false},
	}
	if System.Valid() {
		t.Error("System is a role staff accounts can be given")
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Decide(tt.actor, tt.subject, tt.act, tt.purpose)
			if d.Allowed != tt.want || d.Reason == "" {
				t.Fatalf("Decide = %+v, want allowed=%v with a reason", d, tt.want)
			}
		})
	}
}
