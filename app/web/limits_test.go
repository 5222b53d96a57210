package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"kynangso/app/config"
	"kynangso/app/store/storetest"
	"kynangso/app/testrig"
)

// Limits count first, then check (issue 11, point 4; issue 9, point 3).
// Each test sends its requests at once, from clients that hold their form
// tokens already, so that they really reach the server together.

// at runs f(i) for i in 0..n-1 at once, after each has been prepared:
// prepare runs first for every i, then every f starts together.
func at(n int, prepare func(i int), f func(i int) int) []int {
	for i := range n {
		prepare(i)
	}
	out := make([]int, n)
	storetest.AtOnce(n, func(i int) { out[i] = f(i) })
	return out
}

// personName is the i-th of many different names, as forms.Name takes
// them (letters only).
func personName(i int) string {
	family := []string{"Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ"}
	given := []string{"An", "Bình", "Chi", "Dũng", "Giang", "Hà", "Hải", "Hoa", "Khánh", "Lan", "Minh", "Nam", "Phúc", "Quân", "Thảo", "Tuấn"}
	return family[i%len(family)] + " Văn " + given[(i/len(family))%len(given)] + " " + given[i%len(given)]
}

// tally counts statuses.
func tally(statuses []int) map[int]int {
	m := map[int]int{}
	for _, s := range statuses {
		m[s]++
	}
	return m
}

// clients makes n clients that hold form tokens. Their idle connections
// are closed when the test ends, before the server stops (which waits for
// them).
func clients(t *testing.T, rig *testrig.Rig, n int) ([]*testrig.Client, []string) {
	t.Cleanup(func() {
		if tr, ok := http.DefaultTransport.(*http.Transport); ok {
			tr.CloseIdleConnections()
		}
	})
	cs, toks := make([]*testrig.Client, n), make([]string, n)
	for i := range n {
		cs[i] = rig.Client(t)
		toks[i] = cs[i].CSRF()
	}
	return cs, toks
}

func loginForm(phone, pw, tok string) url.Values {
	f := url.Values{"phone": {phone}, "password": {pw}}
	if tok != "" {
		f.Set("_csrf", tok)
	}
	return f
}

// 200 wrong passwords at once for one phone, the right one among them: at
// most ten are checked, and once locked the right one is refused too.
// Before: all 200 were checked and the right one signed in.
func TestLoginLimitHoldsUnderConcurrency(t *testing.T) {
	rig := startAtWindow(t)
	rig.Register(t, "Chủ Tài Khoản", "0955111333", nil)
	const n, right = 200, 137
	cs, toks := clients(t, rig, n)
	got := tally(at(n, func(int) {}, func(i int) int {
		pw := fmt.Sprintf("doan-mo-%03d", i)
		if i == right {
			pw = "mat-khau-123"
		}
		return cs[i].Post("/login", loginForm("0955 111 333", pw, toks[i])).Status
	}))
	checked := got[http.StatusUnauthorized] + got[http.StatusSeeOther]
	t.Logf("200 at once: %d wrong checked, %d signed in, %d refused unchecked", got[http.StatusUnauthorized], got[http.StatusSeeOther], got[http.StatusTooManyRequests])
	if checked > 10 || got[http.StatusTooManyRequests] != n-checked {
		t.Errorf("200 tries at once for one phone: %v; want at most 10 checked, the rest refused (429)", got)
	}
	if got[http.StatusUnauthorized] < 9 {
		t.Errorf("only %d wrong passwords were checked; the limit is 10", got[http.StatusUnauthorized])
	}
	res := rig.Client(t).Post("/login", url.Values{"phone": {"0955111333"}, "password": {"mat-khau-123"}})
	mustStatus(t, "the right password once locked", res, http.StatusTooManyRequests)
	mustContain(t, "locked", res.Body, "Hãy đợi 15 phút")
	if res.Header.Get("Retry-After") == "" {
		t.Error("a locked sign-in gives no Retry-After")
	}
}

