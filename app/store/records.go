package store

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
)

// Record is one stored record, backend-neutral: what export writes and
// import reads. Value is a pointer to the Go type its Kind names.
type Record struct {
	Kind  string
	Value any
}

// Kinds of records, in the order Dump gives them and Load wants them
// (people before what refers to them).
const (
	KindUser         = "user"
	KindTeam         = "team"
	KindSession      = "session"
	KindProgress     = "progress"
	KindAttempt      = "attempt"
	KindCertificate  = "certificate"
	KindVerification = "verification"
	KindAudit        = "audit"
	KindReset        = "reset"
	KindSigningKey   = "signing_key"
	KindSetupToken   = "setup_token"
	KindHousehold    = "household"
	KindGrant        = "grant"
	KindSnapshot     = "snapshot"
	KindConfirmation = "confirmation"
	KindClaimCode    = "claim_code"
)

// Kinds lists every kind in order.
var Kinds = []string{KindUser, KindTeam, KindHousehold, KindGrant, KindSnapshot, KindSession, KindProgress, KindAttempt, KindConfirmation, KindCertificate,
	KindVerification, KindAudit, KindReset, KindClaimCode, KindSigningKey, KindSetupToken}

// SetupTokenRecord is the live setup token, when there is one.
type SetupTokenRecord struct {
	Token string `bson:"token" json:"token"`
}

// newValue returns a pointer to a fresh value of kind's type.
func newValue(kind string) (any, error) {
	switch kind {
	case KindUser:
		return new(User), nil
	case KindTeam:
		return new(Team), nil
	case KindHousehold:
		return new(Household), nil
	case KindGrant:
		return new(Grant), nil
	case KindSnapshot:
		return new(Snapshot), nil
	case KindSession:
		return new(Session), nil
	case KindProgress:
		return new(Progress), nil
	case KindAttempt:
		return new(Attempt), nil
	case KindConfirmation:
		return new(Confirmation), nil
	case KindCertificate:
		return new(Certificate), nil
	case KindVerification:
		return new(Verification), nil
	case KindAudit:
		return new(AuditEntry), nil
	case KindReset:
		return new(Reset), nil
	case KindClaimCode:
		return new(ClaimCode), nil
	case KindSigningKey:
		return new(SigningKey), nil
	case KindSetupToken:
		return new(SetupTokenRecord), nil
	}
	return nil, fmt.Errorf("unknown record kind %q", kind)
}

type line struct {
	Kind string          `json:"kind"`
	Data json.RawMessage `json:"data"`
}

// Export writes every record of s to w as JSON Lines, one
// {"kind": …, "data": {…}} per line. It returns the count per kind.
func Export(ctx context.Context, s Store, w io.Writer) (map[string]int, error) {
	bw := bufio.NewWriterSize(w, 1<<16)
	enc := json.NewEncoder(bw)
	counts := map[string]int{}
	err := s.Dump(ctx, func(r Record) error {
		data, err := json.Marshal(r.Value)
		if err != nil {
			return fmt.Errorf("encode %s: %w", r.Kind, err)
		}
		counts[r.Kind]++
		return enc.Encode(line{Kind: r.Kind, Data: data})
	})
	if err != nil {
		return counts, err
	}
	return counts, bw.Flush()
}

// Import reads what Export wrote and loads it into s, in batches. A line
// it cannot read stops it, naming the line.
func Import(ctx context.Context, s Store, r io.Reader) (map[string]int, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	counts := map[string]int{}
	var batch []Record
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := s.Load(ctx, batch)
		batch = batch[:0]
		return err
	}
	for n := 1; sc.Scan(); n++ {
		if len(sc.Bytes()) == 0 {
			continue
		}
		var l line
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			return counts, fmt.Errorf("line %d: %w", n, err)
		}
		v, err := newValue(l.Kind)
		if err != nil {
			return counts, fmt.Errorf("line %d: %w", n, err)
		}
		if err := json.Unmarshal(l.Data, v); err != nil {
			return counts, fmt.Errorf("line %d (%s): %w", n, l.Kind, err)
		}
		batch = append(batch, Record{Kind: l.Kind, Value: v})
		counts[l.Kind]++
		if len(batch) == 2000 {
			if err := flush(); err != nil {
				return counts, err
			}
		}
	}
	if err := sc.Err(); err != nil {
		return counts, err
	}
	return counts, flush()
}
