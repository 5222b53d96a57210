package platform

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"text/tabwriter"
	"time"

	"kynangso/app/config"
	"kynangso/app/demo"
	"kynangso/app/locality"
	"kynangso/courses"
)

// runDemo fills an empty store with the demo dataset and prints who to
// sign in as.
func runDemo(ctx context.Context, cfg *config.Config, log *slog.Logger) error {
	st, unlock, err := openStore(ctx, cfg, log, false)
	if err != nil {
		return err
	}
	defer closeStore(st, unlock)
	places, err := locality.Load()
	if err != nil {
		return err
	}
	cat, err := courses.Builtin()
	if err != nil {
		return err
	}
	res, err := demo.Fill(ctx, st, places, cat, time.Now(), 2026)
	if err != nil {
		return err
	}
	fmt.Printf("Đã tạo dữ liệu thử nghiệm / Demo data made: %d người học, %d tổ, %d hộ, %d chứng nhận ở Hải Phòng.\n",
		res.Residents, res.Teams, res.Households, res.Certificates)
	fmt.Println("Mọi người và số điện thoại đều là giả / Every person and phone number is made up.")
	fmt.Println()
	roles := map[string]string{
		"admin":    "Quản trị nền tảng / Platform admin",
		"province": "Cán bộ tỉnh / Province official",
		"commune":  "Cán bộ xã / Commune official",
		"leader":   "Tổ trưởng / Team leader",
		"learner":  "Người học / Learner",
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "Vai trò / Role\tĐịa bàn / Area\tSố điện thoại / Phone\tMật khẩu / Password")
	for _, a := range res.Accounts {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", roles[a.Role], a.Where, a.Phone, a.Password)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	fmt.Println()
	fmt.Println("Chạy / Run: go run ./app   rồi mở / then open", cfg.BaseURL+"/login")
	return nil
}
