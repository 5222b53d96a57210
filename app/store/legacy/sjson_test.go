package legacy

import (
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// Every BSON type FerretDB v1 writes, in its SJSON, with the values of
// FerretDB's own sjson tests; the fixture from the released program only
// has strings, ints, longs, bools, dates, objects and arrays.
func TestDecodeEveryType(t *testing.T) {
	const doc = `{"$s":{"p":{
		"_id":{"t":"objectId"},
		"s":{"t":"string"},
		"d":{"t":"double"},
		"big":{"t":"double"},
		"i":{"t":"int"},
		"l":{"t":"long"},
		"b":{"t":"bool"},
		"dt":{"t":"date"},
		"old":{"t":"date"},
		"bin":{"t":"binData","s":128},
		"empty":{"t":"binData","s":0},
		"re":{"t":"regex","o":"i"},
		"ts":{"t":"timestamp"},
		"n":{"t":"null"},
		"obj":{"t":"object","$s":{"p":{"k":{"t":"string"},"e":{"t":"object","$s":{}}},"$k":["k","e"]}},
		"arr":{"t":"array","i":[{"t":"int"},{"t":"string"},{"t":"array","i":[]},{"t":"null"},{"t":"object","$s":{"p":{"x":{"t":"long"}},"$k":["x"]}}]}
	},"$k":["_id","s","d","big","i","l","b","dt","old","bin","empty","re","ts","n","obj","arr"]},
	"_id":"010101010101010101010101","s":"Tiếng Việt \"có dấu\"","d":42.13,"big":1.7976931348623157e+308,
	"i":-2147483648,"l":9223372036854775807,"b":true,"dt":1635761922123,"old":-62167219200000,
	"bin":"Zm9v","empty":"","re":"^a.c$","ts":7041846494978838198,"n":null,
	"obj":{"k":"v","e":{}},"arr":[42,"foo",[],null,{"x":-9223372036854775808}]}`
	got, err := decodeDocument([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	want := bson.D{
		{Key: "_id", Value: bson.ObjectID{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}},
		{Key: "s", Value: `Tiếng Việt "có dấu"`},
		{Key: "d", Value: 42.13},
		{Key: "big", Value: math.MaxFloat64},
		{Key: "i", Value: int32(math.MinInt32)},
		{Key: "l", Value: int64(math.MaxInt64)},
		{Key: "b", Value: true},
		{Key: "dt", Value: bson.DateTime(1635761922123)},
		{Key: "old", Value: bson.DateTime(-62167219200000)},
		{Key: "bin", Value: bson.Binary{Subtype: 128, Data: []byte("foo")}},
		{Key: "empty", Value: bson.Binary{Subtype: 0, Data: []byte{}}},
		{Key: "re", Value: bson.Regex{Pattern: "^a.c$", Options: "i"}},
		{Key: "ts", Value: bson.Timestamp{T: uint32(7041846494978838198 >> 32), I: uint32(7041846494978838198 & 0xffffffff)}},
		{Key: "n", Value: nil},
		{Key: "obj", Value: bson.D{{Key: "k", Value: "v"}, {Key: "e", Value: bson.D{}}}},
		{Key: "arr", Value: bson.A{int32(42), "foo", bson.A{}, nil, bson.D{{Key: "x", Value: int64(math.MinInt64)}}}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("decoded\n%#v\nwant\n%#v", got, want)
	}

	// A date decodes to the same instant, in UTC, in a Go struct.
	var v struct {
		DT time.Time `bson:"dt"`
	}
	b, err := bson.Marshal(bson.D{got[7]})
	if err != nil {
		t.Fatal(err)
	}
	if err := bson.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	if want := time.UnixMilli(1635761922123).UTC(); !v.DT.Equal(want) {
		t.Errorf("date %v, want %v", v.DT, want)
	}
}

func TestDecodeEmptyDocument(t *testing.T) {
	got, err := decodeDocument([]byte(`{"$s":{}}`))
	if err != nil || len(got) != 0 {
		t.Fatalf("%v %v", got, err)
	}
}

// What FerretDB would refuse to read is refused too, naming the place.
func TestDecodeErrors(t *testing.T) {
	for _, tc := range []struct{ doc, want string }{
		{`{"a":1}`, "no schema"},
		{`{"$s":{"p":{"a":{"t":"int"}},"$k":["a"]}}`, "other keys"},
		{`{"$s":{"p":{"a":{"t":"int"}},"$k":["b"]},"a":1}`, `"b"`},
		{`{"$s":{"p":{"a":{"t":"int"}},"$k":["a"],"x":1},"a":1}`, "schema"},
		{`{"$s":{"p":{"a":{"t":"decimal"}},"$k":["a"]},"a":1}`, `unknown type "decimal"`},
		{`{"$s":{"p":{"a":{"t":"int"}},"$k":["a"]},"a":2147483648}`, "a (int)"},
		{`{"$s":{"p":{"a":{"t":"long"}},"$k":["a"]},"a":1.5}`, "a (long)"},
		{`{"$s":{"p":{"a":{"t":"array","i":[{"t":"string"}]}},"$k":["a"]},"a":["x","y"]}`, "2 items, 1 types"},
		{`{"$s":{"p":{"a":{"t":"object","$s":{"p":{"b":{"t":"bool"}},"$k":["b"]}}},"$k":["a"]},"a":{"b":"yes"}}`, "a.b (bool)"},
		{`{"$s":{"p":{"a":{"t":"objectId"}},"$k":["a"]},"a":"0101"}`, "ObjectID"},
		{`{"$s":{"p":{"a":{"t":"binData"}},"$k":["a"]},"a":"Zm9v"}`, "subtype"},
		{`{"$s":{"p":{"a":{"t":"null"}},"$k":["a"]},"a":1}`, "want null"},
		{`{"$s":{"p":{},"$k":[]}} {}`, "after"},
	} {
		_, err := decodeDocument([]byte(tc.doc))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err %v, want it to mention %s", tc.doc, err, tc.want)
		}
	}
}
