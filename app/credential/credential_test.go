package credential

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

var errNotFound = errors.New("not found")

func TestSignVerifyRoundTrip(t *testing.T) {
	k := newKeyring(t)
	doc, err := k.Sign(testIssue())
	if err != nil {
		t.Fatal(err)
	}
	sl, err := k.SignStatusList(testList, nil, 0, testTime)
	if err != nil {
		t.Fatal(err)
	}
	v, err := k.Verify(doc, lists(map[string][]byte{testList: sl}))
	if err != nil {
		t.Fatal(err)
	}
	in := testIssue()
	if v.Issuer != k.IssuerDID() || v.IssuerName != in.IssuerName || v.ID != in.CredentialURL ||
		v.SubjectName != in.Subject.Name || v.AchievementName != in.Achievement.Name ||
		!v.ValidFrom.Equal(testTime) || !v.StatusChecked {
		t.Fatalf("Verified = %+v", v)
	}

	var m map[string]any
	json.Unmarshal(doc, &m)
	if ty := m["type"].([]any); ty[1] != "OpenBadgeCredential" {
		t.Errorf("type %v", ty)
	}
	if p := m["proof"].(map[string]any); p["cryptosuite"] != "eddsa-rdfc-2022" || !strings.HasPrefix(p["proofValue"].(string), "z") {
		t.Errorf("proof %v", p)
	}
}

// edit returns doc with one change made to its parsed JSON.
func edit(t *testing.T, doc []byte, change func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(doc, &m); err != nil {
		t.Fatal(err)
	}
	change(m)
	out, _ := json.Marshal(m)
	return out
}

func obj(m map[string]any, path ...string) map[string]any {
	for _, p := range path {
		m = m[p].(map[string]any)
	}
	return m
}

func TestAnyChangeBreaksVerification(t *testing.T) {
	k, other := newKeyring(t), newKeyring(t)
	doc, _ := k.Sign(testIssue())
	sl, _ := k.SignStatusList(testList, nil, 0, testTime)
	fetch := lists(map[string][]byte{testList: sl})

	cases := []struct {
		name   string
		change func(m map[string]any)
		want   error
	}{
		{"credential name", func(m map[string]any) { m["name"] = "Lập trình nâng cao" }, ErrBadSignature},
		{"subject name", func(m map[string]any) { obj(m, "credentialSubject")["name"] = "Trần Văn B" }, ErrBadSignature},
		{"achievement name", func(m map[string]any) {
			obj(m, "credentialSubject", "achievement")["name"] = "An toàn số nâng cao"
		}, ErrBadSignature},
		{"criteria", func(m map[string]any) {
			obj(m, "credentialSubject", "achievement", "criteria")["narrative"] = "Không cần làm gì."
		}, ErrBadSignature},
		{"validFrom", func(m map[string]any) { m["validFrom"] = "2025-03-14T09:30:00Z" }, ErrBadSignature},
		{"issuer name", func(m map[string]any) { obj(m, "issuer")["name"] = "Học viện Giả" }, ErrBadSignature},
		{"issuer id", func(m map[string]any) { obj(m, "issuer")["id"] = other.IssuerDID() }, ErrUnknownKey},
		{"status index", func(m map[string]any) { obj(m, "credentialStatus")["statusListIndex"] = "43" }, ErrBadSignature},
		{"proof created", func(m map[string]any) { obj(m, "proof")["created"] = "2026-03-15T09:30:00Z" }, ErrBadSignature},
		{"verification method", func(m map[string]any) {
			obj(m, "proof")["verificationMethod"] = other.current().did() + "#" + multikey(other.current().pub)
		}, ErrUnknownKey},
		// Undefined terms would be dropped by JSON-LD and so not signed.
		{"added undefined property", func(m map[string]any) { obj(m, "credentialSubject")["grade"] = "A+" }, ErrMalformed},
		{"added undefined type", func(m map[string]any) { m["type"] = []any{"VerifiableCredential", "OpenBadgeCredential", "Diploma"} }, ErrMalformed},
		{"removed proof", func(m map[string]any) { delete(m, "proof") }, ErrMalformed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Verify(edit(t, doc, c.change), fetch)
			if !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
		})
	}
	if _, err := Verify(doc, fetch); err != nil {
		t.Fatalf("untouched document: %v", err)
	}
}