// 200 reset codes at once for one person, the right one among them: at
// most five are compared (a code refused without being compared says it
// has had its five tries), the right one is accepted only if it is among
// them, and afterwards the right code is refused. Before: all 200 were
// compared, and the right code was accepted in 6 runs of 13.
func TestResetTriesHoldUnderConcurrency(t *testing.T) {
	for _, mix := range []string{"right among wrong", "all wrong"} {
		t.Run(strings.ReplaceAll(mix, " ", "_"), func(t *testing.T) {
			rig := startAtWindow(t)
			admin := rig.Admin(t)
			leader := rig.Register(t, "Tổ Trưởng Hòa", "0911000222", nil)
			team := rig.Team(t, admin, "Tổ xóm Mới", "0911000222")
			rig.Register(t, "Bà Tư Quên", "0922000333", url.Values{"team": {team}})
			memberID := userID(t, rig, "0922000333")
			made := leader.Post("/teams/"+team+"/members/"+memberID+"/reset", nil)
			mustStatus(t, "make code", made, http.StatusSeeOther)
			m := bigCode.FindStringSubmatch(leader.Get(made.Location).Body)
			if m == nil {
				t.Fatal("no code on the page")
			}
			code := strings.ReplaceAll(m[1], " ", "")
			const n, right = 200, 120
			guess := func(i int) string {
				if mix == "right among wrong" && i == right {
					return code
				}
				g := fmt.Sprintf("%06d", (i*7919+1)%1_000_000)
				if g == code {
					g = fmt.Sprintf("%06d", (i*7919+2)%1_000_000)
				}
				return g
			}
			const (
				accepted = "accepted"
				wrong    = "compared, wrong"
				usedUp   = "not compared: five tries used"
			)
			cs, toks := clients(t, rig, n)
			outcome := make([]string, n)
			at(n, func(int) {}, func(i int) int {
				r := cs[i].Post("/reset", url.Values{"phone": {"0922000333"}, "code": {guess(i)}, "password": {fmt.Sprintf("mat-khau-moi-%03d", i)}, "_csrf": {toks[i]}})
				text := testrig.Text(r.Body)
				switch {
				case r.Status == http.StatusSeeOther:
					outcome[i] = accepted
				case r.Status == http.StatusUnauthorized && strings.Contains(text, "đã bị nhập sai 5 lần"):
					outcome[i] = usedUp
				case r.Status == http.StatusUnauthorized && strings.Contains(text, "Mã không đúng"):
					outcome[i] = wrong
				default:
					outcome[i] = fmt.Sprint(r.Status)
				}
				return r.Status
			})
			got := map[string]int{}
			for _, o := range outcome {
				got[o]++
			}
			t.Logf("%s, 200 at once: %d compared (%d accepted), %d refused uncompared", mix, got[wrong]+got[accepted], got[accepted], got[usedUp])
			if got[wrong]+got[accepted] > 5 || got[usedUp] != n-got[wrong]-got[accepted] {
				t.Errorf("200 reset tries at once: %v; want at most 5 compared, the rest refused uncompared", got)
			}
			if got[wrong]+got[accepted] < 5 && got[accepted] == 0 {
				t.Errorf("only %d tries were compared; a code has five", got[wrong])
			}
			if got[accepted] == 0 {
				res := rig.Client(t).Post("/reset", url.Values{"phone": {"0922000333"}, "code": {code}, "password": {"mat-khau-moi-x"}})
				mustStatus(t, "the right code after five tries", res, http.StatusUnauthorized)
				mustContain(t, "the right code after five tries", res.Body, "đã bị nhập sai 5 lần")
				// The leader's page no longer shows a code that can't be used.
				if bigCode.MatchString(leader.Get(made.Location).Body) {
					t.Error("the leader's page still shows a code whose tries are used up")
				}
			}
		})
	}
}

// startAtWindow starts a server whose clock began at the start of an
// hour, a moment ago: every limit's window (a minute, 15 minutes, an
// hour; aligned to UTC) then holds all a test sends, with no waiting for
// the real clock to reach a boundary.
func startAtWindow(t *testing.T) *testrig.Rig {
	t.Helper()
	began, base := time.Now(), time.Now().Truncate(time.Hour)
	return testrig.StartWith(t, func(c *config.Config) {
		c.Now = func() time.Time { return base.Add(time.Since(began)) }
	})
}

// 200 certificate checks at once from one address in a fresh window:
// exactly 30 answered. Before: all 200 were.
func TestVerifyLimitHoldsUnderConcurrency(t *testing.T) {
	rig := startAtWindow(t)
	c := rig.Client(t)
	clients(t, rig, 0) // only to close idle connections at the end
	got := tally(at(200, func(int) {}, func(int) int { return c.Get("/api/v1/verify/0000-0000-0000").Status }))
	t.Logf("200 checks at once: %d answered, %d refused", got[http.StatusNotFound], got[http.StatusTooManyRequests])
	if got[http.StatusNotFound] != 30 || got[http.StatusTooManyRequests] != 170 {
		t.Errorf("200 checks at once in a fresh window: %v; want exactly 30 answered (404), 170 refused (429)", got)
	}
}

