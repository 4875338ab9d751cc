# shellcheck shell=bash
#
# bench/lib/common.sh - helpers shared by the benchmark scripts.
#
# Sourced (never run) by bench/run.sh and the bench/*.sh parts.  It knows
# how to:
#   - run PostgreSQL programs as the "postgres" OS user (initdb and postgres
#     refuse to run as root),
#   - create, start, restart and stop throwaway clusters that live in a
#     private temporary directory and listen only on a unix socket there
#     (no TCP port, so they cannot collide with anybody else's server),
#     with test/lib.sh's cluster functions, as the tests and demo.sh do,
#   - install the standard tenant policy on a table,
#   - run pgbench, alone or two side by side,
#   - do the small bits of arithmetic the reports need (medians, ratios).
#
# Every cluster started through pg_start (test/lib.sh's tg_start_server) is
# stopped by the EXIT trap that bench_init installs, also when a part fails half-way or is interrupted.

set -euo pipefail

BENCH_DIR=${BENCH_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
REPO_DIR=${REPO_DIR:-$(cd "$BENCH_DIR/.." && pwd)}
# Which PostgreSQL: PG_BIN, else the one TG_BINDIR or PG_CONFIG names (as
# for the tests, e.g. a private relocated copy), else Debian's 15.
if [[ -z ${PG_BIN:-} ]]; then
	if [[ -n ${TG_BINDIR:-} ]]; then
		PG_BIN=$TG_BINDIR
	elif [[ -n ${PG_CONFIG:-} ]]; then
		PG_BIN=$("$PG_CONFIG" --bindir)
	else
		PG_BIN=/usr/lib/postgresql/15/bin
	fi
fi
PG_CONFIG=${PG_CONFIG:-$PG_BIN/pg_config}
# The clusters are test/lib.sh's (tg_initdb, tg_configure_server,
# tg_start_server), run from PG_BIN.
# shellcheck disable=SC2034  # read by test/lib.sh
TG_BINDIR=$PG_BIN
# shellcheck source=../../test/lib.sh
source "$REPO_DIR/test/lib.sh"
# Port number only names the socket file inside our private socket
# directory; the servers never listen on TCP.
BENCH_PORT=${BENCH_PORT:-55433}
# Results of the current run (run.sh sets it; a part run alone uses this).
RESULTS_DIR=${RESULTS_DIR:-$BENCH_DIR/results/manual}
QUICK=${QUICK:-0}
KEEP_TMP=${KEEP_TMP:-0}
# Where the throwaway clusters live (the 10M-row one needs ~6 GB).  Each
# part makes its own directory there, named tenant_guard_bench_<part>.*
BENCH_TMPDIR=${BENCH_TMPDIR:-/var/tmp}

# ---------------------------------------------------------------- logging

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# Print a markdown fragment on stdout and append it to the part's report.
report() { tee -a "$REPORT_FILE"; }

# Record a target's outcome; run.sh puts these lines at the top of the
# results.  Arguments: target description, measured value, PASS or MISS.
record_target() {
	printf '| %s | %s | %s |\n' "$1" "$2" "$3" >>"$TARGETS_FILE"
}

# ------------------------------------------------------ running as postgres

# initdb and postgres refuse to run as root: run them as the postgres OS
# user when we are root, and as ourselves otherwise (the clusters
# themselves go through test/lib.sh's tg_as_cluster_user, the same rule).
as_pg() {
	if [[ $EUID -eq 0 ]]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

# ------------------------------------------------- temp dir and cleanup

# Create this part's private temporary directory and install the trap that
# stops our clusters and removes it.  Sets BENCH_TMP and SOCK_DIR.
bench_init() {
	local name=$1
	BENCH_TMP=$(mktemp -d "$BENCH_TMPDIR/tenant_guard_bench_${name}.XXXXXX")
	SOCK_DIR=$BENCH_TMP/sock
	mkdir -p "$SOCK_DIR" "$RESULTS_DIR"
	[[ $EUID -eq 0 ]] && chown -R postgres: "$BENCH_TMP"
	REPORT_FILE=$RESULTS_DIR/$name.md
	TARGETS_FILE=$RESULTS_DIR/$name.targets.md
	: >"$REPORT_FILE"
	: >"$TARGETS_FILE"
	trap bench_cleanup EXIT
	trap 'log "interrupted"; exit 130' INT TERM
	log "$name: working in $BENCH_TMP"
}

bench_cleanup() {
	local rc=$? p
	# Background jobs of ours still running (parallel callgrind runs,
	# pgbench side by side): stop them, and their children, by pid.
	for p in $(jobs -pr); do
		pkill -TERM -P "$p" 2>/dev/null || true
		kill -TERM "$p" 2>/dev/null || true
	done
	tg_stop_clusters immediate
	if [[ $KEEP_TMP == 1 || $rc -ne 0 ]]; then
		log "kept $BENCH_TMP (logs, callgrind files)"
	else
		rm -rf "$BENCH_TMP"
	fi
	return $rc
}

# ---------------------------------------------------------------- clusters

# pg_init DATADIR [postgresql.conf lines...]
# A fresh cluster that trusts local connections (it has no TCP listener and
# its socket lives in our private 0700 directory).  The extra lines are
# appended to postgresql.conf.
pg_init() {
	local data=$1; shift
	tg_initdb "$data" -E UTF8 --locale=C >"$BENCH_TMP/initdb.log" 2>&1 ||
		{ cat "$BENCH_TMP/initdb.log" >&2; die "initdb failed"; }
	# (fsync = off comes from tg_configure_server: throwaway data, fast setup)
	tg_configure_server "$data" "$SOCK_DIR" "$BENCH_PORT" \
		"# added by tenant_guard bench" \
		"max_connections = 30" \
		"synchronous_commit = off" \
		"full_page_writes = off" \
		"autovacuum = off" \
		"max_wal_size = 8GB" \
		"checkpoint_timeout = 1h" \
		"log_min_messages = warning" \
		"$@"
}

# pg_start DATADIR PRELOAD [extra -c settings...]
# PRELOAD is the value of shared_preload_libraries ("" for none).
pg_start() {
	local data=$1 preload=$2; shift 2
	local opts="-c shared_preload_libraries='$preload'" s
	for s in "$@"; do opts+=" -c $s"; done
	tg_start_server "$data" "$data/server.log" -o "$opts" -t 120 ||
		die "server did not start"
}

pg_stop() {
	tg_stop_server "$1" fast -t 120
}

# psql as the superuser (or as another role: PGUSER=app psql_db ...).
psql_db() {
	"$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$SOCK_DIR" -p "$BENCH_PORT" \
		-U "${PGUSER_BENCH:-postgres}" -d "${PGDATABASE_BENCH:-bench}" "$@"
}

# One value from a query.
psql_value() { psql_db -At -c "$1"; }

# ------------------------------------------------------- standard policy

# Does the installed extension have protect() (tenant_guard 1.1 and later)?
have_protect() {
	[[ $(psql_value "SELECT to_regprocedure('tenant_guard.protect(regclass,name)') IS NOT NULL") == t ]]
}

# SQL that puts TABLE under tenant_guard's standard policy.  That is
# protect(); builds from before protect() existed get an exact emulation of
# the policy it installs, so that older commits can be benchmarked too.
standard_policy_sql() {
	local tbl=$1 col=${2:-tenant_id}
	if have_protect; then
		echo "SELECT tenant_guard.protect('$tbl', '$col');"
		return
	fi
	cat <<-SQL
		ALTER TABLE $tbl ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
		CREATE POLICY tenant_guard_baseline ON $tbl AS PERMISSIVE FOR ALL
		  USING (true) WITH CHECK (true);
		CREATE POLICY tenant_guard_isolation ON $tbl AS RESTRICTIVE FOR ALL
		  USING ($col = (SELECT tenant_guard.tenant()::bigint))
		  WITH CHECK ($col = (SELECT tenant_guard.tenant()::bigint));
		CREATE INDEX ON $tbl ($col);
	SQL
}

# How the standard policy was installed, for the report.
standard_policy_origin() {
	if have_protect; then
		echo "tenant_guard.protect()"
	else
		echo "an emulation of protect() (this build has none)"
	fi
}

# ---------------------------------------------------------- configurations

# The preload configurations compared by the callgrind and pgbench parts:
# name, shared_preload_libraries, extra settings (space separated).
# shellcheck disable=SC2034  # used by the parts
# BENCH_CONFIGS="none tenant_guard" measures a subset (say, on a copy of
# PostgreSQL without pgaudit); none and tenant_guard must be in it.
# tenant_guard is measured with its statistics off (the guard alone, as
# before they existed), tenant_guard_stats with them on (the default).
read -r -a CONFIGS <<<"${BENCH_CONFIGS:-none tenant_guard tenant_guard_stats pg_stat_statements pgaudit}"
config_preload() {
	case $1 in
		none) echo "" ;;
		tenant_guard_stats) echo "tenant_guard" ;;
		*) echo "$1" ;;
	esac
}
config_settings() {
	case $1 in
		pgaudit) echo "pgaudit.log=none" ;;   # loaded, logging nothing
		tenant_guard) echo "tenant_guard.stats=off" ;;
		tenant_guard_stats) echo "tenant_guard.stats=on" ;;
		*) echo "" ;;
	esac
}

