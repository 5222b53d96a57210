// Package i18n holds the platform's messages, Vietnamese first and English
// second (go-i18n TOML files, CLDR plurals), and picks a person's language:
// ?lang= first, then the remembered cookie, then Accept-Language, then
// Vietnamese.
package i18n

import (
	"embed"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/BurntSushi/toml"
	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

//go:embed active.*.toml
var files embed.FS

// Langs are the supported languages, the default first.
var Langs = []string{"vi", "en"}

var matcher = language.NewMatcher([]language.Tag{language.Vietnamese, language.English})

// Bundle is the loaded messages.
type Bundle struct {
	locs map[string]*goi18n.Localizer
	ids  map[string]map[string]bool
	// plain holds, per language, the messages that take no arguments,
	// translated once: a page asks for some fifty of them, and go-i18n
	// builds a template call for each.
	plain map[string]map[string]string
}

// Load reads the embedded message files.
func Load() (*Bundle, error) {
	b := goi18n.NewBundle(language.Vietnamese)
	b.RegisterUnmarshalFunc("toml", toml.Unmarshal)
	out := &Bundle{locs: map[string]*goi18n.Localizer{}, ids: map[string]map[string]bool{}, plain: map[string]map[string]string{}}
	for _, l := range Langs {
		name := "active." + l + ".toml"
		data, err := files.ReadFile(name)
		if err != nil {
			return nil, err
		}
		mf, err := b.ParseMessageFileBytes(data, name)
		if err != nil {
			return nil, fmt.Errorf("i18n %s: %w", name, err)
		}
		out.ids[l] = map[string]bool{}
		out.locs[l] = goi18n.NewLocalizer(b, l)
		out.plain[l] = map[string]string{}
		for _, m := range mf.Messages {
			out.ids[l][m.ID] = true
			if !strings.Contains(m.Other, "{{") && m.One == "" {
				if s, err := out.locs[l].Localize(&goi18n.LocalizeConfig{MessageID: m.ID}); err == nil {
					out.plain[l][m.ID] = s
				}
			}
		}
	}
	return out, nil
}

// IDs lists the message ids of a language, sorted.
func (b *Bundle) IDs(lang string) []string {
	return slices.Sorted(maps.Keys(b.ids[lang]))
}

// Has tells whether a message exists in lang.
func (b *Bundle) Has(lang, id string) bool { return b.ids[lang][id] }

// T translates id into lang. args are name/value pairs for the message
// template; a pair named "Count" also picks the plural form. A missing
// message shows its id, so it is seen and fixed, never a blank.
func (b *Bundle) T(lang, id string, args ...any) string {
	if len(args) == 0 {
		if s, ok := b.plain[lang][id]; ok {
			return s
		}
	}
	loc := b.locs[lang]
	if loc == nil {
		loc = b.locs[Langs[0]]
	}
	data := map[string]any{}
	for i := 0; i+1 < len(args); i += 2 {
		if k, ok := args[i].(string); ok {
			data[k] = args[i+1]
		}
	}
	cfg := &goi18n.LocalizeConfig{MessageID: id, TemplateData: data}
	if n, ok := data["Count"]; ok {
		cfg.PluralCount = n
	}
	s, err := loc.Localize(cfg)
	if err != nil && cfg.PluralCount != nil {
		// go-i18n asks Vietnamese for a "one" form at 0 and 1, though
		// Vietnamese has none; its "other" form is right for every count.
		cfg.PluralCount = nil
		s, err = loc.Localize(cfg)
	}
	if err != nil {
		return id
	}
	return s
}

// Pick chooses the language from the ?lang= value, the cookie and the
// Accept-Language header, in that order.
func Pick(query, cookie, acceptLanguage string) string {
	for _, v := range []string{query, cookie} {
		if slices.Contains(Langs, v) {
			return v
		}
	}
	if acceptLanguage != "" {
		tags, _, err := language.ParseAcceptLanguage(acceptLanguage)
		if err == nil && len(tags) > 0 {
			_, i, conf := matcher.Match(tags...)
			if conf != language.No {
				return Langs[i]
			}
		}
	}
	return Langs[0]
}

// Supported tells whether lang is a supported language code.
func Supported(lang string) bool { return slices.Contains(Langs, lang) }
