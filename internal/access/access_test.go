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
		{"assigned caseworker reads notes", worker, Subject{ServiceID: "s1", AssignedTo: "u1"}, ViewNotes, Casework, true},
		{"shared caseload opens the whole service", worker, Subject{ServiceID: "s1", AssignedTo: "u2", SharedCaseload: true}, ViewRecord, Casework, true},
		{"shared caseload stops at the service's edge", worker, Subject{ServiceID: "s2", SharedCaseload: true}, ViewRecord, Casework, false},
		{"no purpose, no access", worker, Subject{ServiceID: "s1", AssignedTo: "u1"}, ViewRecord, "", false},
		{"unknown purpose", worker, Subject{ServiceID: "s1", AssignedTo: "u1"}, ViewRecord, "curiosity", false},
		{"caseworker cannot borrow the DPO's purpose", worker, Subject{ServiceID: "s1", AssignedTo: "u1"}, ViewRecord, Review, false},
		{"DPO for a rights request", dpo, Subject{ServiceID: "s9"}, ViewNotes, RightsRequest, true},
		{"DPO for casework", dpo, Subject{ServiceID: "s9"}, ViewRecord, Casework, false},
		{"DPO never edits through casework", dpo, Subject{ServiceID: "s9"}, Edit, RightsRequest, false},
		{"no actor", Actor{Role: Manager, Services: []string{"s1"}}, Subject{ServiceID: "s1"}, ViewRecord, Casework, false},
		{"unknown role", Actor{UserID: "x", Role: "owner", Services: []string{"s1"}}, Subject{ServiceID: "s1"}, ViewRecord, Casework, false},
		{"unknown action", worker, Subject{ServiceID: "s1", AssignedTo: "u1"}, "delete", Casework, false},
		// P14: a trustee sees nothing, even in a service they are listed in.
		{"trustee", Actor{UserID: "t1", Role: Trustee, Services: []string{"s1"}}, Subject{ServiceID: "s1", AssignedTo: "t1"}, ViewContact, Casework, false},
		// P13: the sysadmin runs the server and sees no client data.
		{"sysadmin", Actor{UserID: "a1", Role: Sysadmin, Services: []string{"s1"}}, Subject{ServiceID: "s1", AssignedTo: "a1"}, ViewContact, Casework, false},
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
