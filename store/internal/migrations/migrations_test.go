package migrations

import (
	"testing"
	"testing/fstest"
)

func TestLoad(t *testing.T) {
	file := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	ms, err := Load(fstest.MapFS{
		"m/0002_events.sql": file("CREATE TABLE b;"),
		"m/0001_init.sql":   file("CREATE TABLE a;"),
		"m/README":          file("not a step"),
	}, "m")
	if err != nil || len(ms) != 2 || ms[0] != (Migration{1, "init", "CREATE TABLE a;"}) || ms[1] != (Migration{2, "events", "CREATE TABLE b;"}) {
		t.Fatalf("Load = %+v, %v", ms, err)
	}
	for name, fsys := range map[string]fstest.MapFS{
		"a gap":         {"m/0001_a.sql": file(""), "m/0003_c.sql": file("")},
		"a bad name":    {"m/one_a.sql": file("")},
		"version zero":  {"m/0000_a.sql": file("")},
		"a duplicate":   {"m/0001_a.sql": file(""), "m/01_b.sql": file("")},
		"no such place": {},
	} {
		if ms, err := Load(fsys, "m"); err == nil {
			t.Errorf("%s: Load = %+v, want an error", name, ms)
		}
	}
}
