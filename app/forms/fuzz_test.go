package forms

import (
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

var mobile = regexp.MustCompile(`^0[35789][0-9]{8}$`)

// Whatever is typed in the phone box, Phone either refuses it with one of
// its two messages or returns a Vietnamese mobile number in its one
// canonical form, which it accepts unchanged.
func FuzzPhone(f *testing.F) {
	for _, s := range []string{"0912 345 678", "0912.345.678", "+84 912345678", "84912345678", "912345678", "(091) 234-5678", "", " ", "+", "0112345678", "٠٩١٢٣٤٥٦٧٨", "0912345678\x00", "+84+84912345678", "0912３45678"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, msg := Phone(s)
		switch msg {
		case "":
			if !mobile.MatchString(got) {
				t.Fatalf("Phone(%q) = %q: not a canonical mobile number", s, got)
			}
			if again, m := Phone(got); again != got || m != "" {
				t.Fatalf("Phone(%q) = %q, but Phone(%q) = %q, %q", s, got, got, again, m)
			}
		case "form.phone.required", "form.phone.invalid":
			if got != "" {
				t.Fatalf("Phone(%q) refused with %q but returned %q", s, msg, got)
			}
		default:
			t.Fatalf("Phone(%q): unknown message %q", s, msg)
		}
	})
}

// A name Name accepts is what a certificate can print: valid UTF-8, 2 to
// NameMax characters, Latin letters with their marks and ' - . and spaces,
// at least two letters, nothing a page or PDF could read as markup or a
// control. Clean is idempotent, and never makes a valid name invalid.
func FuzzName(f *testing.F) {
	for _, s := range []string{"Nguyễn Văn An", "H'Hen Niê", "Lò Thị Mai", "Đặng-Thu.Thảo", "A", "AB", "a\u0301b", "\u0301ab", "Ông <script>", "名前", "Nguyễn\x00An", "\xff\xfe", strings.Repeat("a", 81), "  Lê   Văn  \tTám ", "Ǆǅ", "ᴀʙ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c := Clean(s)
		if Clean(c) != c {
			t.Fatalf("Clean(%q) = %q, Clean of that = %q", s, c, Clean(c))
		}
		msg := Name(c)
		switch msg {
		case "", "form.name.required", "form.name.too_long", "form.name.too_short", "form.name.invalid":
		default:
			t.Fatalf("Name(%q): unknown message %q", c, msg)
		}
		if msg != "" {
			return
		}
		if !utf8.ValidString(c) {
			t.Fatalf("Name accepted invalid UTF-8 %q", c)
		}
		if n := utf8.RuneCountInString(c); n < 2 || n > NameMax {
			t.Fatalf("Name accepted %q of %d characters", c, n)
		}
		letters := 0
		for _, r := range c {
			switch {
			case unicode.Is(unicode.Latin, r):
				letters++
			case unicode.Is(unicode.Mn, r), strings.ContainsRune(" '-.", r):
			default:
				t.Fatalf("Name accepted %q with %U", c, r)
			}
		}
		if letters < 2 {
			t.Fatalf("Name accepted %q with %d letters", c, letters)
		}
		if strings.ContainsAny(c, "<>&\"\\/\x00\n\r\t") {
			t.Fatalf("Name accepted %q, which holds markup or a control", c)
		}
	})
}

// Password accepts exactly the lengths it says, in characters.
func FuzzPassword(f *testing.F) {
	for _, s := range []string{"", "1234567", "12345678", "mật khẩu dài", strings.Repeat("x", 129), "\xff\xff\xff\xff\xff\xff\xff\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := utf8.RuneCountInString(s)
		want := ""
		switch {
		case n == 0:
			want = "form.password.required"
		case n < PasswordMin:
			want = "form.password.too_short"
		case n > PasswordMax:
			want = "form.password.too_long"
		}
		if got := Password(s); got != want {
			t.Fatalf("Password(%d characters) = %q, want %q", n, got, want)
		}
	})
}
