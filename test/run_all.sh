#!/usr/bin/env bash
# test/run_all.sh: every tenant_guard test suite, on throwaway clusters.
#
#   pg_regress  sql/*.sql against expected/*.out, one file per rule and
#               feature (make installcheck starts a preloaded server)
#   TAP         test/t/*.pl: loading, reloads, connection options, pooled
#               connections, PgBouncer, dump and restore, parallel workers,
#               the adversarial suite, faults (cancel, terminate, immediate
#               shutdown in guarded transactions and protect()), pooled
#               load, the suite on an updated extension, bad configuration
#               (each test starts its own servers)
#   pgTAP       test/pgtap/*.sql: the rules from an application role's view
#   clients     test/clients/run.sh: psycopg, SQLAlchemy and Alembic, Django,
#               node-postgres and knex, directly and through PgBouncer
#   sanitizers  test/sanitize.sh: pg_regress and pgTAP again, the server
#               under valgrind's memcheck, the library under UBSan
#   Citus       test/citus/run.sh: a coordinator and two workers, only when
#               CITUS_SRC names a Citus source tree (skipped otherwise)
#
# Then it scans the log of every server the suites ran for a crashed server
# process.  Installs what it needs on a fresh Debian machine (12, 13 or
# unstable; the PostgreSQL test/lib.sh chooses), builds and
# installs the extension, and exits non-zero if any suite fails or any
# server process crashed.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

tg_install_packages "${TG_PACKAGES[@]}"
tg_build_and_install

tg_make_workdir
trap tg_cleanup EXIT

# make installcheck writes its results into the source tree: run it in a
# copy the cluster user owns.
tg_log "copying the tree to $TG_WORKDIR/src"
mkdir -p "$TG_WORKDIR/src"
tar -C "$TG_ROOT" --exclude=.git --exclude='*.o' --exclude='*.so' \
	--exclude='*.bc' -cf - . | tar -C "$TG_WORKDIR/src" -xf -
[ "$(id -u)" -eq 0 ] && chown -R postgres: "$TG_WORKDIR/src"

# pg_regress removes its server's directory, log included, when the tests
# pass: its server logs to $TG_WORKDIR/regress_log instead.
printf "logging_collector = on\nlog_directory = '%s'\n" \
	"$TG_WORKDIR/regress_log" >"$TG_WORKDIR/regress_log.conf"

failed=()

# Compiler warnings: none with -Wall -Wextra in tenant_guard's own code, on
# every PostgreSQL version.  PostgreSQL's headers are passed as system
# headers (their own -Wextra findings are not ours), and unused parameters
# are allowed: hooks and callbacks must take the parameters of their
# signature (PostgreSQL itself is not built with -Wunused-parameter).
tg_log "compiling with -Wall -Wextra -Werror"
mkdir -p "$TG_WORKDIR/warnings"
tar -C "$TG_WORKDIR/src" -cf - . | tar -C "$TG_WORKDIR/warnings" -xf -
if ! make -s -C "$TG_WORKDIR/warnings" PG_CONFIG="$PG_CONFIG" \
		COPT="-Wall -Wextra -Wno-unused-parameter -Werror -isystem $("$PG_CONFIG" --includedir-server)" \
		>/dev/null; then
	failed+=("compiler warnings")
fi
rm -rf "$TG_WORKDIR/warnings"

tg_log "pg_regress and TAP suites (make installcheck)"
if ! tg_as_cluster_user env TG_REQUIRE_PGBOUNCER=1 \
		make -C "$TG_WORKDIR/src" PG_CONFIG="$PG_CONFIG" installcheck \
		EXTRA_REGRESS_OPTS="--temp-config=$TG_WORKDIR/regress_log.conf"; then
	failed+=("installcheck")
	for f in "$TG_WORKDIR/src/regression.diffs" \
			 "$TG_WORKDIR"/src/tmp_check/log/regress_log_*; do
		[ -f "$f" ] && { echo "---- $f"; tail -n 60 "$f"; }
	done
fi

tg_log "pgTAP suite (pg_prove)"
tg_start_cluster "$TG_WORKDIR/pgtap"
if ! tg_run_pgtap "$TG_WORKDIR/src"; then
	failed+=("pgTAP")
fi
tg_stop_clusters

# Every server log of the run, searched for a crashed server process
# (TG_CRASH_PATTERN, test/lib.sh).  grep exits with 1 if it finds nothing,
# 2 if it cannot read a log.
shopt -s nullglob
logs=("$TG_WORKDIR"/regress_log/*.log "$TG_WORKDIR"/src/tmp_check/log/*.log
	"$TG_WORKDIR/pgtap/server.log")
shopt -u nullglob
tg_log "scanning ${#logs[@]} server logs for crashed server processes"
status=0
grep -E -H "$TG_CRASH_PATTERN" "${logs[@]}" || status=$?
if [ "$status" -ne 1 ]; then
	failed+=("server logs")
fi

tg_log "client libraries (test/clients/run.sh)"
if ! bash "$TG_ROOT/test/clients/run.sh"; then
	failed+=("clients")
fi

tg_log "pg_regress and pgTAP under memcheck and UBSan (test/sanitize.sh)"
if ! bash "$TG_ROOT/test/sanitize.sh"; then
	failed+=("sanitizers")
fi

# PostgreSQL's own regression suite, without and with tenant_guard: the
# difference must be the reviewed one (test/core_suite.sh; exit 77 when no
# source of the installed major can be fetched, or no reviewed difference
# exists for that major yet: today only PostgreSQL 15 has one).
tg_log "PostgreSQL's core regression suite with tenant_guard (test/core_suite.sh)"
core_status=0
bash "$TG_ROOT/test/core_suite.sh" || core_status=$?
case $core_status in
	0) ;;
	77) tg_log "core suite SKIPPED (see its message above)" ;;
	*) failed+=("core suite") ;;
esac

# tenant_guard on a Citus cluster (test/citus/run.sh): only with a Citus
# source tree in CITUS_SRC, which Debian does not package; see the README,
# "Scaling out with Citus".
if [ -n "${CITUS_SRC:-}" ]; then
	tg_log "tenant_guard on a Citus cluster (test/citus/run.sh)"
	if ! bash "$TG_ROOT/test/citus/run.sh"; then
		failed+=("Citus")
	fi
else
	tg_log "Citus cluster tests SKIPPED: set CITUS_SRC to a Citus source tree (test/citus/run.sh says how)"
fi

if [ ${#failed[@]} -gt 0 ]; then
	tg_log "FAILED: ${failed[*]}"
	exit 1
fi
tg_log "all test suites passed"
