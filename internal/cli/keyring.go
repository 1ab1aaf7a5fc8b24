package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/hatrack/hatrack/internal/keyring"
)

const keyringUsage = `usage: hatrack keyring COMMAND [flags]

commands:
  show-env   print the keyring as a HATRACK_KEYRING value (creates the key
             file with one new key if it does not exist yet), for starting
             several nodes with the same keys:
               export HATRACK_KEYRING="$(hatrack keyring show-env --keyring FILE)"
  rotate     add a new key and make it primary; old keys stay for opening.
             With a key file (--keyring FILE or --data DIR) the file is
             rewritten in place. With HATRACK_KEYRING set (and no --keyring)
             the new value is printed; set it on every node.
               --stage           add the new key second, not primary (step 1
                                 of a rolling rotation across nodes)
               --promote KEYID   make a staged key primary (step 2)

The output holds key material: never paste it into logs or tickets.
`

// runKeyring is "hatrack keyring": operators' tools for the keys kept
// apart from the database.
func runKeyring(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stderr, keyringUsage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	fs := newFlags("keyring "+args[0], stderr)
	data := fs.String("data", env("HATRACK_DATA", defaultDataDir()), "data directory holding keyring.json (HATRACK_DATA)")
	file := fs.String("keyring", env("HATRACK_KEYRING_FILE", ""), "key file (HATRACK_KEYRING_FILE); default: DATA/keyring.json")
	var stage bool
	var promote string
	if args[0] == "rotate" {
		fs.BoolVar(&stage, "stage", false, "add the new key as a secondary key (HATRACK_KEYRING only)")
		fs.StringVar(&promote, "promote", "", "make the staged key KEYID primary (HATRACK_KEYRING only)")
	}
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "hatrack keyring %s: unexpected argument %q\n", args[0], fs.Arg(0))
		return 2
	}
	path := *file
	if path == "" {
		path = filepath.Join(*data, "keyring.json")
	}
	envValue := os.Getenv("HATRACK_KEYRING")
	useEnv := envValue != "" && !flagSet(fs, "keyring") && !flagSet(fs, "data")

	switch args[0] {
	case "show-env":
		var kr *keyring.Keyring
		var err error
		if useEnv {
			kr, err = keyring.FromEnv(envValue)
		} else {
			_, statErr := os.Stat(path)
			kr, err = keyring.LoadOrCreate(path)
			if err == nil && statErr != nil {
				fmt.Fprintf(stderr, "hatrack keyring: created %s with one new key\n", path)
			}
		}
		if err != nil {
			fmt.Fprintln(stderr, "hatrack keyring show-env:", err)
			return 1
		}
		fmt.Fprintln(stdout, kr.EnvValue())
		return 0
	case "rotate":
		if stage && promote != "" {
			fmt.Fprintln(stderr, "hatrack keyring rotate: --stage and --promote exclude each other")
			return 2
		}
		if useEnv {
			kr, err := keyring.FromEnv(envValue)
			if err != nil {
				fmt.Fprintln(stderr, "hatrack keyring rotate: HATRACK_KEYRING:", err)
				return 1
			}
			keys := kr.Keys()
			switch {
			case promote != "":
				i := slices.IndexFunc(keys, func(k keyring.Key) bool { return k.ID == promote })
				if i < 0 {
					fmt.Fprintf(stderr, "hatrack keyring rotate: no key %q in HATRACK_KEYRING (keys: %v)\n", promote, kr.IDs())
					return 1
				}
				k := keys[i]
				keys = append([]keyring.Key{k}, slices.Delete(keys, i, i+1)...)
			case stage:
				keys = slices.Insert(keys, 1, keyring.NewKey())
			default:
				keys = append([]keyring.Key{keyring.NewKey()}, keys...)
			}
			nk, err := keyring.New(keys...)
			if err != nil {
				fmt.Fprintln(stderr, "hatrack keyring rotate:", err)
				return 1
			}
			fmt.Fprintln(stdout, nk.EnvValue())
			fmt.Fprintf(stderr, "hatrack keyring: new HATRACK_KEYRING printed (primary %s, keys %v); set it on every node and restart them one at a time\n", nk.PrimaryID(), nk.IDs())
			return 0
		}
		if stage || promote != "" {
			fmt.Fprintln(stderr, "hatrack keyring rotate: --stage and --promote apply to HATRACK_KEYRING; a key file serves one node, rotate it in place")
			return 2
		}
		kr, err := keyring.Rotate(path)
		if err != nil {
			fmt.Fprintln(stderr, "hatrack keyring rotate:", err)
			return 1
		}
		fmt.Fprintf(stdout, "rotated %s: new primary key %s (keys %v); restart the server to use it\n", path, kr.PrimaryID(), kr.IDs())
		return 0
	}
	fmt.Fprintf(stderr, "hatrack keyring: unknown command %q\n\n%s", args[0], keyringUsage)
	return 2
}
