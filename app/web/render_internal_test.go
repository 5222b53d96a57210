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

func TestNamesMatch(t *testing.T) {
	for _, c := range []struct {
		typed, holder string
		want          bool
	}{
		{"Nguyễn Văn An", "Nguyễn Văn An", true},
		{"nguyen van an", "Nguyễn Văn An", true},
		{"Nguyễn Văn An", "nguyen van an", true}, // registered without marks
		{"Nguye\u0302\u0303n Va\u0306n An", "Nguyễn Văn An", true},
		{"  NGUYỄN   văn an ", "Nguyễn Văn An", true},
		{"Nguyễn Văn Ân", "Nguyễn Văn An", false},
		{"Lê Văn Tám", "Lễ Văn Tám", false},
		{"Nguyen Van Anh", "Nguyễn Văn An", false},
	} {
		if got := namesMatch(c.typed, c.holder); got != c.want {
			t.Errorf("namesMatch(%q, %q) = %v, want %v", c.typed, c.holder, got, c.want)
		}
	}
}
