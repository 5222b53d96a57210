package web

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"kynangso/app/forms"
	"kynangso/app/locality"
	"kynangso/app/password"
	"kynangso/app/store"
)

// The first admin comes from a one-time link the program prints on its
// first start (see app/main.go). The link creates an admin account, or
// makes an existing account admin when its phone and password are given.
func (s *Server) setupForm(c *fiber.Ctx) error {
	ok, err := s.store.CheckSetupToken(c.UserContext(), c.Params("token"), "")
	if err != nil {
		return err
	}
	if !ok {
		return s.setupLinkGone(c)
	}
	return s.render(c, "setup", "setup.title", fiber.Map{"Token": c.Params("token"), "Errors": forms.Errors{}, "Form": registerForm{}})
}

// setupLinkGone answers a setup link that no longer works. Once an admin
// exists the link was used (it is made for the first admin only, and
// printed until then): the page says so and offers sign-in. Before that,
// the link is mistyped or from an earlier start, and the page says how to
// print the right one.
func (s *Server) setupLinkGone(c *fiber.Ctx) error {
	admins, err := s.store.CountAdmins(c.UserContext())
	if err != nil {
		return err
	}
	if admins > 0 {
		c.Status(fiber.StatusGone)
		return s.render(c, "setup_used", "setup.used.title", fiber.Map{})
	}
	c.Status(fiber.StatusNotFound)
	return s.render(c, "setup_used", "setup.wrong.title", fiber.Map{"Wrong": true})
}

func (s *Server) setup(c *fiber.Ctx) error {
	token := c.Params("token")
	f := parseRegister(c)
	errs := forms.Errors{}
	phone := checkAccount(f, errs)
	// A retry by the person who used the link finishes their setup.
	ok, err := s.store.CheckSetupToken(c.UserContext(), token, phone)
	if err != nil {
		return err
	}
	if !ok {
		return s.setupLinkGone(c)
	}
	if len(errs) > 0 {
		f.Password = ""
		c.Status(fiber.StatusUnprocessableEntity)
		return s.render(c, "setup", "setup.title", fiber.Map{"Token": token, "Errors": errs, "Form": f})
	}
	now := s.now()
	u, err := s.store.UserByPhone(c.UserContext(), phone)
	switch {
	case errors.Is(err, store.ErrNotFound):
		u = nil
	case err != nil:
		return err
	case !password.Check(u.PasswordHash, f.Password):
		c.Status(fiber.StatusUnauthorized)
		return s.render(c, "setup", "setup.title", fiber.Map{"Token": token, "Errors": forms.Errors{"phone": "setup.phone_taken"}, "Form": f})
	}
	// The token is used up before anyone is made admin, so two requests
	// racing with one link make one admin, not two; the same person's
	// retry after a failure finds it used by them and goes on.
	if used, err := s.store.UseSetupToken(c.UserContext(), token, phone); err != nil || !used {
		if err == nil {
			err = errNotFound
		}
		return err
	}
	if u == nil {
		u = &store.User{
			ID: store.NewID(), Name: f.Name, NameFolded: locality.Fold(f.Name), Phone: phone,
			PasswordHash: password.Hash(f.Password), Role: store.RoleAdmin,
			Consent: store.Consent{Version: ConsentVersion, At: now}, Created: now, LastActive: now,
		}
		if err := s.store.CreateUser(c.UserContext(), u); err != nil {
			if !errors.Is(err, store.ErrDuplicate) {
				return err
			}
			// Made by the first try: a double submit, or a retry.
			if u, err = s.store.UserByPhone(c.UserContext(), phone); err != nil {
				return err
			}
			if !password.Check(u.PasswordHash, f.Password) {
				return errNotFound
			}
		}
	} else if err := s.store.SetUserRole(c.UserContext(), u.ID, store.RoleAdmin); err != nil {
		return err
	}
	if err := s.store.Audit(c.UserContext(), &store.AuditEntry{ID: "setup:" + token, At: now, Actor: u.ID, Action: store.ActSetupAdmin, Target: u.ID}); err != nil {
		return err
	}
	if err := s.signIn(c, u); err != nil {
		return err
	}
	return c.Redirect("/admin", fiber.StatusSeeOther)
}
