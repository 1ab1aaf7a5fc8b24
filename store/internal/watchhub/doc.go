// Package watchhub fans a store's commit notifications out to the
// channels its Watch method hands out, and polls for commits made by
// other processes while anyone watches (the SQLite and PostgreSQL
// backends share it). Each channel has a buffer of one and sends never
// block, so signals coalesce.
package watchhub
