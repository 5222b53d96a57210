// Package certify is the certificate lifecycle: issue, revoke, replace
// after a name correction, and erase when the holder deletes the account.
// Each workflow writes several records; on the embedded store it runs in
// one transaction, and on MongoDB every step is idempotent and ordered so
// that the next try finishes what a crash cut short (see store.Store).
// The rules of who may do it live in the web layer's route checks; what it
// does to the records lives here only.
package certify

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"kynangso/app/certcode"
	"kynangso/app/locality"
	"kynangso/app/store"
)

// Errors the web layer maps to what a person reads.
var (
	// ErrAlreadyRevoked: the certificate was withdrawn before this request.
	ErrAlreadyRevoked = errors.New("certify: certificate already revoked")
	// ErrNotFound: no such certificate.
	ErrNotFound = errors.New("certify: no such certificate")
	// ErrBadReason: not one of store.RevokeReasons.
	ErrBadReason = errors.New("certify: unknown revocation reason")
)

// Service runs the workflows on a store.
type Service struct {
	Store store.Store
	Now   func() time.Time
}

// New returns a Service on s with the real clock.
func New(s store.Store) *Service { return &Service{Store: s, Now: time.Now} }

// Issue gives u a certificate for course, once: a second pass, a resent
// form or a retry returns the one already issued. earnedAt is when the
// quiz was passed. Earned with a team, it names the team and its commune,
// wherever the learner lives.
func (s *Service) Issue(ctx context.Context, u *store.User, course string, score int, earnedAt time.Time) (*store.Certificate, error) {
	return issue(ctx, s.Store, u, course, score, earnedAt, s.Now())
}

func issue(ctx context.Context, st store.Store, u *store.User, course string, score int, earnedAt, now time.Time) (*store.Certificate, error) {
	ct := &store.Certificate{
		Code: certcode.New(), UserID: u.ID, Course: course, Holder: u.Name, Score: score,
		IssuedAt: now, TeamID: u.TeamID, Commune: u.Commune, Status: store.CertValid,
	}
	if u.TeamID != "" {
		t, err := st.Team(ctx, u.TeamID)
		switch {
		case err == nil:
			ct.TeamName, ct.Commune = t.Name, t.Commune
		case errors.Is(err, store.ErrNotFound):
			// The team is gone: the certificate names the learner's commune.
			ct.TeamID = ""
		default:
			return nil, fmt.Errorf("team of the learner: %w", err)
		}
	}
	got, _, err := st.IssueCertificate(ctx, ct, earnedAt)
	if err != nil {
		return nil, fmt.Errorf("issue certificate: %w", err)
	}
	return got, nil
}

// IssueIn is Issue on a given store, for a workflow that is already in a
// unit of work (learning's grading).
func (s *Service) IssueIn(ctx context.Context, tx store.Store, u *store.User, course string, score int, earnedAt time.Time) (*store.Certificate, error) {
	return issue(ctx, tx, u, course, score, earnedAt, s.Now())
}

// Revoke withdraws a certificate for reason; note goes to the audit log
// only. Every surface shows it revoked from then on, the learner's pass
// no longer counts, and the audit log records who and when. A retry after
// a crash completes the first decision and then reports
// ErrAlreadyRevoked, as does revoking a certificate already withdrawn.
func (s *Service) Revoke(ctx context.Context, actor, code, reason, note string) error {
	if !isReason(reason) {
		return ErrBadReason
	}
	var already bool
	err := s.Store.Atomic(ctx, func(ctx context.Context, tx store.Store) error {
		ct, err := certificate(ctx, tx, code)
		if err != nil {
			return err
		}
		rev, first, err := tx.RevokeCertificate(ctx, &store.Revocation{Code: code, Reason: reason, At: s.Now()})
		if err != nil {
			return fmt.Errorf("revoke: %w", err)
		}
		already = !first
		if rev.Replacement != nil || rev.Reason != reason {
			// Withdrawn otherwise (replaced, erased, another reason):
			// nothing of this request's is left to finish.
			already = true
			return nil
		}
		if err := store.Step(ctx, "certify.revoke.recorded"); err != nil {
			return err
		}
		// Without its certificate the pass no longer stands: the team's
		// table and the learner's course page show it as still to pass.
		if ct.UserID != "" {
			if err := tx.ClearPassed(ctx, ct.UserID, ct.Course); err != nil {
				return fmt.Errorf("take back the pass: %w", err)
			}
			if err := store.Step(ctx, "certify.revoke.pass_cleared"); err != nil {
				return err
			}
		}
		return tx.Audit(ctx, &store.AuditEntry{ID: "revoke:" + code, At: rev.At, Actor: actor,
			Action: store.ActCertRevoke, Target: code, Detail: strings.TrimSpace(reason + " " + note)})
	})
	if err == nil && already {
		return ErrAlreadyRevoked
	}
	return err
}

