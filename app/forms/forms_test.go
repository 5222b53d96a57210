package forms

import "testing"

func TestPhoneForms(t *testing.T) {
	for _, in := range []string{"0912 345 678", "0912.345.678", "+84 912345678", "84912345678", "+84 (912) 345-678", " 0912345678 "} {
		got, msg := Phone(in)
		if msg != "" || got != "0912345678" {
			t.Errorf("Phone(%q) = %q, %q; want 0912345678", in, got, msg)
		}
	}
	for _, in := range []string{"", "12345", "0212345678", "091234567", "09123456789", "abc0912345678", "0912-345-67x", "+84 212345678"} {
		if _, msg := Phone(in); msg == "" {
			t.Errorf("Phone(%q) accepted a number that is not a Vietnamese mobile", in)
		}
	}
}

func TestNames(t *testing.T) {
	for _, ok := range []string{"Nguyễn Thị Ánh Tuyết", "Đặng Quốc Bảo", "H'Hen Niê", "Lò Văn Pọm", "Anne-Marie O'Neil"} {
		if msg := Name(Clean(ok)); msg != "" {
			t.Errorf("Name(%q) = %s, want accepted", ok, msg)
		}
	}
	for _, bad := range []string{"", "A", "<script>", "Nguyễn 123", string(make([]byte, 81)), "..", "- -", "\u0301\u0301\u0301", "王小明 李"} {
		if msg := Name(Clean(bad)); msg == "" {
			t.Errorf("Name(%q) accepted", bad)
		}
	}
	// Decomposed input (as some keyboards type) is stored composed.
	if got := Clean("Nguye\u0302\u0303n"); got != "Nguyễn" {
		t.Errorf("Clean did not NFC-normalise: %q", got)
	}
}