// A commune hall: 50 people behind one address sign up together, then
// sign in together, each with two wrong passwords first, and one in five
// with a mistyped phone number too (110 wrong passwords over 60 numbers).
// Every one of them gets in. Before: the address was locked after 50
// wrong passwords.
func TestRoomBehindOneAddressSignsIn(t *testing.T) {
	rig := startAtWindow(t)
	const n = 50
	phone := func(i int) string { return fmt.Sprintf("0961%06d", i) }
	cs, toks := clients(t, rig, n)
	signedUp := tally(at(n, func(int) {}, func(i int) int {
		return cs[i].Post("/register", url.Values{"name": {personName(i)}, "phone": {phone(i)}, "password": {"mat-khau-123"},
			"province": {"1"}, "commune": {"Ba Đình"}, "consent": {"yes"}, "_csrf": {toks[i]}}).Status
	}))
	if signedUp[http.StatusSeeOther] != n {
		t.Fatalf("50 sign-ups together from one address: %v", signedUp)
	}
	cs, toks = clients(t, rig, n)
	var mu sync.Mutex
	var wrong []string
	got := tally(at(n, func(int) {}, func(i int) int {
		c := cs[i]
		if i%5 == 0 { // the number mistyped once
			p := phone(i)
			typo := p[:4] + "9" + p[5:]
			if r := c.Post("/login", loginForm(typo, "mat-khau-123", toks[i])); r.Status != http.StatusUnauthorized {
				mu.Lock()
				wrong = append(wrong, fmt.Sprintf("person %d, mistyped number: %d", i, r.Status))
				mu.Unlock()
			}
		}
		for k := range 2 {
			if r := c.Post("/login", loginForm(phone(i), fmt.Sprintf("mat-khau-12%d", k+4), toks[i])); r.Status != http.StatusUnauthorized {
				mu.Lock()
				wrong = append(wrong, fmt.Sprintf("person %d, typo %d: %d", i, k, r.Status))
				mu.Unlock()
			}
		}
		return c.Post("/login", loginForm(phone(i), "mat-khau-123", toks[i])).Status
	}))
	if len(wrong) > 0 {
		t.Errorf("typos were not answered as wrong passwords: %v", wrong)
	}
	if got[http.StatusSeeOther] != n {
		t.Errorf("50 people behind one address, two typos each: %v; want all 50 signed in", got)
	}
}

// A guessing run from one address over many phone numbers is stopped
// after 100 numbers, each tried once, at once: exactly 100 are checked.
func TestGuessingRunOverManyPhonesIsStopped(t *testing.T) {
	rig := startAtWindow(t)
	const n = 130
	cs, toks := clients(t, rig, n)
	got := tally(at(n, func(int) {}, func(i int) int {
		return cs[i].Post("/login", loginForm(fmt.Sprintf("0971%06d", i), "123456", toks[i])).Status
	}))
	t.Logf("130 numbers at once: %d checked, %d refused", got[http.StatusUnauthorized], got[http.StatusTooManyRequests])
	if got[http.StatusUnauthorized] != 100 || got[http.StatusTooManyRequests] != 30 {
		t.Errorf("a guessing run over 130 numbers from one address: %v; want exactly 100 checked (401), 30 refused (429)", got)
	}
	res := rig.Client(t).Post("/login", loginForm("0971999999", "123456", ""))
	mustStatus(t, "the next number", res, http.StatusTooManyRequests)
	mustContain(t, "address locked", res.Body, "nhiều số điện thoại khác nhau")
	// The same numbers tried again are refused too: the address is over.
	mustStatus(t, "a number tried before", rig.Client(t).Post("/login", loginForm("0971000001", "1234567", "")), http.StatusTooManyRequests)
}

// Sign-ups from one address: 100 an hour. 130 at once: exactly 100
// accounts are made. Before: 4,080 a minute were.
func TestSignUpLimitPerAddress(t *testing.T) {
	rig := startAtWindow(t)
	const n = 130
	cs, toks := clients(t, rig, n)
	got := tally(at(n, func(int) {}, func(i int) int {
		return cs[i].Post("/register", url.Values{"name": {personName(i)}, "phone": {fmt.Sprintf("0981%06d", i)}, "password": {"mat-khau-123"},
			"province": {"1"}, "commune": {"Ba Đình"}, "consent": {"yes"}, "_csrf": {toks[i]}}).Status
	}))
	t.Logf("130 sign-ups at once: %d made, %d refused", got[http.StatusSeeOther], got[http.StatusTooManyRequests])
	if got[http.StatusSeeOther] != 100 || got[http.StatusTooManyRequests] != 30 {
		t.Errorf("130 sign-ups at once from one address: %v; want exactly 100 made, 30 refused (429)", got)
	}
	res := rig.Client(t).Post("/register", url.Values{"name": {"Một Người Nữa"}, "phone": {"0981999999"}, "password": {"mat-khau-123"}, "province": {"1"}, "commune": {"Ba Đình"}, "consent": {"yes"}})
	mustStatus(t, "one more", res, http.StatusTooManyRequests)
	mustContain(t, "one more", res.Body, "quá nhiều tài khoản")
}

// /reset from one address: 300 tries in 15 minutes, counted first.
func TestResetLimitPerAddress(t *testing.T) {
	rig := startAtWindow(t)
	const n = 330
	cs, toks := clients(t, rig, n)
	got := tally(at(n, func(int) {}, func(i int) int {
		return cs[i].Post("/reset", url.Values{"phone": {fmt.Sprintf("0991%06d", i)}, "code": {"123456"}, "password": {"mat-khau-moi-1"}, "_csrf": {toks[i]}}).Status
	}))
	if got[http.StatusUnauthorized] != 300 || got[http.StatusTooManyRequests] != 30 {
		t.Errorf("330 reset tries at once from one address: %v; want exactly 300 answered, 30 refused (429)", got)
	}
	res := rig.Client(t).Post("/reset", url.Values{"phone": {"0991999999"}, "code": {"123456"}, "password": {"mat-khau-moi-1"}})
	mustStatus(t, "one more", res, http.StatusTooManyRequests)
	mustContain(t, "one more", res.Body, "Hãy đợi 15 phút")
}
