package places

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"time"

	"kynangso/app/store"
)

// TeamForm is a new team as its form sends it. Code is drawn when the form
// is shown, so that the form sent twice meets the team it already made.
type TeamForm struct {
	Code, Name, Commune, LeaderPhone string
}

// CreateTeam makes a team in a commune the person runs, led by whoever has
// the leader's phone (now, or once she enters the claim code). Sent
// again, it finishes and returns the team the first made. It reports
// whether this call made the team await its leader (AppointLeader).
func (s *Service) CreateTeam(ctx context.Context, a *Access, f TeamForm, newCode func() string) (*store.Team, bool, error) {
	c := s.Places.Commune(f.Commune)
	if c == nil {
		return nil, false, ErrNoPlace
	}
	if !a.RunsCommune(c) {
		return nil, false, ErrForbidden
	}
	t := &store.Team{ID: f.Code, Name: f.Name, Province: c.Province.Code, Commune: c.Code, Created: s.Now()}
	for range 5 {
		err := s.Store.CreateTeam(ctx, t)
		if err == nil {
			break
		}
		if !errors.Is(err, store.ErrDuplicate) {
			return nil, false, err
		}
		if old, err := s.Store.Team(ctx, t.ID); err == nil && old.Name == t.Name && old.Commune == t.Commune {
			t = old // the same form again: go on with what it began
			break
		}
		t.ID = newCode() // a rare clash with another team's code
	}
	if err := s.audit(ctx, "team.create:"+t.ID, a.User.ID, store.ActTeamCreate, t.ID, t.Name); err != nil {
		return nil, false, err
	}
	waits, err := s.AppointLeader(ctx, a, t, f.LeaderPhone)
	return t, waits, err
}

// AppointLeader makes the person with phone the team's leader, replacing
// the one before; a registered person leads at once and joins the team if
// she is in none; for a phone with no account the team awaits its leader
// until she enters the claim code. It reports whether this call made the
// team await phone. Sent again, it changes nothing: a team awaiting phone
// keeps waiting, even if someone has signed up with the number since.
func (s *Service) AppointLeader(ctx context.Context, a *Access, t *store.Team, phone string) (bool, error) {
	if !a.RunsCommune(s.Places.Commune(t.Commune)) {
		return false, ErrForbidden
	}
	if t.LeaderID == "" && t.LeaderPhone == phone {
		return false, nil // sent again: it waits already
	}
	u, err := s.Store.UserByPhone(ctx, phone)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return false, err
	}
	before := t.LeaderID
	if before == "" {
		before = "phone:" + t.LeaderPhone
	}
	after, detail := "phone:"+phone, "phone:"+phone
	if u != nil {
		after, detail = u.ID, u.ID
	}
	if before == after {
		return false, nil // sent again: done already
	}
	if err := s.auditLeaderChange(ctx, a, t.ID, before+">"+after, detail); err != nil {
		return false, err
	}
	if u == nil {
		err = s.Store.AwaitTeamLeader(ctx, t.ID, phone)
	} else {
		err = s.Store.SetTeamLeader(ctx, t.ID, u.ID)
	}
	if err != nil {
		return false, err
	}
	if u != nil && u.TeamID == "" {
		if err := s.Store.SetUserTeam(ctx, u.ID, t.ID); err != nil {
			return false, err
		}
	}
	if u != nil {
		if err := s.settleRole(ctx, u.Phone); err != nil {
			return false, err
		}
	}
	// The leader replaced goes back to what else she is.
	if t.LeaderID != "" {
		old, err := s.Store.UserByID(ctx, t.LeaderID)
		if err == nil {
			err = s.settleRole(ctx, old.Phone)
		}
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return false, err
		}
	}
	// A code given out for the phone awaited before opens nothing now.
	// One for the phone awaited now is the code the same form, sent a
	// moment before, has just made and shown: it stays.
	id := store.ClaimOfTeam(t.ID)
	codes, err := s.Store.ClaimCodesByID(ctx, []string{id}, s.Now())
	if err != nil {
		return false, err
	}
	if c := codes[id]; c != nil && (u != nil || c.Phone != phone) {
		if err := s.Store.DeleteClaimCode(ctx, id, c.Hash); err != nil {
			return false, err
		}
	}
	t.LeaderID, t.LeaderPhone = after, ""
	if u == nil {
		t.LeaderID, t.LeaderPhone = "", phone
	}
	return u == nil, nil
}

// auditLeaderChange writes the entry of a team's leader changing (change
// is before>after), first, so that a retry after a crash writes it once
// and finishes the change. The entry is named by the change and by the
// team's leader entry before it, never by the clock: the same form sent
// twice at once, both sends having read the team before either changed
// it, writes one entry, while A→B→A→B keeps all four. A send that finds
// its twin's entry already the newest (the change not made yet, or made
// since it read the team) writes none.
func (s *Service) auditLeaderChange(ctx context.Context, a *Access, team, change, detail string) error {
	last, err := s.Store.AuditAbout(ctx, team, store.ActTeamLeader, time.Time{}, 1)
	if err != nil {
		return err
	}
	prefix := "team.leader:" + team + ":"
	prev, at := "-", s.Now()
	if len(last) > 0 {
		if rest, ok := strings.CutPrefix(last[0].ID, prefix); ok {
			if _, c, ok := strings.Cut(rest, ":"); ok && c == change {
				return nil // its twin's, or its own before a crash
			}
		}
		sum := sha256.Sum256([]byte(last[0].ID))
		prev = hex.EncodeToString(sum[:8])
		// Newest first must mean written last, whatever the clocks of
		// the instances say, for the next change to find this one; the
		// stores keep milliseconds.
		if ms := last[0].At.UnixMilli(); at.UnixMilli() <= ms {
			at = time.UnixMilli(ms + 1).UTC()
		}
	}
	return s.Store.Audit(ctx, &store.AuditEntry{ID: prefix + prev + ":" + change, At: at, Actor: a.User.ID, Action: store.ActTeamLeader, Target: team, Detail: detail})
}
