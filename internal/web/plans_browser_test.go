package web_test

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/caseward/caseward/internal/access"
	"github.com/caseward/caseward/internal/app/apptest"
	"github.com/caseward/caseward/internal/casework"
	"github.com/caseward/caseward/internal/store"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
)

// signatureBox scrolls the signature box into view and returns the
// viewport coordinates of its corners.
func signatureBox(t *testing.T, ctx context.Context) (x0, y0, x1, y1 float64) {
	t.Helper()
	var r struct{ Left, Top, Right, Bottom float64 }
	var err error
	r, err = chromedp.Run(ctx, chromedp.Evaluate[struct{ Left, Top, Right, Bottom float64 }](
		`(() => { const c = document.querySelector('[data-signature-pad]'); c.scrollIntoView({block: 'center'});
		   const r = c.getBoundingClientRect(); return {Left: r.left, Top: r.top, Right: r.right, Bottom: r.bottom}; })()`))
	if err != nil {
		t.Fatalf("signature box: %v", err)
	}
	if r.Right-r.Left < 100 || r.Bottom-r.Top < 30 {
		t.Fatalf("the signature box is %v: not shown", r)
	}
	return r.Left, r.Top, r.Right, r.Bottom
}

// drawWithMouse draws a zigzag across the box with the mouse, button held.
func drawWithMouse(x0, y0, x1, y1 float64) []chromedp.Action[chromedp.Void] {
	w, h := x1-x0, y1-y0
	steps := []chromedp.Action[chromedp.Void]{chromedp.MouseEvent(chromedp.MousePressed, x0+w*0.1, y0+h*0.7, chromedp.ButtonLeft, chromedp.ClickCount(1))}
	for i := 1; i <= 8; i++ {
		y := y0 + h*0.3
		if i%2 == 0 {
			y = y0 + h*0.7
		}
		steps = append(steps, chromedp.MouseEvent(chromedp.MouseMoved, x0+w*(0.1+0.08*float64(i)), y, func(p *input.DispatchMouseEventParams) {
			p.Button, p.Buttons = input.MouseButtonLeft, 1
		}))
	}
	return append(steps, chromedp.MouseEvent(chromedp.MouseReleased, x0+w*0.74, y0+h*0.7, chromedp.ButtonLeft, chromedp.ClickCount(1)))
}

// drawWithFinger draws a stroke with a touch, as on a tablet.
func drawWithFinger(x0, y0, x1, y1 float64) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		w, h := x1-x0, y1-y0
		one := 1.0
		id := 0.0
		touch := func(typ input.DispatchTouchEventType, fx, fy float64) error {
			p := input.DispatchTouchEventParams{Type: typ, TouchPoints: []*input.TouchPoint{{X: x0 + w*fx, Y: y0 + h*fy, RadiusX: &one, RadiusY: &one, Force: &one, ID: &id}}}
			if typ == input.DispatchTouchEventTypeTouchEnd {
				p.TouchPoints = []*input.TouchPoint{}
			}
			_, err := cdp.Call(ctx, t, input.DispatchTouchEvent, p)
			return err
		}
		if err := touch(input.DispatchTouchEventTypeTouchStart, 0.2, 0.5); err != nil {
			return err
		}
		for i := 1; i <= 10; i++ {
			if err := touch(input.DispatchTouchEventTypeTouchMove, 0.2+0.05*float64(i), 0.5-0.02*float64(i)); err != nil {
				return err
			}
		}
		return touch(input.DispatchTouchEventTypeTouchEnd, 0, 0)
	})
}

// planSignedIn waits for the redirect that ends signing in to land on the
// home page, so that the next navigation does not abort it.
func planSignedIn(t *testing.T, ctx context.Context) {
	t.Helper()
	for range 200 {
		home, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`location.pathname === '/' && document.readyState === 'complete'`))
		if err == nil && home {
			return
		}
		time.Sleep(50 * time.Millisecond) // the page is navigating: ask again
	}
	t.Fatal("signing in did not reach the home page")
}

var signaturePathRE = regexp.MustCompile(`^M\d+ \d+(L\d+ \d+)+$`)

