// Package demo fills an empty store with a fictional but realistic
// dataset in real communes of Hải Phòng (which Hải Dương joined in 2025):
// teams with households, residents with progress and certificates spread
// over the last two quarters, and officials to sign in as. Every person
// is made up; phone numbers are in 0300 000 000–0309 999 999: 030 is not
// among the carriers' mobile prefixes (Viettel's 03x are 032–039 since
// the 2018 move to ten digits; list at lawnet.vn, "What is the current
// list of prefixes of Vietnamese phone numbers"), so no real subscriber is
// named.
package demo

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"kynangso/app/certcode"
	"kynangso/app/locality"
	"kynangso/app/password"
	"kynangso/app/reach"
	"kynangso/app/store"
	"kynangso/app/web"
	"kynangso/courses"
)

// Province is Hải Phòng's code.
const Province = "31"

// ErrNotEmpty: the store holds data already; the demo never mixes in.
var ErrNotEmpty = errors.New("demo: kho đã có dữ liệu, hãy chạy với một thư mục dữ liệu trống (KNS_DATA_DIR) / the store already holds data; run the demo on an empty data folder")

// Account is one sign-in the demo prints.
type Account struct {
	Role, Where, Phone, Password string
}

// Result is what was made.
type Result struct {
	Accounts                                   []Account
	Residents, Teams, Households, Certificates int
}

var (
	families = []string{"Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Ngô", "Dương", "Đinh", "Phan", "Hà", "Mạc", "Lương"}
	men      = []string{"Văn", "Đức", "Quang", "Hữu", "Minh", "Xuân", "Công", "Đình"}
	women    = []string{"Thị", "Thu", "Ngọc", "Thanh", "Kim", "Bích", "Minh", "Hồng"}
	menNames = []string{"An", "Bình", "Cường", "Dũng", "Hải", "Hùng", "Khánh", "Long", "Nam", "Phong", "Quân", "Sơn", "Thắng", "Tiến", "Toàn", "Tùng", "Việt", "Vinh"}
	wNames   = []string{"Anh", "Chi", "Dung", "Hà", "Hạnh", "Hoa", "Hương", "Lan", "Liên", "Linh", "Loan", "Mai", "Nga", "Nhung", "Phương", "Thảo", "Trang", "Yến"}
	villages = []string{"thôn Đông", "thôn Đoài", "thôn Nam", "thôn Bắc", "khu dân cư số 1", "khu dân cư số 2", "khu dân cư số 3", "tổ dân phố Trung"}
)

type maker struct {
	r       *rand.Rand
	now     time.Time
	recs    []store.Record
	hash    string
	phone   int
	index   int
	byskill [][]*courses.Course // courses teaching each basic skill
	all     []*courses.Course
	res     *Result
}

func (m *maker) add(kind string, v any) { m.recs = append(m.recs, store.Record{Kind: kind, Value: v}) }

func (m *maker) id() string {
	b := make([]byte, 16)
	for i := range b {
		b[i] = "0123456789abcdef"[m.r.IntN(16)]
	}
	return string(b)
}

func (m *maker) name() string {
	f := families[m.r.IntN(len(families))]
	if m.r.IntN(2) == 0 {
		return f + " " + men[m.r.IntN(len(men))] + " " + menNames[m.r.IntN(len(menNames))]
	}
	return f + " " + women[m.r.IntN(len(women))] + " " + wNames[m.r.IntN(len(wNames))]
}

func (m *maker) nextPhone() string {
	m.phone++
	return fmt.Sprintf("030%07d", m.phone)
}

func (m *maker) between(a, b time.Time) time.Time {
	if !b.After(a) {
		return a
	}
	return a.Add(time.Duration(m.r.Int64N(int64(b.Sub(a)))))
}

// Empty tells whether the store holds no one and no team.
func Empty(ctx context.Context, st store.Store) (bool, error) {
	teams, err := st.CountTeams(ctx)
	if err != nil {
		return false, err
	}
	someone := errors.New("someone")
	err = st.ScanPeople(ctx, "", func(*store.PersonFact) error { return someone })
	if errors.Is(err, someone) {
		return false, nil
	}
	return teams == 0, err
}

