package credential

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/piprate/json-gold/ld"
)

// Context URLs the documents use, and the bundled files that serve them
// (copied from npm packages; see README.md for sources and licences).
const (
	ContextCredentialsV2 = "https://www.w3.org/ns/credentials/v2"
	ContextOpenBadges    = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
)

//go:embed contexts/*.json contexts/*.jsonld
var contextFS embed.FS

var contextFiles = map[string]string{
	ContextCredentialsV2: "contexts/credentials-v2.jsonld",
	ContextOpenBadges:    "contexts/ob-v3p0-context-3.0.3.json",
}

// offlineLoader serves only the bundled contexts: issuing and verifying must
// never depend on (or leak requests to) the network, and an unknown context
// would let a document redefine terms we cannot vouch for.
type offlineLoader struct{}

func (offlineLoader) LoadDocument(u string) (*ld.RemoteDocument, error) {
	name, ok := contextFiles[u]
	if !ok {
		return nil, ld.NewJsonLdError(ld.LoadingDocumentFailed, "context not bundled: "+u)
	}
	b, err := contextFS.ReadFile(name)
	if err != nil {
		return nil, ld.NewJsonLdError(ld.LoadingDocumentFailed, err)
	}
	// Parse afresh each time: json-gold may keep and mutate what it is given.
	doc, err := ld.DocumentFromReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	return &ld.RemoteDocument{DocumentURL: u, Document: doc}, nil
}

func ldOptions() *ld.JsonLdOptions {
	o := ld.NewJsonLdOptions("")
	o.DocumentLoader = offlineLoader{}
	o.SafeMode = true
	o.Algorithm = ld.AlgorithmURDNA2015
	return o
}

// canonicalize returns the RDFC-1.0 canonical N-Quads of a JSON-LD document.
//
// Like Digital Bazaar's "safe mode", it refuses anything that JSON-LD would
// silently drop (undefined terms, relative types or ids): a dropped value is
// not signed, so it could be added or changed without breaking the proof.
func canonicalize(doc map[string]any) ([]byte, error) {
	if err := checkStrings(doc); err != nil {
		return nil, err
	}
	proc := ld.NewJsonLdProcessor()
	opts := ldOptions()
	expanded, err := proc.Expand(doc, opts)
	if err != nil {
		return nil, fmt.Errorf("%w: JSON-LD: %v", ErrMalformed, err)
	}
	if err := checkExpanded(expanded); err != nil {
		return nil, err
	}
	ds, err := proc.ToRDF(expanded, opts)
	if err != nil {
		return nil, fmt.Errorf("%w: JSON-LD to RDF: %v", ErrMalformed, err)
	}
	if err := checkBlankNodes(ds.(*ld.RDFDataset)); err != nil {
		return nil, err
	}
	opts.Format = "application/n-quads"
	out, err := ld.NewJsonLdApi().Normalize(ds.(*ld.RDFDataset), opts)
	if err != nil {
		return nil, fmt.Errorf("%w: canonicalize: %v", ErrMalformed, err)
	}
	return []byte(out.(string)), nil
}

// checkStrings rejects control characters other than tab, LF and CR:
// json-gold (URDNA2015) escapes them differently from RDFC-1.0, so a proof
// over them would not verify elsewhere.
func checkStrings(v any) error {
	switch v := v.(type) {
	case string:
		for _, r := range v {
			if (r < 0x20 && r != '\t' && r != '\n' && r != '\r') || r == 0x7f {
				return fmt.Errorf("%w: control character %U in %q", ErrMalformed, r, v)
			}
		}
	case map[string]any:
		for k, e := range v {
			if err := checkStrings(k); err != nil {
				return err
			}
			if err := checkStrings(e); err != nil {
				return err
			}
		}
	case []any:
		for _, e := range v {
			if err := checkStrings(e); err != nil {
				return err
			}
		}
	}
	return nil
}

