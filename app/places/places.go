// Package places is who may see and run which place: platform admins,
// province officials, commune officials and team leaders, and the
// workflows that appoint them. Every appointment is by phone number, so
// that it can wait for a person who has not signed up yet; each is
// audited, and each can be sent again and end where the first did.
package places

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"kynangso/app/locality"
	"kynangso/app/store"
)

var (
	// ErrForbidden: the person may not do this for this place.
	ErrForbidden = errors.New("places: not allowed for this place")
	// ErrNoPlace: the place code names no province or commune.
	ErrNoPlace = errors.New("places: no such place")
)

// Access is what one person may see and run.
type Access struct {
	User      *store.User
	Admin     bool
	provinces map[string]bool // official of
	communes  map[string]bool // official of
	Grants    []store.Grant
}

// AccessOf reads a person's grants: one query.
func AccessOf(ctx context.Context, st store.Store, u *store.User) (*Access, error) {
	a := &Access{User: u, Admin: u.Role == store.RoleAdmin, provinces: map[string]bool{}, communes: map[string]bool{}}
	if u.Phone == "" {
		return a, nil // an empty query would match every grant
	}
	gs, err := st.Grants(ctx, store.GrantQuery{Phone: u.Phone})
	if err != nil {
		return nil, err
	}
	a.Grants = gs
	for _, g := range gs {
		switch g.Role {
		case store.GrantProvince:
			a.provinces[g.Place] = true
		case store.GrantCommune:
			a.communes[g.Place] = true
		}
	}
	return a, nil
}

// Official tells whether the person holds any grant.
func (a *Access) Official() bool { return len(a.Grants) > 0 }

// SeesProvince: the whole province, with every commune's figures.
func (a *Access) SeesProvince(province string) bool { return a.Admin || a.provinces[province] }

// SeesCommune: the commune's figures, its teams and their households.
func (a *Access) SeesCommune(c *locality.Commune) bool {
	return c != nil && (a.SeesProvince(c.Province.Code) || a.communes[c.Code])
}

// RunsCommune: makes the commune's teams and appoints their leaders.
func (a *Access) RunsCommune(c *locality.Commune) bool {
	return c != nil && (a.Admin || a.communes[c.Code])
}

// AppointsIn: appoints and removes the commune officials of a province.
func (a *Access) AppointsIn(province string) bool { return a.SeesProvince(province) }

// SeesTeam: the team page with its members and households.
func (a *Access) SeesTeam(t *store.Team, d *locality.Divisions) bool {
	return t.LeaderID == a.User.ID || a.SeesCommune(d.Commune(t.Commune))
}

// Service runs the appointments.
type Service struct {
	Store  store.Store
	Places *locality.Divisions
	Now    func() time.Time
}

func (s *Service) audit(ctx context.Context, id, actor, action, target, detail string) error {
	return s.Store.Audit(ctx, &store.AuditEntry{ID: id, At: s.Now(), Actor: actor, Action: action, Target: target, Detail: detail})
}

// Appoint makes whoever has phone an official of place (a province code
// for GrantProvince, a commune code for GrantCommune). Admins appoint
// province officials; province officials and admins commune officials.
func (s *Service) Appoint(ctx context.Context, a *Access, role, place, phone string) (*store.Grant, error) {
	g := &store.Grant{ID: store.GrantID(role, place, phone), Role: role, Place: place, Phone: phone, By: a.User.ID, At: s.Now()}
	switch role {
	case store.GrantProvince:
		if s.Places.Province(place) == nil {
			return nil, ErrNoPlace
		}
		if !a.Admin {
			return nil, ErrForbidden
		}
		g.Province = place
	case store.GrantCommune:
		c := s.Places.Commune(place)
		if c == nil {
			return nil, ErrNoPlace
		}
		if !a.AppointsIn(c.Province.Code) {
			return nil, ErrForbidden
		}
		g.Province = c.Province.Code
	default:
		return nil, ErrNoPlace
	}
	if _, err := s.Store.PutGrant(ctx, g); err != nil {
		return nil, err
	}
	// Sent again, the grant is the one stored first, and so is its
	// audit entry.
	stored, err := s.Store.Grants(ctx, store.GrantQuery{Phone: phone, Role: role, Place: place})
	if err != nil {
		return nil, err
	}
	if len(stored) > 0 {
		g = &stored[0]
	}
	if err := s.audit(ctx, auditID(store.ActGrant, g), a.User.ID, store.ActGrant, g.ID, ""); err != nil {
		return nil, err
	}
	return g, s.settleRole(ctx, phone)
}

