package platform

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"

	"kynangso/app/config"
	"kynangso/app/store"
	"kynangso/app/store/mongodb"
)

const usage = `commands:
  setup-link       print the one-time link that creates the first admin
  rotate-key       make a new credential signing key (old ones keep verifying)
  export FILE      write every record as JSON Lines (FILE "-" for standard output)
  import FILE      load an export into an empty store (embedded, or KNS_MONGODB_URI)
  backup FILE      consistent copy of the embedded database, also while the server runs
  copy-to URI      copy the embedded store into an empty MongoDB database
  restore FILE     put a backup of the embedded database into an empty data folder
  demo             fill an empty embedded store with a fictional dataset in Hải Phòng, and print sign-ins
  healthcheck      ask the server on KNS_ADDR for /healthz (a container's health check)`

// command runs one of the program's commands.
func command(ctx context.Context, cfg *config.Config, log *slog.Logger, args []string) error {
	want := func(n int) error {
		if len(args) != n+1 {
			return fmt.Errorf("%s wants %d argument(s)\n%s", args[0], n, usage)
		}
		return nil
	}
	switch args[0] {
	case "setup-link", "rotate-key":
		if err := want(0); err != nil {
			return err
		}
		p, err := start(ctx, cfg, log, false)
		if err != nil {
			return err
		}
		defer p.Close()
		if args[0] == "setup-link" {
			return printSetupLink(ctx, p, true)
		}
		// Credentials signed before keep verifying: old keys stay in the
		// keyring and their status lists stay served.
		if err := p.Keys.Rotate(ctx); err != nil {
			return err
		}
		fmt.Println("New signing key / Khóa ký mới:", p.Keys.IssuerDID())
		fmt.Println("Running servers sign with it within a minute.")
		return nil
	case "export":
		if err := want(1); err != nil {
			return err
		}
		st, unlock, err := openStore(ctx, cfg, log, false)
		if err != nil {
			return err
		}
		defer closeStore(st, unlock)
		return exportTo(ctx, st, args[1])
	case "import":
		if err := want(1); err != nil {
			return err
		}
		st, unlock, err := openStore(ctx, cfg, log, true)
		if err != nil {
			return err
		}
		defer closeStore(st, unlock)
		f, err := os.Open(args[1])
		if err != nil {
			return err
		}
		defer f.Close()
		return importInto(ctx, st, f)
	case "backup":
		if err := want(1); err != nil {
			return err
		}
		if cfg.MongoURI != "" {
			return errors.New("backup copies the embedded database; for MongoDB use mongodump, or export")
		}
		st, unlock, err := openStore(ctx, cfg, log, false)
		if err != nil {
			return err
		}
		defer closeStore(st, unlock)
		b, ok := st.(interface {
			Backup(ctx context.Context, dest string) error
		})
		if !ok {
			return errors.New("this store cannot back itself up")
		}
		if err := b.Backup(ctx, args[1]); err != nil {
			return err
		}
		fmt.Println("Backed up to", args[1])
		return nil
	case "demo":
		if err := want(0); err != nil {
			return err
		}
		return runDemo(ctx, cfg, log)
	case "healthcheck":
		return healthcheck(cfg)
	case "restore":
		if err := want(1); err != nil {
			return err
		}
		return restore(ctx, cfg, log, args[1])
	case "copy-to":
		if err := want(1); err != nil {
			return err
		}
		if cfg.MongoURI != "" {
			return errors.New("copy-to copies the embedded store: unset KNS_MONGODB_URI and give the target as the argument")
		}
		src, unlock, err := openStore(ctx, cfg, log, false)
		if err != nil {
			return err
		}
		defer closeStore(src, unlock)
		dst, err := mongodb.Open(ctx, args[1], cfg.Database)
		if err != nil {
			return err
		}
		defer dst.Close(ctx)
		// Through the export format, so copy-to moves exactly what export
		// and import would.
		pr, pw := io.Pipe()
		go func() {
			_, err := store.Export(ctx, src, pw)
			pw.CloseWithError(err)
		}()
		if err := importInto(ctx, dst, pr); err != nil {
			return err
		}
		fmt.Println("Copied. Start the platform with KNS_MONGODB_URI set to that deployment, and the same KNS_SECRET_KEY on every instance:")
		fmt.Println("the signing keys moved with the data and are sealed with", "the secret in", cfg.DataDir+"/"+secretFile, "unless KNS_SECRET_KEY was set.")
		return nil
	}
	return fmt.Errorf("unknown command %q\n%s", args[0], usage)
}

func closeStore(st store.Store, unlock func()) {
	_ = st.Close(context.Background())
	if unlock != nil {
		unlock()
	}
}

func exportTo(ctx context.Context, st store.Store, name string) error {
	var w io.Writer = os.Stdout
	if name != "-" {
		// The export holds phone numbers and password hashes: private.
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	counts, err := store.Export(ctx, st, w)
	if err != nil {
		return err
	}
	printCounts(os.Stderr, counts)
	return nil
}

func importInto(ctx context.Context, st store.Store, r io.Reader) error {
	if empty, err := isEmpty(ctx, st); err != nil {
		return err
	} else if !empty {
		return errors.New("the target store already holds records: import loads into an empty store only")
	}
	counts, err := store.Import(ctx, st, r)
	printCounts(os.Stderr, counts)
	return err
}

func printCounts(w io.Writer, counts map[string]int) {
	kinds := make([]string, 0, len(counts))
	for k := range counts {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		fmt.Fprintf(w, "%-14s %d\n", k, counts[k])
	}
}
