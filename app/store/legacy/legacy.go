// Package legacy reads the data folder of the released version, which kept
// its data in an embedded FerretDB v1 (SQLite handler), and carries it into
// a store.Store. It reads FerretDB's files directly, with database/sql,
// so the program no longer links FerretDB:
//
//   - KNS_DATA_DIR/db/<database>.sqlite is one MongoDB database;
//   - its table _ferretdb_collections maps each collection to a table;
//   - each table has one column, _ferretdb_sjson, one document a row, in
//     FerretDB's SJSON (see sjson.go).
//
// Each document becomes a bson.D with the BSON types the old program
// wrote, and is decoded into the store type with the driver's bson
// package: the store types' bson tags are the old program's, so the fields
// map exactly as they did when the old program read them back.
package legacy

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	_ "modernc.org/sqlite" // driver "sqlite"

	"kynangso/app/store"
)

// metadataTable is where FerretDB v1's SQLite backend lists collections
// (backends.ReservedPrefix + "collections").
const metadataTable = "_ferretdb_collections"

// collections maps each old collection to the kind of record it holds, in
// store.Kinds order: Load wants people before what refers to them.
var collections = []struct {
	name, kind string
	value      func() any
}{
	{"users", store.KindUser, func() any { return new(store.User) }},
	{"teams", store.KindTeam, func() any { return new(store.Team) }},
	{"sessions", store.KindSession, func() any { return new(store.Session) }},
	{"progress", store.KindProgress, func() any { return new(store.Progress) }},
	{"attempts", store.KindAttempt, func() any { return new(store.Attempt) }},
	{"certificates", store.KindCertificate, func() any { return new(store.Certificate) }},
	{"verifications", store.KindVerification, func() any { return new(store.Verification) }},
	{"audit", store.KindAudit, func() any { return new(store.AuditEntry) }},
	{"resets", store.KindReset, func() any { return new(store.Reset) }},
	{"settings", store.KindSetupToken, nil}, // see setting
}

// bookkeeping are the old program's internal collections. The new store
// rebuilds what they held from the records (store.Store.Load), or does not
// need it: claims were once-only markers of finished actions, cert_slots
// the learner-and-course → certificate index, counters the next
// status-list position, ratelimit counts of the last minutes.
var bookkeeping = map[string]bool{"claims": true, "cert_slots": true, "counters": true, "ratelimit": true}

// Detect reports whether dir (the old KNS_DATA_DIR/db folder) holds
// FerretDB data: a *.sqlite file with FerretDB's collection list.
func Detect(dir string) bool {
	files, _ := filepath.Glob(filepath.Join(dir, "*.sqlite"))
	for _, f := range files {
		db, err := open(f)
		if err != nil {
			continue
		}
		var n int
		err = db.QueryRow(`SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?`, metadataTable).Scan(&n)
		_ = db.Close()
		if err == nil && n == 1 {
			return true
		}
	}
	return false
}

// open opens a database file read-only. A folder left by a crash still
// has its write-ahead log beside it, and a read-only connection reads it.
func open(path string) (*sql.DB, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(abs); err != nil {
		return nil, err // a plain "no such file" rather than SQLite's "unable to open"
	}
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(abs), RawQuery: "mode=ro"}
	db, err := sql.Open("sqlite", u.String())
	if err != nil {
		return nil, err
	}
	return db, db.Ping()
}

// Read reads every document of the old database named database in dir and
// calls fn with each as a store.Record, kind by kind in store.Kinds order.
// Collections of internal bookkeeping are skipped; any other collection it
// does not know is an error naming it, checked before anything is read,
// and so is a field of a document that no field of the store type takes:
// nothing is dropped silently. It returns the count per kind.
func Read(ctx context.Context, dir, database string, fn func(store.Record) error) (map[string]int, error) {
	path := filepath.Join(dir, database+".sqlite")
	db, err := open(path)
	if err != nil {
		return nil, fmt.Errorf("legacy: open %s: %w", path, err)
	}
	defer db.Close()
	// One read transaction: one snapshot, should anything still write.
	tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("legacy: %s: %w", path, err)
	}
	defer func() { _ = tx.Rollback() }()

	tables, err := tableNames(ctx, tx)
	if err != nil {
		return nil, fmt.Errorf("legacy: %s: %w", path, err)
	}
	known := map[string]bool{}
	for _, c := range collections {
		known[c.name] = true
	}
	var unknown []string
	for name := range tables {
		if !known[name] && !bookkeeping[name] {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, fmt.Errorf("legacy: %s: collections this version does not know: %s", path, strings.Join(unknown, ", "))
	}

	counts := map[string]int{}
	for _, c := range collections {
		table, ok := tables[c.name]
		if !ok {
			continue // never written to: the old program made collections on first use
		}
		err := eachDocument(ctx, tx, table, func(doc bson.D) error {
			var v any
			if c.value == nil {
				var err error
				if v, err = setting(doc); err != nil || v == nil {
					return err
				}
			} else {
				v = c.value()
				if err := decode(doc, v); err != nil {
					return err
				}
			}
			counts[c.kind]++
			return fn(store.Record{Kind: c.kind, Value: v})
		})
		if err != nil {
			return counts, fmt.Errorf("legacy: collection %s: %w", c.name, err)
		}
	}
	return counts, nil
}

