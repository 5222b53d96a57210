package web_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"testing"

	"kynangso/app/store"
	"kynangso/app/testrig"
)

// parallel runs f n times at once and returns the statuses.
func parallel(n int, f func(i int) int) []int {
	out := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() { defer wg.Done(); out[i] = f(i) }()
	}
	wg.Wait()
	return out
}

func validCerts(t *testing.T, rig *testrig.Rig, phone, course string) int {
	t.Helper()
	certs, err := rig.P.Store.CertificatesOf(context.Background(), userID(t, rig, phone))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range certs {
		if c.Course == course && c.Status == store.CertValid {
			n++
		}
	}
	return n
}

// Many tabs, many taps: still one certificate, and never a 500.
func TestConcurrentPassesGiveOneCertificate(t *testing.T) {
	rig := testrig.Start(t)
	c := rig.Register(t, "Lý Thị Thu", "0912888777", nil)
	const course = "tim-kiem-tin-gia"
	co := rig.P.Courses.Get(course)
	// Several tabs open the quiz at once, then every attempt is answered
	// right and sent twice, all together.
	starts := make([]string, 8)
	parallel(8, func(i int) int {
		r := c.Get("/courses/" + course + "/quiz")
		starts[i] = r.Location
		return r.Status
	})
	var paths []string
	var forms []url.Values
	for _, p := range starts {
		if p != "" && !slices.Contains(paths, p) {
			paths, forms = append(paths, p), append(forms, rig.AnswersFor(t, course, p, true))
		}
	}
	statuses := parallel(len(paths)*2, func(i int) int {
		return c.Post(paths[i%len(paths)], forms[i%len(paths)]).Status
	})
	for _, st := range statuses {
		if st >= 500 {
			t.Fatalf("statuses %v", statuses)
		}
	}
	lessonTaps := parallel(6, func(i int) int {
		return c.Post("/courses/"+course+"/lessons/"+co.Lessons[i%2].ID, nil).Status
	})
	for _, st := range lessonTaps {
		if st != http.StatusSeeOther {
			t.Fatalf("double taps on a lesson: %v", lessonTaps)
		}
	}
	if n := validCerts(t, rig, "0912888777", course); n != 1 {
		t.Fatalf("%d valid certificates, want 1", n)
	}
	checks := parallel(8, func(int) int { return rig.Client(t).Get("/api/v1/verify/0000-0000-0000").Status })
	for _, st := range checks {
		if st != http.StatusNotFound {
			t.Fatalf("parallel checks: %v", checks)
		}
	}
}

func TestRevokedThenPassedAgain(t *testing.T) {
	rig := testrig.Start(t)
	admin := rig.Admin(t)
	c := rig.Register(t, "Mạc Văn Khoa", "0912777666", nil)
	const course = "tim-kiem-tin-gia"
	oldPath, oldForm := rig.QuizAnswers(t, c, course, true)
	c.Post(oldPath, oldForm)
	code := passCourse(t, rig, c, course)
	admin.Post("/admin/certificates/"+code+"/revoke", url.Values{"confirm": {"yes"}, "reason": {"error"}})
	// The course reads as not passed, and reloading the old result page
	// does not bring a certificate back.
	c.Get(oldPath)
	if p, _ := rig.P.Store.ProgressOf(context.Background(), userID(t, rig, "0912777666")); p[course].Passed {
		t.Error("a revoked certificate's course still counts as passed")
	}
	if n := validCerts(t, rig, "0912777666", course); n != 0 {
		t.Fatalf("an old pass revived a revoked certificate: %d valid", n)
	}
	// A new pass earns a new one.
	next := passCourse(t, rig, c, course)
	if next == code {
		t.Fatal("the revoked certificate came back")
	}
	if n := validCerts(t, rig, "0912777666", course); n != 1 {
		t.Fatalf("%d valid certificates after passing again, want 1", n)
	}
	// Two clicks on re-issue: one new certificate, and both clicks end on
	// its page, as the first would have alone.
	var where [2]string
	st := parallel(2, func(i int) int {
		r := admin.Post("/admin/certificates/"+next+"/rename", url.Values{"name": {"Mạc Văn Khoa"}})
		where[i] = r.Location
		return r.Status
	})
	if st[0] != http.StatusSeeOther || st[1] != http.StatusSeeOther || where[0] != where[1] || where[0] == "/admin/certificates/"+next {
		t.Fatalf("double re-issue: %v to %v", st, where)
	}
	// Re-issuing the replaced certificate under another name is refused.
	mustStatus(t, "rename a replaced certificate", admin.Post("/admin/certificates/"+next+"/rename", url.Values{"name": {"Mạc Văn Khoát"}}), http.StatusConflict)
	if n := validCerts(t, rig, "0912777666", course); n != 1 {
		t.Fatalf("%d valid certificates after a double re-issue, want 1", n)
	}
}
