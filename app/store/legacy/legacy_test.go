package legacy

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"kynangso/app/store"
	"kynangso/quiz"
)

// The fixtures are data folders written by the released program (commit
// 54fbd01) driven over HTTP; testdata/README.md says how and what they hold.

// The fixture's people and certificates, as the old program stored them.
const (
	adminID  = "1cc29de885bbe29ded91904abab7d916"
	leaderID = "d5a0ade6d586550df8577d95fd760ca4" // Trần Thị Thu Hà
	ducID    = "4f6076438421125b57a9f1996c32433e" // Nguyễn Văn Đức, renamed Nguyễn Văn Đức Anh
	nguyetID = "37d73e721bed269463ce30523e7aac0d" // Lê Thị Ánh Nguyệt
	vietID   = "18bdf96b7eeaf5a2693405702511e036" // Phạm Quốc Việt
	teamCode = "7Y11R8"

	ducFirstCert  = "NFH133JRTB6N" // replaced after the rename
	ducCert       = "W0643VH7HFSB" // the replacement, valid
	nguyetCert    = "VVNWVZ7BEPG1" // revoked: fraud
	erasedCert    = "0SA38Z37Z25X" // its holder erased her account
	course        = "phong-chong-lua-dao"
	fixtureCounts = "attempt:4 audit:5 certificate:4 progress:4 reset:1 session:5 team:1 user:5 verification:6"
)

// readAll reads a folder into records by kind, failing the test on error.
func readAll(t *testing.T, dir string) (map[string][]any, map[string]int) {
	t.Helper()
	got := map[string][]any{}
	counts, err := Read(context.Background(), dir, "kynangso", func(r store.Record) error {
		got[r.Kind] = append(got[r.Kind], r.Value)
		return nil
	})
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	for k, n := range counts {
		if len(got[k]) != n {
			t.Errorf("%s: counted %d, gave %d", k, n, len(got[k]))
		}
	}
	return got, counts
}

func countString(counts map[string]int) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(counts)) {
		parts = append(parts, k+":"+strconv.Itoa(counts[k]))
	}
	return strings.Join(parts, " ")
}

func byID[T any](t *testing.T, vals []any, id func(*T) string, want string) *T {
	t.Helper()
	for _, v := range vals {
		if p, ok := v.(*T); ok && id(p) == want {
			return p
		}
	}
	t.Fatalf("no %T with id %s", new(T), want)
	return nil
}

// checkTime: set, in UTC, and in the days the fixture was made.
func checkTime(t *testing.T, what string, ts time.Time) {
	t.Helper()
	if ts.IsZero() || ts.Location() != time.UTC {
		t.Errorf("%s: %v (location %v), want a time in UTC", what, ts, ts.Location())
	}
	if ts.Year() != 2026 {
		t.Errorf("%s: %v, not when the fixture was made", what, ts)
	}
}

