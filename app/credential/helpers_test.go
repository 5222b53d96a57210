package credential

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"kynangso/app/store"
	"kynangso/app/store/sqlite"
)

var testTime = time.Date(2026, 3, 14, 9, 30, 0, 0, time.UTC)

const testList = "https://kynangso.example/credentials/status/1"

func testIssue() Issue {
	return Issue{
		CredentialURL: "https://kynangso.example/c/KNS-7Q2M-XK4P",
		Subject:       Subject{Name: "Nguyễn Thị Minh Anh"},
		Achievement: Achievement{
			ID:          "https://kynangso.example/khoa-hoc/an-toan-so",
			Name:        "An toàn số cơ bản",
			Description: "Nhận biết lừa đảo trực tuyến, đặt mật khẩu mạnh và bảo vệ dữ liệu cá nhân.",
			Criteria:    "Hoàn thành 8 bài học và đạt ít nhất 80% bài kiểm tra cuối khóa.",
			Type:        "Course",
			Language:    "vi",
		},
		IssuedAt:      testTime,
		IssuerName:    "Kỹ Năng Số",
		IssuerURL:     "https://kynangso.example/",
		StatusListURL: testList,
		StatusIndex:   42,
	}
}

func newKeyring(t *testing.T) *Keyring {
	t.Helper()
	return openKeyring(t, testStore(t), testSecret, Options{})
}

var testSecret = []byte("a secret of at least thirty-two bytes")

// testStore is a fresh embedded database: keys live in the store.
func testStore(t testing.TB) store.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "kns.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close(context.Background()) })
	return st
}

func openKeyring(t testing.TB, st store.Store, secret []byte, opt Options) *Keyring {
	t.Helper()
	k, err := Open(context.Background(), st, secret, opt)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// lists serves status lists from memory, as the app would from its store.
func lists(m map[string][]byte) StatusListFunc {
	return func(u string) ([]byte, error) {
		if b, ok := m[u]; ok {
			return b, nil
		}
		return nil, errNotFound
	}
}
