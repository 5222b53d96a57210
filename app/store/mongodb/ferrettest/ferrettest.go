// Package ferrettest gives tests a MongoDB to run against: an embedded
// FerretDB (SQLite files in a temporary folder) started once per test
// binary, or the server named by KNS_TEST_MONGODB_URI when that is set
// (a real MongoDB, to check what FerretDB cannot show).
//
// Only tests import it, so FerretDB is never linked into the program.
package ferrettest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"

	"kynangso/app/store/mongodb"
)

// EnvURI names the variable that points the tests at a real server.
const EnvURI = "KNS_TEST_MONGODB_URI"

var shared struct {
	once sync.Once
	uri  string
	dir  string
	stop func()
	err  error
}

// URI returns the URI of the test server, starting the embedded one on
// first use.
func URI(t testing.TB) string {
	t.Helper()
	if uri := os.Getenv(EnvURI); uri != "" {
		return uri
	}
	shared.once.Do(func() {
		dir, err := os.MkdirTemp("", "kns-ferretdb-")
		if err != nil {
			shared.err = err
			return
		}
		shared.dir = dir
		shared.uri, shared.stop, shared.err = StartAt(dir)
	})
	if shared.err != nil {
		t.Fatalf("start FerretDB: %v", shared.err)
	}
	return shared.uri
}

// Main runs a package's tests, then stops the embedded server, if one
// was started, and removes its folder. Use it from TestMain; without it
// the folder is left in the temporary directory.
func Main(m *testing.M) {
	code := m.Run()
	if shared.stop != nil {
		shared.stop()
	}
	if shared.dir != "" {
		_ = os.RemoveAll(shared.dir)
	}
	os.Exit(code)
}

// Database opens a fresh, uniquely named database on the test server and
// drops it when the test ends.
func Database(t testing.TB) *mongodb.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	s, err := mongodb.Open(ctx, URI(t), "kns_test_"+hex.EncodeToString(b))
	if err != nil {
		t.Fatalf("open test database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := s.Drop(ctx); err != nil {
			t.Errorf("drop test database: %v", err)
		}
		_ = s.Close(ctx)
	})
	return s
}

// StartAt runs FerretDB on a free loopback port with its SQLite files in
// dir (created if need be). stop closes it and waits until its files are
// closed.
func StartAt(dir string) (uri string, stop func(), err error) {
	dir, err = filepath.Abs(dir)
	if err != nil {
		return "", nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", nil, fmt.Errorf("FerretDB folder: %w", err)
	}
	// FerretDB logs every wire message below warn.
	quiet := slog.New(dropReplies{slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})})
	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: "127.0.0.1:0"},
		Handler:   "sqlite",
		SQLiteURL: "file:" + dir + "/",
		Logger:    quiet,
	})
	if err != nil {
		return "", nil, fmt.Errorf("FerretDB: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = f.Run(ctx)
	}()
	// Only now that Run has started may the listener's address be asked
	// for (MongoDBURI waits for it).
	uri = f.MongoDBURI()
	var once sync.Once
	return uri, func() {
		once.Do(func() {
			cancel()
			<-done
		})
	}, nil
}

// dropReplies drops FerretDB's warnings that merely dump an error reply
// ("Response header: …", "Response message: …"), such as the one to the
// driver's endSessions on every Disconnect, which FerretDB does not
// implement; they would bury the tests' own output.
type dropReplies struct{ slog.Handler }

func (h dropReplies) Handle(ctx context.Context, r slog.Record) error {
	if strings.HasPrefix(r.Message, "Response header:") || strings.HasPrefix(r.Message, "Response message:") {
		return nil
	}
	return h.Handler.Handle(ctx, r)
}

func (h dropReplies) WithAttrs(a []slog.Attr) slog.Handler {
	return dropReplies{h.Handler.WithAttrs(a)}
}
func (h dropReplies) WithGroup(name string) slog.Handler {
	return dropReplies{h.Handler.WithGroup(name)}
}
