package crashtest

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"kynangso/app/store"
	"kynangso/app/store/sqlite"
	"kynangso/courses"
)

const password = "mat-khau-123"

// TestCrashAtAnyMoment: the program is killed with SIGKILL at random
// moments under load, restarted on the same data, and then:
//   - every acknowledged write is there: a 303 after sign-up is an account,
//     a 303 after a lesson is that lesson done, a 303 after a quiz submit
//     is the attempt graded (as answered) and, for a pass, its certificate;
//   - the database file is sound (PRAGMA integrity_check);
//   - nothing is stuck: every attempt of every learner opens, one not yet
//     graded can be submitted, every result page shows, a new attempt can
//     be started, and an admin can revoke every certificate.
func TestCrashAtAnyMoment(t *testing.T) {
	if os.Getenv("KNS_CRASH_TEST") != "1" {
		t.Skip("set KNS_CRASH_TEST=1 to build the program and kill it under load (about a minute)")
	}
	cycles, clients := envInt(t, "KNS_CRASH_CYCLES", 3), envInt(t, "KNS_CRASH_CLIENTS", 16)
	cycle, err := time.ParseDuration(envOr("KNS_CRASH_CYCLE", "10s"))
	if err != nil {
		t.Fatalf("KNS_CRASH_CYCLE: %v", err)
	}
	cat, err := courses.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	bin := build(t, tmp)
	data := filepath.Join(tmp, "data")
	port := freePort(t)
	k := &kns{t: t, bin: bin, data: data, addr: fmt.Sprintf("127.0.0.1:%d", port), logDir: tmp}
	k.base = "http://" + k.addr
	t.Cleanup(k.kill)

	setup := k.start()
	if setup == "" {
		t.Fatal("the first start printed no setup link")
	}
	admin := newClient(k.base, "10.255.0.1")
	csrf, _, err := admin.form("/setup/" + setup)
	if err != nil {
		t.Fatal(err)
	}
	res, err := admin.post("/setup/"+setup, url.Values{"_csrf": {csrf}, "name": {"Quản Trị Viên"}, "phone": {"0900000001"}, "password": {"quan-tri-123"}})
	if err != nil || res.status != http.StatusSeeOther {
		t.Fatalf("setup: %v %+v", err, res)
	}

	led := &ledger{accounts: map[string]bool{}, statuses: map[string]int{}, cut: map[string]int{}}
	rnd := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 11))
	learners := make([]*learner, clients)
	for i := range learners {
		learners[i] = &learner{k: k, led: led, cat: cat, n: i, rnd: rand.New(rand.NewPCG(rnd.Uint64(), uint64(i)))}
	}
	for c := range cycles {
		ctx, stop := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		for _, l := range learners {
			wg.Go(func() { l.run(ctx) })
		}
		// Kill somewhere in the second half of the cycle's load, so that
		// every kind of write is in flight at some kill.
		at := cycle/2 + time.Duration(rnd.Int64N(int64(cycle/2)))
		time.Sleep(at)
		k.kill()
		stop()
		wg.Wait()
		led.mu.Lock()
		t.Logf("cycle %d: killed after %v; so far %d sign-ups tried, %d lessons and %d submits acknowledged", c+1, at.Round(time.Millisecond), len(led.accounts), len(led.lessons), len(led.graded))
		led.mu.Unlock()
		checkAcknowledged(t, data, led)
		if t.Failed() {
			k.dumpLogs()
			t.FailNow()
		}
		if c < cycles-1 {
			k.start()
		}
	}

	// After the last kill: start once more and use everything left behind.
	checkNothingStuck(t, k, admin, led, cat)
	if t.Failed() {
		k.dumpLogs()
	}
	led.mu.Lock()
	defer led.mu.Unlock()
	var st []string
	for s, n := range led.statuses {
		st = append(st, fmt.Sprintf("%s ×%d", s, n))
	}
	sort.Strings(st)
	var cut []string
	for s, n := range led.cut {
		cut = append(cut, fmt.Sprintf("%s %d", s, n))
	}
	sort.Strings(cut)
	acked := 0
	for _, ok := range led.accounts {
		if ok {
			acked++
		}
	}
	if len(st) == 0 {
		st = []string{"none"}
	}
	t.Logf("%d kills; acknowledged and found after each: %d sign-ups (of %d tried), %d lessons, %d quiz submits (%d passes, each with its certificate); steps cut by a kill: %s; unexpected answers: %s",
		cycles, acked, len(led.accounts), len(led.lessons), len(led.graded), led.passes(), strings.Join(cut, ", "), strings.Join(st, ", "))
}

