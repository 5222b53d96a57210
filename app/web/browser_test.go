package web_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"kynangso/app/testrig"
	"kynangso/app/testtools"
)

// browser starts headless chromium at a phone's size (390×844).
func browser(t *testing.T) context.Context {
	t.Helper()
	return browserWith(t, t.TempDir())
}

// browserWith starts chromium on the profile in dir: a browser started
// again on the same dir is the same phone reopened, with its storage, its
// cookies and its service worker.
func browserWith(t *testing.T, dir string) context.Context {
	t.Helper()
	path := testtools.Need(t, "chromium", "apt-get install chromium")
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(dir),
		chromedp.WindowSize(390, 844),
	)
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(actx)
	t.Cleanup(cancel2)
	// Bounded, with room for every lesson of every course at two text
	// sizes in two languages on a slow machine.
	ctx, cancel3 := context.WithTimeout(ctx, 10*time.Minute)
	t.Cleanup(cancel3)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2))); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// newTab opens another tab in ctx's browser, at a phone's size.
func newTab(t *testing.T, ctx context.Context) (context.Context, context.CancelFunc) {
	t.Helper()
	tab, cancel := chromedp.NewContext(ctx)
	t.Cleanup(cancel)
	if err := chromedp.Do(tab, chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2))); err != nil {
		t.Fatalf("open a tab: %v", err)
	}
	return tab, cancel
}

// shot saves a screenshot when KNS_SCREENSHOTS names a folder, for people
// to look at; the test asserts on the page's text, not on pixels.
func shot(name string) chromedp.Action[chromedp.Void] {
	return saveShot(name+".jpg", chromedp.FullScreenshot(80))
}

// screenShot is shot of what the phone's screen shows, where the page is
// scrolled to.
func screenShot(name string) chromedp.Action[chromedp.Void] {
	return saveShot(name+".png", chromedp.CaptureScreenshot())
}

func saveShot(name string, take chromedp.Action[[]byte]) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		dir := os.Getenv("KNS_SCREENSHOTS")
		if dir == "" {
			return nil
		}
		buf, err := take(ctx, t)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, name), buf, 0o644)
	})
}

// into runs an action that gives a value and keeps the value.
func into[T any](a chromedp.Action[T], dst *T) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		v, err := a(ctx, t)
		*dst = v
		return chromedp.Void{}, err
	}
}

