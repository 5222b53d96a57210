package web

import (
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"kynangso/app/forms"
	"kynangso/app/locality"
	"kynangso/app/password"
	"kynangso/app/store"
)

// ConsentVersion names the consent text a person agrees to at sign-up
// (i18n "consent.text"). Change it whenever that text changes, so that the
// stored version says what each person saw.
const ConsentVersion = "2026-11-v1"

type registerForm struct {
	Name, Phone, Password, Province, Commune, CommuneCode, Team string
	Consent                                                     bool
}

func parseRegister(c *fiber.Ctx) registerForm {
	return registerForm{
		Name:        forms.Clean(c.FormValue("name")),
		Phone:       strings.TrimSpace(c.FormValue("phone")),
		Password:    c.FormValue("password"),
		Province:    strings.TrimSpace(c.FormValue("province")),
		Commune:     forms.Clean(c.FormValue("commune")),
		CommuneCode: strings.TrimSpace(c.FormValue("commune_code")),
		Team:        strings.ToUpper(strings.TrimSpace(c.FormValue("team"))),
		Consent:     c.FormValue("consent") == "yes",
	}
}

func (s *Server) registerForm(c *fiber.Ctx) error {
	if user(c) != nil {
		return c.Redirect("/")
	}
	f := registerForm{Team: strings.ToUpper(strings.TrimSpace(c.Query("team")))}
	errs := forms.Errors{}
	if f.Team != "" {
		if _, err := s.store.Team(c.UserContext(), f.Team); err != nil {
			// A mistyped or old poster: sign up anyway, without a team.
			errs.Check("team", "form.team.unknown")
			f.Team = ""
		}
	}
	return s.showRegister(c, f, errs, nil)
}

func (s *Server) showRegister(c *fiber.Ctx, f registerForm, errs forms.Errors, choices []*locality.Commune) error {
	var team *store.Team
	if f.Team != "" {
		team, _ = s.store.Team(c.UserContext(), f.Team)
	}
	data := fiber.Map{"Form": f, "Errors": errs, "Provinces": s.places.Provinces, "Choices": choices, "Team": team, "ConsentVersion": ConsentVersion}
	if p := s.places.Province(f.Province); p != nil {
		data["Communes"] = p.Communes
	}
	return s.render(c, "register", "register.title", data)
}

// resolveCommune finds the commune a person meant: a code picked from the
// list, or a typed name searched without diacritics. Several matches come
// back as choices.
func (s *Server) resolveCommune(f registerForm, errs forms.Errors) (*locality.Commune, []*locality.Commune) {
	p := s.places.Province(f.Province)
	if p == nil {
		errs.Check("province", "form.province.required")
		return nil, nil
	}
	if c := s.places.Commune(f.CommuneCode); c != nil && c.Province == p {
		return c, nil
	}
	if f.Commune == "" {
		errs.Check("commune", "form.commune.required")
		return nil, nil
	}
	found := p.Search(f.Commune)
	switch {
	case len(found) == 1:
		return found[0], nil
	case len(found) == 0:
		errs.Check("commune", "form.commune.not_found")
	default:
		errs.Check("commune", "form.commune.choose")
		if len(found) > 30 {
			found = found[:30]
		}
		return nil, found
	}
	return nil, nil
}

// checkAccount validates what every new account needs: a name, a phone
// number (returned normalised) and a password.
func checkAccount(f registerForm, errs forms.Errors) string {
	errs.Check("name", forms.Name(f.Name))
	phone, msg := forms.Phone(f.Phone)
	errs.Check("phone", msg)
	errs.Check("password", forms.Password(f.Password))
	return phone
}