# ------------------------------------------------------------------ numbers

# Median of the numbers on stdin, one per line.
median() {
	sort -g | awk '{ v[NR] = $1 }
		END { if (NR == 0) { print "nan"; exit }
		      if (NR % 2) print v[(NR + 1) / 2];
		      else printf "%.6f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# calc EXPR: floating point arithmetic through awk.
calc() { awk "BEGIN { printf \"%.6f\", $1 }"; }

# fmt_int N: 1234567 -> 1,234,567
fmt_int() { printf '%.0f' "$1" | sed -e ':a' -e 's/\([0-9]\)\([0-9]\{3\}\)\($\|,\)/\1,\2\3/' -e 'ta'; }

# pct RATIO: 1.00432 -> +0.43%
pct() { awk -v r="$1" 'BEGIN { printf "%+.2f%%", (r - 1) * 100 }'; }

export LC_NUMERIC=C

# ------------------------------------------------------------ base data set

# Sizes of the data set shared by callgrind.sh and throughput.sh.
BASE_ROWS=${BASE_ROWS:-200000}
BASE_TENANTS=${BASE_TENANTS:-1000}
JOIN_ROWS=${JOIN_ROWS:-20000}
PGBENCH_SCALE=${PGBENCH_SCALE:-1}

# build_base_cluster DATADIR [postgresql.conf lines...]
# initdb, start without preloading anything, and load sql/setup_base.sql
# and the pgbench tables into database "bench".  The server is left running
# for the caller to stop.
build_base_cluster() {
	local data=$1; shift
	pg_init "$data" "$@"
	pg_start "$data" ""
	PGDATABASE_BENCH=postgres psql_db -c "CREATE DATABASE bench"
	psql_db -v rows="$BASE_ROWS" -v tenants="$BASE_TENANTS" \
		-v join_rows="$JOIN_ROWS" -f "$BENCH_DIR/sql/setup_base.sql" >/dev/null
	"$PG_BIN/pgbench" -i -q -s "$PGBENCH_SCALE" -h "$SOCK_DIR" -p "$BENCH_PORT" \
		-U postgres bench >"$BENCH_TMP/pgbench_init.log" 2>&1 ||
		{ cat "$BENCH_TMP/pgbench_init.log" >&2; die "pgbench -i failed"; }
	psql_db -c "GRANT SELECT ON pgbench_accounts TO app"
	# Frozen, all-visible, analyzed: no hint-bit writes or autoanalyze later.
	psql_db -c "VACUUM (FREEZE, ANALYZE)" -c "CHECKPOINT"
}

# ---------------------------------------------------------------- pgbench

# pgbench_tps PORT CLIENTS SCRIPT SECONDS [pgbench options...]
# One pgbench -M prepared run as role app; prints its tps.
pgbench_tps() {
	local port=$1 clients=$2 script=$3 secs=$4 out
	shift 4
	out=$("$PG_BIN/pgbench" -h "$SOCK_DIR" -p "$port" -U app -n -M prepared \
		-c "$clients" -j "$(((clients + 1) / 2))" -T "$secs" "$@" \
		-f "$script" bench 2>&1) ||
		{ echo "$out" | tail -20 >&2; die "pgbench $(basename "$script") failed"; }
	awk '/^tps = / { print $3; exit }' <<<"$out"
}

# pgbench_side_by_side PORT_A SCRIPT_A PORT_B SCRIPT_B SECONDS [options...]
# Runs A and B at the same time, half of the parts' CLIENTS each; prints
# "tps_A tps_B".  Whatever else the machine does in those seconds, both
# see it: on a shared machine whose speed changes by a factor of two
# within seconds, this is the comparison that noise cannot tilt.
pgbench_side_by_side() {
	local port_a=$1 script_a=$2 port_b=$3 script_b=$4 secs=$5 half pa pb
	shift 5
	half=$(((${CLIENTS:?} + 1) / 2))
	pgbench_tps "$port_a" "$half" "$script_a" "$secs" "$@" >"$BENCH_TMP/side_a" &
	pa=$!
	pgbench_tps "$port_b" "$half" "$script_b" "$secs" "$@" >"$BENCH_TMP/side_b" &
	pb=$!
	wait "$pa" || die "pgbench (side A) failed"
	wait "$pb" || die "pgbench (side B) failed"
	echo "$(cat "$BENCH_TMP/side_a") $(cat "$BENCH_TMP/side_b")"
}

# ratios_of ARRAY KEY_A KEY_B COUNT: ARRAY[KEY_A,i] / ARRAY[KEY_B,i] for
# i = 1..COUNT, one per line.
ratios_of() {
	local -n arr=$1
	local i
	for ((i = 1; i <= $4; i++)); do
		calc "${arr[$2,$i]} / ${arr[$3,$i]}"
		echo
	done
}

# values_of ARRAY KEY COUNT: ARRAY[KEY,i] for i = 1..COUNT, one per line.
values_of() {
	local -n arr=$1
	local i
	for ((i = 1; i <= $3; i++)); do echo "${arr[$2,$i]}"; done
}

# list3 LINES: "0.981 0.975 1.002" from numbers on stdin.
list3() { awk '{ printf "%s%.3f", (NR > 1 ? " " : ""), $1 }'; }
