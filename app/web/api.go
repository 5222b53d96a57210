package web

import (
	"github.com/gofiber/fiber/v2"

	"kynangso/app/locality"
)

type communeJSON struct {
	Code   string `json:"code"`
	Name   string `json:"name"`
	Folded string `json:"folded"`
}

// communesJSON lists a province's communes, for the sign-up form's search
// as you type; the form works without it.
func (s *Server) communesJSON(c *fiber.Ctx) error {
	p := s.places.Province(c.Params("code"))
	if p == nil {
		return errNotFound
	}
	list := p.Communes
	if q := c.Query("q"); q != "" {
		list = p.Search(q)
	}
	out := make([]communeJSON, len(list))
	for i, cm := range list {
		out[i] = communeJSON{Code: cm.Code, Name: cm.Name, Folded: locality.Fold(cm.Name)}
	}
	c.Set(fiber.HeaderCacheControl, "public, max-age=86400")
	return c.JSON(out)
}
