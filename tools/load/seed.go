package main

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"kynangso/app/certcode"
	"kynangso/app/locality"
	"kynangso/app/password"
	"kynangso/app/store"
	"kynangso/app/store/sqlite"
	"kynangso/courses"
	"kynangso/quiz"
)

// Seeding: the data a platform a few months into a campaign holds, written
// straight into the embedded database in large batches.

// batchRecords is about how many records one Load (one transaction)
// takes; a team's records always go in the same batch. Every index of
// random ids is rewritten page by page at each commit, so fewer, larger
// batches are much faster: 100,000 learners took 72–80 s in batches of
// 10–20 thousand, 50 s in batches of 40 thousand (2 cores, ext4).
var batchRecords = 40000

const (
	// seedPassword is every seeded person's password; hashed once.
	seedPassword = "mật khẩu thử tải"
	// consentVersion is web.ConsentVersion, repeated so that seeding needs
	// only the store (it is data, the site reads it back as it is).
	consentVersion = "2026-11-v1"
	// teamSize is the mean size of a team; sizes vary by a fifth.
	teamSize = 100
	// sampleAccounts is how many learners' tokens are kept to sign in as.
	sampleAccounts = 4000
	// sampleCodes is how many certificate codes are kept to verify.
	sampleCodes = 4000
	maxLeaders  = 500
)

// account is a seeded person the load clients can act as.
type account struct {
	ID, Phone, Token, Team string
}

// seeded is what the routes need to know about the data.
type seeded struct {
	Learners, Teams, Certificates, Records int
	Counts                                 map[string]int
	Seconds                                float64
	Learner                                []account // a sample, spread over the teams
	Leaders                                []account // Team set
	Communes                               []string  // "province/commune" of each team's commune, once
	Admin                                  account
	Codes                                  []string // certificate codes, no dashes
	Unknown                                string   // a well-formed code that was not issued
	Catalogue                              *courses.Catalogue
}

// course is what seeding precomputes about a course: its pool and, for
// every question, a right and a wrong answer.
type course struct {
	c            *courses.Course
	pool         []quiz.Question
	right, wrong map[string][]string
	weight       float64
}

func prepareCourses(cat *courses.Catalogue) []*course {
	out := make([]*course, len(cat.Courses))
	for i, c := range cat.Courses {
		k := &course{c: c, pool: c.Pool(), right: map[string][]string{}, wrong: map[string][]string{},
			// Learners start with the first courses of the suggested order.
			weight: 1 / float64(i+1)}
		for _, q := range k.pool {
			var ids, good, bad []string
			for _, o := range q.Options {
				ids = append(ids, o.ID)
				if o.Correct {
					good = append(good, o.ID)
				} else {
					bad = append(bad, o.ID)
				}
			}
			switch q.Kind {
			case quiz.Ordering:
				k.right[q.ID] = ids
				rev := slices.Clone(ids)
				slices.Reverse(rev)
				k.wrong[q.ID] = rev
			case quiz.Multiple:
				k.right[q.ID] = good
				if len(bad) > 0 {
					k.wrong[q.ID] = bad[:1]
				} else {
					k.wrong[q.ID] = good[:len(good)-1]
				}
			default:
				k.right[q.ID] = good[:1]
				k.wrong[q.ID] = bad[:1]
			}
		}
		out[i] = k
	}
	return out
}

// seeder generates the records from one random source, so the same seed
// makes the same people, teams, progress, attempts and sessions. Not the
// same: certificate codes (certcode.New draws them from the system's
// secure source, as the platform does), the password hash's salt, and the
// times, which are laid out back from now so that sessions are live.
type seeder struct {
	r         *rand.Rand
	now       time.Time
	hash      string
	courses   []*course
	folded    map[string]string
	teamCodes map[string]bool
	out       *seeded
	index     int // next status-list position
	batch     []store.Record
	flush     func([]store.Record) error
	keep      int // keep every keep-th learner's token
}

var (
	familyNames = []string{"Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý", "Đinh", "Lò", "Hà", "Triệu"}
	middleNames = []string{"Văn", "Thị", "Hữu", "Đức", "Minh", "Ngọc", "Thanh", "Quốc", "Thu", "Kim", "Xuân", "Bảo"}
	givenNames  = []string{"An", "Bình", "Chi", "Dũng", "Giang", "Hà", "Hải", "Hạnh", "Hòa", "Hùng", "Hương", "Lan", "Linh", "Long", "Mai", "Minh",
		"Nam", "Nga", "Ngọc", "Phúc", "Phương", "Quân", "Quang", "Sơn", "Tâm", "Thảo", "Thắng", "Thủy", "Trang", "Tuấn", "Vân", "Yến", "Khánh", "Lộc", "Nhung", "Đào"}
	phonePrefixes = []string{"09", "03", "08", "07", "05"}
	teamAlphabet  = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
)

