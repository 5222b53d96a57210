package learning

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"kynangso/app/store"
	"kynangso/courses"
)

// Practice confirmed in person (issue 10, part 3): a course may list
// practical tasks; its team's leader confirms each when she has seen the
// member do it; the certificate is issued once the quiz is passed and
// every task confirmed, whichever comes last.

// Errors of the practice workflows.
var (
	// ErrNotLeader: only the leader of the member's own team confirms.
	ErrNotLeader = errors.New("learning: not the leader of the member's team")
	// ErrNoTask: the course has no such practical task.
	ErrNoTask = errors.New("learning: no such practical task")
	// ErrIssued: the certificate is issued; its confirmations stand.
	ErrIssued = errors.New("learning: the certificate is issued already")
)

// leads reports whether leaderID leads the member's team.
func leads(ctx context.Context, tx store.Store, leaderID string, member *store.User) (*store.Team, error) {
	if member.TeamID == "" || leaderID == member.ID {
		return nil, ErrNotLeader
	}
	teams, err := tx.TeamsLedBy(ctx, leaderID)
	if err != nil {
		return nil, err
	}
	for i := range teams {
		if teams[i].ID == member.TeamID {
			return &teams[i], nil
		}
	}
	return nil, ErrNotLeader
}

// Confirm records that leaderID saw member do task of co, audits it, and
// issues the certificate if that was all that was missing. A second
// confirmation (a double tap) finds the first and changes nothing; it
// returns the certificate when there is one.
func (l *Service) Confirm(ctx context.Context, leaderID string, member *store.User, co *courses.Course, task string) (*store.Certificate, error) {
	if co.Task(task) == nil {
		return nil, ErrNoTask
	}
	now := l.Now()
	var ct *store.Certificate
	err := l.Store.Atomic(ctx, func(ctx context.Context, tx store.Store) error {
		team, err := leads(ctx, tx, leaderID, member)
		if err != nil {
			return err
		}
		c, _, err := tx.ConfirmTask(ctx, &store.Confirmation{UserID: member.ID, Course: co.ID, Task: task,
			TeamID: team.ID, TeamName: team.Name, By: leaderID, At: now})
		if err != nil {
			return fmt.Errorf("confirm: %w", err)
		}
		if err := store.Step(ctx, "learning.confirm.recorded"); err != nil {
			return err
		}
		if err := tx.Audit(ctx, &store.AuditEntry{ID: practiceAuditID(store.ActPracticeConfirm, c), At: c.At, Actor: c.By,
			Action: store.ActPracticeConfirm, Target: member.ID, Detail: co.ID + "/" + task}); err != nil {
			return err
		}
		if err := store.Step(ctx, "learning.confirm.audited"); err != nil {
			return err
		}
		ct, err = l.issueIfComplete(ctx, tx, member, co, now)
		return err
	})
	return ct, err
}

// Withdraw takes back a confirmation before the certificate is issued;
// withdrawing one that is not there (a double tap) changes nothing.
func (l *Service) Withdraw(ctx context.Context, leaderID string, member *store.User, co *courses.Course, task string) error {
	if co.Task(task) == nil {
		return ErrNoTask
	}
	return l.Store.Atomic(ctx, func(ctx context.Context, tx store.Store) error {
		if _, err := leads(ctx, tx, leaderID, member); err != nil {
			return err
		}
		if ct, err := validCertificate(ctx, tx, member.ID, co.ID); err != nil {
			return err
		} else if ct != nil {
			return ErrIssued
		}
		c, err := tx.WithdrawTask(ctx, member.ID, co.ID, task)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("withdraw: %w", err)
		}
		if err := store.Step(ctx, "learning.withdraw.removed"); err != nil {
			return err
		}
		return tx.Audit(ctx, &store.AuditEntry{ID: practiceAuditID(store.ActPracticeWithdraw, c), At: l.Now(), Actor: leaderID,
			Action: store.ActPracticeWithdraw, Target: member.ID, Detail: co.ID + "/" + task})
	})
}