// tableNames maps collection names to their tables.
func tableNames(ctx context.Context, tx *sql.Tx) (map[string]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT name, table_name FROM "`+metadataTable+`"`)
	if err != nil {
		return nil, fmt.Errorf("no FerretDB collection list: %w", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var name, table string
		if err := rows.Scan(&name, &table); err != nil {
			return nil, err
		}
		out[name] = table
	}
	return out, rows.Err()
}

// eachDocument decodes the documents of a table, in the order they were
// written, and calls fn with each.
func eachDocument(ctx context.Context, tx *sql.Tx, table string, fn func(bson.D) error) error {
	// The name comes from FerretDB's own list; quote it as an identifier.
	q := `SELECT _ferretdb_sjson FROM "` + strings.ReplaceAll(table, `"`, `""`) + `" ORDER BY rowid`
	rows, err := tx.QueryContext(ctx, q)
	if err != nil {
		return err
	}
	defer rows.Close()
	for n := 1; rows.Next(); n++ {
		var text string
		if err := rows.Scan(&text); err != nil {
			return err
		}
		doc, err := decodeDocument([]byte(text))
		if err != nil {
			return fmt.Errorf("document %d: %w", n, err)
		}
		if err := fn(doc); err != nil {
			return fmt.Errorf("document %s: %w", idOf(doc, n), err)
		}
	}
	return rows.Err()
}

func idOf(doc bson.D, n int) string {
	for _, e := range doc {
		if e.Key == "_id" {
			return fmt.Sprintf("_id %v", e.Value)
		}
	}
	return fmt.Sprintf("%d (no _id)", n)
}

// setting turns a document of the settings collection into a record. The
// old program kept one there: _id "setup", the live setup token, deleted
// when the first admin was made.
func setting(doc bson.D) (any, error) {
	var id any
	for _, e := range doc {
		if e.Key == "_id" {
			id = e.Value
		}
	}
	if id != "setup" {
		return nil, fmt.Errorf("an unknown setting")
	}
	var doc1 struct {
		ID    string `bson:"_id"`
		Token string `bson:"token"`
	}
	if err := decode(doc, &doc1); err != nil {
		return nil, err
	}
	if doc1.Token == "" {
		return nil, nil // no token, nothing to carry
	}
	return &store.SetupTokenRecord{Token: doc1.Token}, nil
}

// decode decodes doc into v (a pointer to a store type) the way the old
// program did, after checking that every field of doc has somewhere to go.
func decode(doc bson.D, v any) error {
	if err := fits(doc, reflect.TypeOf(v), ""); err != nil {
		return err
	}
	b, err := bson.Marshal(doc)
	if err != nil {
		return fmt.Errorf("encode: %w", err)
	}
	if err := bson.Unmarshal(b, v); err != nil {
		return fmt.Errorf("decode: %w", err)
	}
	normalise(v)
	return nil
}

// fits reports a field of doc, at any depth, that type t has no field
// for: bson.Unmarshal would drop it without a word.
func fits(val any, t reflect.Type, path string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if val == nil {
		return nil
	}
	switch val := val.(type) {
	case bson.D:
		if t.Kind() != reflect.Struct || t == reflect.TypeOf(time.Time{}) {
			return nil // a type mismatch; bson.Unmarshal says so
		}
		fields := bsonFields(t)
		for _, e := range val {
			ft, ok := fields[e.Key]
			if !ok {
				return fmt.Errorf("field %s has no place in %s", join(path, e.Key), t.Name())
			}
			if err := fits(e.Value, ft, join(path, e.Key)); err != nil {
				return err
			}
		}
	case bson.A:
		if t.Kind() != reflect.Slice && t.Kind() != reflect.Array {
			return nil
		}
		for i, it := range val {
			if err := fits(it, t.Elem(), fmt.Sprintf("%s.%d", path, i)); err != nil {
				return err
			}
		}
	}
	return nil
}

// bsonFields lists a struct's fields by their BSON names, as the driver
// names them: the tag's name, else the field name in lower case; inline
// structs lend their fields.
func bsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() && !f.Anonymous {
			continue
		}
		tag := f.Tag.Get("bson")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if strings.Contains(","+opts+",", ",inline,") {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			for k, v := range bsonFields(ft) {
				out[k] = v
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out[name] = f.Type
	}
	return out
}

// normalise makes what the old store wrote read as the new stores give it
// back, so an export reads the same whichever store it came from: times in
// UTC, and a progress without lessons has an empty list (the old program
// created progress by $set of the fields it had, so one made by a quiz
// score alone has no lessons field).
func normalise(v any) {
	switch v := v.(type) {
	case *store.User:
		utc(&v.Created, &v.LastActive, &v.Consent.At)
	case *store.Team:
		utc(&v.Created)
	case *store.Session:
		utc(&v.Created, &v.Expires)
	case *store.Progress:
		utc(&v.Updated)
		if v.Lessons == nil {
			v.Lessons = []string{}
		}
	case *store.Attempt:
		utc(&v.Created, &v.At)
	case *store.Certificate:
		utc(&v.IssuedAt)
		if v.RevokedAt != nil {
			utc(v.RevokedAt)
		}
	case *store.Verification:
		utc(&v.At)
	case *store.AuditEntry:
		utc(&v.At)
	case *store.Reset:
		utc(&v.Expires)
	}
}

func utc(ts ...*time.Time) {
	for _, t := range ts {
		if !t.IsZero() {
			*t = t.UTC()
		}
	}
}

// Migrate reads the old database in dir and loads every record into dst
// in batches, returning the count per kind. dst should hold none of them:
// Load writes records as they are.
func Migrate(ctx context.Context, dir, database string, dst store.Store) (map[string]int, error) {
	const batchSize = 2000
	var batch []store.Record
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if err := dst.Load(ctx, batch); err != nil {
			return fmt.Errorf("legacy: load: %w", err)
		}
		batch = batch[:0]
		return nil
	}
	counts, err := Read(ctx, dir, database, func(r store.Record) error {
		batch = append(batch, r)
		if len(batch) == batchSize {
			return flush()
		}
		return nil
	})
	if err != nil {
		return counts, err
	}
	if err := flush(); err != nil {
		return counts, err
	}
	return counts, nil
}
