package web_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserPractice shows practical tasks on a phone-sized screen: the
// leader confirms the last task with a tap, and the member then reads on
// her course page and certificate that practice was confirmed.
func TestBrowserPractice(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	ctx := browser(t)
	p := startPractice(t)
	const course = "dich-vu-cong"
	tasks := p.tasks(t, course)
	p.pass(t, course)
	mustStatus(t, "confirm", p.tap(p.leader, course, tasks[0], "confirm"), http.StatusSeeOther)

	var text string
	err := chromedp.Do(ctx,
		chromedp.Navigate(p.rig.URL+"/login?lang=vi"),
		chromedp.SendKeys(chromedp.CSS("#phone"), "0915000111"),
		chromedp.SendKeys(chromedp.CSS("#password"), "mat-khau-123"),
		chromedp.Click(chromedp.CSS(`form.form button[type=submit]`)),
		chromedp.WaitNotPresent(chromedp.CSS(`#password`)),
		chromedp.Navigate(p.rig.URL+"/teams/"+p.team),
		shot("practice-01-team"),
		chromedp.Navigate(p.rig.URL+p.page()),
		shot("practice-02-leader"),
		chromedp.Click(chromedp.CSS(`#course-`+course+` form button[type=submit]:not(.secondary)`)),
		chromedp.WaitVisible(chromedp.CSS(`.notice.ok-box`)),
		shot("practice-03-confirmed"),
		into(chromedp.Text(chromedp.CSS("main")), &text),
	)
	if err != nil {
		t.Fatalf("leader: %v", err)
	}
	if !strings.Contains(text, "Chứng nhận đã được cấp") {
		t.Fatalf("after the last confirmation the page reads: %.600s", text)
	}
	certs := p.certs(t, course)
	if len(certs) != 1 {
		t.Fatalf("%d certificates", len(certs))
	}
	// The member, on her own phone.
	phone := browser(t)
	err = chromedp.Do(phone,
		chromedp.Navigate(p.rig.URL+"/login?lang=vi"),
		chromedp.SendKeys(chromedp.CSS("#phone"), "0915000222"),
		chromedp.SendKeys(chromedp.CSS("#password"), "mat-khau-123"),
		chromedp.Click(chromedp.CSS(`form.form button[type=submit]`)),
		chromedp.WaitNotPresent(chromedp.CSS(`#password`)),
		chromedp.Navigate(p.rig.URL+"/courses/"+course),
		shot("practice-04-course"),
		into(chromedp.Text(chromedp.CSS("main")), &text),
	)
	if err != nil {
		t.Fatalf("member: %v", err)
	}
	if !strings.Contains(text, "Đã được xác nhận ngày") || strings.Contains(text, "Chưa được xác nhận") {
		t.Fatalf("the member's course page reads: %.800s", text)
	}
	err = chromedp.Do(phone,
		chromedp.Navigate(p.rig.URL+"/certificates/"+certs[0].Code),
		chromedp.WaitVisible(chromedp.CSS(`.cert`)),
		shot("practice-05-certificate"),
		into(chromedp.Text(chromedp.CSS("main")), &text),
		chromedp.Navigate(p.rig.URL+"/v/"+certs[0].Code),
		shot("practice-06-verify"),
	)
	if err != nil {
		t.Fatalf("certificate: %v", err)
	}
	if !strings.Contains(text, "Thực hành đã được xác nhận") {
		t.Fatalf("the certificate page reads: %.800s", text)
	}
}