func (s *seeder) id() string {
	var b [16]byte
	for i := 0; i < 16; i += 8 {
		v := s.r.Uint64()
		for j := range 8 {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	return hex.EncodeToString(b[:])
}

// token is a session cookie value, and the session id the store keeps
// (see hashToken in app/web/middleware.go).
func (s *seeder) token() (tok, id string) {
	var b [32]byte
	for i := 0; i < 32; i += 8 {
		v := s.r.Uint64()
		for j := range 8 {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	tok = base64.RawURLEncoding.EncodeToString(b[:])
	h := sha256.Sum256([]byte(tok))
	return tok, hex.EncodeToString(h[:])
}

func (s *seeder) name() (string, string) {
	n := familyNames[s.r.IntN(len(familyNames))] + " " + middleNames[s.r.IntN(len(middleNames))] + " " + givenNames[s.r.IntN(len(givenNames))]
	f, ok := s.folded[n]
	if !ok {
		f = locality.Fold(n)
		s.folded[n] = f
	}
	return n, f
}

// ago is a time up to d before now.
func (s *seeder) ago(d time.Duration) time.Time {
	return s.now.Add(-time.Duration(s.r.Int64N(int64(d)))).Truncate(time.Millisecond)
}

// between is a time in [a, b).
func (s *seeder) between(a, b time.Time) time.Time {
	if !b.After(a) {
		return a
	}
	return a.Add(time.Duration(s.r.Int64N(int64(b.Sub(a))))).Truncate(time.Millisecond)
}

func (s *seeder) add(kind string, v any) {
	s.batch = append(s.batch, store.Record{Kind: kind, Value: v})
	s.out.Counts[kind]++
}

// pickCourses picks n distinct courses, the first ones more often.
func (s *seeder) pickCourses(n int) []*course {
	left := slices.Clone(s.courses)
	var out []*course
	for len(out) < n && len(left) > 0 {
		total := 0.0
		for _, c := range left {
			total += c.weight
		}
		x, i := s.r.Float64()*total, 0
		for ; i < len(left)-1; i++ {
			if x -= left[i].weight; x < 0 {
				break
			}
		}
		out = append(out, left[i])
		left = slices.Delete(left, i, i+1)
	}
	return out
}

// attempt makes a graded attempt at k with points right answers.
func (s *seeder) attempt(u *store.User, k *course, points int, at time.Time) *store.Attempt {
	seed := s.r.Uint64() &^ (1 << 63)
	drawn := quiz.Draw(k.pool, k.c.QuestionsPerAttempt, seed)
	res := &quiz.Result{Total: len(drawn), Points: min(points, len(drawn)), Items: make([]quiz.Item, len(drawn))}
	for i, d := range drawn {
		ok := i < res.Points
		given := k.wrong[d.QuestionID]
		if ok {
			given = k.right[d.QuestionID]
		}
		res.Items[i] = quiz.Item{QuestionID: d.QuestionID, Given: given, Correct: ok}
	}
	a := &store.Attempt{ID: s.id(), UserID: u.ID, Course: k.c.ID, Seed: seed, Drawn: drawn,
		Created: at.Add(-time.Duration(5+s.r.IntN(20)) * time.Minute), Submitted: true, At: at, Result: res,
		Passed: res.Passed(k.c.PassMark)}
	s.add(store.KindAttempt, a)
	return a
}

// passMarkPoints is the fewest right answers of n that pass at mark.
func passMarkPoints(n, mark int) int { return (n*mark + 99) / 100 }

// learner seeds one member of t: the user, a session, progress in one to
// three courses, graded attempts, and for about 40% a certificate.
func (s *seeder) learner(t *store.Team, cm *locality.Commune, role string, n int) *store.User {
	name, folded := s.name()
	created := s.between(t.Created, s.now.Add(-24*time.Hour))
	u := &store.User{ID: s.id(), Name: name, NameFolded: folded,
		Phone:        phonePrefixes[n%len(phonePrefixes)] + fmt.Sprintf("%08d", n/len(phonePrefixes)),
		PasswordHash: s.hash, Role: role, Province: cm.Province.Code, Commune: cm.Code, TeamID: t.ID,
		Consent: store.Consent{Version: consentVersion, At: created}, Created: created, LastActive: created}
	s.add(store.KindUser, u)

	tok, sid := s.token()
	sessAt := s.ago(20 * 24 * time.Hour)
	s.add(store.KindSession, &store.Session{ID: sid, UserID: u.ID, Created: sessAt, Expires: sessAt.Add(30 * 24 * time.Hour)})
	acc := account{ID: u.ID, Phone: u.Phone, Token: tok}
	if role == store.RoleLeader && len(s.out.Leaders) < maxLeaders {
		acc.Team = t.ID
		s.out.Leaders = append(s.out.Leaders, acc)
	} else if role == store.RoleLearner && n%s.keep == 0 {
		s.out.Learner = append(s.out.Learner, acc)
	}

	// 1, 2 or 3 courses; a certificate holder passed the first.
	nc := 1
	switch x := s.r.IntN(10); {
	case x >= 8:
		nc = 3
	case x >= 5:
		nc = 2
	}
	holder := s.r.IntN(100) < 40
	last := created
	for i, k := range s.pickCourses(nc) {
		co := k.c
		p := &store.Progress{ID: store.ProgressID(u.ID, co.ID), UserID: u.ID, Course: co.ID}
		start := s.between(created, s.now.Add(-time.Hour))
		done := len(co.Lessons)
		if !(holder && i == 0) {
			done = 1 + s.r.IntN(len(co.Lessons))
		}
		for _, l := range co.Lessons[:done] {
			p.Lessons = append(p.Lessons, l.ID)
		}
		p.Updated = s.between(start, s.now)
		nq := co.QuestionsPerAttempt
		pass := passMarkPoints(nq, co.PassMark)
		if done == len(co.Lessons) {
			at := p.Updated
			// Some fail once before they pass; most who read every lesson
			// without passing tried and failed.
			passes := holder && i == 0
			if (passes && s.r.IntN(100) < 35) || (!passes && s.r.IntN(100) < 70) {
				a := s.attempt(u, k, s.r.IntN(pass), at)
				p.Best = a.Result.Percent()
				at = s.between(at, s.now)
			}
			if passes {
				a := s.attempt(u, k, pass+s.r.IntN(nq-pass+1), at)
				p.Best, p.Passed, p.Updated = max(p.Best, a.Result.Percent()), true, at
				ct := &store.Certificate{Code: certcode.New(), UserID: u.ID, Course: co.ID, Holder: u.Name,
					Score: a.Result.Percent(), IssuedAt: at, TeamID: t.ID, TeamName: t.Name, Commune: t.Commune,
					Status: store.CertValid, StatusIndex: s.index}
				s.index++
				s.add(store.KindCertificate, ct)
				s.out.Certificates++
				if len(s.out.Codes) < sampleCodes {
					s.out.Codes = append(s.out.Codes, ct.Code)
				}
				// About five checks each: employers, officials, the holder.
				for range 3 + s.r.IntN(5) {
					ch := "page"
					switch x := s.r.IntN(10); {
					case x == 9:
						ch = "credential"
					case x >= 7:
						ch = "json"
					}
					s.add(store.KindVerification, &store.Verification{ID: s.id(), Code: ct.Code, At: s.between(at, s.now), Channel: ch})
				}
			}
		}
		s.add(store.KindProgress, p)
		if p.Updated.After(last) {
			last = p.Updated
		}
	}
	u.LastActive = last
	return u
}

// team seeds one team in commune cm, of size members, the first its leader.
func (s *seeder) team(cm *locality.Commune, size int, admin string, first int) error {
	code := make([]byte, 6)
	for {
		for i := range code {
			code[i] = teamAlphabet[s.r.IntN(len(teamAlphabet))]
		}
		if !s.teamCodes[string(code)] {
			s.teamCodes[string(code)] = true
			break
		}
	}
	t := &store.Team{ID: string(code), Name: "Tổ công nghệ số cộng đồng " + cm.Name, Province: cm.Province.Code,
		Commune: cm.Code, Created: s.ago(180 * 24 * time.Hour)}
	// The village has about twice as many households as the team has
	// members; the leader has grouped two in three members, one to three
	// to a household.
	t.Households = 2*size + s.r.IntN(size+1)
	s.add(store.KindTeam, t)
	if len(s.out.Communes) < maxLeaders {
		s.out.Communes = append(s.out.Communes, cm.Province.Code+"/"+cm.Code)
	}
	var hh *store.Household
	left := 0
	for i := range size {
		role := store.RoleLearner
		if i == 0 {
			role = store.RoleLeader
		}
		u := s.learner(t, cm, role, first+i)
		if i == 0 {
			t.LeaderID = u.ID
		}
		if s.r.IntN(3) < 2 {
			if left == 0 {
				hh = &store.Household{ID: s.id()[:12], TeamID: t.ID, Label: "Hộ " + u.Name, Created: u.Created}
				s.add(store.KindHousehold, hh)
				left = 1 + s.r.IntN(3)
			}
			u.Household = hh.ID
			left--
		}
	}
	s.add(store.KindAudit, &store.AuditEntry{ID: "team:" + t.ID, At: t.Created, Actor: admin, Action: store.ActTeamCreate, Target: t.ID, Detail: t.Name})
	s.add(store.KindAudit, &store.AuditEntry{ID: "leader:" + t.ID, At: t.Created, Actor: admin, Action: store.ActTeamLeader, Target: t.ID, Detail: t.LeaderID})
	s.out.Teams++
	if len(s.batch) >= batchRecords {
		return s.send()
	}
	return nil
}

func (s *seeder) send() error {
	if len(s.batch) == 0 {
		return nil
	}
	b := s.batch
	s.batch = make([]store.Record, 0, batchRecords+2000)
	// Kind by kind: each table's indexes are written in turn, so the
	// pages being changed at any moment are those of one table.
	slices.SortStableFunc(b, func(x, y store.Record) int {
		return slices.Index(store.Kinds, x.Kind) - slices.Index(store.Kinds, y.Kind)
	})
	return s.flush(b)
}

// seed writes n learners into a new database in dir.
func seed(ctx context.Context, dir string, n int, randSeed uint64) (*seeded, error) {
	t0 := time.Now()
	places, err := locality.Load()
	if err != nil {
		return nil, err
	}
	cat, err := courses.Builtin()
	if err != nil {
		return nil, err
	}
	st, err := sqlite.Open(ctx, filepath.Join(dir, "kynangso.db"))
	if err != nil {
		return nil, err
	}
	closed := false
	defer func() {
		if !closed {
			_ = st.Close(ctx)
		}
	}()

	out := &seeded{Learners: n, Counts: map[string]int{}, Catalogue: cat}
	s := &seeder{r: rand.New(rand.NewPCG(randSeed, randSeed^0x5eed)), now: time.Now().Truncate(time.Millisecond),
		hash: password.Hash(seedPassword), courses: prepareCourses(cat), folded: map[string]string{}, teamCodes: map[string]bool{}, out: out,
		keep: max(1, n/sampleAccounts)}

	// Loading runs beside generating: one batch is written while the
	// next is made.
	batches := make(chan []store.Record, 2)
	loaded := make(chan error, 1)
	go func() {
		var err error
		for b := range batches {
			if err == nil {
				err = st.Load(ctx, b)
			}
		}
		loaded <- err
	}()
	s.flush = func(b []store.Record) error {
		select {
		case batches <- b:
			return nil
		case err := <-loaded:
			loaded <- err
			return fmt.Errorf("load: %w", err)
		}
	}
	fail := func(err error) (*seeded, error) {
		close(batches)
		<-loaded
		return nil, err
	}

	// The admin, who made the teams.
	adminTok, adminSid := s.token()
	adminID := s.id()
	adminAt := s.now.Add(-200 * 24 * time.Hour)
	s.add(store.KindUser, &store.User{ID: adminID, Name: "Quản Trị Viên", NameFolded: "quan tri vien", Phone: "0399999999",
		PasswordHash: s.hash, Role: store.RoleAdmin, Province: places.Provinces[0].Code, Commune: places.Provinces[0].Communes[0].Code,
		Consent: store.Consent{Version: consentVersion, At: adminAt}, Created: adminAt, LastActive: s.now})
	s.add(store.KindSession, &store.Session{ID: adminSid, UserID: adminID, Created: s.now, Expires: s.now.Add(30 * 24 * time.Hour)})
	out.Admin = account{ID: adminID, Phone: "0399999999", Token: adminTok}

	// Teams of about a hundred, each in its own commune while communes
	// last: the communes in a shuffled order.
	var communes []*locality.Commune
	for _, p := range places.Provinces {
		communes = append(communes, p.Communes...)
	}
	s.r.Shuffle(len(communes), func(i, j int) { communes[i], communes[j] = communes[j], communes[i] })
	for done, t := 0, 0; done < n; t++ {
		size := min(n-done, teamSize-teamSize/5+s.r.IntN(2*teamSize/5+1))
		if err := ctx.Err(); err != nil {
			return fail(err)
		}
		if err := s.team(communes[t%len(communes)], size, adminID, done); err != nil {
			return fail(err)
		}
		done += size
	}
	if err := s.send(); err != nil {
		return fail(err)
	}
	close(batches)
	if err := <-loaded; err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	// A well-formed code nobody holds.
	for {
		out.Unknown = certcode.New()
		if _, err := st.Certificate(ctx, out.Unknown); errors.Is(err, store.ErrNotFound) {
			break
		} else if err != nil {
			return nil, err
		}
	}
	closed = true
	if err := st.Close(ctx); err != nil {
		return nil, err
	}
	for _, c := range out.Counts {
		out.Records += c
	}
	out.Seconds = time.Since(t0).Seconds()
	return out, nil
}

func countsLine(m map[string]int) string {
	s := ""
	for _, k := range store.Kinds {
		if m[k] > 0 {
			s += " " + k + "=" + strconv.Itoa(m[k])
		}
	}
	return s
}
