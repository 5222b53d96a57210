package config

import (
	"strings"
	"testing"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestDefaults(t *testing.T) {
	c, err := load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != ":3000" || c.DataDir != "./data" || c.MongoURI != "" || c.BaseURL != "http://localhost:3000" || c.VerifyLimit != 30 {
		t.Errorf("defaults: %+v", c)
	}
	c, _ = load(env(map[string]string{"KNS_ADDR": "127.0.0.1:8080", "MONGODB_URI": "mongodb://x"}))
	if c.BaseURL != "http://localhost:8080" || c.MongoURI != "mongodb://x" {
		t.Errorf("base URL follows the port, MONGODB_URI honoured: %+v", c)
	}
	c, _ = load(env(map[string]string{"KNS_BASE_URL": "https://kns.example.vn/", "KNS_MONGODB_URI": "mongodb://a", "MONGODB_URI": "mongodb://b"}))
	c2, _ := load(env(map[string]string{"KNS_TRUSTED_PROXIES": "10.0.0.1, 192.168.0.0/16"}))
	if len(c2.TrustedProxies) != 2 {
		t.Errorf("trusted proxies: %v", c2.TrustedProxies)
	}
	if c.BaseURL != "https://kns.example.vn" || !c.Secure() || c.MongoURI != "mongodb://a" {
		t.Errorf("explicit settings: %+v", c)
	}
}

func TestBadValuesAreNamed(t *testing.T) {
	for name, val := range map[string]string{
		"KNS_ADDR": "3000", "KNS_BASE_URL": "kns.example.vn", "KNS_LOG_LEVEL": "loud",
		"KNS_TRUSTED_PROXIES": "10.0.0.1,proxy.local", "KNS_VERIFY_LIMIT": "-1",
	} {
		_, err := load(env(map[string]string{name: val}))
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s=%s: error %v should name the variable", name, val, err)
		}
	}
}
