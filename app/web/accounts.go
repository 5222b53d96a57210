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
	// Claim is the claim code of an appointment made for her phone
	// (claims.go), as typed; empty for none.
	Claim   string
	Consent bool
}

func parseRegister(c *fiber.Ctx) registerForm {
	return registerForm{
		Name:        forms.Clean(c.FormValue("name")),
		Phone:       strings.TrimSpace(c.FormValue("phone")),
		Password:    c.FormValue("password"),
		Province:    strings.TrimSpace(c.FormValue("province")),
		Commune:     forms.Clean(c.FormValue("commune")),
		CommuneCode: strings.TrimSpace(c.FormValue("commune_code")),
		Team:        typedTeamCode(c.FormValue("team")),
		Claim:       strings.TrimSpace(c.FormValue("claim")),
		Consent:     c.FormValue("consent") == "yes",
	}
}

// typedTeamCode reads a team code as a person types it from a poster:
// case, spaces and dashes do not matter, and O, I and L are read as 0, 1
// and 1 (team codes have no such letters).
func typedTeamCode(s string) string {
	return strings.NewReplacer(" ", "", "-", "", "O", "0", "I", "1", "L", "1").Replace(strings.ToUpper(strings.TrimSpace(s)))
}

func (s *Server) registerForm(c *fiber.Ctx) error {
	f := registerForm{Team: typedTeamCode(c.Query("team"))}
	if user(c) != nil {
		// Signed in already: a sign-up link with a team code leads to
		// joining that team; one with a code that cannot be a team's, to
		// the page that says so and offers the box to type it again.
		if f.Team != "" && teamCode.MatchString(f.Team) {
			return c.Redirect("/join/" + f.Team)
		}
		if f.Team != "" {
			return c.Redirect("/join?team=" + urlQueryEscape(f.Team))
		}
		return c.Redirect("/")
	}
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

// At most registerPerAddress new accounts per address per window: a room
// of 50 people signing up together behind one Wi-Fi, each tapping twice,
// stays within it; a script making 4,080 accounts a minute does not.
const (
	registerWindow     = time.Hour
	registerPerAddress = 100
)

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
	claim := typedClaim(f.Claim)
	if f.Claim != "" && len(claim) != claimDigits {
		errs.Check("claim", "claim.code.invalid")
	}
	if len(errs) > 0 {
		f.Password = ""
		c.Status(fiber.StatusUnprocessableEntity)
		return s.showRegister(c, f, errs, choices)
	}
	now := s.now()
	// A claim code is checked before the account is made: a wrong one
	// sends the form back with the message at its field, and makes
	// nothing. Signed up without one, she is a learner, whatever waits
	// for her number.
	var claimed *store.ClaimCode
	if claim != "" {
		if _, err := s.store.UserByPhone(c.UserContext(), phone); err == nil {
			return s.takenPhone(c, f, errs, phone, now) // a double tap, or the number is taken
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		cc, msg, status, err := s.checkClaim(c, phone, claim)
		if err != nil {
			return err
		}
		if cc == nil {
			f.Password = ""
			c.Status(status)
			return s.showRegister(c, f, forms.Errors{"claim": msg}, nil)
		}
		claimed = cc
	}
	// Counted first, then the account is made (see ratelimit.go).
	if over, err := s.over(c, "register:"+c.IP(), registerPerAddress, registerWindow, now); err != nil {
		return err
	} else if over {
		retryAfter(c, registerWindow, now)
		return fail(fiber.StatusTooManyRequests, "register.too_many")
	}
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
			return s.takenPhone(c, f, errs, phone, now)
		}
		return err
	}
	// The appointment whose code she gave: a team to lead, an official's
	// role.
	if claimed != nil {
		if err := s.roles.TakeUp(c.UserContext(), u, claimed); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	s.log.Info("registered", slog.String("user", u.ID), slog.String("team", u.TeamID))
	if err := s.signIn(c, u); err != nil {
		return err
	}
	return c.Redirect("/?welcome=1", fiber.StatusSeeOther)
}

// takenPhone answers a sign-up whose number has an account: a double tap
// ends where the first tap did (signed in), anything else is told the
// number is taken.
func (s *Server) takenPhone(c *fiber.Ctx, f registerForm, errs forms.Errors, phone string, now time.Time) error {
	if again, err := s.repeatedSignUp(c, f, phone, now); err != nil {
		return err
	} else if again {
		return c.Redirect("/?welcome=1", fiber.StatusSeeOther)
	}
	errs.Check("phone", "form.phone.taken")
	f.Password = ""
	c.Status(fiber.StatusConflict)
	return s.showRegister(c, f, errs, nil)
}

