package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/hatrack/hatrack/internal/setup"
)

func runExport(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("export", stderr)
	out := fs.String("o", "", "write to this file (default: standard output)")
	cf := addClientFlags(fs)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: hatrack export [-o setup.yaml] [--endpoint URL] [--profile NAME]\n\nWrites the server's organization and IAM state as a setup file (hatrack apply -f reads it).\n\nflags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	conn, err := cf.connect(ctx)
	if err != nil {
		fmt.Fprintln(stderr, "hatrack export:", err)
		return 1
	}
	st, err := setup.Read(ctx, conn, setup.ReadOptions{Organization: true, Management: true})
	if err != nil {
		fmt.Fprintln(stderr, "hatrack export: reading the server:", err)
		return 1
	}
	data, err := setup.Marshal(setup.Export(st, *cf.accessRole))
	if err != nil {
		fmt.Fprintln(stderr, "hatrack export:", err)
		return 1
	}
	if *out == "" {
		stdout.Write(data)
		return 0
	}
	if err := os.WriteFile(*out, data, 0o644); err != nil {
		fmt.Fprintln(stderr, "hatrack export:", err)
		return 1
	}
	return 0
}
