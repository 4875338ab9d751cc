#!/usr/bin/env bash
# test/run_all.sh: every tenant_guard test suite, on throwaway clusters.
#
#   pg_regress  sql/*.sql against expected/*.out, one file per rule and
#               feature (make installcheck starts a preloaded server)
#   TAP         test/t/*.pl: loading, reloads, connection options, pooled
#               connections, PgBouncer, dump and restore (each test starts
#               its own servers)
#   pgTAP       test/pgtap/*.sql: the rules from an application role's view
#
# Installs what it needs on a fresh Debian 12 machine, builds and installs
# the extension, and exits non-zero if any suite fails.
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

failed=()

tg_log "pg_regress and TAP suites (make installcheck)"
if ! tg_as_cluster_user env TG_REQUIRE_PGBOUNCER=1 \
		make -C "$TG_WORKDIR/src" PG_CONFIG="$PG_CONFIG" installcheck; then
	failed+=("installcheck")
	for f in "$TG_WORKDIR/src/regression.diffs" \
			 "$TG_WORKDIR"/src/tmp_check/log/regress_log_*; do
		[ -f "$f" ] && { echo "---- $f"; tail -n 60 "$f"; }
	done
fi

tg_log "pgTAP suite (pg_prove)"
tg_start_cluster "$TG_WORKDIR/pgtap"
tg_psql -d postgres -c "CREATE DATABASE tenant_guard_tap"
tg_psql -d tenant_guard_tap -c "CREATE EXTENSION pgtap" \
	-c "CREATE EXTENSION tenant_guard"
if ! tg_as_cluster_user pg_prove -h "$TG_PGHOST" -p "$TG_PGPORT" -U postgres \
		-d tenant_guard_tap "$TG_WORKDIR"/src/test/pgtap/*.sql; then
	failed+=("pgTAP")
fi
tg_stop_clusters

if [ ${#failed[@]} -gt 0 ]; then
	tg_log "FAILED: ${failed[*]}"
	exit 1
fi
tg_log "all test suites passed"
