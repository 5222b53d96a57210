package web

import (
	"errors"
	"regexp"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"kynangso/app/forms"
	"kynangso/app/store"
)

// Households: the leader records how many households the village has and
// groups members into households, on the team page.

// maxHouseholds bounds the recorded count: the largest villages and
// residential groups have a few thousand.
const maxHouseholds = 20000

// householdCount is a count as people type it: 120, or 1.240 with
// thousands grouped (1.5 or 1,000 are refused, not guessed at).
var householdCount = regexp.MustCompile(`^(\d{1,5}|\d{1,2}\.\d{3})$`)

// maxGrouped bounds a team's households on the platform: the list is
// read whole (store.MaxLimit at most).
const maxGrouped = store.MaxLimit

var householdCode = func(s string) bool {
	if len(s) != 12 {
		return false
	}
	for _, r := range s {
		if !strings.ContainsRune("0123456789abcdef", r) {
			return false
		}
	}
	return true
}

// labelForm reads a household form of the leader's team: the team and
// the label typed. A bad label is answered here, at field (the team is
// then nil); keep shows it again in the new-household box.
func (s *Server) labelForm(c *fiber.Ctx, field string, keep bool) (*store.Team, string, error) {
	t, err := s.ledTeam(c)
	if err != nil {
		return nil, "", err
	}
	label := forms.Clean(c.FormValue("label"))
	if msg := forms.Text(label, 100); msg != "" {
		shown := ""
		if keep {
			shown = label
		}
		c.Status(fiber.StatusUnprocessableEntity)
		return nil, "", s.showTeam(c, t, forms.Errors{field: msg}, shown)
	}
	return t, label, nil
}

func (s *Server) backToTeam(c *fiber.Ctx, t *store.Team, anchor string) error {
	s.figures.forget(t.Province)
	return c.Redirect("/teams/"+t.ID+"?saved=1#"+anchor, fiber.StatusSeeOther)
}

func (s *Server) setHouseholdCount(c *fiber.Ctx) error {
	t, err := s.ledTeam(c)
	if err != nil {
		return err
	}
	typed := strings.TrimSpace(c.FormValue("households"))
	n, err := strconv.Atoi(strings.ReplaceAll(typed, ".", ""))
	if !householdCount.MatchString(typed) || err != nil || n > maxHouseholds {
		c.Status(fiber.StatusUnprocessableEntity)
		return s.showTeam(c, t, forms.Errors{"households": "household.count.invalid"}, "")
	}
	if n != t.Households {
		// The count is the ranking's denominator: every change is on
		// record, who and from what to what.
		at := s.now()
		detail := strconv.Itoa(t.Households) + "→" + strconv.Itoa(n)
		if err := s.store.Audit(c.UserContext(), &store.AuditEntry{ID: "team.households:" + t.ID + ":" + detail + ":" + strconv.FormatInt(at.UnixMilli(), 10),
			At: at, Actor: user(c).ID, Action: store.ActHouseholds, Target: t.ID, Detail: detail}); err != nil {
			return err
		}
		if err := s.store.SetTeamHouseholds(c.UserContext(), t.ID, n); err != nil {
			return err
		}
	}
	return s.backToTeam(c, t, "households")
}

func (s *Server) createHousehold(c *fiber.Ctx) error {
	t, label, err := s.labelForm(c, "label", true)
	if t == nil || err != nil {
		return err
	}
	if hs, err := s.store.Households(c.UserContext(), t.ID); err != nil {
		return err
	} else if len(hs) >= maxGrouped {
		c.Status(fiber.StatusUnprocessableEntity)
		return s.showTeam(c, t, forms.Errors{"label": "household.too_many"}, label)
	}
	// The id comes with the form: sent twice, the second meets the first.
	id := c.FormValue("code")
	if !householdCode(id) {
		id = store.NewID()[:12]
	}
	h := &store.Household{ID: id, TeamID: t.ID, Label: label, Created: s.now()}
	if err := s.store.CreateHousehold(c.UserContext(), h); errors.Is(err, store.ErrDuplicate) {
		if old, err := s.store.Household(c.UserContext(), id); err != nil || old.TeamID != t.ID || old.Label != label {
			return fail(fiber.StatusConflict, "household.exists")
		}
	} else if err != nil {
		return err
	}
	return s.backToTeam(c, t, "households")
}

func (s *Server) renameHousehold(c *fiber.Ctx) error {
	t, label, err := s.labelForm(c, "label-"+c.Params("id"), false)
	if t == nil || err != nil {
		return err
	}
	if err := s.store.RenameHousehold(c.UserContext(), t.ID, c.Params("id"), label); errors.Is(err, store.ErrNotFound) {
		return fail(fiber.StatusNotFound, "household.unknown")
	} else if err != nil {
		return err
	}
	return s.backToTeam(c, t, "households")
}

func (s *Server) deleteHousehold(c *fiber.Ctx) error {
	t, err := s.ledTeam(c)
	if err != nil {
		return err
	}
	// Deleted already (a double tap) is where the first tap led.
	if err := s.store.DeleteHousehold(c.UserContext(), t.ID, c.Params("id")); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return s.backToTeam(c, t, "households")
}

// memberHousehold is the page where the leader picks a member's
// household: one list, rather than one on every member's card.
func (s *Server) memberHousehold(c *fiber.Ctx) error {
	t, err := s.ledTeam(c)
	if err != nil {
		return err
	}
	m, err := s.store.UserByID(c.UserContext(), c.Params("user"))
	if err != nil || m.TeamID != t.ID {
		return errNotFound
	}
	hs, err := s.store.Households(c.UserContext(), t.ID)
	if err != nil {
		return err
	}
	return s.render(c, "household", "household.title", fiber.Map{"Team": t, "Member": m, "Households": hs})
}

func (s *Server) setMemberHousehold(c *fiber.Ctx) error {
	t, err := s.ledTeam(c)
	if err != nil {
		return err
	}
	err = s.store.SetUserHousehold(c.UserContext(), t.ID, c.Params("user"), c.FormValue("household"))
	if errors.Is(err, store.ErrNotFound) {
		return fail(fiber.StatusNotFound, "household.unknown")
	}
	if err != nil {
		return err
	}
	return s.backToTeam(c, t, "member-"+c.Params("user"))
}
