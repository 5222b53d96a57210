package legacy

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// SJSON is how FerretDB v1 (SQLite handler) keeps a BSON document: plain
// JSON for the values, and beside them, under "$s", a schema that gives
// each value its BSON type and each object its key order (see FerretDB
// v1.24.2 internal/handler/sjson). Without the schema a date would read as
// a number and an int32 as a float, so it is decoded here by the schema,
// into the BSON values the old program wrote.
//
//	{"$s": {"p": {"a": {"t": "date"}, …}, "$k": ["a", …]}, "a": 1700000000000, …}

// schema describes an object: its keys in order and each key's type.
type schema struct {
	Props map[string]*elem `json:"p"`
	Keys  []string         `json:"$k"`
}

// elem is the type of one value.
type elem struct {
	Type    string  `json:"t"`
	Schema  *schema `json:"$s,omitempty"` // object
	Options *string `json:"o,omitempty"`  // regex
	Items   []*elem `json:"i,omitempty"`  // array: one type per item
	Subtype *byte   `json:"s,omitempty"`  // binData
}

var null = []byte("null")

// decodeDocument turns one stored document into a bson.D with the same
// keys, order and BSON types.
func decodeDocument(data []byte) (bson.D, error) {
	var fields map[string]json.RawMessage
	if err := strictUnmarshal(data, &fields); err != nil {
		return nil, fmt.Errorf("sjson: %w", err)
	}
	raw, ok := fields["$s"]
	if !ok {
		return nil, fmt.Errorf("sjson: no schema ($s)")
	}
	delete(fields, "$s")
	var sch schema
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields() // a schema feature we do not know must not be dropped
	if err := dec.Decode(&sch); err != nil {
		return nil, fmt.Errorf("sjson: schema: %w", err)
	}
	return decodeObject(fields, &sch, "")
}

// decodeObject decodes an object's fields by its schema; path names the
// object in errors.
func decodeObject(fields map[string]json.RawMessage, sch *schema, path string) (bson.D, error) {
	if len(fields) == 0 && (sch == nil || len(sch.Keys) == 0) {
		return bson.D{}, nil // FerretDB writes {} as the schema of an empty object
	}
	if sch == nil || len(sch.Keys) != len(fields) {
		return nil, fmt.Errorf("sjson: %s: schema lists other keys than the object has", where(path))
	}
	d := make(bson.D, 0, len(sch.Keys))
	for _, k := range sch.Keys {
		raw, ok := fields[k]
		if !ok {
			return nil, fmt.Errorf("sjson: %s: key %q in the schema is missing", where(path), k)
		}
		v, err := decodeValue(raw, sch.Props[k], join(path, k))
		if err != nil {
			return nil, err
		}
		d = append(d, bson.E{Key: k, Value: v})
	}
	return d, nil
}

// decodeValue decodes one value by its type.
func decodeValue(raw json.RawMessage, e *elem, path string) (any, error) {
	raw = bytes.TrimSpace(raw)
	// FerretDB writes a null as JSON null whatever the schema says.
	if bytes.Equal(raw, null) {
		return nil, nil
	}
	if e == nil {
		return nil, fmt.Errorf("sjson: %s: no type in the schema", path)
	}
	bad := func(err error) error { return fmt.Errorf("sjson: %s (%s): %w", path, e.Type, err) }
	switch e.Type {
	case "object":
		var fields map[string]json.RawMessage
		if err := strictUnmarshal(raw, &fields); err != nil {
			return nil, bad(err)
		}
		return decodeObject(fields, e.Schema, path)
	case "array":
		var items []json.RawMessage
		if err := strictUnmarshal(raw, &items); err != nil {
			return nil, bad(err)
		}
		if len(items) != len(e.Items) {
			return nil, bad(fmt.Errorf("%d items, %d types in the schema", len(items), len(e.Items)))
		}
		a := make(bson.A, len(items))
		for i, it := range items {
			v, err := decodeValue(it, e.Items[i], path+"."+strconv.Itoa(i))
			if err != nil {
				return nil, err
			}
			a[i] = v
		}
		return a, nil
	case "string":
		var s string
		if err := strictUnmarshal(raw, &s); err != nil {
			return nil, bad(err)
		}
		return s, nil
	case "bool":
		var b bool
		if err := strictUnmarshal(raw, &b); err != nil {
			return nil, bad(err)
		}
		return b, nil
	case "double":
		f, err := strconv.ParseFloat(string(raw), 64)
		if err != nil {
			return nil, bad(err)
		}
		return f, nil
	// Integers are parsed from the text, not through float64, which would
	// round a long above 2^53 (an attempt's seed has 63 bits).
	case "int":
		n, err := strconv.ParseInt(string(raw), 10, 32)
		if err != nil {
			return nil, bad(err)
		}
		return int32(n), nil
	case "long":
		n, err := strconv.ParseInt(string(raw), 10, 64)
		if err != nil {
			return nil, bad(err)
		}
		return n, nil
	case "date":
		// Milliseconds since the epoch, as BSON keeps them.
		ms, err := strconv.ParseInt(string(raw), 10, 64)
		if err != nil {
			return nil, bad(err)
		}
		return bson.DateTime(ms), nil
	case "timestamp":
		// FerretDB keeps the 64 bits as one number: seconds in the high
		// half, the increment in the low half.
		n, err := strconv.ParseUint(string(raw), 10, 64)
		if err != nil {
			return nil, bad(err)
		}
		return bson.Timestamp{T: uint32(n >> 32), I: uint32(n)}, nil
	case "objectId":
		var s string
		if err := strictUnmarshal(raw, &s); err != nil {
			return nil, bad(err)
		}
		b, err := hex.DecodeString(s)
		if err != nil || len(b) != 12 {
			return nil, bad(fmt.Errorf("not a 12-byte hex ObjectID: %q", s))
		}
		var id bson.ObjectID
		copy(id[:], b)
		return id, nil
	case "binData":
		var s string
		if err := strictUnmarshal(raw, &s); err != nil {
			return nil, bad(err)
		}
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, bad(err)
		}
		if e.Subtype == nil {
			return nil, bad(fmt.Errorf("no subtype in the schema"))
		}
		return bson.Binary{Subtype: *e.Subtype, Data: b}, nil
	case "regex":
		var s string
		if err := strictUnmarshal(raw, &s); err != nil {
			return nil, bad(err)
		}
		if e.Options == nil {
			return nil, bad(fmt.Errorf("no options in the schema"))
		}
		return bson.Regex{Pattern: s, Options: *e.Options}, nil
	case "null":
		return nil, bad(fmt.Errorf("want null, got %.40s", raw))
	}
	return nil, fmt.Errorf("sjson: %s: unknown type %q", path, e.Type)
}

// strictUnmarshal decodes exactly one JSON value, nothing after it.
func strictUnmarshal(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("data after the value")
	}
	return nil
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func where(path string) string {
	if path == "" {
		return "document"
	}
	return path
}
