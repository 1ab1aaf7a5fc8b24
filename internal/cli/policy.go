package cli

import (
	"io"

	"github.com/hatrack/hatrack/internal/policycli"
)

func runPolicy(args []string, stdout, stderr io.Writer) int {
	return policycli.Run(args, stdout, stderr)
}
