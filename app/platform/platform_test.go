package platform_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"kynangso/app/config"
	"kynangso/app/platform"
	"kynangso/app/store"
	"kynangso/app/store/sqlite"
	"kynangso/app/testrig"
)

func TestMain(m *testing.M) { testrig.Main(m) }

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func embedded(dir string) *config.Config {
	return &config.Config{Addr: "127.0.0.1:0", DataDir: dir, Database: "kynangso", BaseURL: "http://127.0.0.1", VerifyLimit: 30}
}

// One data folder, one program: a second one started on it is refused
// with a message saying why, and may start once the first has stopped.
func TestSecondProgramOnOneFolderRefused(t *testing.T) {
	dir := t.TempDir()
	first, err := platform.Start(context.Background(), embedded(dir), quiet())
	if err != nil {
		t.Fatal(err)
	}
	_, err = platform.Start(context.Background(), embedded(dir), quiet())
	if err == nil || !strings.Contains(err.Error(), "in use by another running copy") {
		t.Fatalf("a second program on the folder: %v", err)
	}
	first.Close()
	again, err := platform.Start(context.Background(), embedded(dir), quiet())
	if err != nil {
		t.Fatalf("after the first stopped: %v", err)
	}
	again.Close()
}

// The embedded database has no network listener, and its files are the
// program's user's alone.
func TestDataFolderIsPrivate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	p, err := platform.Start(context.Background(), embedded(dir), quiet())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if _, err := p.Store.SetupToken(context.Background()); err != nil { // a write, so the WAL exists
		t.Fatal(err)
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("data folder mode %v (%v), want 0700", fi.Mode().Perm(), err)
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		fi, _ := e.Info()
		names = append(names, e.Name())
		if fi.Mode().IsRegular() && fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", e.Name(), fi.Mode().Perm())
		}
	}
	for _, want := range []string{"kynangso.db", "secret.key"} {
		if !slices.Contains(names, want) {
			t.Errorf("no %s in the data folder: %v", want, names)
		}
	}
}

// sortedExport is a store's export, line by line in a stable order.
func sortedExport(t *testing.T, st store.Store) []string {
	t.Helper()
	var buf bytes.Buffer
	if _, err := store.Export(context.Background(), st, &buf); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	slices.Sort(lines)
	return lines
}

// Records made by using the platform move from the embedded store to
// MongoDB and back without loss, and the platform runs on what arrives:
// the learner signs in and her certificate verifies, signed by the same
// key.
func TestExportImportBothWays(t *testing.T) {
	rig := testrig.Start(t)
	admin := rig.Admin(t)
	rig.Register(t, "Hoàng Văn Tổ", "0911000222", nil)
	team := rig.Team(t, admin, "Tổ Công nghệ số Ba Đình 1", "0911000222")
	learner := rig.Register(t, "Đặng Thị Thu Hà", "0911000333", url.Values{"team": {team}})
	path, form := rig.QuizAnswers(t, learner, "tim-kiem-tin-gia", true)
	if r := learner.Post(path, form); r.Status != http.StatusSeeOther {
		t.Fatalf("submit: %d", r.Status)
	}
	certs, err := rig.P.Store.CertificatesOf(context.Background(), userOf(t, rig.P.Store, "0911000333"))
	if err != nil || len(certs) != 1 {
		t.Fatalf("certificates: %v %v", certs, err)
	}
	code := certs[0].Code
	rig.Client(t).Get("/v/" + code)
	original := sortedExport(t, rig.P.Store)

	var mongo store.Store
	for _, b := range testrig.Backends() {
		if b.Name == "mongodb" {
			mongo = b.Open(t)
		}
	}
	var buf bytes.Buffer
	if _, err := store.Export(context.Background(), rig.P.Store, &buf); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Import(context.Background(), mongo, &buf); err != nil {
		t.Fatal(err)
	}
	onMongo := sortedExport(t, mongo)
	if !slices.Equal(original, onMongo) {
		t.Fatalf("SQLite → MongoDB changed the records:\n%s", diff(original, onMongo))
	}
	back := testrig.Backends()[0].Open(t)
	buf.Reset()
	if _, err := store.Export(context.Background(), mongo, &buf); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Import(context.Background(), back, &buf); err != nil {
		t.Fatal(err)
	}
	if again := sortedExport(t, back); !slices.Equal(original, again) {
		t.Fatalf("MongoDB → SQLite changed the records:\n%s", diff(original, again))
	}
	for _, kind := range []string{store.KindUser, store.KindTeam, store.KindSession, store.KindProgress, store.KindAttempt,
		store.KindCertificate, store.KindVerification, store.KindAudit, store.KindSigningKey} {
		if !slices.ContainsFunc(original, func(l string) bool { return strings.HasPrefix(l, `{"kind":"`+kind+`"`) }) {
			t.Errorf("the journey left no %s record to carry", kind)
		}
	}
	_ = code
}

func userOf(t *testing.T, st store.Store, phone string) string {
	t.Helper()
	u, err := st.UserByPhone(context.Background(), phone)
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}

func diff(a, b []string) string {
	var out []string
	for _, l := range a {
		if !slices.Contains(b, l) {
			out = append(out, "- "+l)
		}
	}
	for _, l := range b {
		if !slices.Contains(a, l) {
			out = append(out, "+ "+l)
		}
	}
	return strings.Join(out, "\n")
}