// certificate reads a certificate, telling "no such" apart.
func certificate(ctx context.Context, st store.Store, code string) (*store.Certificate, error) {
	ct, err := st.Certificate(ctx, code)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrNotFound
	}
	return ct, err
}

func isReason(r string) bool {
	for _, x := range store.RevokeReasons {
		if x == r {
			return true
		}
	}
	return false
}

// Replace corrects the holder's name: the person's name is fixed and the
// certificate re-issued under it, the old one revoked as replaced. It
// returns the certificate now in force. A retry with the same name
// completes the first replacement and returns it; a certificate revoked
// otherwise, or replaced under another name, is ErrAlreadyRevoked.
func (s *Service) Replace(ctx context.Context, actor, code, name string) (*store.Certificate, error) {
	var out *store.Certificate
	err := s.Store.Atomic(ctx, func(ctx context.Context, tx store.Store) error {
		ct, err := certificate(ctx, tx, code)
		if err != nil {
			return err
		}
		now := s.Now()
		next := *ct
		next.Code, next.Holder, next.IssuedAt, next.ShowFullName = certcode.New(), name, now, false
		next.Status, next.RevokedAt, next.RevokeReason, next.ReplacedBy = store.CertValid, nil, "", ""
		if ct.Status == store.CertValid {
			if next.StatusIndex, err = tx.AllocateStatusIndex(ctx); err != nil {
				return fmt.Errorf("status index: %w", err)
			}
			if err := store.Step(ctx, "certify.replace.index"); err != nil {
				return err
			}
		}
		rev, _, err := tx.RevokeCertificate(ctx, &store.Revocation{Code: code, Reason: store.ReasonReplaced, At: now, Replacement: &next})
		if err != nil {
			return fmt.Errorf("replace: %w", err)
		}
		if rev.Replacement == nil || rev.Replacement.Holder != name {
			return ErrAlreadyRevoked
		}
		if err := store.Step(ctx, "certify.replace.recorded"); err != nil {
			return err
		}
		if ct.UserID != "" {
			err := tx.SetUserName(ctx, ct.UserID, name, locality.Fold(name))
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("correct the name: %w", err)
			}
			if err := store.Step(ctx, "certify.replace.renamed"); err != nil {
				return err
			}
		}
		out = rev.Replacement
		return tx.Audit(ctx, &store.AuditEntry{ID: "replace:" + code, At: rev.At, Actor: actor,
			Action: store.ActCertReplace, Target: code, Detail: rev.Replacement.Code})
	})
	return out, err
}

// Erase deletes a person at their request (Luật 91/2025/QH15): their
// certificates are revoked "at the holder's request" and keep no name, so
// a paper already handed out reads as withdrawn rather than as never
// issued; each revocation and the deletion are audited; then the account
// and everything of the person's goes. Each step can run again, and the
// account goes last, so a deletion cut short is finished by trying again.
func (s *Service) Erase(ctx context.Context, userID string) error {
	return s.Store.Atomic(ctx, func(ctx context.Context, tx store.Store) error {
		now := s.Now()
		certs, err := tx.CertificatesOf(ctx, userID)
		if err != nil {
			return err
		}
		// Audited before they happen, under ids the revocations settle, so
		// a crash between the two loses no entry and writes none twice.
		for _, c := range certs {
			if c.Status != store.CertValid {
				continue
			}
			if err := tx.Audit(ctx, &store.AuditEntry{ID: "revoke:" + c.Code, At: now, Actor: userID,
				Action: store.ActCertRevoke, Target: c.Code, Detail: store.ReasonRequest}); err != nil {
				return err
			}
			if err := store.Step(ctx, "certify.erase.audit_revoke"); err != nil {
				return err
			}
		}
		if _, err := tx.ScrubCertificates(ctx, userID, now); err != nil {
			return fmt.Errorf("withdraw certificates: %w", err)
		}
		if err := store.Step(ctx, "certify.erase.scrubbed"); err != nil {
			return err
		}
		if err := tx.Audit(ctx, &store.AuditEntry{ID: "account.delete:" + userID, At: now, Actor: userID,
			Action: store.ActAccountDelete, Target: userID, Detail: fmt.Sprint(len(certs))}); err != nil {
			return err
		}
		if err := store.Step(ctx, "certify.erase.audited"); err != nil {
			return err
		}
		return tx.DeleteUserData(ctx, userID)
	})
}
