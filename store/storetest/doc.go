// Package storetest is the conformance suite every store.Store backend
// runs (in the style of dex's storage/conformance): RunTests exercises the
// whole contract of package store — uniqueness rules, ordering and
// pagination, transaction atomicity and isolation, the change log, Watch,
// and behaviour under concurrency — against fresh stores produced by the
// backend's opener.
//
// It also holds the shared benchmark bodies (BenchGet, BenchUpdate) so the
// per-backend benchmarks measure the same work.
//
// The package is imported only by tests; it depends on nothing of Hatrack's
// except package store.
package storetest
