package password

import "testing"

func TestHashAndCheck(t *testing.T) {
	h := Hash("Mật khẩu 123")
	if !Check(h, "Mật khẩu 123") {
		t.Fatal("the right password was refused")
	}
	if Check(h, "Mật khẩu 124") || Check(h, "") || Check("garbage", "x") {
		t.Fatal("a wrong password or hash was accepted")
	}
	if Hash("a") == Hash("a") {
		t.Fatal("hashes are not salted")
	}
}