func (s *Server) loginForm(c *fiber.Ctx) error {
	if user(c) != nil {
		return c.Redirect(safeNext(c.Query("next")))
	}
	next := safeNext(c.Query("next"))
	return s.render(c, "login", "login.title", fiber.Map{"Next": next, "Errors": forms.Errors{}, "Register": registerLink(next)})
}

// Sign-in limits, counted before the password is checked (see
// ratelimit.go), so that a thousand guesses at once get no further than
// ten one after the other.
//
// By phone number: at most loginFailures wrong passwords per window.
// Every try is counted first; a sign-in that succeeds is counted too and
// taken off, so the owner's own sign-ins never lock her out, and of any
// number of tries at once no more than loginFailures wrong ones are ever
// checked.
//
// By address: a commune hall's Wi-Fi or a carrier's shared address puts a
// whole room behind one address, so the address is not limited by wrong
// passwords (52 over 26 phones once locked a resident out) but by phone
// numbers: at most loginPhonesPerAddress numbers tried from it in a window
// and not signed in to. A room of 50, typos and all, has at most 50 (and
// those who get in do not count); a guessing run goes over many numbers,
// and is stopped.
const (
	loginWindow           = 15 * time.Minute
	loginFailures         = 10
	loginPhonesPerAddress = 100
)

// loginKeys are the rate-limit counters of a sign-in.
type loginKeys struct {
	tries, ok             string // this phone: tries, sign-ins
	addrPhone, addrPhones string // this address: tries of this phone, phones tried
	addrOK, addrOKPhones  string // this address: sign-ins of this phone, phones signed in to
}

func keysOf(phone, ip string) loginKeys {
	return loginKeys{
		tries: "login:" + phone, ok: "login-ok:" + phone,
		addrPhone: "login-ip-phone:" + ip + "|" + phone, addrPhones: "login-ip-phones:" + ip,
		addrOK: "login-ip-ok:" + ip + "|" + phone, addrOKPhones: "login-ip-ok-phones:" + ip,
	}
}

// loginAllowed counts this try, by address and then by phone, and tells
// whether its password may be checked; the message says why not.
func (s *Server) loginAllowed(c *fiber.Ctx, k loginKeys, now time.Time) (string, error) {
	ctx := c.UserContext()
	// By address: a number tried here for the first time in the window
	// is counted among the address's numbers; one tried before was
	// counted then.
	signedIn, err := s.store.Hits(ctx, k.addrOKPhones, loginWindow, now)
	if err != nil {
		return "", err
	}
	first, err := s.store.HitUpTo(ctx, k.addrPhone, 1, loginWindow, now)
	if err != nil {
		return "", err
	}
	limit := loginPhonesPerAddress + signedIn
	var phones int
	if first == 1 {
		phones, err = s.store.HitUpTo(ctx, k.addrPhones, limit, loginWindow, now)
	} else {
		phones, err = s.store.Hits(ctx, k.addrPhones, loginWindow, now)
	}
	if err != nil {
		return "", err
	}
	if phones > limit {
		return "login.locked_address", nil
	}
	// By phone: the owner's own sign-ins are taken off.
	ok, err := s.store.Hits(ctx, k.ok, loginWindow, now)
	if err != nil {
		return "", err
	}
	if over, err := s.over(c, k.tries, loginFailures+ok, loginWindow, now); err != nil || over {
		return "login.locked", err
	}
	return "", nil
}

// loginSucceeded takes a sign-in off the counts of loginAllowed.
func (s *Server) loginSucceeded(c *fiber.Ctx, k loginKeys, now time.Time) error {
	ctx := c.UserContext()
	if _, err := s.store.Hit(ctx, k.ok, loginWindow, now); err != nil {
		return err
	}
	first, err := s.store.HitUpTo(ctx, k.addrOK, 1, loginWindow, now)
	if err != nil || first != 1 {
		return err
	}
	_, err = s.store.Hit(ctx, k.addrOKPhones, loginWindow, now)
	return err
}

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
	keys := keysOf(phone, c.IP())
	if why, err := s.loginAllowed(c, keys, now); err != nil {
		return err
	} else if why != "" {
		retryAfter(c, loginWindow, now)
		return show(fiber.StatusTooManyRequests, why)
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
		return show(fiber.StatusUnauthorized, "login.wrong")
	}
	if err := s.loginSucceeded(c, keys, now); err != nil {
		return err
	}
	if err := s.signIn(c, u); err != nil {
		return err
	}
	// A password reset with someone's help is told at the next sign-in.
	if notices, err := s.resetNotices(c, u.ID); err != nil {
		return err
	} else if len(notices) > 0 {
		return c.Redirect(resetNoticePath+"?next="+urlQueryEscape(next), fiber.StatusSeeOther)
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