// absIRI matches an absolute IRI without the characters RDFC-1.0 would
// escape inside <...> (json-gold writes them raw), so both canonicalizers
// agree on every IRI we sign.
var absIRI = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*:[^\x00-\x20<>"{}|^` + "`" + `\\]*$`)

// checkExpanded makes sure every property, @id and @type in expanded JSON-LD
// is an absolute IRI (or keyword/blank node), i.e. nothing will be dropped.
func checkExpanded(v any) error {
	switch v := v.(type) {
	case []any:
		for _, e := range v {
			if err := checkExpanded(e); err != nil {
				return err
			}
		}
	case map[string]any:
		_, isValue := v["@value"]
		for k, e := range v {
			switch {
			case k == "@id" || (k == "@type" && !isValue):
				for _, s := range strs(e) {
					if !absIRI.MatchString(s) && !strings.HasPrefix(s, "_:") {
						return fmt.Errorf("%w: %s %q is not an absolute IRI (undefined term?)", ErrMalformed, k, s)
					}
				}
			case k == "@value" || k == "@type" || k == "@language" || k == "@direction":
			case strings.HasPrefix(k, "@"):
				if err := checkExpanded(e); err != nil {
					return err
				}
			case !absIRI.MatchString(k) && !strings.HasPrefix(k, "_:"):
				return fmt.Errorf("%w: property %q is not an absolute IRI", ErrMalformed, k)
			default:
				if err := checkExpanded(e); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func strs(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, e := range v {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// toMap round-trips a Go value through JSON into the generic form json-gold
// expects.
func toMap(v any) (map[string]any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	return m, json.Unmarshal(b, &m)
}

// Canonicalisation (RDFC-1.0, URDNA2015) is quick while every blank node
// is told apart by its own quads (its "first-degree hash"). Blank nodes
// that share one send it into the "n-degree" step, which tries every
// order of the look-alikes among their neighbours, recursively: two
// identical objects with ten identical children each (about 2 KB) take
// minutes. json-gold has neither a deadline nor a cap on that step, so
// the dataset is measured first and refused when that step could grow:
// more than maxBlankNodes blank nodes, or more than maxSharedBlankNodes
// that share a first-degree hash. Digital Bazaar's rdf-canonize bounds the
// same step by default (maxWorkFactor 1: as many n-degree hashes as there
// are shared blank nodes, which also refuses any look-alikes with
// look-alike neighbours). The credentials and status lists this package
// signs have at most a handful of blank nodes, none alike.
const (
	maxBlankNodes       = 64
	maxSharedBlankNodes = 4
)

func checkBlankNodes(ds *ld.RDFDataset) error {
	// As json-gold's Normalize gathers them: the graph is the dataset's
	// key, a quad is listed once per blank node position it fills.
	quadsOf := map[string][]rdfQuad{}
	for name, quads := range ds.Graphs {
		var g ld.Node
		if strings.HasPrefix(name, "_:") {
			g = ld.NewBlankNode(name)
		} else if name != "" && name != "@default" {
			g = ld.NewIRI(name)
		}
		for _, q := range quads {
			for _, n := range []ld.Node{q.Subject, q.Object, g} {
				if n != nil && ld.IsBlankNode(n) {
					quadsOf[n.GetValue()] = append(quadsOf[n.GetValue()], rdfQuad{q.Subject, q.Predicate, q.Object, g})
				}
			}
			if len(quadsOf) > maxBlankNodes {
				return fmt.Errorf("%w: more than %d blank nodes (objects without an id)", ErrMalformed, maxBlankNodes)
			}
		}
	}
	byHash := map[[32]byte]int{}
	for id, quads := range quadsOf {
		byHash[firstDegreeHash(id, quads)]++
	}
	shared := 0
	for _, n := range byHash {
		if n > 1 {
			shared += n
		}
	}
	if shared > maxSharedBlankNodes {
		return fmt.Errorf("%w: %d objects without an id that look alike (at most %d accepted)", ErrMalformed, shared, maxSharedBlankNodes)
	}
	return nil
}

// rdfQuad is a quad with its graph name.
type rdfQuad struct{ s, p, o, g ld.Node }

// firstDegreeHash follows RDFC-1.0's Hash First Degree Quads: the quads
// that mention the blank node id, with id written _:a and every other
// blank node _:z, sorted and hashed. The serialisation is not N-Quads but
// is as unambiguous, so it groups blank nodes the way canonicalisation
// will.
func firstDegreeHash(id string, quads []rdfQuad) [32]byte {
	term := func(n ld.Node) string {
		switch {
		case n == nil:
			return ""
		case ld.IsBlankNode(n):
			if n.GetValue() == id {
				return "b:a"
			}
			return "b:z"
		case ld.IsIRI(n):
			return "i:" + n.GetValue()
		}
		if l, ok := n.(ld.Literal); ok {
			return "l:" + strconv.Quote(l.Value) + "^" + l.Datatype + "@" + l.Language
		}
		if l, ok := n.(*ld.Literal); ok {
			return "l:" + strconv.Quote(l.Value) + "^" + l.Datatype + "@" + l.Language
		}
		return "?:" + n.GetValue()
	}
	lines := make([]string, len(quads))
	for i, q := range quads {
		lines[i] = strconv.Quote(term(q.s)) + " " + strconv.Quote(term(q.p)) + " " +
			strconv.Quote(term(q.o)) + " " + strconv.Quote(term(q.g))
	}
	sort.Strings(lines)
	return sha256.Sum256([]byte(strings.Join(lines, "\n")))
}
