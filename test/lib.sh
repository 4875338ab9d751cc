# test/lib.sh: shared by demo.sh, test/run_all.sh and bench/: set-up on a
# fresh Debian machine (12, 13 or unstable) and throwaway PostgreSQL
# clusters.
#
# Source it from bash with "set -euo pipefail".  Servers run as the
# "postgres" OS user when we are root (initdb and postgres refuse to run as
# root), as the current user otherwise.
#
# Which PostgreSQL: the one PG_CONFIG names, else the one in TG_BINDIR,
# else major TG_PG_MAJOR from /usr/lib/postgresql/NN, else the
# distribution's own major (tg_default_pg_major).

TG_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# The major version of the PostgreSQL Debian installs by default here: what
# the "postgresql" metapackage depends on (15 on Debian 12, 17 on 13, 18 on
# unstable today).  Without package lists (a fresh container), the
# release's number from /etc/os-release, and failing that the lists after
# an apt-get update.
tg_default_pg_major() {
	local major
	major=$(apt-cache depends postgresql 2>/dev/null |
		sed -n 's/^ *Depends: postgresql-\([0-9][0-9]*\)$/\1/p' | head -n 1)
	if [ -z "$major" ] && [ -r /etc/os-release ]; then
		case "$(. /etc/os-release; echo "${VERSION_ID:-}")" in
			12) major=15 ;;
			13) major=17 ;;
		esac
	fi
	if [ -z "$major" ]; then
		tg_as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
		major=$(apt-cache depends postgresql 2>/dev/null |
			sed -n 's/^ *Depends: postgresql-\([0-9][0-9]*\)$/\1/p' | head -n 1)
	fi
	[ -n "$major" ] ||
		tg_die "cannot tell this distribution's PostgreSQL version: set TG_PG_MAJOR or PG_CONFIG"
	echo "$major"
}

# The major version of an installed pg_config.
tg_pg_config_major() {
	"$1" --version | sed -n 's/^PostgreSQL \([0-9][0-9]*\).*/\1/p'
}

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

# A pg_config that is not installed yet may be a Debian package's
# (/usr/lib/postgresql/NN/bin/pg_config), which tg_install_packages installs.
if [ -z "${PG_CONFIG:-}" ] && [ -n "${TG_BINDIR:-}" ]; then
	PG_CONFIG=$TG_BINDIR/pg_config
fi
if [ -n "${PG_CONFIG:-}" ]; then
	if [ -x "$PG_CONFIG" ]; then
		TG_PG_MAJOR=$(tg_pg_config_major "$PG_CONFIG")
	else
		TG_PG_MAJOR=$(echo "$PG_CONFIG" |
			sed -n 's|^/usr/lib/postgresql/\([0-9][0-9]*\)/bin/pg_config$|\1|p')
		[ -n "$TG_PG_MAJOR" ] ||
			tg_die "PG_CONFIG=$PG_CONFIG is not an executable pg_config"
	fi
	TG_BINDIR=${TG_BINDIR:-$(dirname "$PG_CONFIG")}
else
	TG_PG_MAJOR=${TG_PG_MAJOR:-$(tg_default_pg_major)}
	TG_BINDIR=/usr/lib/postgresql/$TG_PG_MAJOR/bin
	PG_CONFIG=$TG_BINDIR/pg_config
fi
case "$TG_PG_MAJOR" in
	''|*[!0-9]*) tg_die "cannot tell the PostgreSQL major version (TG_PG_MAJOR='$TG_PG_MAJOR')" ;;
esac
export PG_CONFIG TG_BINDIR TG_PG_MAJOR

# Debian packages every script needs.
TG_PACKAGES=(make gcc libssl-dev
	"postgresql-$TG_PG_MAJOR" "postgresql-server-dev-$TG_PG_MAJOR"
	"postgresql-$TG_PG_MAJOR-pgtap" libtap-parser-sourcehandler-pgtap-perl
	pgbouncer libipc-run-perl libdbd-pg-perl python3-psycopg)

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