func auditID(action string, g *store.Grant) string {
	return action + ":" + g.ID + ":" + strconv.FormatInt(g.At.UnixMilli(), 10)
}

// Remove ends a grant, for whoever could have made it.
func (s *Service) Remove(ctx context.Context, a *Access, id string) (*store.Grant, error) {
	gs, err := s.grantByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if (gs.Role == store.GrantProvince && !a.Admin) || (gs.Role == store.GrantCommune && !a.AppointsIn(gs.Province)) {
		return nil, ErrForbidden
	}
	if err := s.Store.DeleteGrant(ctx, id); err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	if err := s.audit(ctx, auditID(store.ActUngrant, gs), a.User.ID, store.ActUngrant, gs.ID, ""); err != nil {
		return nil, err
	}
	return gs, s.settleRole(ctx, gs.Phone)
}

// grantByID finds a grant from its id, which names its role, place and
// phone.
func (s *Service) grantByID(ctx context.Context, id string) (*store.Grant, error) {
	role, rest, _ := strings.Cut(id, ":")
	place, phone, _ := strings.Cut(rest, ":")
	gs, err := s.Store.Grants(ctx, store.GrantQuery{Role: role, Place: place, Phone: phone})
	if err != nil {
		return nil, err
	}
	if len(gs) == 0 || role == "" || place == "" || phone == "" {
		return nil, store.ErrNotFound
	}
	return &gs[0], nil
}

// settleRole gives the person with phone, if she has signed up, the role
// her grants and teams call for. An admin stays an admin.
func (s *Service) settleRole(ctx context.Context, phone string) error {
	u, err := s.Store.UserByPhone(ctx, phone)
	if errors.Is(err, store.ErrNotFound) {
		return nil // the grant waits for her
	}
	if err != nil || u.Role == store.RoleAdmin {
		return err
	}
	want := store.RoleLearner
	gs, err := s.Store.Grants(ctx, store.GrantQuery{Phone: phone})
	if err != nil {
		return err
	}
	led, err := s.Store.TeamsLedBy(ctx, u.ID)
	if err != nil {
		return err
	}
	switch {
	case len(gs) > 0:
		want = store.RoleOfficial
	case len(led) > 0:
		want = store.RoleLeader
	}
	if u.Role == want {
		return nil
	}
	if u.Role == store.RoleLearner {
		// A reset code a leader made for a learner must not open the
		// account of an official or a leader she has become.
		if r, err := s.Store.ResetOf(ctx, u.ID, s.Now()); err == nil {
			if err := s.Store.DeleteReset(ctx, u.ID, r.Hash); err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	return s.Store.SetUserRole(ctx, u.ID, want)
}

// Welcome applies to a person who has just signed up what waited for her
// phone: the teams she was appointed to lead, and her grants.
func (s *Service) Welcome(ctx context.Context, u *store.User) error {
	teams, err := s.Store.ClaimTeams(ctx, u.Phone, u.ID)
	if err != nil {
		return err
	}
	// Who took up what waited for the phone, for the appointer to see.
	for _, t := range teams {
		if err := s.audit(ctx, "team.claim:"+t.ID+":"+u.ID, u.ID, store.ActTeamLeader, t.ID, u.ID); err != nil {
			return err
		}
	}
	if gs, err := s.Store.Grants(ctx, store.GrantQuery{Phone: u.Phone}); err != nil {
		return err
	} else {
		for _, g := range gs {
			if err := s.audit(ctx, "official.claim:"+g.ID+":"+u.ID, u.ID, store.ActGrantClaim, g.ID, ""); err != nil {
				return err
			}
		}
	}
	if len(teams) > 0 && u.TeamID == "" {
		if err := s.Store.SetUserTeam(ctx, u.ID, teams[0].ID); err != nil {
			return err
		}
		u.TeamID = teams[0].ID
	}
	return s.settleRole(ctx, u.Phone)
}