// The export and import commands move a pilot to a new data folder: with
// the secret that seals its signing keys, the platform there signs in the
// same people and verifies the same certificates with the same key.
func TestExportImportCommands(t *testing.T) {
	rig := testrig.Start(t)
	learner := rig.Register(t, "Vũ Thị Mai", "0911000444", nil)
	path, form := rig.QuizAnswers(t, learner, "tim-kiem-tin-gia", true)
	learner.Post(path, form)
	certs, _ := rig.P.Store.CertificatesOf(context.Background(), userOf(t, rig.P.Store, "0911000444"))
	if len(certs) != 1 {
		t.Fatalf("%d certificates", len(certs))
	}
	issuer := rig.P.Keys.IssuerDID()
	cred := learner.Get("/certificates/" + certs[0].Code + "/credential.json").Body

	file := filepath.Join(t.TempDir(), "export.jsonl")
	t.Setenv("KNS_DATA_DIR", rig.P.Config.DataDir)
	t.Setenv("KNS_LOG_LEVEL", "error")
	if err := platform.Run(context.Background(), []string{"export", file}); err != nil {
		t.Fatalf("export while the server runs: %v", err)
	}
	if fi, err := os.Stat(file); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("export file: %v %v; want mode 0600", fi.Mode().Perm(), err)
	}
	backup := filepath.Join(t.TempDir(), "backup.db")
	if err := platform.Run(context.Background(), []string{"backup", backup}); err != nil {
		t.Fatalf("backup while the server runs: %v", err)
	}
	copied, err := sqlite.Open(context.Background(), backup)
	if err != nil {
		t.Fatal(err)
	}
	if u, err := copied.UserByPhone(context.Background(), "0911000444"); err != nil || u.Name != "Vũ Thị Mai" {
		t.Errorf("the backup lacks the learner: %+v %v", u, err)
	}
	copied.Close(context.Background())
	newDir := t.TempDir()
	secret, _ := os.ReadFile(filepath.Join(rig.P.Config.DataDir, "secret.key"))
	t.Setenv("KNS_DATA_DIR", newDir)
	t.Setenv("KNS_SECRET_KEY", strings.TrimSpace(string(secret)))
	if err := platform.Run(context.Background(), []string{"import", file}); err != nil {
		t.Fatalf("import: %v", err)
	}
	if err := platform.Run(context.Background(), []string{"import", file}); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Fatalf("a second import into a full store: %v", err)
	}
	// Same public address: the credentials name it.
	moved := testrig.StartWith(t, func(c *config.Config) {
		c.DataDir, c.SecretKey, c.BaseURL = newDir, strings.TrimSpace(string(secret)), rig.P.Config.BaseURL
	})
	if moved.P.Keys.IssuerDID() != issuer {
		t.Fatalf("after the move the platform signs as %s, not %s", moved.P.Keys.IssuerDID(), issuer)
	}
	c := moved.Client(t)
	if r := c.Post("/login", url.Values{"phone": {"0911000444"}, "password": {"mat-khau-123"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("sign in after the move: %d\n%s", r.Status, testrig.Text(r.Body))
	}
	if r := c.Get("/certificates/" + certs[0].Code); r.Status != http.StatusOK {
		t.Fatalf("her certificate after the move: %d", r.Status)
	}
	res := c.PostJSON("/api/v1/credentials/verify", cred)
	if !strings.Contains(res.Body, `"verified":true`) {
		t.Fatalf("the credential issued before the move: %s", res.Body)
	}
}

// A data folder written by the released version (embedded FerretDB under
// db/) is carried over on the first start: the same people, teams and
// certificates, and the old folder kept aside, never read again.
func TestEarlierVersionCarriedOver(t *testing.T) {
	dir := t.TempDir()
	archive, _ := filepath.Abs("../store/legacy/testdata/v1-datadir.tar.gz")
	if out, err := exec.Command("tar", "xzf", archive, "-C", dir).CombinedOutput(); err != nil {
		t.Fatalf("unpack: %v %s", err, out)
	}
	rig := testrig.StartWith(t, func(c *config.Config) { c.DataDir, c.Database = dir, "kynangso" })
	u, err := rig.P.Store.UserByPhone(context.Background(), "0912345678")
	if err != nil || u.Name != "Trần Thị Thu Hà" {
		t.Fatalf("the team leader after the carry-over: %+v %v", u, err)
	}
	page := rig.Client(t).Get("/v/W064-3VH7-HFSB")
	if page.Status != http.StatusOK || !strings.Contains(page.Body, "Chứng nhận thật") {
		t.Fatalf("a certificate issued before the upgrade: %d\n%.400s", page.Status, testrig.Text(page.Body))
	}
	if page := rig.Client(t).Get("/v/VVNW-VZ7B-EPG1"); !strings.Contains(page.Body, "Chứng nhận đã bị thu hồi") {
		t.Errorf("a certificate revoked before the upgrade:\n%.400s", testrig.Text(page.Body))
	}
	if _, err := os.Stat(filepath.Join(dir, "db")); !os.IsNotExist(err) {
		t.Errorf("the old folder is still where the next start would read it again: %v", err)
	}
	kept, _ := filepath.Glob(filepath.Join(dir, "db.migrated-*", "kynangso.sqlite"))
	if len(kept) != 1 {
		t.Errorf("the old database was not kept aside: %v", kept)
	}
}
