package credential

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// Documents shaped to make canonicalisation explode are refused before it
// starts, whatever else they hold.
func TestCostlyShapesAreRefused(t *testing.T) {
	k := newKeyring(t)
	doc, err := k.Sign(testIssue())
	if err != nil {
		t.Fatal(err)
	}
	blank := strings.Replace(string(doc), `"type":`, `"x":{"@id":"_:b0","y":{"@id":"_:b1"}},"type":`, 1)
	deep := strings.Replace(string(doc), `"type":`, `"x":`+strings.Repeat(`{"a":`, 40)+`1`+strings.Repeat(`}`, 40)+`,"type":`, 1)
	huge := strings.Replace(string(doc), `"type":`, `"x":"`+strings.Repeat("a", 70<<10)+`","type":`, 1)
	for name, d := range map[string]string{"blank nodes": blank, "deep nesting": deep, "huge": huge} {
		start := time.Now()
		_, err := k.Verify([]byte(d), nil)
		if !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: got %v, want ErrMalformed", name, err)
		}
		if el := time.Since(start); el > time.Second {
			t.Errorf("%s: took %v to refuse", name, el)
		}
	}
}