func (s *Server) register(c *fiber.Ctx) error {
	f := parseRegister(c)
	errs := forms.Errors{}
	phone := checkAccount(f, errs)
	commune, choices := s.resolveCommune(f, errs)
	if !f.Consent {
		errs.Check("consent", "form.consent.required")
	}
	var team *store.Team
	if f.Team != "" {
		var err error
		if team, err = s.store.Team(c.UserContext(), f.Team); err != nil {
			errs.Check("team", "form.team.unknown")
			f.Team = "" // so that sending the form again signs up without it
		}
	}
	if len(errs) > 0 {
		f.Password = ""
		c.Status(fiber.StatusUnprocessableEntity)
		return s.showRegister(c, f, errs, choices)
	}
	now := s.now()
	u := &store.User{
		ID: store.NewID(), Name: f.Name, NameFolded: locality.Fold(f.Name), Phone: phone,
		PasswordHash: password.Hash(f.Password), Role: store.RoleLearner,
		Province: commune.Province.Code, Commune: commune.Code,
		Consent: store.Consent{Version: ConsentVersion, At: now}, Created: now, LastActive: now,
	}
	if team != nil {
		u.TeamID = team.ID
	}
	if err := s.store.CreateUser(c.UserContext(), u); err != nil {
		if errors.Is(err, store.ErrDuplicate) {
			errs.Check("phone", "form.phone.taken")
			f.Password = ""
			c.Status(fiber.StatusConflict)
			return s.showRegister(c, f, errs, nil)
		}
		return err
	}
	s.log.Info("registered", slog.String("user", u.ID), slog.String("team", u.TeamID))
	if err := s.signIn(c, u); err != nil {
		return err
	}
	return c.Redirect("/?welcome=1", fiber.StatusSeeOther)
}

func (s *Server) loginForm(c *fiber.Ctx) error {
	if user(c) != nil {
		return c.Redirect(safeNext(c.Query("next")))
	}
	next := safeNext(c.Query("next"))
	return s.render(c, "login", "login.title", fiber.Map{"Next": next, "Errors": forms.Errors{}, "Register": registerLink(next)})
}

// Too many wrong passwords for one phone number, or from one address, in
// this window lock further tries until it ends, so passwords cannot be
// guessed online. Only failures count, and a success clears the phone's
// count, so a stranger's guesses cost the owner at most a short wait.
const (
	loginWindow     = 15 * time.Minute
	loginFailures   = 10
	loginFailuresIP = 50
)

func (s *Server) login(c *fiber.Ctx) error {
	phone, msg := forms.Phone(c.FormValue("phone"))
	pw := c.FormValue("password")
	next := safeNext(c.FormValue("next"))
	show := func(status int, msg string) error {
		c.Status(status)
		return s.render(c, "login", "login.title", fiber.Map{"Next": next, "Phone": c.FormValue("phone"), "Errors": forms.Errors{"form": msg}, "Register": registerLink(next)})
	}
	if msg != "" {
		return show(fiber.StatusUnprocessableEntity, msg)
	}
	if pw == "" {
		return show(fiber.StatusUnprocessableEntity, "form.password.required")
	}
	now := s.now()
	byPhone, byIP := "login:"+phone, "login-ip:"+c.IP()
	n, err := s.store.Hits(c.UserContext(), byPhone, loginWindow, now)
	if err != nil {
		return err
	}
	m, err := s.store.Hits(c.UserContext(), byIP, loginWindow, now)
	if err != nil {
		return err
	}
	if n >= loginFailures || m >= loginFailuresIP {
		return show(fiber.StatusTooManyRequests, "login.locked")
	}
	u, err := s.store.UserByPhone(c.UserContext(), phone)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	hash := password.Dummy
	if u != nil {
		hash = u.PasswordHash
	}
	if !password.Check(hash, pw) || u == nil {
		for _, k := range []string{byPhone, byIP} {
			if _, err := s.store.Hit(c.UserContext(), k, loginWindow, now); err != nil {
				return err
			}
		}
		return show(fiber.StatusUnauthorized, "login.wrong")
	}
	if err := s.store.ClearHits(c.UserContext(), byPhone, loginWindow, now); err != nil {
		return err
	}
	if err := s.signIn(c, u); err != nil {
		return err
	}
	return c.Redirect(next, fiber.StatusSeeOther)
}

// registerLink keeps a team's join link through "no account yet? sign up".
func registerLink(next string) string {
	if code, ok := strings.CutPrefix(next, "/join/"); ok && teamCode.MatchString(strings.ToUpper(code)) {
		return "/register?team=" + strings.ToUpper(code)
	}
	return "/register"
}

func (s *Server) logout(c *fiber.Ctx) error {
	if tok := c.Cookies(cookieSession); tok != "" {
		if err := s.store.DeleteSession(c.UserContext(), hashToken(tok)); err != nil {
			return err
		}
	}
	s.cookie(c, cookieSession, "", -1, true)
	return c.Redirect("/", fiber.StatusSeeOther)
}