// TestAnotherKey covers a valid credential from someone else's key and a
// forgery that names our key but was signed with another.
func TestAnotherKey(t *testing.T) {
	k, other := newKeyring(t), newKeyring(t)
	in := testIssue()
	in.StatusListURL = ""

	theirs, _ := other.Sign(in)
	if _, err := Verify(theirs, nil); err != nil {
		t.Fatalf("self-consistent credential of another issuer: %v", err)
	}
	if _, err := k.Verify(theirs, nil); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("Keyring.Verify of another issuer's credential: %v, want ErrUnknownKey", err)
	}

	forged, err := forger(k, other).Sign(in)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.Verify(forged, nil); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("forged credential: %v, want ErrBadSignature", err)
	}
}

// forger is a keyring that claims victim's public key but signs with
// signer's private key.
func forger(victim, signer *Keyring) *Keyring {
	return &Keyring{keys: []*signingKey{{pub: victim.current().pub, priv: signer.current().priv}}}
}

func TestRevocation(t *testing.T) {
	k, other := newKeyring(t), newKeyring(t)
	issue := func(idx int) []byte {
		in := testIssue()
		in.StatusIndex = idx
		doc, err := k.Sign(in)
		if err != nil {
			t.Fatal(err)
		}
		return doc
	}
	kept, revoked, last := issue(42), issue(7), issue(MinStatusListBits-1)
	sl, err := k.SignStatusList(testList, []int{7, MinStatusListBits - 1}, 1000, testTime)
	if err != nil {
		t.Fatal(err)
	}
	fetch := lists(map[string][]byte{testList: sl})

	if v, err := k.Verify(kept, fetch); err != nil || !v.StatusChecked {
		t.Fatalf("unrevoked: %v", err)
	}
	for name, doc := range map[string][]byte{"index 7": revoked, "last index": last} {
		if _, err := k.Verify(doc, fetch); !errors.Is(err, ErrRevoked) {
			t.Errorf("%s revoked: got %v, want ErrRevoked", name, err)
		}
	}

	theirList, _ := other.SignStatusList(testList, nil, 0, testTime)
	clearedList := edit(t, sl, func(m map[string]any) {
		clean, _ := encodeBitstring(nil, MinStatusListBits)
		obj(m, "credentialSubject")["encodedList"] = clean
	})
	otherURL, _ := k.SignStatusList("https://kynangso.example/credentials/status/2", nil, 0, testTime)
	for name, f := range map[string]StatusListFunc{
		"no fetcher":               nil,
		"fetch fails":              lists(nil),
		"list by another issuer":   lists(map[string][]byte{testList: theirList}),
		"list with bits cleared":   lists(map[string][]byte{testList: clearedList}),
		"list from another URL":    lists(map[string][]byte{testList: otherURL}),
		"credential given as list": lists(map[string][]byte{testList: kept}),
	} {
		if _, err := k.Verify(revoked, f); !errors.Is(err, ErrStatusList) {
			t.Errorf("%s: got %v, want ErrStatusList", name, err)
		}
	}

	if _, err := k.SignStatusList(testList, []int{MinStatusListBits}, 0, testTime); err == nil {
		t.Error("index beyond the list accepted")
	}
}

func TestRotatedKeyringVerifiesOldCredentials(t *testing.T) {
	st := testStore(t)
	k := openKeyring(t, st, testSecret, Options{})
	oldDID := k.IssuerDID()
	old, _ := k.Sign(testIssue())

	if err := k.Rotate(context.Background()); err != nil {
		t.Fatal(err)
	}
	k = openKeyring(t, st, testSecret, Options{}) // as after a restart
	if k.IssuerDID() == oldDID {
		t.Fatal("Rotate did not change the current key")
	}
	newDoc, _ := k.Sign(testIssue())
	if v, _ := Verify(newDoc, lists(map[string][]byte{testList: mustList(t, k, "", nil)})); v == nil || v.Issuer != k.IssuerDID() {
		t.Fatalf("new credential not issued by the new key: %+v", v)
	}

	// The old credential's list must still come from the old key.
	oldList := lists(map[string][]byte{testList: mustList(t, k, oldDID, nil)})
	if v, err := k.Verify(old, oldList); err != nil || v.Issuer != oldDID {
		t.Fatalf("old credential after rotation: %+v %v", v, err)
	}
	if _, err := k.Verify(old, lists(map[string][]byte{testList: mustList(t, k, oldDID, []int{42})})); !errors.Is(err, ErrRevoked) {
		t.Fatalf("old credential revoked by old key's list: %v", err)
	}
	if _, err := k.Verify(old, lists(map[string][]byte{testList: mustList(t, k, "", nil)})); !errors.Is(err, ErrStatusList) {
		t.Fatalf("old credential with a list by the new key: %v, want ErrStatusList", err)
	}
}

