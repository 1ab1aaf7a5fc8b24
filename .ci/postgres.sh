#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster for the store/postgres tests and
# prints, on stdout and nothing else, the line that points the tests at it:
#
#   eval "$(bash .ci/postgres.sh)"      # start (idempotent) and export
#   bash .ci/postgres.sh stop           # stop the cluster, delete its files
#
# Debian bookworm, as root: installs Debian's postgresql package when no
# initdb/pg_ctl is found, creates a cluster in a temp dir as the `postgres`
# OS user (trust auth, listening on 127.0.0.1 only) and starts it. If the
# cluster is already up it is reused. Progress goes to stderr.
#
# Environment: HATRACK_PG_PORT (default 55432), HATRACK_PG_DIR (default
# ${TMPDIR:-/tmp}/hatrack-pg-$PORT).
set -euo pipefail

PORT="${HATRACK_PG_PORT:-55432}"
BASE="${HATRACK_PG_DIR:-${TMPDIR:-/tmp}/hatrack-pg-$PORT}"
DATA="$BASE/data"
LOG="$BASE/postgres.log"
DSN="postgres://postgres@127.0.0.1:$PORT/postgres?sslmode=disable"

log() { echo "postgres.sh: $*" >&2; }
die() { log "$*"; exit 1; }

bindir() {
	local d
	d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
	if [[ -n "$d" && -x "$d/initdb" && -x "$d/pg_ctl" ]]; then
		echo "$d"
		return
	fi
	# Not Debian's layout: initdb and pg_ctl on PATH.
	if command -v initdb >/dev/null && command -v pg_ctl >/dev/null; then
		dirname "$(readlink -f "$(command -v initdb)")"
	fi
}

# as_pg runs a command as the postgres OS user when we are root (initdb and
# postgres refuse to run as root), as ourselves otherwise.
as_pg() {
	if [[ $EUID -eq 0 ]]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

BIN=$(bindir)
if [[ -z "$BIN" ]]; then
	[[ $EUID -eq 0 ]] || die "PostgreSQL is not installed and we are not root to install it"
	log "installing PostgreSQL from Debian's packages"
	export DEBIAN_FRONTEND=noninteractive
	apt-get -o DPkg::Lock::Timeout=300 update >&2
	apt-get -o DPkg::Lock::Timeout=300 install -y postgresql >&2
	BIN=$(bindir)
	[[ -n "$BIN" ]] || die "initdb/pg_ctl still not found after installing postgresql"
fi
if [[ $EUID -eq 0 ]] && ! id postgres >/dev/null 2>&1; then
	useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
fi

if [[ "${1:-}" == "stop" ]]; then
	if [[ -f "$DATA/postmaster.pid" ]]; then
		as_pg "$BIN/pg_ctl" -D "$DATA" -m fast -w stop >&2 || true
	fi
	rm -rf "$BASE"
	log "stopped"
	exit 0
fi

ready() { "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" -U postgres -d postgres; }

if ready; then
	log "already running on 127.0.0.1:$PORT"
	echo "export HATRACK_TEST_POSTGRES='$DSN'"
	exit 0
fi

mkdir -p "$BASE"
if [[ $EUID -eq 0 ]]; then
	chown postgres: "$BASE"
fi
chmod 700 "$BASE"

if [[ ! -s "$DATA/PG_VERSION" ]]; then
	rm -rf "$DATA"
	log "initdb in $DATA ($("$BIN/initdb" --version))"
	as_pg "$BIN/initdb" -D "$DATA" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >&2
fi

# A stale pid file from a killed server would stop pg_ctl; pg_ctl itself
# detects whether that pid is still a postmaster.
as_pg "$BIN/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 start \
	-o "-c listen_addresses=127.0.0.1 -p $PORT -k $BASE -c max_connections=300 -c fsync=off -c full_page_writes=off" >&2 ||
	{ tail -n 30 "$LOG" >&2 || true; die "pg_ctl start failed"; }

for _ in $(seq 1 60); do
	ready && break
	sleep 1
done
ready || { tail -n 30 "$LOG" >&2 || true; die "server not ready on 127.0.0.1:$PORT"; }
log "running on 127.0.0.1:$PORT (data $DATA, log $LOG)"
echo "export HATRACK_TEST_POSTGRES='$DSN'"
