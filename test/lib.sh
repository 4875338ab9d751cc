# test/lib.sh: shared by demo.sh, test/run_all.sh and bench/: set-up on a
# fresh Debian 12 machine and throwaway PostgreSQL clusters.
#
# Source it from bash with "set -euo pipefail".  Servers run as the
# "postgres" OS user when we are root (initdb and postgres refuse to run as
# root), as the current user otherwise.

TG_PG_MAJOR=${TG_PG_MAJOR:-15}
TG_BINDIR=${TG_BINDIR:-/usr/lib/postgresql/$TG_PG_MAJOR/bin}
PG_CONFIG=${PG_CONFIG:-$TG_BINDIR/pg_config}
TG_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# Debian packages every script needs.
TG_PACKAGES=(make gcc
	"postgresql-$TG_PG_MAJOR" "postgresql-server-dev-$TG_PG_MAJOR"
	"postgresql-$TG_PG_MAJOR-pgtap" libtap-parser-sourcehandler-pgtap-perl
	pgbouncer libipc-run-perl libdbd-pg-perl)

tg_log() { printf '== %s\n' "$*" >&2; }

tg_die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Run a command with root privileges (directly, or through sudo).
tg_as_root() {
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	elif command -v sudo >/dev/null; then
		sudo "$@"
	else
		tg_die "need root (or sudo) to run: $*"
	fi
}

# Run a command as the user that owns throwaway clusters (from /, which
# that user can always enter, unlike root's working directory).
tg_as_cluster_user() {
	if [ "$(id -u)" -eq 0 ]; then
		(cd / && runuser -u postgres -- "$@")
	else
		"$@"
	fi
}

# Install whatever of the given Debian packages is missing.
tg_install_packages() {
	local missing=() pkg
	for pkg in "$@"; do
		dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null |
			grep -q 'install ok installed' || missing+=("$pkg")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	tg_log "installing ${missing[*]}"
	tg_as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
	tg_as_root env DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Build tenant_guard and install it into the server's directories.
tg_build_and_install() {
	tg_log "building tenant_guard against $("$PG_CONFIG" --version)"
	make -s -C "$TG_ROOT" PG_CONFIG="$PG_CONFIG" >/dev/null
	tg_as_root make -s -C "$TG_ROOT" PG_CONFIG="$PG_CONFIG" install >/dev/null
}

# A temporary directory the cluster user can write; removed by tg_cleanup.
tg_make_workdir() {
	TG_WORKDIR=$(mktemp -d "${TMPDIR:-/tmp}/tenant_guard.XXXXXX")
	chmod 755 "$TG_WORKDIR"
	if [ "$(id -u)" -eq 0 ]; then
		chown postgres: "$TG_WORKDIR"
	fi
}

TG_CLUSTERS=()

# tg_start_cluster DIR [extra postgresql.conf lines...]: a throwaway cluster
# in DIR/data, listening only on a unix socket in DIR, with tenant_guard
# preloaded.  Sets TG_PGHOST and TG_PGPORT.
tg_start_cluster() {
	local dir=$1; shift
	tg_as_cluster_user mkdir -p "$dir"
	tg_as_cluster_user "$TG_BINDIR/initdb" -D "$dir/data" -A trust -U postgres \
		--no-sync >/dev/null
	TG_PGHOST=$dir
	TG_PGPORT=${TG_PGPORT:-$(( 20000 + RANDOM % 20000 ))}
	{
		echo "shared_preload_libraries = 'tenant_guard'"
		echo "listen_addresses = ''"
		echo "unix_socket_directories = '$dir'"
		echo "port = $TG_PGPORT"
		echo "fsync = off"
		local line
		for line in "$@"; do echo "$line"; done
	} | tg_as_cluster_user tee -a "$dir/data/postgresql.conf" >/dev/null
	tg_as_cluster_user "$TG_BINDIR/pg_ctl" -D "$dir/data" -l "$dir/server.log" \
		-w start >/dev/null || { cat "$dir/server.log" >&2; return 1; }
	TG_CLUSTERS+=("$dir")
}

tg_stop_clusters() {
	local dir
	for dir in "${TG_CLUSTERS[@]}"; do
		tg_as_cluster_user "$TG_BINDIR/pg_ctl" -D "$dir/data" -m fast -w stop \
			>/dev/null 2>&1 || true
	done
	TG_CLUSTERS=()
}

# Stop every cluster started here and remove the work directory.
tg_cleanup() {
	tg_stop_clusters
	if [ -n "${TG_WORKDIR:-}" ] && [ -d "$TG_WORKDIR" ]; then
		rm -rf "$TG_WORKDIR"
	fi
}

# tg_run_pgtap SRCDIR: the pgTAP suite (SRCDIR/test/pgtap/*.sql) on the
# cluster started last, in a new database with pgtap and tenant_guard;
# fails if pg_prove does.
tg_run_pgtap() {
	tg_psql -d postgres -c "CREATE DATABASE tenant_guard_tap"
	tg_psql -d tenant_guard_tap -c "CREATE EXTENSION pgtap" \
		-c "CREATE EXTENSION tenant_guard"
	tg_as_cluster_user pg_prove -h "$TG_PGHOST" -p "$TG_PGPORT" -U postgres \
		-d tenant_guard_tap "$1"/test/pgtap/*.sql
}

# What the postmaster logs when a server process crashes: a process killed
# by a signal (or, on Windows, an exception) or exiting with a code other
# than 0 or 1, the restart that follows, and any PANIC.  test/t/007_faults.pl
# checks the same pattern against real crashes and immediate shutdowns.
TG_CRASH_PATTERN='terminated by (signal|exception)|exited with exit code ([2-9]|[0-9]{2,})|PANIC:  |terminating any other active server processes'

# psql on the cluster started last, as the cluster user.
tg_psql() {
	tg_as_cluster_user "$TG_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 \
		-h "$TG_PGHOST" -p "$TG_PGPORT" -U postgres "$@"
}
