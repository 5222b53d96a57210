package places

import (
	"context"
	"errors"
	"strconv"

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
	// The entry first, named by the change it records: a retry after a
	// crash writes it once and finishes the change.
	// The time is in the id so that A→B→A→B keeps all four entries; a
	// double tap never gets here (before == after).
	if err := s.audit(ctx, "team.leader:"+t.ID+":"+before+">"+after+":"+strconv.FormatInt(s.Now().UnixMilli(), 10), a.User.ID, store.ActTeamLeader, t.ID, detail); err != nil {
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
	if err := s.Store.DeleteClaimCode(ctx, store.ClaimOfTeam(t.ID), ""); err != nil {
		return false, err
	}
	t.LeaderID, t.LeaderPhone = after, ""
	if u == nil {
		t.LeaderID, t.LeaderPhone = "", phone
	}
	return u == nil, nil
}
