// Package migrations reads a backend's embedded schema steps,
// migrations/NNNN_name.sql, in order (numbered 1..n without gaps). Each
// backend applies them its own way; this package only loads them.
package migrations