// practiceAuditID names the entry of one confirmation (its time tells a
// confirmation from a later one of the same task), so a retry writes it
// once.
func practiceAuditID(action string, c *store.Confirmation) string {
	return action + ":" + c.ID + "@" + strconv.FormatInt(c.At.UnixMilli(), 10)
}

func validCertificate(ctx context.Context, tx store.Store, userID, course string) (*store.Certificate, error) {
	certs, err := tx.CertificatesOf(ctx, userID)
	if err != nil {
		return nil, err
	}
	for i := range certs {
		if certs[i].Course == course && certs[i].Status == store.CertValid {
			return &certs[i], nil
		}
	}
	return nil, nil
}

// Confirmed returns the member's confirmations of co's tasks, by task id.
func Confirmed(ctx context.Context, st store.Store, userID string, co *courses.Course) (map[string]store.Confirmation, error) {
	l, err := st.Confirmations(ctx, []string{userID})
	if err != nil {
		return nil, err
	}
	out := map[string]store.Confirmation{}
	for _, c := range l {
		if c.Course == co.ID && co.Task(c.Task) != nil {
			out[c.Task] = c
		}
	}
	return out, nil
}

// allConfirmed reports whether every task of co is confirmed for userID.
func allConfirmed(ctx context.Context, tx store.Store, userID string, co *courses.Course) (bool, error) {
	if len(co.Tasks) == 0 {
		return true, nil
	}
	got, err := Confirmed(ctx, tx, userID, co)
	return err == nil && len(got) == len(co.Tasks), err
}

// issueIfComplete issues the certificate when the quiz is passed and
// every task confirmed; nil when something is still missing.
func (l *Service) issueIfComplete(ctx context.Context, tx store.Store, u *store.User, co *courses.Course, at time.Time) (*store.Certificate, error) {
	progress, err := tx.ProgressOf(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	p := progress[co.ID]
	if p == nil || !p.Passed {
		return nil, nil
	}
	if ok, err := allConfirmed(ctx, tx, u.ID, co); err != nil || !ok {
		return nil, err
	}
	// The member as she is now (her name, her team).
	fresh, err := tx.UserByID(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	ct, err := l.Certify.IssueIn(ctx, tx, fresh, co.ID, p.Best, at)
	if err != nil {
		return nil, err
	}
	if ct.Status != store.CertValid {
		return nil, nil
	}
	return ct, nil
}

// Practice is what a certificate says of the practice behind it: the
// tasks confirmed, by which teams, and when the last one was.
type Practice struct {
	Confirmations []store.Confirmation // in the course's order of tasks
	Teams         []string             // team names, first confirmed first
	At            time.Time            // the last confirmation
}

// PracticeOf returns the practice confirmed for ct before it was issued;
// nil for a certificate of a course without tasks or without a holder.
func PracticeOf(ctx context.Context, st store.Store, ct *store.Certificate, co *courses.Course) (*Practice, error) {
	if co == nil || len(co.Tasks) == 0 || ct.UserID == "" {
		return nil, nil
	}
	l, err := st.Confirmations(ctx, []string{ct.UserID})
	if err != nil {
		return nil, err
	}
	return PracticeFrom(l, ct, co), nil
}

// PracticeFrom is PracticeOf from confirmations already read (of any
// members and courses: those of ct's holder and course are taken).
func PracticeFrom(confs []store.Confirmation, ct *store.Certificate, co *courses.Course) *Practice {
	if co == nil || len(co.Tasks) == 0 || ct.UserID == "" {
		return nil
	}
	p := &Practice{}
	for _, tk := range co.Tasks {
		for _, c := range confs {
			if c.UserID != ct.UserID || c.Course != co.ID || c.Task != tk.ID || c.At.After(ct.IssuedAt) {
				continue
			}
			p.Confirmations = append(p.Confirmations, c)
			if c.At.After(p.At) {
				p.At = c.At
			}
			seen := false
			for _, n := range p.Teams {
				seen = seen || n == c.TeamName
			}
			if !seen {
				p.Teams = append(p.Teams, c.TeamName)
			}
		}
	}
	if len(p.Confirmations) == 0 {
		return nil
	}
	return p
}
