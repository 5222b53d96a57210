package web

import "testing"

func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{
		"/certificates":         "/certificates",
		"/join/ABC123?x=1":      "/join/ABC123?x=1",
		"":                      "/",
		"https://evil.example/": "/",
		"//evil.example/":       "/",
		"/\\evil.example/":      "/",
		"\t/evil.example":       "/",
		"/\t/evil.example":      "/",
		"/\n/evil.example":      "/",
		"javascript:alert(1)":   "/",
		"/%09/evil.example":     "/%09/evil.example", // stays a path of ours
		"certificates":          "/",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMaskName(t *testing.T) {
	for in, want := range map[string]string{"Nguyễn Văn An": "Nguyễn V. A.", "Đặng Thị Ánh Tuyết": "Đặng T. Á. T.", "Madonna": "Madonna", "": ""} {
		if got := maskName(in); got != want {
			t.Errorf("maskName(%q) = %q, want %q", in, got, want)
		}
	}
}