func mustList(t *testing.T, k *Keyring, did string, revoked []int) []byte {
	t.Helper()
	var b []byte
	var err error
	if did == "" {
		b, err = k.SignStatusList(testList, revoked, 0, testTime)
	} else {
		b, err = k.SignStatusListWith(did, testList, revoked, 0, testTime)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestValidityPeriod(t *testing.T) {
	k := newKeyring(t)
	in := testIssue()
	in.StatusListURL = ""
	in.ValidUntil = testTime.AddDate(1, 0, 0)
	doc, _ := k.Sign(in)
	if _, err := verify(doc, nil, testTime.AddDate(0, 6, 0)); err != nil {
		t.Fatalf("within validity: %v", err)
	}
	if _, err := verify(doc, nil, testTime.AddDate(2, 0, 0)); !errors.Is(err, ErrExpired) {
		t.Fatalf("after validUntil: %v", err)
	}
	if _, err := verify(doc, nil, testTime.Add(-time.Hour)); !errors.Is(err, ErrNotYetValid) {
		t.Fatalf("before validFrom: %v", err)
	}
}

func TestSignRejectsBadInput(t *testing.T) {
	k := newKeyring(t)
	for name, change := range map[string]func(*Issue){
		"relative credential URL": func(in *Issue) { in.CredentialURL = "/c/123" },
		"no subject":              func(in *Issue) { in.Subject.Name = "" },
		"no achievement id":       func(in *Issue) { in.Achievement.ID = "" },
		"no issued time":          func(in *Issue) { in.IssuedAt = time.Time{} },
		"negative status index":   func(in *Issue) { in.StatusIndex = -1 },
		// RDFC-1.0 and json-gold escape these differently; see checkStrings.
		"control character": func(in *Issue) { in.Subject.Name = "A\x01B" },
	} {
		in := testIssue()
		change(&in)
		if _, err := k.Sign(in); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v, want ErrMalformed", name, err)
		}
	}
}

func TestLoaderIsOffline(t *testing.T) {
	if _, err := (offlineLoader{}).LoadDocument("https://www.w3.org/2018/credentials/v1"); err == nil {
		t.Fatal("unbundled context loaded")
	}
	k := newKeyring(t)
	in := testIssue()
	in.StatusListURL = ""
	doc, _ := k.Sign(in)
	withCtx := edit(t, doc, func(m map[string]any) {
		m["@context"] = append(m["@context"].([]any), "https://example.org/evil-context.json")
	})
	if _, err := Verify(withCtx, nil); !errors.Is(err, ErrMalformed) {
		t.Fatalf("unknown context: %v, want ErrMalformed", err)
	}
}

func TestBitstringLayout(t *testing.T) {
	enc, err := encodeBitstring([]int{0, 9}, MinStatusListBits)
	if err != nil {
		t.Fatal(err)
	}
	bits, err := decodeBitstring(enc)
	if err != nil {
		t.Fatal(err)
	}
	// Index 0 is the left-most (most significant) bit of the first byte.
	if len(bits) != MinStatusListBits/8 || bits[0] != 0x80 || bits[1] != 0x40 {
		t.Fatalf("len %d, first bytes %08b %08b", len(bits), bits[0], bits[1])
	}
	if !bitSet(bits, 9) || bitSet(bits, 8) {
		t.Fatal("bitSet disagrees with the layout")
	}
}

func TestIRIsNeedNoEscaping(t *testing.T) {
	if !absIRI.MatchString("https://kynangso.example/c/KNS-1?x=1#y") || !absIRI.MatchString("did:key:z6Mk") {
		t.Fatal("ordinary IRIs rejected")
	}
	for _, s := range []string{"https://a.example/x y", "https://a.example/<x>", "https://a.example/a\\b", "relative/path"} {
		if absIRI.MatchString(s) || isAbsURL(s) {
			t.Errorf("%q accepted", s)
		}
	}
}
