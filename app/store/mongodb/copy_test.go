package store_test

import (
	"context"
	"testing"
	"time"

	"kynangso/app/store"
	"kynangso/app/testrig"
)

func TestMain(m *testing.M) { testrig.Main(m) }

func TestCopyToAnotherDeployment(t *testing.T) {
	rig := testrig.Start(t)
	c := rig.Register(t, "Đoàn Văn Hậu", "0912000111", nil)
	c.Post("/courses/vneid/lessons/"+rig.P.Courses.Get("vneid").Lessons[0].ID, nil)
	ctx := context.Background()
	dst, err := store.Open(ctx, testrig.URI(t), "kns_copy_target_"+time.Now().Format("150405"))
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Drop(ctx)
	for range 2 { // twice: a re-run must not duplicate anything
		if _, err := rig.P.Store.CopyTo(ctx, dst); err != nil {
			t.Fatal(err)
		}
	}
	u, err := dst.UserByPhone(ctx, "0912000111")
	if err != nil || u.Name != "Đoàn Văn Hậu" {
		t.Fatalf("user not copied: %v %v", u, err)
	}
	p, err := dst.ProgressOf(ctx, u.ID)
	if err != nil || len(p["vneid"].Lessons) != 1 {
		t.Fatalf("progress not copied: %v %v", p, err)
	}
	// The unique phone index came along.
	if err := dst.CreateUser(ctx, &store.User{ID: store.NewID(), Phone: "0912000111"}); err != store.ErrDuplicate {
		t.Fatalf("want a duplicate phone refused in the copy, got %v", err)
	}
}
