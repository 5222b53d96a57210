// Package places is who may see and run which place: platform admins,
// province officials, commune officials and team leaders, and the
// workflows that appoint them. Every appointment is by phone number, so
// that it can wait for a person who has not signed up yet; each is
// audited, and each can be sent again and end where the first did.
//
// Phones are not verified, so an appointment that waits is not given to
// whoever signs up with its number: the appointer gives the appointee a
// one-time claim code (store.ClaimCode), and only the person with the
// number who enters it takes the appointment up (TakeUp). An appointment
// to a number that has an account already applies at once: the appointer
// chose an existing person.
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
	for _, g := range gs {
		if g.UserID != u.ID {
			continue // waits for its claim code, or is someone else's
		}
		a.Grants = append(a.Grants, g)
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

// Appoint makes the person with phone an official of place (a province
// code for GrantProvince, a commune code for GrantCommune). Admins
// appoint province officials; province officials and admins commune
// officials. A phone with an account holds the grant at once; otherwise
// it waits for its claim code. It reports whether this call made the
// grant (a repeat finds the one stored first, waiting or not).
func (s *Service) Appoint(ctx context.Context, a *Access, role, place, phone string) (*store.Grant, bool, error) {
	g := &store.Grant{ID: store.GrantID(role, place, phone), Role: role, Place: place, Phone: phone, By: a.User.ID, At: s.Now()}
	switch role {
	case store.GrantProvince:
		if s.Places.Province(place) == nil {
			return nil, false, ErrNoPlace
		}
		if !a.Admin {
			return nil, false, ErrForbidden
		}
		g.Province = place
	case store.GrantCommune:
		c := s.Places.Commune(place)
		if c == nil {
			return nil, false, ErrNoPlace
		}
		if !a.AppointsIn(c.Province.Code) {
			return nil, false, ErrForbidden
		}
		g.Province = c.Province.Code
	default:
		return nil, false, ErrNoPlace
	}
	if u, err := s.Store.UserByPhone(ctx, phone); err == nil {
		g.UserID = u.ID
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, false, err
	}
	isNew, err := s.Store.PutGrant(ctx, g)
	if err != nil {
		return nil, false, err
	}
	// Sent again, the grant is the one stored first, and so is its
	// audit entry.
	stored, err := s.Store.Grants(ctx, store.GrantQuery{Phone: phone, Role: role, Place: place})
	if err != nil {
		return nil, false, err
	}
	if len(stored) > 0 {
		g = &stored[0]
	}
	if err := s.audit(ctx, auditID(store.ActGrant, g), a.User.ID, store.ActGrant, g.ID, ""); err != nil {
		return nil, false, err
	}
	return g, isNew, s.settleRole(ctx, phone)
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
	// A code given out for it opens nothing any more.
	if err := s.Store.DeleteClaimCode(ctx, store.ClaimOfGrant(gs.ID), ""); err != nil {
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
	a, err := AccessOf(ctx, s.Store, u)
	if err != nil {
		return err
	}
	gs := a.Grants // those she holds
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

// Appointment is an appointment that waits for its claim code: a grant,
// or a team to lead.
type Appointment struct {
	ID    string       // store.ClaimOfGrant or store.ClaimOfTeam
	Phone string       // whose it is
	Grant *store.Grant // one of the two
	Team  *store.Team
}

// Waiting finds the appointment id names, if it still waits; ErrNotFound
// if not (taken up, removed, replaced).
func (s *Service) Waiting(ctx context.Context, id string) (*Appointment, error) {
	if gid, ok := strings.CutPrefix(id, "grant:"); ok {
		g, err := s.grantByID(ctx, gid)
		if err != nil {
			return nil, err
		}
		if !g.Waiting() {
			return nil, store.ErrNotFound
		}
		return &Appointment{ID: id, Phone: g.Phone, Grant: g}, nil
	}
	if tid, ok := strings.CutPrefix(id, "team:"); ok && tid != "" {
		t, err := s.Store.Team(ctx, tid)
		if err != nil {
			return nil, err
		}
		if t.LeaderID != "" || t.LeaderPhone == "" {
			return nil, store.ErrNotFound
		}
		return &Appointment{ID: id, Phone: t.LeaderPhone, Team: t}, nil
	}
	return nil, store.ErrNotFound
}

// MayCode tells whether a may give out the claim code of ap: whoever
// could have made the appointment.
func (s *Service) MayCode(a *Access, ap *Appointment) bool {
	switch {
	case ap.Team != nil:
		return a.RunsCommune(s.Places.Commune(ap.Team.Commune))
	case ap.Grant.Role == store.GrantProvince:
		return a.Admin
	default:
		return a.AppointsIn(ap.Grant.Province)
	}
}

// ClaimAuditID names the entry of a claim code's use: a retry writes it
// once, and a repeat of the form finds it (the hash names the code).
func ClaimAuditID(c *store.ClaimCode) string {
	return "claim:" + c.ID + ":" + c.Hash[:min(16, len(c.Hash))]
}

// TakeUp gives u the appointment whose claim code she entered: the grant
// becomes hers, or she leads the team (and joins it if she is in none).
// The code is used up last, so a try cut short is finished by the next;
// sent twice, the second finds the appointment hers and ends alike.
// ErrNotFound when the appointment no longer waits for her.
func (s *Service) TakeUp(ctx context.Context, u *store.User, c *store.ClaimCode) error {
	if c.Phone != u.Phone {
		return store.ErrNotFound
	}
	switch {
	case strings.HasPrefix(c.ID, "grant:"):
		g, err := s.grantByID(ctx, strings.TrimPrefix(c.ID, "grant:"))
		if err != nil {
			return err
		}
		if g.Phone != u.Phone {
			return store.ErrNotFound
		}
		if err := s.Store.ClaimGrant(ctx, g.ID, u.ID); err != nil {
			return err
		}
		if err := s.audit(ctx, ClaimAuditID(c), u.ID, store.ActGrantClaim, g.ID, c.By); err != nil {
			return err
		}
	case strings.HasPrefix(c.ID, "team:"):
		t, err := s.Store.ClaimTeam(ctx, strings.TrimPrefix(c.ID, "team:"), u.Phone, u.ID)
		if err != nil {
			return err
		}
		// Who took up what waited for the phone, for the appointer to
		// see; Detail names her, as an appointment's entry does.
		if err := s.audit(ctx, ClaimAuditID(c), u.ID, store.ActTeamLeader, t.ID, u.ID); err != nil {
			return err
		}
		if u.TeamID == "" {
			if err := s.Store.SetUserTeam(ctx, u.ID, t.ID); err != nil {
				return err
			}
			u.TeamID = t.ID
		}
	default:
		return store.ErrNotFound
	}
	if err := s.settleRole(ctx, u.Phone); err != nil {
		return err
	}
	return s.Store.DeleteClaimCode(ctx, c.ID, c.Hash)
}