// Fill writes the dataset into an empty store; seed makes it the same
// every time (but for certificate codes, drawn as the platform draws
// them).
func Fill(ctx context.Context, st store.Store, places *locality.Divisions, cat *courses.Catalogue, now time.Time, seed uint64) (*Result, error) {
	empty, err := Empty(ctx, st)
	if err != nil {
		return nil, err
	}
	if !empty {
		return nil, ErrNotEmpty
	}
	p := places.Province(Province)
	if p == nil {
		return nil, errors.New("demo: Hải Phòng is not in the list of provinces")
	}
	m := &maker{r: rand.New(rand.NewPCG(seed, seed^0xd3e0)), now: now, res: &Result{}, all: cat.Courses}
	m.byskill = make([][]*courses.Course, len(reach.Basic))
	for _, c := range cat.Courses {
		for i, sk := range reach.Basic {
			if slices.Contains(c.Skills, sk) {
				m.byskill[i] = append(m.byskill[i], c)
			}
		}
	}
	const pw = "thu-nghiem-2026"
	m.hash = password.Hash(pw)

	// The officials and the admin who appointed them.
	admin := m.person("Quản Trị Viên Thử Nghiệm", p.Communes[0], "", store.RoleAdmin, now.AddDate(0, -7, 0))
	provinceOfficial := m.person("Lê Thị Thu Hà", p.Communes[1], "", store.RoleOfficial, now.AddDate(0, -6, 0))
	m.grant(store.GrantProvince, p.Code, p.Code, provinceOfficial, admin.ID)

	// Eight communes and wards, two to four teams each.
	communes := slices.Clone(p.Communes)
	m.r.Shuffle(len(communes), func(i, j int) { communes[i], communes[j] = communes[j], communes[i] })
	communes = communes[:8]
	communeOfficial := m.person("Phạm Văn Dũng", communes[0], "", store.RoleOfficial, now.AddDate(0, -6, 0))
	m.grant(store.GrantCommune, communes[0].Code, p.Code, communeOfficial, provinceOfficial.ID)
	m.res.Accounts = append(m.res.Accounts,
		Account{"admin", "", admin.Phone, pw},
		Account{"province", p.Name, provinceOfficial.Phone, pw},
		Account{"commune", communes[0].Name, communeOfficial.Phone, pw})

	var firstLeader, firstLearner *store.User
	for ci, cm := range communes {
		// One commune has not recorded its households yet, and one has
		// too few learners to show figures in the ranking.
		teams := 2 + m.r.IntN(3)
		for ti := range teams {
			size := 80 + m.r.IntN(100)
			if ci == 7 {
				size = 2
			}
			t := &store.Team{ID: certcode.Short(6), Name: "Tổ công nghệ số cộng đồng " + villages[(ci+ti)%len(villages)],
				Province: p.Code, Commune: cm.Code, Created: now.AddDate(0, -6, -m.r.IntN(20))}
			if ci != 6 {
				t.Households = size*2 + m.r.IntN(size)
			}
			leader, learner := m.team(t, cm, size)
			m.add(store.KindAudit, &store.AuditEntry{ID: "team.create:" + t.ID, At: t.Created, Actor: communeOfficial.ID, Action: store.ActTeamCreate, Target: t.ID, Detail: t.Name})
			if ci == 0 && ti == 0 {
				firstLeader, firstLearner = leader, learner
			}
		}
	}
	m.res.Accounts = append(m.res.Accounts,
		Account{"leader", communes[0].Name, firstLeader.Phone, pw},
		Account{"learner", communes[0].Name, firstLearner.Phone, pw})
	if err := st.Load(ctx, m.recs); err != nil {
		return nil, err
	}
	return m.res, nil
}

func (m *maker) person(name string, cm *locality.Commune, team, role string, created time.Time) *store.User {
	u := &store.User{ID: m.id(), Name: name, NameFolded: locality.Fold(name), Phone: m.nextPhone(), PasswordHash: m.hash,
		Role: role, Province: cm.Province.Code, Commune: cm.Code, TeamID: team,
		Consent: store.Consent{Version: web.ConsentVersion, At: created}, Created: created, LastActive: created}
	m.add(store.KindUser, u)
	return u
}

// grant appoints an official who had an account already, so she holds
// it at once (an appointment that waited would need its claim code).
func (m *maker) grant(role, place, province string, u *store.User, by string) {
	g := &store.Grant{ID: store.GrantID(role, place, u.Phone), Role: role, Place: place, Province: province, Phone: u.Phone, By: by,
		At: m.now.AddDate(0, -6, 0), UserID: u.ID}
	m.add(store.KindGrant, g)
	m.add(store.KindAudit, &store.AuditEntry{ID: "official.appoint:" + g.ID, At: g.At, Actor: by, Action: store.ActGrant, Target: g.ID})
}

