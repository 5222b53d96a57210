package testrig

import (
	"context"
	"path/filepath"
	"testing"

	"kynangso/app/store"
	"kynangso/app/store/mongodb/ferrettest"
	"kynangso/app/store/sqlite"
)

// Backend opens an empty store of one kind for a test.
type Backend struct {
	Name string
	Open func(t testing.TB) store.Store
}

// Backends are every store backend, for tests that must hold on each:
// the embedded SQLite, and MongoDB through an embedded FerretDB (or the
// MongoDB in KNS_TEST_MONGODB_URI).
func Backends() []Backend {
	return []Backend{
		{"sqlite", func(t testing.TB) store.Store {
			st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "kns.db"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close(context.Background()) })
			return st
		}},
		{"mongodb", func(t testing.TB) store.Store { return ferrettest.Database(t) }},
	}
}
