package web_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"kynangso/app/store"
	"kynangso/courses"
	"kynangso/i18n"
)

// Every message a template or handler asks for exists in both languages.
func TestTemplatesAndHandlersUseKnownMessages(t *testing.T) {
	b, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	used := map[string]string{}
	inTemplates := regexp.MustCompile(`(?:\{\{-?\s*(?:t|print)|"Label") "([a-z0-9_.-]*[a-z0-9])"`)
	inGo := regexp.MustCompile(`"((?:account|form|error|login|setup|admin|team|verify|quiz|course|certificate|home|nav|register|consent|join|poster|teams|certificates|lesson|progress|footer|app|audit|status|channel|skill)\.[a-z0-9_.-]*[a-z0-9])"`)
	err = filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(path, "_test.go") {
			return err
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		re := inGo
		if strings.HasSuffix(path, ".html") {
			re = inTemplates
		} else if !strings.HasSuffix(path, ".go") {
			return nil
		}
		for _, m := range re.FindAllStringSubmatch(string(src), -1) {
			used[m[1]] = path
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"../forms/forms.go"} {
		src, _ := os.ReadFile(f)
		for _, m := range inGo.FindAllStringSubmatch(string(src), -1) {
			used[m[1]] = f
		}
	}
	// Keys built at run time from a known set.
	for _, s := range courses.Skills {
		used["skill."+s] = "dynamic"
	}
	for _, s := range []string{"valid", "revoked", "unknown", "mistyped", "replaced"} {
		used["verify.title."+s], used["verify."+s+".text"] = "dynamic", "dynamic"
	}
	for _, c := range []string{"page", "json", "credential"} {
		used["channel."+c] = "dynamic"
	}
	for _, r := range append(store.RevokeReasons, store.ReasonReplaced) {
		used["revoke.reason."+r] = "dynamic"
	}
	for _, k := range []string{"password", "team"} {
		used["account.saved."+k] = "dynamic"
	}
	for _, a := range store.AuditActions {
		used["audit.action."+a] = "dynamic"
	}
	for id, where := range used {
		for _, l := range i18n.Langs {
			if !b.Has(l, id) {
				t.Errorf("%s uses %q, missing in %s", where, id, l)
			}
		}
	}
}
