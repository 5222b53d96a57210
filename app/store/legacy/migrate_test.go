package legacy

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"path/filepath"
	"slices"
	"testing"

	"kynangso/app/store"
	"kynangso/app/store/sqlite"
)

// exportLine is one line of store.Export.
type exportLine struct {
	Kind string          `json:"kind"`
	Data json.RawMessage `json:"data"`
}

// The released program's folder, carried into the embedded store, exports
// every record exactly as Read gave it, and the store answers from it.
func TestMigrateIntoSQLite(t *testing.T) {
	ctx := context.Background()
	for _, fixture := range []string{"testdata/v1-datadir.tar.gz", "testdata/v1-crashed.tar.gz", "testdata/v1-fresh.tar.gz"} {
		t.Run(filepath.Base(fixture), func(t *testing.T) {
			dir := unpack(t, fixture)
			dst, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "kynangso.db"))
			if err != nil {
				t.Fatal(err)
			}
			defer dst.Close(ctx)

			var want []string
			readCounts, err := Read(ctx, dir, "kynangso", func(r store.Record) error {
				data, err := json.Marshal(r.Value)
				if err != nil {
					return err
				}
				line, err := json.Marshal(exportLine{Kind: r.Kind, Data: data})
				want = append(want, string(line))
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			counts, err := Migrate(ctx, dir, "kynangso", dst)
			if err != nil {
				t.Fatalf("Migrate: %v", err)
			}
			if countString(counts) != countString(readCounts) {
				t.Errorf("Migrate counted %s, Read %s", countString(counts), countString(readCounts))
			}

			var buf bytes.Buffer
			exported, err := store.Export(ctx, dst, &buf)
			if err != nil {
				t.Fatal(err)
			}
			if countString(exported) != countString(readCounts) {
				t.Errorf("exported %s, read %s", countString(exported), countString(readCounts))
			}
			have := map[string]bool{}
			sc := bufio.NewScanner(&buf)
			sc.Buffer(nil, 1<<20)
			for sc.Scan() {
				have[sc.Text()] = true
			}
			for _, line := range want {
				if !have[line] {
					t.Errorf("not exported as read:\n%s", line)
				}
			}
		})
	}
}

// What the platform asks of a migrated store, it answers.
func TestMigratedStoreAnswers(t *testing.T) {
	ctx := context.Background()
	dir := unpack(t, "testdata/v1-datadir.tar.gz")
	dst, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "kynangso.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close(ctx)
	if _, err := Migrate(ctx, dir, "kynangso", dst); err != nil {
		t.Fatal(err)
	}

	u, err := dst.UserByPhone(ctx, "0912345678")
	if err != nil || u.Name != "Trần Thị Thu Hà" || u.ID != leaderID || u.TeamID != teamCode {
		t.Fatalf("user by phone: %+v %v", u, err)
	}
	c, err := dst.Certificate(ctx, nguyetCert)
	if err != nil || c.Status != store.CertRevoked || c.RevokeReason != store.ReasonFraud || c.RevokedAt == nil {
		t.Fatalf("revoked certificate: %+v %v", c, err)
	}
	c, err = dst.Certificate(ctx, ducCert)
	if err != nil || c.Status != store.CertValid || c.Holder != "Nguyễn Văn Đức Anh" {
		t.Fatalf("valid certificate: %+v %v", c, err)
	}
	certs, err := dst.CertificatesOf(ctx, ducID)
	if err != nil || len(certs) != 2 {
		t.Fatalf("Đức's certificates: %d %v", len(certs), err)
	}

	// The bookkeeping the old program kept apart is rebuilt: the status
	// list marks the revoked, and the next position is past every one
	// handed out.
	revoked, err := dst.RevokedIndexes(ctx)
	slices.Sort(revoked)
	if err != nil || !slices.Equal(revoked, []int{0, 1, 3}) {
		t.Errorf("revoked indexes %v %v", revoked, err)
	}
	if n, err := dst.AllocateStatusIndex(ctx); err != nil || n != 4 {
		t.Errorf("next status index %d %v, want 4", n, err)
	}
	// A learner with a valid certificate is not issued a second one.
	got, issued, err := dst.IssueCertificate(ctx, &store.Certificate{Code: "TESTTESTTEST", UserID: ducID, Course: course,
		Holder: "Nguyễn Văn Đức Anh", Score: 100, IssuedAt: c.IssuedAt, Status: store.CertValid}, c.IssuedAt)
	if err != nil || issued || got.Code != ducCert {
		t.Errorf("issue again: %+v %v %v", got, issued, err)
	}
	counts, err := dst.TeamCounts(ctx, []string{teamCode})
	if err != nil || counts[teamCode] != (store.TeamCounts{Members: 4, Certificates: 1}) {
		t.Errorf("team counts %+v %v", counts, err)
	}
	n, err := dst.CountVerifications(ctx, nguyetCert)
	if err != nil || n != 2 {
		t.Errorf("verifications of %s: %d %v", nguyetCert, n, err)
	}
}

// A folder larger than one batch is loaded whole.
func TestMigrateInBatches(t *testing.T) {
	ctx := context.Background()
	dir := unpack(t, "testdata/v1-datadir.tar.gz")
	db, err := sql.Open("sqlite", filepath.Join(dir, "kynangso.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	// 4,500 more checks of one certificate, as the old program wrote them.
	_, err = db.Exec(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 4500)
		INSERT INTO "verifications_80c82e57" (_ferretdb_sjson)
		SELECT json_set(v._ferretdb_sjson, '$._id', printf('extra%04d', i)) FROM n,
			(SELECT _ferretdb_sjson FROM "verifications_80c82e57" WHERE _ferretdb_sjson->>'code' = ? LIMIT 1) v`, ducCert)
	_ = db.Close()
	if err != nil {
		t.Fatal(err)
	}
	dst, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "kynangso.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close(ctx)
	counts, err := Migrate(ctx, dir, "kynangso", dst)
	if err != nil || counts[store.KindVerification] != 4506 {
		t.Fatalf("counts %v %v", counts, err)
	}
	if n, err := dst.CountVerifications(ctx, ducCert); err != nil || n != 4501 {
		t.Errorf("checks of %s: %d %v", ducCert, n, err)
	}
}
