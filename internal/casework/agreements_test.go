package casework_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/caseward/caseward/internal/access"
	"github.com/caseward/caseward/internal/app/apptest"
	"github.com/caseward/caseward/internal/casework"
	"github.com/caseward/caseward/internal/store"
)

// drawnSignature is what signature.js writes for two short strokes.
const drawnSignature = "M120 200L160 150L210 190L260 120M300 210L340 205"

// P09: a client's agreement is kept with the exact text and version they
// saw; publishing new wording changes nothing that was signed.
func TestP09AgreementKeepsTheVersionSigned(t *testing.T) {
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		ctx := t.Context()
		pe := newPlanEnv(t, env)
		actor := pe.worker.Actor()

		// The sample wording ships, clearly marked, as version 1 of each.
		texts, err := env.Casework.AgreementTexts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(texts) != 2 {
			t.Fatalf("%d texts, want the two samples", len(texts))
		}
		for _, tx := range texts {
			if tx.Version != 1 || !tx.Sample || !strings.Contains(tx.Title, "sample") || !strings.HasPrefix(tx.Body, "SAMPLE WORDING") || len(tx.Paragraphs()) < 3 {
				t.Errorf("sample text %+v", tx)
			}
		}
		v1, err := env.Casework.CurrentAgreementText(ctx, casework.Confidentiality)
		if err != nil {
			t.Fatal(err)
		}
		signed, err := env.Casework.SignAgreement(ctx, actor, pe.client, casework.AgreementInput{
			TextID: v1.ID, Signature: casework.SignatureInput{TypedName: "Łucja Wiśniewska", Agree: true}})
		if err != nil {
			t.Fatal(err)
		}

		// Only managers and the DPO publish wording.
		newWording := casework.AgreementTextInput{Kind: casework.Confidentiality, Title: "Confidentiality agreement",
			Body: "What you tell us is private.\n\nWe share it only to keep someone safe from serious harm."}
		if _, err := env.Casework.AddAgreementText(ctx, actor, newWording); !errors.Is(err, casework.ErrForbidden) {
			t.Fatalf("a caseworker publishes wording: %v", err)
		}
		manager := env.Person(t, access.Manager, pe.svc)
		if _, err := env.Casework.AddAgreementText(ctx, manager.Actor(), casework.AgreementTextInput{Kind: "privacy"}); !slices.Equal(planFields(err), []string{"kind", "title", "body"}) {
			t.Fatalf("bad wording: %v", err)
		}
		v2, err := env.Casework.AddAgreementText(ctx, manager.Actor(), newWording)
		if err != nil {
			t.Fatal(err)
		}
		if v2.Version != 2 || v2.Sample {
			t.Fatalf("new wording %+v", v2)
		}
		if cur, _ := env.Casework.CurrentAgreementText(ctx, casework.Confidentiality); cur.ID != v2.ID {
			t.Fatalf("current text is version %d", cur.Version)
		}

		view, err := env.Casework.ClientAgreement(ctx, actor, pe.client, signed, access.Casework)
		if err != nil {
			t.Fatal(err)
		}
		if view.Agreement.Version != 1 || view.Text.ID != v1.ID || view.Text.Body != v1.Body || !view.TextIntact ||
			view.Agreement.Kind != casework.Confidentiality || view.Agreement.Signature == nil || view.Agreement.Signature.Name != "Łucja Wiśniewska" {
			t.Fatalf("signed agreement %+v, text version %d", view.Agreement, view.Text.Version)
		}

		// Signing again, now, is of version 2; both stay on the record.
		if _, err := env.Casework.SignAgreement(ctx, actor, pe.client, casework.AgreementInput{
			TextID: v2.ID, Signature: casework.SignatureInput{Drawn: drawnSignature, Agree: true}}); err != nil {
			t.Fatal(err)
		}
		page, err := env.Casework.Plans(ctx, actor, pe.client, access.Casework)
		if err != nil {
			t.Fatal(err)
		}
		var versions []int64
		for _, a := range page.Agreements {
			versions = append(versions, a.Version)
		}
		slices.Sort(versions)
		if !slices.Equal(versions, []int64{1, 2}) {
			t.Fatalf("agreements on the record: versions %v", versions)
		}

		// Wording changed behind Caseward's back shows as not intact.
		if err := env.DB.Tx(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, "UPDATE agreement_texts SET body = body || ' And we may sell it.' WHERE id = ?", v1.ID)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if view, err := env.Casework.ClientAgreement(ctx, actor, pe.client, signed, access.Casework); err != nil || view.TextIntact {
			t.Fatalf("a changed text reads as intact (%v)", err)
		}

		// Another service cannot see the agreement.
		outsider := env.Person(t, access.Caseworker, env.Service(t, "Advocacy", false).ID)
		if _, err := env.Casework.ClientAgreement(ctx, outsider.Actor(), pe.client, signed, access.Casework); !errors.Is(err, casework.ErrNotFound) {
			t.Fatalf("outsider reads the agreement: %v", err)
		}
	})
}