// team makes a team of size members (the first leads it), groups about
// two in three into households of one to three, and gives each member
// progress and certificates.
func (m *maker) team(t *store.Team, cm *locality.Commune, size int) (leader, learner *store.User) {
	m.res.Teams++
	var hh *store.Household
	left := 0
	for i := range size {
		role := store.RoleLearner
		if i == 0 {
			role = store.RoleLeader
		}
		u := m.person(m.name(), cm, t.ID, role, m.between(t.Created, m.now.AddDate(0, 0, -1)))
		if i == 0 {
			t.LeaderID, leader = u.ID, u
		}
		if i == 1 {
			learner = u
		}
		if m.r.IntN(3) < 2 {
			if left == 0 {
				hh = &store.Household{ID: m.id()[:12], TeamID: t.ID, Created: u.Created,
					Label: fmt.Sprintf("Hộ %s, số %d", [...]string{"ông", "bà", "anh", "chị"}[m.r.IntN(4)]+" "+lastWord(u.Name), 1+m.r.IntN(120))}
				m.add(store.KindHousehold, hh)
				m.res.Households++
				left = 1 + m.r.IntN(3)
			}
			u.Household = hh.ID
			left--
		}
		m.learn(u, t, i == 0)
		m.res.Residents++
	}
	m.add(store.KindTeam, t)
	return leader, learner
}

func lastWord(name string) string {
	for i := len(name) - 1; i >= 0; i-- {
		if name[i] == ' ' {
			return name[i+1:]
		}
	}
	return name
}

// learn gives a member progress: a quarter pass a course of each basic
// skill (and so cover their household), the others one to three courses.
func (m *maker) learn(u *store.User, t *store.Team, leader bool) {
	var passes []*courses.Course
	switch x := m.r.IntN(100); {
	case leader || x < 25:
		for _, cs := range m.byskill {
			if len(cs) > 0 {
				passes = append(passes, cs[m.r.IntN(len(cs))])
			}
		}
	case x < 70:
		for _, c := range m.r.Perm(len(m.all))[:1+m.r.IntN(3)] {
			passes = append(passes, m.all[c])
		}
	}
	// Stopped some time ago, or active lately.
	last := m.between(u.Created, m.now)
	if m.r.IntN(3) == 0 {
		last = m.between(u.Created, m.now.AddDate(0, 0, -40))
	}
	seen := map[string]bool{}
	for _, c := range passes {
		if seen[c.ID] {
			continue
		}
		seen[c.ID] = true
		at := m.between(u.Created, last)
		p := &store.Progress{ID: store.ProgressID(u.ID, c.ID), UserID: u.ID, Course: c.ID, Updated: at}
		for _, l := range c.Lessons {
			p.Lessons = append(p.Lessons, l.ID)
		}
		p.Best, p.Passed = 70+m.r.IntN(31), true
		m.add(store.KindProgress, p)
		// A course with practical tasks was certified once the leader
		// had seen each done: the day before.
		for _, task := range c.Tasks {
			m.add(store.KindConfirmation, &store.Confirmation{ID: store.ConfirmationID(u.ID, c.ID, task.ID), UserID: u.ID, Course: c.ID,
				Task: task.ID, TeamID: t.ID, TeamName: t.Name, By: t.LeaderID, At: at.Add(-24 * time.Hour)})
		}
		ct := &store.Certificate{Code: certcode.New(), UserID: u.ID, Course: c.ID, Holder: u.Name, Score: p.Best, IssuedAt: at,
			TeamID: t.ID, TeamName: t.Name, Commune: t.Commune, Status: store.CertValid, StatusIndex: m.index}
		m.index++
		m.add(store.KindCertificate, ct)
		m.res.Certificates++
	}
	// One started course not finished, for about half.
	if m.r.IntN(2) == 0 {
		c := m.all[m.r.IntN(len(m.all))]
		if !seen[c.ID] {
			p := &store.Progress{ID: store.ProgressID(u.ID, c.ID), UserID: u.ID, Course: c.ID, Updated: last}
			for _, l := range c.Lessons[:1+m.r.IntN(len(c.Lessons))] {
				p.Lessons = append(p.Lessons, l.ID)
			}
			if len(p.Lessons) == len(c.Lessons) {
				p.Lessons = p.Lessons[:len(p.Lessons)-1]
			}
			m.add(store.KindProgress, p)
		}
	}
	u.LastActive = last
}
