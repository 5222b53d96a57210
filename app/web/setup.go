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
	ok, err := s.store.CheckSetupToken(c.UserContext(), c.Params("token"))
	if err != nil {
		return err
	}
	if !ok {
		return errNotFound
	}
	return s.render(c, "setup", "setup.title", fiber.Map{"Token": c.Params("token"), "Errors": forms.Errors{}, "Form": registerForm{}})
}

func (s *Server) setup(c *fiber.Ctx) error {
	token := c.Params("token")
	ok, err := s.store.CheckSetupToken(c.UserContext(), token)
	if err != nil {
		return err
	}
	if !ok {
		return errNotFound
	}
	f := parseRegister(c)
	errs := forms.Errors{}
	phone := checkAccount(f, errs)
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
	// racing with one link make one admin, not two.
	if used, err := s.store.UseSetupToken(c.UserContext(), token); err != nil || !used {
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
			return err
		}
	} else if err := s.store.SetUserRole(c.UserContext(), u.ID, store.RoleAdmin); err != nil {
		return err
	}
	_ = s.store.Audit(c.UserContext(), store.AuditEntry{At: now, Actor: u.ID, Action: store.ActSetupAdmin, Target: u.ID})
	if err := s.signIn(c, u); err != nil {
		return err
	}
	return c.Redirect("/admin", fiber.StatusSeeOther)
}
