// Package credtest makes the documents the credential tests attack the
// verifier with; for tests only.
package credtest

import "encoding/json"

// BlankNodeBomb adds to a signed credential's subject two identical
// objects without an id, each holding k identical children under
// absolute-IRI property names: small, and before the blank-node guard
// it cost canonicalisation seconds at k=8 and minutes at k=10.
func BlankNodeBomb(signed []byte, k int) ([]byte, error) {
	var doc map[string]any
	if err := json.Unmarshal(signed, &doc); err != nil {
		return nil, err
	}
	parent := func() any {
		kids := make([]any, k)
		for i := range kids {
			kids[i] = map[string]any{"https://example.org/v": "x"}
		}
		return map[string]any{"https://example.org/c": kids}
	}
	subject, _ := doc["credentialSubject"].(map[string]any)
	if subject == nil {
		subject = map[string]any{}
		doc["credentialSubject"] = subject
	}
	subject["https://example.org/p"] = []any{parent(), parent()}
	return json.Marshal(doc)
}
