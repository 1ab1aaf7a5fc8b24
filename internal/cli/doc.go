// Package cli is the hatrack command line: one file per noun (serve,
// policy, …). Each subcommand parses its flags, with HATRACK_* environment
// variables as defaults, and calls into the packages that do the work.
package cli