// P04, P11: in a real browser, the plans and documents pages (and the home
// page listing a plan's overdue action) pass axe-core
// (WCAG 2.2 AA); the signature box appears with JavaScript, and a
// signature drawn with the mouse, or with a finger on a touch screen, is
// kept and shown on the record.
func TestPlanPagesInBrowser(t *testing.T) {
	env := apptest.New(t, store.SQLite, nil) // the browser's codes come from the real clock
	ts := newServer(t, env)
	svc := env.Service(t, "Counselling", false)
	worker := env.Person(t, access.Caseworker, svc.ID)
	client, err := env.Casework.CreateClient(t.Context(), worker.Actor(), casework.ClientInput{ServiceID: svc.ID, GivenName: "جميلة", FamilyName: "الحسيني", DateOfBirth: "1995-07-28"})
	if err != nil {
		t.Fatal(err)
	}
	plan, err := env.Casework.CreatePlan(t.Context(), worker.Actor(), client, casework.PlanInput{
		Title: "Support plan", ReviewOn: "2027-01-15", InternalNotes: "Staff only",
		Goals: []casework.Goal{{Text: "Find a safe place to live", Actions: []casework.PlanAction{
			{What: "Call the housing team", Who: "You", By: "2027-01-05"},
			{What: "Ask the GP for a letter", Who: "Your worker", By: "2025-06-02"}, // overdue: on the home page
		}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	base := ts.URL + "/clients/" + client
	ctx := browserSignIn(t, ts, worker)
	planSignedIn(t, ctx)
	run(t, ctx, chromedp.WaitVisible(css("#my-overdue-plan-actions")))
	checkAccessibility(t, ctx, "home with an overdue plan action")

	run(t, ctx, chromedp.Navigate(base+"/plans"), chromedp.WaitVisible(css("main h1")))
	checkAccessibility(t, ctx, "plans and agreements")
	run(t, ctx, chromedp.Navigate(base+"/plans/"+plan), chromedp.WaitVisible(css("main h1")))
	checkAccessibility(t, ctx, "a plan")
	run(t, ctx, chromedp.Navigate(base+"/plans/new"), chromedp.WaitVisible(css("#goals-0-text")))
	checkAccessibility(t, ctx, "new plan form")
	run(t, ctx,
		chromedp.Click(css(`main form button[name=add][value=""]`)),
		chromedp.WaitVisible(css(".govuk-error-summary")),
	)
	checkAccessibility(t, ctx, "plan form with errors")
	run(t, ctx, chromedp.Navigate(base+"/documents"), chromedp.WaitVisible(css("#file")))
	checkAccessibility(t, ctx, "documents")

	// The client signs the plan with the mouse.
	run(t, ctx, chromedp.Navigate(base+"/plans/"+plan+"/agreement"), chromedp.WaitVisible(css("[data-signature-pad]")))
	checkAccessibility(t, ctx, "the plan's signing page")
	x0, y0, x1, y1 := signatureBox(t, ctx)
	run(t, ctx, drawWithMouse(x0, y0, x1, y1)...)
	drawn, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('signature').value`))
	if err != nil || !signaturePathRE.MatchString(drawn) {
		t.Fatalf("the drawn signature is %q (%v)", drawn, err)
	}
	run(t, ctx,
		chromedp.Click(css("#method")),
		chromedp.Click(css("#agree")),
		chromedp.Click(css("main form button.govuk-button:not(.govuk-button--secondary)")),
		chromedp.WaitVisible(css(".govuk-notification-banner--success")),
	)
	view, err := env.Casework.Plan(t.Context(), worker.Actor(), client, plan, 0, access.Casework)
	if err != nil {
		t.Fatal(err)
	}
	if a := view.Agreement(); a == nil || a.Signature == nil || a.Signature.Method != casework.Drawn || a.Signature.Path != drawn {
		t.Fatalf("the recorded answer is %+v", a)
	}
	if got := text(t, ctx, "[data-field=agreement]"); !strings.Contains(got, "Signed on screen") {
		t.Errorf("the plan says %q", got)
	}

	// The client signs the contract with a finger on a touch screen.
	run(t, ctx,
		chromedp.EmulateViewport(820, 1180, chromedp.EmulateTouch),
		chromedp.Navigate(base+"/agreements/new?kind=contract"),
		chromedp.WaitVisible(css("[data-signature-pad]")),
	)
	checkAccessibility(t, ctx, "the agreement's signing page on a tablet")
	x0, y0, x1, y1 = signatureBox(t, ctx)
	run(t, ctx, drawWithFinger(x0, y0, x1, y1))
	touched, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('signature').value`))
	if err != nil || !signaturePathRE.MatchString(touched) {
		t.Fatalf("the signature drawn by finger is %q (%v)", touched, err)
	}
	// Clearing it leaves the typed alternative, which the keyboard reaches.
	run(t, ctx,
		chromedp.Click(css("[data-signature-clear]")),
		chromedp.Focus(css("#typed-name")),
		chromedp.SendKeys(css("#typed-name"), "جميلة الحسيني"),
		chromedp.Click(css("#agree")),
		chromedp.Click(css("main form button.govuk-button:not(.govuk-button--secondary)")),
		chromedp.WaitVisible(css(".govuk-notification-banner--success")),
	)
	page, err := env.Casework.Plans(t.Context(), worker.Actor(), client, access.Casework)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Agreements) != 1 || page.Agreements[0].Method != casework.Typed || page.Agreements[0].Kind != casework.Contract {
		t.Fatalf("agreements %+v", page.Agreements)
	}
	run(t, ctx, chromedp.EmulateViewport(1024, 900))
	checkAccessibility(t, ctx, "plans and agreements after signing")
}