// TestBrowserJourney walks a resident's whole journey on a phone-sized
// screen: sign up, read a lesson, pass the quiz, open the certificate,
// read its QR code with zbarimg, and follow it to the verification page.
func TestBrowserJourney(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	zbar := testtools.Need(t, "zbarimg", "apt-get install zbar-tools")
	ctx := browser(t)
	rig := testrig.Start(t)
	const course = "lam-quen-dien-thoai"
	co := rig.P.Courses.Get(course)
	var text string

	err := chromedp.Do(ctx,
		chromedp.Navigate(rig.URL+"/register?lang=vi"),
		shot("01-register"),
		chromedp.SendKeys(chromedp.CSS("#name"), "Nguyễn Thị Minh Khai"),
		chromedp.SendKeys(chromedp.CSS("#phone"), "0912 345 678"),
		chromedp.SetValue(chromedp.CSS("#province"), "1"),
		chromedp.SendKeys(chromedp.CSS("#commune"), "ba dinh"),
		chromedp.SendKeys(chromedp.CSS("#password"), "mat-khau-123"),
		chromedp.Click(chromedp.CSS(`input[name=consent]`)),
		chromedp.Click(chromedp.CSS(`form.form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`.notice`)),
		shot("02-home"),
		into(chromedp.Text(chromedp.CSS("main")), &text),
	)
	if err != nil {
		t.Fatalf("sign up: %v", err)
	}
	if !strings.Contains(text, "Chào mừng Nguyễn Thị Minh Khai") {
		t.Fatalf("after sign-up the page reads: %.300s", text)
	}

	err = chromedp.Do(ctx,
		chromedp.Navigate(rig.URL+"/courses/"+course),
		shot("03-course"),
		chromedp.Click(chromedp.CSS(`ol.lessons a`)),
		chromedp.WaitVisible(chromedp.CSS(`article.lesson img`)),
		shot("04-lesson"),
		chromedp.Click(chromedp.CSS(`main form button[type=submit]`)),
		// On to the second lesson, whose pager links back to the first.
		chromedp.WaitVisible(chromedp.CSS(`.pager a[href$="/lessons/`+co.Lessons[0].ID+`"]`)),
		chromedp.Navigate(rig.URL+"/courses/"+course),
		into(chromedp.Text(chromedp.CSS("main")), &text),
	)
	if err != nil {
		t.Fatalf("read a lesson: %v", err)
	}
	if !strings.Contains(text, fmt.Sprintf("Đã học 1/%d bài", len(co.Lessons))) {
		t.Fatalf("the course page does not count the lesson read: %.400s", text)
	}

	var quizURL string
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`a[href$="/quiz"]`)),
		chromedp.WaitVisible(chromedp.CSS(`form.quiz`)),
		into(chromedp.Location(), &quizURL),
		shot("05-quiz"),
	)
	if err != nil {
		t.Fatalf("open the quiz: %v", err)
	}
	a, err := rig.P.Store.AttemptByAnyUser(context.Background(), quizURL[strings.LastIndex(quizURL, "/")+1:])
	if err != nil {
		t.Fatal(err)
	}
	answer := rightAnswers(co, a)
	answer = append(answer,
		chromedp.Click(chromedp.CSS(`form.quiz > button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`.result`)),
		shot("06-result"),
		into(chromedp.Text(chromedp.CSS(".result")), &text),
	)
	if err := chromedp.Do(ctx, answer...); err != nil {
		t.Fatalf("answer the quiz: %v", err)
	}
	if !strings.Contains(text, "Chúc mừng, bạn đã đạt!") {
		t.Fatalf("result reads: %s", text)
	}

	var qr []byte
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`a[href^="/certificates/"]`)),
		chromedp.WaitVisible(chromedp.CSS(`img.qr`)),
		shot("07-certificate"),
		// The holder chooses to show her full name to employers.
		chromedp.Click(chromedp.CSS(`input[name=show_full_name][value=yes]`)),
		chromedp.Click(chromedp.CSS(`form[action$="/privacy"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`p.ok-box`)),
		chromedp.WaitVisible(chromedp.CSS(`img.qr`)),
		into(chromedp.Screenshot(chromedp.CSS(`img.qr`)), &qr),
	)
	if err != nil {
		t.Fatalf("open the certificate: %v", err)
	}
	png := filepath.Join(t.TempDir(), "qr.png")
	if err := os.WriteFile(png, qr, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(zbar, "--raw", "-q", png).Output()
	if err != nil {
		t.Fatalf("zbarimg could not read the QR code on the certificate page: %v", err)
	}
	verify := strings.TrimSpace(string(out))
	if !strings.HasPrefix(verify, rig.URL+"/v/") {
		t.Fatalf("the QR code holds %q", verify)
	}

	employer := browser(t)
	err = chromedp.Do(employer,
		chromedp.Navigate(verify+"?lang=vi"),
		chromedp.WaitVisible(chromedp.CSS(`.result`)),
		shot("08-verify"),
		into(chromedp.Text(chromedp.CSS("main")), &text),
	)
	if err != nil {
		t.Fatalf("open the verification page: %v", err)
	}
	for _, want := range []string{"Chứng nhận thật, còn hiệu lực", "Nguyễn Thị Minh Khai", "Làm quen điện thoại thông minh"} {
		if !strings.Contains(text, want) {
			t.Errorf("verification page lacks %q: %.500s", want, text)
		}
	}
}
