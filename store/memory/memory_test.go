package memory_test

import (
	"testing"

	"github.com/hatrack/hatrack/store"
	"github.com/hatrack/hatrack/store/memory"
	"github.com/hatrack/hatrack/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.RunTests(t, func(t *testing.T) store.Store {
		s := memory.New()
		t.Cleanup(func() { s.Close() })
		return s
	})
}

func BenchmarkGet(b *testing.B) { storetest.BenchGet(b, memory.New()) }

func BenchmarkUpdate(b *testing.B) { storetest.BenchUpdate(b, memory.New()) }
