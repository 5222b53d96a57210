// Command app runs Kỹ Năng Số. With no MongoDB URI configured it starts
// the embedded database under the data folder. See the README for the
// settings.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"kynangso/app/platform"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := platform.Run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "kynangso:", err)
		os.Exit(1)
	}
}
