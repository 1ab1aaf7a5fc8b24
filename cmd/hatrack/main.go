// Command hatrack is an identity and access service that speaks AWS IAM and
// STS on the wire. See README.md.
package main

import (
	"os"

	"github.com/hatrack/hatrack/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr))
}