// ---- the program as a child process

type kns struct {
	t      *testing.T
	bin    string
	data   string
	addr   string
	base   string
	logDir string
	cmd    *exec.Cmd
	runs   int
	done   chan struct{}
}

func build(t *testing.T, dir string) string {
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil || strings.TrimSpace(string(gomod)) == "" {
		t.Fatalf("go env GOMOD: %v", err)
	}
	root := filepath.Dir(strings.TrimSpace(string(gomod)))
	bin := filepath.Join(dir, "kns")
	cmd := exec.Command("go", "build", "-o", bin, "./app")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./app: %v\n%s", err, out)
	}
	return bin
}

func freePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

var setupLink = regexp.MustCompile(`/setup/([0-9A-Za-z_-]+)`)

// start runs the program on the data folder and waits until it answers;
// it returns the setup token when the program printed one.
func (k *kns) start() string {
	k.t.Helper()
	k.runs++
	logf, err := os.Create(filepath.Join(k.logDir, fmt.Sprintf("kns-%d.log", k.runs)))
	if err != nil {
		k.t.Fatal(err)
	}
	cmd := exec.Command(k.bin)
	env := []string{}
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "KNS_") && !strings.HasPrefix(e, "MONGODB_URI=") {
			env = append(env, e)
		}
	}
	cmd.Env = append(env, "KNS_DATA_DIR="+k.data, "KNS_ADDR="+k.addr, "KNS_BASE_URL="+k.base,
		"KNS_VERIFY_LIMIT=0", "KNS_LOG_LEVEL=warn",
		// Each client sends its own X-Real-IP, as phones behind the
		// proxy would: per-address limits count clients, not the test.
		"KNS_TRUSTED_PROXIES=127.0.0.1")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		k.t.Fatal(err)
	}
	cmd.Stderr = logf
	if err := cmd.Start(); err != nil {
		k.t.Fatal(err)
	}
	k.cmd, k.done = cmd, make(chan struct{})
	tok := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		found := false
		for sc.Scan() {
			fmt.Fprintln(logf, sc.Text())
			if m := setupLink.FindStringSubmatch(sc.Text()); m != nil && !found {
				found = true
				tok <- m[1]
			}
		}
		if !found {
			tok <- ""
		}
	}()
	go func() {
		_ = cmd.Wait()
		logf.Close()
		close(k.done)
	}()
	deadline := time.Now().Add(90 * time.Second)
	for {
		res, err := http.Get(k.base + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				break
			}
		}
		select {
		case <-k.done:
			k.dumpLogs()
			k.t.Fatalf("the program ended on start %d: %v", k.runs, cmd.ProcessState)
		default:
		}
		if time.Now().After(deadline) {
			k.kill()
			k.dumpLogs()
			k.t.Fatalf("the program did not answer /readyz within 90 s of start %d", k.runs)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The link is printed before the server listens.
	select {
	case s := <-tok:
		return s
	case <-time.After(200 * time.Millisecond):
		return ""
	}
}

// kill ends the program with SIGKILL and waits for it to be gone.
func (k *kns) kill() {
	if k.cmd == nil {
		return
	}
	_ = k.cmd.Process.Signal(syscall.SIGKILL)
	<-k.done
	k.cmd = nil
}