# The data directories of the servers started here (tg_start_server),
# which tg_stop_clusters stops.
TG_CLUSTERS=()

# The one way the scripts here (demo.sh, test/*.sh, test/clients/run.sh,
# bench/) make a throwaway cluster, in three steps each caller can put
# together with its own settings:
#
#   tg_initdb DATA [initdb options...]
#       initdb as the cluster user, trusting local connections, superuser
#       "postgres", no fsync; the options are added (encoding, locale);
#   tg_configure_server DATA SOCKDIR PORT [postgresql.conf lines...]
#       no TCP listener, the socket in SOCKDIR named after PORT, fsync off,
#       then the caller's lines (later lines win);
#   tg_start_server DATA LOGFILE [pg_ctl options...]
#       pg_ctl start, waiting; prints the log and fails if the server does
#       not come up; tg_stop_server and tg_stop_clusters stop it.
#
# tg_start_cluster puts the three together for the common case.
tg_initdb() {
	local data=$1; shift
	tg_as_cluster_user "$TG_BINDIR/initdb" -D "$data" -A trust -U postgres \
		--no-sync "$@"
}

tg_configure_server() {
	local data=$1 sockdir=$2 port=$3; shift 3
	{
		echo "listen_addresses = ''"
		echo "unix_socket_directories = '$sockdir'"
		echo "port = $port"
		echo "fsync = off"
		local line
		for line in "$@"; do echo "$line"; done
	} | tg_as_cluster_user tee -a "$data/postgresql.conf" >/dev/null
}

tg_start_server() {
	local data=$1 log=$2; shift 2
	tg_as_cluster_user "$TG_BINDIR/pg_ctl" -D "$data" -l "$log" -w "$@" \
		start >/dev/null || { cat "$log" >&2; return 1; }
	TG_CLUSTERS+=("$data")
}

# tg_stop_server DATA [MODE [pg_ctl options...]]: stop one server started
# with tg_start_server (fast shutdown by default); fails if pg_ctl does.
tg_stop_server() {
	local data=$1 mode=${2:-fast} d kept=()
	shift $(( $# < 2 ? $# : 2 ))
	tg_as_cluster_user "$TG_BINDIR/pg_ctl" -D "$data" -m "$mode" -w "$@" \
		stop >/dev/null
	for d in "${TG_CLUSTERS[@]}"; do
		[ "$d" = "$data" ] || kept+=("$d")
	done
	TG_CLUSTERS=("${kept[@]}")
}

# tg_start_cluster DIR [extra postgresql.conf lines...]: a throwaway cluster
# in DIR/data, listening only on a unix socket in DIR, with tenant_guard
# preloaded.  Sets TG_PGHOST and TG_PGPORT.
tg_start_cluster() {
	local dir=$1; shift
	tg_as_cluster_user mkdir -p "$dir"
	tg_initdb "$dir/data" >/dev/null
	TG_PGHOST=$dir
	TG_PGPORT=${TG_PGPORT:-$(( 20000 + RANDOM % 20000 ))}
	tg_configure_server "$dir/data" "$dir" "$TG_PGPORT" \
		"shared_preload_libraries = 'tenant_guard'" "$@"
	tg_start_server "$dir/data" "$dir/server.log"
}

# tg_stop_clusters [MODE]: stop every server started here (fast shutdown by
# default), ignoring failures.
tg_stop_clusters() {
	local data
	for data in "${TG_CLUSTERS[@]}"; do
		tg_as_cluster_user "$TG_BINDIR/pg_ctl" -D "$data" -m "${1:-fast}" -w stop \
			>/dev/null 2>&1 || true
	done
	TG_CLUSTERS=()
}

# Stop every cluster started here and remove the work directory.
tg_cleanup() {
	tg_stop_clusters fast
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