func TestReadReleasedFolder(t *testing.T) {
	dir := unpack(t, "testdata/v1-datadir.tar.gz")
	if !Detect(dir) {
		t.Fatal("the released program's folder is not detected")
	}
	before := fingerprint(t, dir)
	got, counts := readAll(t, dir)
	if s := countString(counts); s != fixtureCounts {
		t.Errorf("counts %s\nwant   %s", s, fixtureCounts)
	}
	if after := fingerprint(t, dir); after != before {
		t.Error("Read changed the folder it read")
	}
	// Kinds come in store.Kinds order, people first.
	var order []string
	_, err := Read(context.Background(), dir, "kynangso", func(r store.Record) error {
		if len(order) == 0 || order[len(order)-1] != r.Kind {
			order = append(order, r.Kind)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"user", "team", "session", "progress", "attempt", "certificate", "verification", "audit", "reset"}; !slices.Equal(order, want) {
		t.Errorf("kinds in order %v, want %v", order, want)
	}

	// People: names with diacritics as typed (NFC), phones normalised.
	userID := func(u *store.User) string { return u.ID }
	ha := byID(t, got["user"], userID, leaderID)
	if ha.Name != "Trần Thị Thu Hà" || ha.NameFolded != "tran thi thu ha" || ha.Phone != "0912345678" ||
		ha.Role != store.RoleLeader || ha.TeamID != teamCode || ha.Province != "1" || ha.Commune != "4" {
		t.Errorf("leader: %+v", ha)
	}
	if !strings.HasPrefix(ha.PasswordHash, "$argon2id$") || ha.Consent.Version != "2026-11-v1" {
		t.Errorf("leader: hash %q consent %+v", ha.PasswordHash, ha.Consent)
	}
	checkTime(t, "user created", ha.Created)
	checkTime(t, "user last active", ha.LastActive)
	checkTime(t, "consent", ha.Consent.At)
	if ha.LastActive.Before(ha.Created) {
		t.Errorf("last active %v before created %v", ha.LastActive, ha.Created)
	}
	duc := byID(t, got["user"], userID, ducID)
	if duc.Name != "Nguyễn Văn Đức Anh" || duc.Phone != "0987654321" {
		t.Errorf("renamed learner: %q %q", duc.Name, duc.Phone)
	}
	if a := byID(t, got["user"], userID, adminID); a.Role != store.RoleAdmin || a.TeamID != "" || a.Name != "Quản Trị Viên Hệ Thống" {
		t.Errorf("admin: %+v", a)
	}

	team := byID(t, got["team"], func(x *store.Team) string { return x.ID }, teamCode)
	if team.Name != "Tổ Công nghệ số Phúc Xá" || team.LeaderID != leaderID {
		t.Errorf("team: %+v", team)
	}
	checkTime(t, "team created", team.Created)

	for _, v := range got["session"] {
		s := v.(*store.Session)
		checkTime(t, "session created", s.Created)
		if s.Expires.Sub(s.Created) != 30*24*time.Hour || len(s.ID) != 64 {
			t.Errorf("session: %+v", s)
		}
	}

	// Progress: lessons in the order marked, best score, passed.
	progID := func(p *store.Progress) string { return p.ID }
	p := byID(t, got["progress"], progID, store.ProgressID(ducID, course))
	wantLessons := []string{"cong-an-gia", "tin-nhan-ngan-hang-gia", "goi-video-gia", "viec-nhe-luong-cao", "khi-bi-lua"}
	if !slices.Equal(p.Lessons, wantLessons) || p.Best != 100 || !p.Passed || p.UserID != ducID || p.Course != course {
		t.Errorf("progress: %+v", p)
	}
	checkTime(t, "progress updated", p.Updated)
	// A lessons-only progress: the old program wrote no best or passed.
	pv := byID(t, got["progress"], progID, store.ProgressID(vietID, course))
	if !slices.Equal(pv.Lessons, []string{"cong-an-gia"}) || pv.Best != 0 || pv.Passed {
		t.Errorf("lessons-only progress: %+v", pv)
	}
	// Revoking Nguyệt's certificate took back her pass, not her score.
	if pn := byID(t, got["progress"], progID, store.ProgressID(nguyetID, course)); pn.Passed || pn.Best != 100 {
		t.Errorf("progress after revocation: %+v", pn)
	}

	// Attempts: the failed one, drawn questions and graded items exactly.
	attID := func(a *store.Attempt) string { return a.ID }
	failed := byID(t, got["attempt"], attID, "398b2ed57de0d7831cc18a6b03279d68")
	if failed.UserID != ducID || failed.Course != course || !failed.Submitted || failed.Passed || failed.Seed != 1432925149842211509 {
		t.Errorf("failed attempt: %+v", failed)
	}
	if len(failed.Drawn) != 10 || !reflect.DeepEqual(failed.Drawn[0], quiz.Drawn{QuestionID: "q03", Options: []string{"d", "a", "b", "c"}}) ||
		!reflect.DeepEqual(failed.Drawn[9], quiz.Drawn{QuestionID: "q15", Options: []string{"s3", "s1", "s2", "s4"}}) {
		t.Errorf("drawn: %+v", failed.Drawn)
	}
	if failed.Result == nil || failed.Result.Points != 0 || failed.Result.Total != 10 || len(failed.Result.Items) != 10 ||
		!reflect.DeepEqual(failed.Result.Items[5], quiz.Item{QuestionID: "q13", Given: []string{"b", "c"}, Correct: false}) {
		t.Errorf("result: %+v", failed.Result)
	}
	checkTime(t, "attempt created", failed.Created)
	checkTime(t, "attempt submitted", failed.At)
	passed := byID(t, got["attempt"], attID, "8d8855cb004f43f139e20d858b794e8d")
	if !passed.Passed || passed.Result.Points != 10 || passed.Seed != 7041846494978838198 ||
		!reflect.DeepEqual(passed.Result.Items[4], quiz.Item{QuestionID: "q06", Given: []string{"s1", "s2", "s3", "s4"}, Correct: true}) {
		t.Errorf("passed attempt: %+v", passed)
	}
	// Started, never submitted: no grading, no submission time.
	open := byID(t, got["attempt"], attID, "81ffce1cde31ec1314ec236feb5351be")
	if open.Submitted || open.Result != nil || !open.At.IsZero() || len(open.Drawn) != 10 || open.UserID != vietID {
		t.Errorf("open attempt: %+v", open)
	}

	// Certificates: valid, revoked with a reason, replaced, erased.
	certID := func(c *store.Certificate) string { return c.Code }
	c := byID(t, got["certificate"], certID, ducCert)
	if c.Status != store.CertValid || c.Holder != "Nguyễn Văn Đức Anh" || c.UserID != ducID || c.Score != 100 ||
		c.TeamID != teamCode || c.TeamName != "Tổ Công nghệ số Phúc Xá" || c.Commune != "4" || c.StatusIndex != 2 ||
		c.RevokedAt != nil || c.RevokeReason != "" || c.ShowFullName {
		t.Errorf("valid certificate: %+v", c)
	}
	checkTime(t, "issued", c.IssuedAt)
	r := byID(t, got["certificate"], certID, nguyetCert)
	if r.Status != store.CertRevoked || r.RevokeReason != store.ReasonFraud || r.RevokedAt == nil || r.Holder != "Lê Thị Ánh Nguyệt" || r.StatusIndex != 1 {
		t.Fatalf("revoked certificate: %+v", r)
	}
	checkTime(t, "revoked", *r.RevokedAt)
	if !r.RevokedAt.After(r.IssuedAt) {
		t.Errorf("revoked at %v, issued at %v", r.RevokedAt, r.IssuedAt)
	}
	old := byID(t, got["certificate"], certID, ducFirstCert)
	if old.Status != store.CertRevoked || old.RevokeReason != store.ReasonReplaced || old.ReplacedBy != ducCert ||
		old.Holder != "Nguyễn Văn Đức" || !old.ShowFullName || old.StatusIndex != 0 || !old.RevokedAt.Equal(c.IssuedAt) {
		t.Errorf("replaced certificate: %+v", old)
	}
	e := byID(t, got["certificate"], certID, erasedCert)
	if e.UserID != "" || e.Holder != "" || e.Status != store.CertRevoked || e.RevokeReason != store.ReasonRequest || e.TeamID != "" || e.StatusIndex != 3 {
		t.Errorf("erased holder's certificate: %+v", e)
	}

	channels := map[string][]string{}
	for _, v := range got["verification"] {
		v := v.(*store.Verification)
		checkTime(t, "verification", v.At)
		channels[v.Code] = append(channels[v.Code], v.Channel)
	}
	if want := map[string][]string{ducFirstCert: {"page", "json"}, nguyetCert: {"page", "page"}, ducCert: {"page"}, erasedCert: {"page"}}; !reflect.DeepEqual(channels, want) {
		t.Errorf("verifications %v, want %v", channels, want)
	}

	var actions []string
	for _, v := range got["audit"] {
		a := v.(*store.AuditEntry)
		checkTime(t, "audit", a.At)
		actions = append(actions, a.Action)
		if a.Action == store.ActCertRevoke && (a.Target != nguyetCert || a.Detail != "fraud Bài thi do người khác làm hộ" || a.Actor != adminID) {
			t.Errorf("revocation entry: %+v", a)
		}
	}
	if want := []string{store.ActSetupAdmin, store.ActTeamCreate, store.ActCertRevoke, store.ActCertReplace, store.ActResetCode}; !slices.Equal(actions, want) {
		t.Errorf("audit actions %v, want %v", actions, want)
	}

	rs := got["reset"][0].(*store.Reset)
	if rs.UserID != vietID || rs.By != leaderID || len(rs.Hash) != 64 || rs.Failures != 0 {
		t.Errorf("reset: %+v", rs)
	}
	checkTime(t, "reset expires", rs.Expires)
}

// A folder whose first admin was never made holds the setup token.
func TestReadSetupToken(t *testing.T) {
	dir := unpack(t, "testdata/v1-fresh.tar.gz")
	got, counts := readAll(t, dir)
	if s := countString(counts); s != "setup_token:1" {
		t.Fatalf("counts %s", s)
	}
	if tok := got[store.KindSetupToken][0].(*store.SetupTokenRecord).Token; tok != "58d09fd6f18d1541c70e190261e0310b" {
		t.Errorf("token %q", tok)
	}
}

// The program killed mid-run leaves its last writes in the write-ahead
// log; they are read too, and the folder is left as it was.
func TestReadAfterCrash(t *testing.T) {
	dir := unpack(t, "testdata/v1-crashed.tar.gz")
	if _, err := os.Stat(filepath.Join(dir, "kynangso.sqlite-wal")); err != nil {
		t.Fatal("the fixture has no write-ahead log")
	}
	before := fingerprint(t, dir)
	got, counts := readAll(t, dir)
	if counts[store.KindUser] != 6 || counts[store.KindSession] != 6 {
		t.Errorf("counts %s", countString(counts))
	}
	u := byID(t, got["user"], func(u *store.User) string { return u.Phone }, "0966777888")
	if u.Name != "Hoàng Thị Ngọc Ánh" {
		t.Errorf("the user in the log: %+v", u)
	}
	if after := fingerprint(t, dir); after != before {
		t.Error("Read changed the folder it read")
	}
}

func TestDetect(t *testing.T) {
	empty := t.TempDir()
	if Detect(empty) {
		t.Error("an empty folder is detected")
	}
	if Detect(filepath.Join(empty, "missing")) {
		t.Error("a missing folder is detected")
	}
	// Files that are not FerretDB's: a stray text file named like one, and
	// a plain SQLite database.
	other := t.TempDir()
	if err := os.WriteFile(filepath.Join(other, "kynangso.sqlite"), []byte("not a database"), 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", filepath.Join(other, "other.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE users (id TEXT)`); err != nil {
		t.Fatal(err)
	}
	_ = db.Close()
	if Detect(other) {
		t.Error("a folder without FerretDB's files is detected")
	}
	if _, err := Read(context.Background(), empty, "kynangso", func(store.Record) error { return nil }); err == nil {
		t.Error("Read of an empty folder succeeded")
	}
}

// A collection the old program never had is named, and nothing is read.
func TestUnknownCollection(t *testing.T) {
	dir := unpack(t, "testdata/v1-datadir.tar.gz")
	db, err := sql.Open("sqlite", filepath.Join(dir, "kynangso.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`CREATE TABLE "surveys_0badf00d" (_ferretdb_sjson TEXT NOT NULL)`,
		`INSERT INTO "_ferretdb_collections" (name, table_name, settings) VALUES ('surveys', 'surveys_0badf00d', '{}')`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	_ = db.Close()
	n := 0
	_, err = Read(context.Background(), dir, "kynangso", func(store.Record) error { n++; return nil })
	if err == nil || !strings.Contains(err.Error(), "surveys") || n != 0 {
		t.Fatalf("err %v after %d records", err, n)
	}
}

// A field no store type has room for is an error, not a silent loss.
func TestUnknownField(t *testing.T) {
	dir := unpack(t, "testdata/v1-datadir.tar.gz")
	db, err := sql.Open("sqlite", filepath.Join(dir, "kynangso.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	// Add "nickname" to one user, in SJSON as FerretDB would write it.
	res, err := db.Exec(`UPDATE "users_5e7cc513" SET _ferretdb_sjson =
		json_set(json_set(json_set(_ferretdb_sjson, '$.nickname', 'Út'), '$."$s".p.nickname', json('{"t":"string"}')),
			'$."$s"."$k"[#]', 'nickname')
		WHERE _ferretdb_sjson->>'_id' = ?`, vietID)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		t.Fatalf("%d rows changed", n)
	}
	_ = db.Close()
	_, err = Read(context.Background(), dir, "kynangso", func(store.Record) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "nickname") || !strings.Contains(err.Error(), vietID) {
		t.Fatalf("err %v", err)
	}
}

// fingerprint hashes every file of dir.
func fingerprint(t *testing.T, dir string) string {
	t.Helper()
	h := sha256.New()
	for _, name := range []string{"kynangso.sqlite", "kynangso.sqlite-wal"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		h.Write([]byte(name))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))
}