// P11: a signature on screen is drawn (pen, finger or mouse) or typed (the
// keyboard alternative); either is sealed, and only well-formed strokes are
// kept.
func TestP11SignatureDrawnOrTyped(t *testing.T) {
	tests := []struct {
		name   string
		sig    casework.SignatureInput
		want   casework.Signature
		fields []string
	}{
		{"typed", casework.SignatureInput{TypedName: " Hawre Barzani ", Agree: true}, casework.Signature{Method: casework.Typed, Name: "Hawre Barzani"}, nil},
		{"drawn", casework.SignatureInput{Drawn: drawnSignature, Agree: true}, casework.Signature{Method: casework.Drawn, Path: drawnSignature}, nil},
		{"drawn with a printed name", casework.SignatureInput{Drawn: "M0 0L1000 300", TypedName: "هاوری", Agree: true}, casework.Signature{Method: casework.Drawn, Path: "M0 0L1000 300", Name: "هاوری"}, nil},
		{"typed, not agreed", casework.SignatureInput{TypedName: "Hawre Barzani"}, casework.Signature{}, []string{"agree"}},
		{"drawn, not agreed", casework.SignatureInput{Drawn: drawnSignature}, casework.Signature{}, []string{"agree"}},
		{"nothing", casework.SignatureInput{Agree: true}, casework.Signature{}, []string{"typed_name"}},
		{"markup in the path", casework.SignatureInput{Drawn: `M1 1L2 2"/><script>alert(1)</script>`, Agree: true}, casework.Signature{}, []string{"signature"}},
		{"a curve", casework.SignatureInput{Drawn: "M1 1C2 2 3 3 4 4", Agree: true}, casework.Signature{}, []string{"signature"}},
		{"outside the box", casework.SignatureInput{Drawn: "M1 1L1001 2", Agree: true}, casework.Signature{}, []string{"signature"}},
		{"a single point", casework.SignatureInput{Drawn: "M1 1", Agree: true}, casework.Signature{}, []string{"signature"}},
		{"starts with a line", casework.SignatureInput{Drawn: "L1 1L2 2", Agree: true}, casework.Signature{}, []string{"signature"}},
		{"too long", casework.SignatureInput{Drawn: "M1 1" + strings.Repeat("L10 10", casework.MaxSignatureLength/6), Agree: true}, casework.Signature{}, []string{"signature"}},
		{"a name on two lines", casework.SignatureInput{TypedName: "Hawre\nBarzani", Agree: true}, casework.Signature{}, []string{"typed_name"}},
	}
	apptest.Each(t, func(t *testing.T, env *apptest.Env) {
		ctx := t.Context()
		pe := newPlanEnv(t, env)
		text, err := env.Casework.CurrentAgreementText(ctx, casework.Contract)
		if err != nil {
			t.Fatal(err)
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				id, err := env.Casework.SignAgreement(ctx, pe.worker.Actor(), pe.client, casework.AgreementInput{TextID: text.ID, Signature: tt.sig})
				if got := planFields(err); !slices.Equal(got, tt.fields) {
					t.Fatalf("fields %v (%v), want %v", got, err, tt.fields)
				}
				if tt.fields != nil {
					return
				}
				view, err := env.Casework.ClientAgreement(ctx, pe.worker.Actor(), pe.client, id, access.Casework)
				if err != nil {
					t.Fatal(err)
				}
				if *view.Agreement.Signature != tt.want || view.Agreement.Method != tt.want.Method || view.Agreement.Kind != casework.Contract {
					t.Fatalf("signature %+v, want %+v", view.Agreement.Signature, tt.want)
				}
				// Sealed: neither the strokes nor the name are in clear.
				var sealed []byte
				if err := env.DB.QueryRow(ctx, "SELECT signature FROM client_agreements WHERE id = ?", id).Scan(&sealed); err != nil {
					t.Fatal(err)
				}
				if (tt.want.Path != "" && strings.Contains(string(sealed), tt.want.Path)) || (tt.want.Name != "" && strings.Contains(string(sealed), tt.want.Name)) {
					t.Fatal("the signature is stored in clear")
				}
			})
		}
		// An unknown text is refused with the signature.
		if _, err := env.Casework.SignAgreement(ctx, pe.worker.Actor(), pe.client, casework.AgreementInput{TextID: store.NewID(), Signature: casework.SignatureInput{TypedName: "A B", Agree: true}}); !slices.Equal(planFields(err), []string{"text_id"}) {
			t.Fatalf("unknown text: %v", err)
		}
		// The DPO reads but does not sign on a client's behalf.
		dpo := env.Person(t, access.DPO)
		if _, err := env.Casework.SignAgreement(ctx, dpo.Actor(), pe.client, casework.AgreementInput{TextID: text.ID, Signature: casework.SignatureInput{TypedName: "A B", Agree: true}}); err == nil {
			t.Fatal("the DPO signed for a client")
		}
	})
}