func (k *kns) dumpLogs() {
	for i := 1; i <= k.runs; i++ {
		b, _ := os.ReadFile(filepath.Join(k.logDir, fmt.Sprintf("kns-%d.log", i)))
		if len(b) > 4000 {
			b = b[len(b)-4000:]
		}
		k.t.Logf("program output, start %d:\n%s", i, b)
	}
}

// ---- a browser-like client

type client struct {
	base string
	ip   string
	http *http.Client
}

func newClient(base, ip string) *client {
	jar, _ := cookiejar.New(nil)
	return &client{base: base, ip: ip, http: &http.Client{
		Jar:           jar,
		Timeout:       20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

type resp struct {
	status   int
	body     string
	location string
}

func (c *client) do(req *http.Request) (*resp, error) {
	req.Header.Set("X-Real-IP", c.ip)
	res, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, err
	}
	return &resp{status: res.StatusCode, body: string(b), location: res.Header.Get("Location")}, nil
}

func (c *client) get(path string) (*resp, error) {
	req, err := http.NewRequest(http.MethodGet, c.base+path, nil)
	if err != nil {
		return nil, err
	}
	return c.do(req)
}

func (c *client) post(path string, form url.Values) (*resp, error) {
	req, err := http.NewRequest(http.MethodPost, c.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

var csrfField = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// form fetches a page and returns its form token (the cookie half is in
// the jar), as a browser showing the form would have it.
func (c *client) form(path string) (string, *resp, error) {
	r, err := c.get(path)
	if err != nil {
		return "", nil, err
	}
	m := csrfField.FindStringSubmatch(r.body)
	if m == nil {
		return "", r, nil
	}
	return m[1], r, nil
}

// ---- what was acknowledged

type lessonAck struct{ phone, course, lesson string }

type gradedAck struct {
	phone, course, attempt string
	pass                   bool
}

type ledger struct {
	mu       sync.Mutex
	accounts map[string]bool // phone → sign-up acknowledged (false: tried, outcome unknown)
	lessons  []lessonAck
	graded   []gradedAck
	statuses map[string]int // unexpected answers, "POST /register 500"
	cut      map[string]int // steps whose request got no answer (the kill), by kind
}

func (l *ledger) passes() int {
	n := 0
	for _, g := range l.graded {
		if g.pass {
			n++
		}
	}
	return n
}

func (l *ledger) note(method, path string, status int) {
	// Collapse ids so the report groups answers by route.
	p := idInPath.ReplaceAllString(path, "/:id")
	l.mu.Lock()
	l.statuses[fmt.Sprintf("%s %s %d", method, p, status)]++
	l.mu.Unlock()
}

var idInPath = regexp.MustCompile(`/(?:[0-9a-f]{16,}|[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})`)

type learner struct {
	k        *kns
	led      *ledger
	cat      *courses.Catalogue
	n        int
	rnd      *rand.Rand
	c        *client
	phone    string
	signedIn bool
	refused  bool   // the last sign-up was refused as taken
	doing    string // what the step in progress does, for the report
	seq      int
}

func (l *learner) run(ctx context.Context) {
	for ctx.Err() == nil {
		if err := l.step(); err != nil {
			var ne net.Error
			if errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) || strings.Contains(err.Error(), "connection") {
				l.led.mu.Lock()
				l.led.cut[l.doing]++
				l.led.mu.Unlock()
				time.Sleep(50 * time.Millisecond)
				continue
			}
			l.led.note("ERR", err.Error(), 0)
		}
	}
}

// step is one thing a learner does.
func (l *learner) step() error {
	if l.phone == "" {
		l.seq++
		l.phone = fmt.Sprintf("09%02d%02d%04d", l.n%100, l.seq%100, l.rnd.IntN(10000))
		l.c = newClient(l.k.base, fmt.Sprintf("10.%d.%d.%d", l.n%250, l.seq%250, 1+l.rnd.IntN(250)))
		l.led.mu.Lock()
		if _, dup := l.led.accounts[l.phone]; dup {
			l.led.mu.Unlock()
			l.phone = ""
			return nil
		}
		l.led.accounts[l.phone] = false
		l.led.mu.Unlock()
		l.doing = "sign-up"
		return l.register()
	}
	if !l.signedIn {
		l.doing = "sign-in"
		return l.login()
	}
	switch x := l.rnd.IntN(20); {
	case x < 1:
		// Someone else picks up the phone: a new sign-up.
		l.phone, l.signedIn = "", false
		return nil
	case x < 10:
		l.doing = "lesson"
		return l.lesson()
	case x < 18:
		l.doing = "quiz"
		return l.quiz()
	default:
		l.doing = "read"
		r, err := l.c.get("/certificates")
		if err != nil {
			return err
		}
		return l.expect("GET", "/certificates", r, http.StatusOK)
	}
}

// expect notes an answer other than want; a redirect to sign-in means the
// session was lost.
func (l *learner) expect(method, path string, r *resp, want int) error {
	if r.status == want {
		return nil
	}
	if r.status == http.StatusSeeOther && strings.HasPrefix(r.location, "/login") {
		l.led.note(method, path+" → signed out", r.status)
		l.signedIn = false
		return nil
	}
	l.led.note(method, path, r.status)
	return nil
}

func (l *learner) register() error {
	csrf, _, err := l.c.form("/register")
	if err != nil {
		return err
	}
	name := "Học Viên " + string(rune('A'+l.n%26)) + string(rune('a'+l.seq%26))
	r, err := l.c.post("/register", url.Values{"_csrf": {csrf}, "name": {name}, "phone": {l.phone}, "password": {password},
		"province": {"1"}, "commune": {"Ba Đình"}, "consent": {"yes"}})
	if err != nil {
		return err // unknown: next step signs in, or signs up again
	}
	switch r.status {
	case http.StatusSeeOther:
		l.refused = false
		l.led.mu.Lock()
		l.led.accounts[l.phone] = true
		l.led.mu.Unlock()
		l.signedIn = true
	case http.StatusUnprocessableEntity:
		// Taken: a sign-up cut by the kill went through (the next step
		// signs in). Twice in a row is a form the test fills wrongly.
		if l.refused {
			l.led.note("POST", "/register", r.status)
			l.phone = ""
		}
		l.refused = true
		return nil
	default:
		l.led.note("POST", "/register", r.status)
		l.phone = "" // give up this one
	}
	return nil
}

func (l *learner) login() error {
	csrf, _, err := l.c.form("/login")
	if err != nil {
		return err
	}
	r, err := l.c.post("/login", url.Values{"_csrf": {csrf}, "phone": {l.phone}, "password": {password}})
	if err != nil {
		return err
	}
	switch r.status {
	case http.StatusSeeOther:
		l.signedIn, l.refused = true, false
	case http.StatusUnauthorized:
		return l.register() // the cut sign-up did not happen: sign up again
	default:
		l.led.note("POST", "/login", r.status)
	}
	return nil
}

func (l *learner) lesson() error {
	co := l.cat.Courses[l.rnd.IntN(len(l.cat.Courses))]
	ls := co.Lessons[l.rnd.IntN(len(co.Lessons))]
	path := "/courses/" + co.ID + "/lessons/" + ls.ID
	csrf, page, err := l.c.form(path)
	if err != nil {
		return err
	}
	if page.status != http.StatusOK || csrf == "" {
		return l.expect("GET", path, page, http.StatusOK)
	}
	r, err := l.c.post(path, url.Values{"_csrf": {csrf}})
	if err != nil {
		return err
	}
	if r.status == http.StatusSeeOther && !strings.HasPrefix(r.location, "/login") {
		l.led.mu.Lock()
		l.led.lessons = append(l.led.lessons, lessonAck{l.phone, co.ID, ls.ID})
		l.led.mu.Unlock()
		return nil
	}
	return l.expect("POST", path, r, http.StatusSeeOther)
}

func (l *learner) quiz() error {
	co := l.cat.Courses[l.rnd.IntN(len(l.cat.Courses))]
	r, err := l.c.get("/courses/" + co.ID + "/quiz")
	if err != nil {
		return err
	}
	if r.status != http.StatusSeeOther || strings.HasPrefix(r.location, "/login") {
		return l.expect("GET", "/courses/"+co.ID+"/quiz", r, http.StatusSeeOther)
	}
	right := l.rnd.IntN(10) < 6
	_, err = submit(l.c, co, r.location, right, func(attempt string) {
		l.led.mu.Lock()
		l.led.graded = append(l.led.graded, gradedAck{l.phone, co.ID, attempt, right})
		l.led.mu.Unlock()
	}, l.expect)
	return err
}

// submit answers the attempt at path (right or wrong answers) and calls
// acked when the server acknowledged the submission. It returns whether
// the form was there to submit.
func submit(c *client, co *courses.Course, path string, right bool, acked func(attempt string), expect func(method, path string, r *resp, want int) error) (bool, error) {
	csrf, page, err := c.form(path)
	if err != nil {
		return false, err
	}
	if page.status != http.StatusOK {
		return false, expect("GET", path, page, http.StatusOK)
	}
	if csrf == "" || !strings.Contains(page.body, `name="q_`) {
		return false, nil // graded already: a submit the kill cut went through
	}
	form := answers(co, page.body, right)
	form.Set("_csrf", csrf)
	r, err := c.post(path, form)
	if err != nil {
		return true, err
	}
	if r.status == http.StatusSeeOther && r.location == path {
		acked(path[strings.LastIndex(path, "/")+1:])
		return true, nil
	}
	return true, expect("POST", path, r, http.StatusSeeOther)
}

// answers fills in the quiz form on page from the course's questions:
// all right, or all wrong.
func answers(co *courses.Course, page string, right bool) url.Values {
	form := url.Values{}
	for _, q := range co.Questions {
		key := "q_" + q.ID
		switch {
		case strings.Contains(page, `name="`+key+`_`):
			for i, o := range q.Options {
				pos := i + 1
				if !right {
					pos = len(q.Options) - i
				}
				form.Set(key+"_"+o.ID, strconv.Itoa(pos))
			}
		case strings.Contains(page, `name="`+key+`"`):
			for _, o := range q.Options {
				if o.Correct == right {
					form.Add(key, o.ID)
					if q.Kind != "multiple" {
						break
					}
				}
			}
		}
	}
	return form
}

// ---- the checks

func openStore(t *testing.T, data string) *sqlite.Store {
	t.Helper()
	path := filepath.Join(data, "kynangso.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	var ok string
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&ok); err != nil || ok != "ok" {
		t.Errorf("integrity_check after the kill: %q %v", ok, err)
	}
	db.Close()
	st, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatalf("open the data after the kill: %v", err)
	}
	return st
}

// checkAcknowledged reads the data folder of the killed program, before
// any request could heal what it finds.
func checkAcknowledged(t *testing.T, data string, led *ledger) {
	t.Helper()
	ctx := context.Background()
	st := openStore(t, data)
	defer st.Close(ctx)
	led.mu.Lock()
	defer led.mu.Unlock()
	users := map[string]*store.User{}
	user := func(phone string) *store.User {
		if u, ok := users[phone]; ok {
			return u
		}
		u, err := st.UserByPhone(ctx, phone)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("user %s: %v", phone, err)
		}
		users[phone] = u
		return u
	}
	for phone, acked := range led.accounts {
		if acked && user(phone) == nil {
			t.Errorf("sign-up of %s was acknowledged, but there is no account", phone)
		}
	}
	progress := map[string]map[string]*store.Progress{}
	for _, a := range led.lessons {
		u := user(a.phone)
		if u == nil {
			t.Errorf("lesson %s/%s of %s was acknowledged, but there is no account", a.course, a.lesson, a.phone)
			continue
		}
		if progress[u.ID] == nil {
			p, err := st.ProgressOf(ctx, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			progress[u.ID] = p
		}
		if p := progress[u.ID][a.course]; p == nil || !slices.Contains(p.Lessons, a.lesson) {
			t.Errorf("lesson %s/%s of %s was acknowledged, but is not done", a.course, a.lesson, a.phone)
		}
	}
	for _, g := range led.graded {
		u := user(g.phone)
		a, err := st.AttemptByAnyUser(ctx, g.attempt)
		switch {
		case err != nil:
			t.Errorf("submit of attempt %s was acknowledged, but the attempt: %v", g.attempt, err)
			continue
		case u == nil || a.UserID != u.ID:
			t.Errorf("attempt %s is not %s's", g.attempt, g.phone)
			continue
		case !a.Submitted || a.Result == nil:
			t.Errorf("submit of attempt %s was acknowledged, but it is not graded", g.attempt)
			continue
		case a.Passed != g.pass:
			t.Errorf("attempt %s answered all %s is graded passed=%v", g.attempt, map[bool]string{true: "right", false: "wrong"}[g.pass], a.Passed)
			continue
		}
		if !g.pass {
			continue
		}
		// A course with practical tasks waits for the leader's
		// confirmations before it issues anything.
		if cat, err := courses.Builtin(); err != nil {
			t.Fatal(err)
		} else if co := cat.Get(g.course); co != nil && len(co.Tasks) > 0 {
			continue
		}
		certs, err := st.CertificatesOf(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(certs, func(c store.Certificate) bool { return c.Course == g.course && c.Status == store.CertValid }) {
			t.Errorf("pass of %s in %s (attempt %s) was acknowledged, but there is no valid certificate", g.phone, g.course, g.attempt)
		}
	}
}

type leftAttempt struct {
	course, id string
	submitted  bool
}

// checkNothingStuck signs every learner that exists in, opens every
// attempt (submitting those not graded), starts a new attempt, and has
// the admin revoke every certificate.
func checkNothingStuck(t *testing.T, k *kns, admin *client, led *ledger, cat *courses.Catalogue) {
	t.Helper()
	ctx := context.Background()
	// What the data holds, read while the program is down.
	st := openStore(t, k.data)
	type person struct {
		phone    string
		attempts []leftAttempt
		certs    []string
	}
	var people []person
	led.mu.Lock()
	phones := make([]string, 0, len(led.accounts))
	for p := range led.accounts {
		phones = append(phones, p)
	}
	led.mu.Unlock()
	sort.Strings(phones)
	open, certCount := 0, 0
	for _, phone := range phones {
		u, err := st.UserByPhone(ctx, phone)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		p := person{phone: phone}
		as, err := st.AttemptsOf(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range as {
			p.attempts = append(p.attempts, leftAttempt{a.Course, a.ID, a.Submitted})
			if !a.Submitted {
				open++
			}
		}
		cs, err := st.CertificatesOf(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cs {
			if c.Status == store.CertValid {
				p.certs = append(p.certs, c.Code)
			}
		}
		certCount += len(p.certs)
		people = append(people, p)
	}
	_ = st.Close(ctx)
	k.start()
	t.Logf("after the last kill: %d accounts, %d attempts left open, %d valid certificates", len(people), open, certCount)

	expect := func(method, path string, r *resp, want int) error {
		if r.status != want {
			t.Errorf("%s %s: status %d, want %d\n%s", method, path, r.status, want, text(r.body))
		}
		return nil
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i, p := range people {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			c := newClient(k.base, fmt.Sprintf("10.254.%d.%d", i/250, 1+i%250))
			csrf, _, err := c.form("/login")
			if err != nil {
				t.Error(err)
				return
			}
			r, err := c.post("/login", url.Values{"_csrf": {csrf}, "phone": {p.phone}, "password": {password}})
			if err != nil || r.status != http.StatusSeeOther {
				t.Errorf("sign in as %s after the crashes: %v %v", p.phone, err, r)
				return
			}
			for _, a := range p.attempts {
				co := cat.Get(a.course)
				path := "/courses/" + a.course + "/quiz/" + a.id
				if !a.submitted {
					done := false
					sent, err := submit(c, co, path, true, func(string) { done = true }, expect)
					if err != nil || !sent || !done {
						t.Errorf("attempt %s of %s, left open by the kill, could not be submitted: %v (form shown: %v)", a.id, p.phone, err, sent)
						continue
					}
				}
				r, err := c.get(path)
				if err != nil || r.status != http.StatusOK || strings.Contains(r.body, `name="q_`) {
					t.Errorf("result of attempt %s of %s: %v %v", a.id, p.phone, err, r)
				}
			}
			// A new attempt can be started in every course this person tried.
			tried := map[string]bool{}
			for _, a := range p.attempts {
				if !tried[a.course] {
					tried[a.course] = true
					r, err := c.get("/courses/" + a.course + "/quiz")
					if err != nil || r.status != http.StatusSeeOther || !strings.HasPrefix(r.location, "/courses/"+a.course+"/quiz/") {
						t.Errorf("start a quiz in %s as %s: %v %v", a.course, p.phone, err, r)
					}
				}
			}
		})
	}
	wg.Wait()

	// The admin's session outlived every kill; each certificate, including
	// those issued just now, can be revoked.
	st2 := func() []string {
		k.kill()
		st := openStore(t, k.data)
		defer st.Close(ctx)
		var out []string
		for _, p := range people {
			u, err := st.UserByPhone(ctx, p.phone)
			if err != nil {
				t.Fatal(err)
			}
			cs, err := st.CertificatesOf(ctx, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range cs {
				if c.Status == store.CertValid {
					out = append(out, c.Code)
				}
			}
		}
		return out
	}()
	k.start()
	revoked := 0
	for _, code := range st2 {
		path := "/admin/certificates/" + formatCode(code)
		csrf, page, err := admin.form(path)
		if err != nil || page.status != http.StatusOK || csrf == "" {
			t.Errorf("admin page of certificate %s: %v %v", code, err, page)
			continue
		}
		r, err := admin.post(path+"/revoke", url.Values{"_csrf": {csrf}, "reason": {store.RevokeReasons[0]}, "confirm": {"yes"}, "note": {"crash test"}})
		if err != nil || r.status != http.StatusSeeOther {
			t.Errorf("revoke certificate %s: %v %v", code, err, r)
			continue
		}
		revoked++
	}
	k.kill()
	st = openStore(t, k.data)
	defer st.Close(ctx)
	for _, code := range st2 {
		ct, err := st.Certificate(ctx, code)
		if err != nil || ct.Status != store.CertRevoked {
			t.Errorf("certificate %s after its revocation: %v %v", code, err, ct)
		}
	}
	t.Logf("nothing stuck: %d learners signed in, every attempt opened (%d left open were submitted), %d certificates revoked by the admin", len(people), open, revoked)
}

func formatCode(c string) string {
	if len(c) != 12 {
		return c
	}
	return c[:4] + "-" + c[4:8] + "-" + c[8:]
}

var tags = regexp.MustCompile(`(?s)<script.*?</script>|<style.*?</style>|<[^>]+>`)

func text(html string) string {
	s := strings.Join(strings.Fields(tags.ReplaceAllString(html, " ")), " ")
	if len(s) > 300 {
		s = s[:300]
	}
	return s
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func envInt(t *testing.T, k string, def int) int {
	n, err := strconv.Atoi(envOr(k, strconv.Itoa(def)))
	if err != nil || n < 1 {
		t.Fatalf("%s: want a positive number", k)
	}
	return n
}
