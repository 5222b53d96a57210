// Package embeddb runs FerretDB inside the program, storing data in SQLite
// files under the data folder, so that the platform starts with no database
// installed. The program talks to it with the same MongoDB driver as to a
// real deployment: one code path for both.
package embeddb

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/FerretDB/FerretDB/ferretdb"
)

// Server is a running embedded database.
type Server struct {
	URI    string
	cancel context.CancelFunc
	done   chan struct{}
}

// Start runs FerretDB on a free loopback port with its files in dir.
func Start(dir string, log *slog.Logger) (*Server, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("embedded database folder: %w", err)
	}
	// FerretDB logs every wire message below warn; that drowns our own logs.
	quiet := slog.New(log.Handler().WithGroup("ferretdb"))
	if !log.Enabled(context.Background(), slog.LevelDebug) {
		quiet = slog.New(levelFloor{log.Handler(), slog.LevelWarn})
	}
	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: "127.0.0.1:0"},
		Handler:   "sqlite",
		SQLiteURL: "file:" + dir + "/",
		Logger:    quiet,
	})
	if err != nil {
		return nil, fmt.Errorf("embedded database: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		_ = f.Run(ctx)
	}()
	// Only now that Run has started may the listener's address be asked for.
	s.URI = f.MongoDBURI()
	return s, nil
}

// Stop closes the database and waits until its files are closed.
func (s *Server) Stop() {
	s.cancel()
	<-s.done
}

// levelFloor drops records below a level.
type levelFloor struct {
	slog.Handler
	min slog.Level
}

func (h levelFloor) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (h levelFloor) WithAttrs(a []slog.Attr) slog.Handler {
	return levelFloor{h.Handler.WithAttrs(a), h.min}
}

func (h levelFloor) WithGroup(name string) slog.Handler {
	return levelFloor{h.Handler.WithGroup(name), h.min}
}
