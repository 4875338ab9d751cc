#!/usr/bin/env bash
#
# bench/scale.sh - cost of the standard policy on a large table.
#
# Part 4 of the benchmark.  A table of 10 million rows and 10,000 tenants
# (QUICK=1: 1 million rows, 1,000 tenants) is loaded twice:
#   docs_protected  under tenant_guard's standard policy (protect(), or its
#                   emulation until protect() exists), queried without any
#                   tenant filter of its own;
#   docs_plain      no row-level security, queried with the filter an
#                   application would add itself: WHERE tenant_id = $1.
# Both have the same indexes (sql/setup_scale.sql says why (tenant_id, id)
# is among them).  Two workloads, each on both tables: a lookup by id, and a
# small range scan (10 rows) within one tenant.
#
# The server preloads tenant_guard (the standard policy needs it) and holds
# the whole data set in shared buffers.  The two variants of a workload are
# compared by pgbench -M prepared in two ways: alternated (protected, plain,
# plain, protected, ...: many short pairs, median of the per-pair ratios
# protected/plain) and side by side (both at the same time, half the
# clients each, so that both see the same machine: its speed varies by up
# to 2x within seconds here).  The EXPLAIN plans of the four statements are
# printed, and checked: the protected statements must use an index, not a
# sequential scan.
#
# Throughput on this machine moves by several percent even side by side, so
# the same four statements are also counted with callgrind (as in
# callgrind.sh: a single-user backend, N transactions minus a warm-up-only
# run), which gives the deterministic cost ratio the 95% target is judged
# by; the pgbench ratios are reported next to it.
#
# Usage: bench/scale.sh   (normally through bench/run.sh; QUICK=1 for a
# smaller table and shorter runs).  Writes $RESULTS_DIR/scale.md.

source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
source "$BENCH_DIR/lib/callgrind.sh"

SCALE_ROWS=${SCALE_ROWS:-10000000}
SCALE_TENANTS=${SCALE_TENANTS:-10000}
PAIRS=${PAIRS:-16}          # alternated protected/plain pairs per workload
DURATION=${DURATION:-3}     # seconds per alternated run: many short pairs
SIDE_REPS=${SIDE_REPS:-5}   # side-by-side runs per workload
SIDE_DURATION=${SIDE_DURATION:-10}
CLIENTS=${CLIENTS:-4}
SHARED_BUFFERS=${SHARED_BUFFERS:-4GB}   # > the ~2.5 GB of tables and indexes
CG_TXN=${CG_TXN:-2000}      # callgrind: transactions per measured run
CG_WARMUP=10
if [[ $QUICK == 1 ]]; then
	CG_TXN=200
	SCALE_ROWS=1000000
	SCALE_TENANTS=1000
	PAIRS=3
	DURATION=2
	SIDE_REPS=1
	SIDE_DURATION=3
	SHARED_BUFFERS=512MB
fi
PER_TENANT=$((SCALE_ROWS / SCALE_TENANTS))

declare -A TPS SIDE   # "workload,variant,pair" -> tps; "workload,rep" -> ratio
PGBENCH_VARS=(-D tenants="$SCALE_TENANTS" -D rows="$SCALE_ROWS")
script() { echo "$BENCH_DIR/pgbench/scale_$1.sql"; }

# The plans of the four statements as pgbench runs them: prepared, as role
# app, in a transaction with the tenant set.  plan_cache_mode chooses the
# generic plan (what a prepared statement uses after five executions) or a
# custom one (its first executions).
explain_all() {
	local mode=$1 t=42 lo hi
	lo=$((t + SCALE_TENANTS * 100))
	hi=$((lo + SCALE_TENANTS * 9))
	PGUSER_BENCH=app psql_db -At <<-SQL
		BEGIN;
		SELECT set_config('app.current_tenant', '$t', true) \\g /dev/null
		SET LOCAL plan_cache_mode = $mode;
		PREPARE point_protected(bigint) AS
		  SELECT id, amount, title FROM docs_protected WHERE id = \$1;
		PREPARE point_plain(bigint, bigint) AS
		  SELECT id, amount, title FROM docs_plain WHERE id = \$1 AND tenant_id = \$2;
		PREPARE range_protected(bigint, bigint) AS
		  SELECT id, amount, title FROM docs_protected WHERE id BETWEEN \$1 AND \$2 ORDER BY id;
		PREPARE range_plain(bigint, bigint, bigint) AS
		  SELECT id, amount, title FROM docs_plain WHERE tenant_id = \$3 AND id BETWEEN \$1 AND \$2 ORDER BY id;
		\\echo '### point lookup, docs_protected (standard policy)'
		EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF, SUMMARY OFF) EXECUTE point_protected($lo);
		\\echo '### point lookup, docs_plain (WHERE tenant_id = \$2)'
		EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF, SUMMARY OFF) EXECUTE point_plain($lo, $t);
		\\echo '### range scan, docs_protected (standard policy)'
		EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF, SUMMARY OFF) EXECUTE range_protected($lo, $hi);
		\\echo '### range scan, docs_plain (WHERE tenant_id = \$3)'
		EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF, SUMMARY OFF) EXECUTE range_plain($lo, $hi, $t);
		COMMIT;
	SQL
}

# cg_script WORKLOAD VARIANT NTXN: single-user script for callgrind, the
# statements pgbench runs, with tenants and ids from a fixed sequence.  The
# protected statements take the tenant as an extra, unused parameter: the
# single-user backend parses and evaluates each EXECUTE argument (a client
# binding a parameter pays far less), so both variants get the same
# arguments and what differs is the policy versus the WHERE clause.
cg_script() {
	local w=$1 v=$2 n=$3 prepare args
	case $w,$v in
		point,protected)
			prepare="PREPARE q(bigint, bigint) AS SELECT id, amount, title FROM docs_protected WHERE id = \$1;"
			args='id, t' ;;
		point,plain)
			prepare="PREPARE q(bigint, bigint) AS SELECT id, amount, title FROM docs_plain WHERE id = \$1 AND tenant_id = \$2;"
			args='id, t' ;;
		range,protected)
			prepare="PREPARE q(bigint, bigint, bigint) AS SELECT id, amount, title FROM docs_protected WHERE id BETWEEN \$1 AND \$2 ORDER BY id;"
			args='lo, hi, t' ;;
		range,plain)
			prepare="PREPARE q(bigint, bigint, bigint) AS SELECT id, amount, title FROM docs_plain WHERE tenant_id = \$3 AND id BETWEEN \$1 AND \$2 ORDER BY id;"
			args='lo, hi, t' ;;
	esac
	# The table and its indexes into shared buffers first (in the warm-up-
	# only run too, so it is subtracted), as in the pgbench runs.
	local prewarm="SELECT sum(pg_prewarm(oid)) FROM pg_class WHERE relname LIKE 'docs\\_$v%' AND relkind IN ('r', 'i');"
	awk -v prewarm="$prewarm" -v prepare="$prepare" -v args="$args" \
		-v total=$((CG_WARMUP + n)) -v tenants="$SCALE_TENANTS" -v per="$PER_TENANT" '
		function next_rand() { seed = (seed * 48271) % 2147483647; return seed }
		BEGIN {
			seed = 42
			print prewarm
			# prepared before SET ROLE: tenant_guard refuses a tenant
			# while the session holds a statement the application role
			# prepared with SQL in an earlier transaction
			print prepare
			print "SET ROLE app;"
			for (i = 1; i <= total; i++) {
				t = next_rand() % tenants + 1
				k = next_rand()
				id = t + tenants * (k % per)
				lo = t + tenants * (k % (per - 9)); hi = lo + tenants * 9
				v = args
				gsub(/id/, id, v); gsub(/lo/, lo, v); gsub(/hi/, hi, v); gsub(/t/, t, v)
				print "BEGIN;"
				printf "SELECT set_config('"'"'app.current_tenant'"'"', '"'"'%d'"'"', true);\n", t
				printf "EXECUTE q(%s);\n", v
				print "COMMIT;"
			}
		}'
}

# plan_section PLANS HEADING: the plan under one "### HEADING" line.
plan_section() {
	awk -v h="### $2" '$0 == h { on = 1; next } /^### / { on = 0 } on' <<<"$1"
}

bench_init scale

DATA=$BENCH_TMP/data
pg_init "$DATA" "shared_buffers = $SHARED_BUFFERS" "maintenance_work_mem = 1GB" \
	"wal_level = minimal" "max_wal_senders = 0" "work_mem = 16MB"
pg_start "$DATA" tenant_guard
PGDATABASE_BENCH=postgres psql_db -c "CREATE DATABASE bench"
psql_db -c "CREATE EXTENSION tenant_guard" -c "CREATE EXTENSION pg_prewarm" \
	-c "CREATE ROLE app LOGIN"

log "loading $SCALE_ROWS rows x 2 ($SCALE_TENANTS tenants); this takes a few minutes"
start=$SECONDS
psql_db -v rows="$SCALE_ROWS" -v tenants="$SCALE_TENANTS" \
	-f "$BENCH_DIR/sql/setup_scale.sql" >/dev/null
POLICY_ORIGIN=$(standard_policy_origin)
standard_policy_sql docs_protected tenant_id | PGOPTIONS="-c client_min_messages=warning" psql_db >/dev/null
psql_db -c "CREATE INDEX ON docs_plain (tenant_id, id)" \
	-c "CREATE INDEX ON docs_protected (tenant_id, id)"
# Same indexes on both tables, or the comparison is not fair.
index_defs() {
	psql_value "SELECT string_agg(d, '; ' ORDER BY d) FROM (
		SELECT regexp_replace(indexdef, '^CREATE (UNIQUE )?INDEX \\S+ ON \\S+ USING ', '\\1') AS d
		FROM pg_indexes WHERE tablename = '$1') i"
}
INDEXES=$(index_defs docs_plain)
[[ $(index_defs docs_protected) == "$INDEXES" ]] ||
	die "index sets differ: docs_plain: $INDEXES; docs_protected: $(index_defs docs_protected)"
psql_db -c "VACUUM (FREEZE, ANALYZE)" -c "CHECKPOINT" >/dev/null
# Everything in shared buffers, so both variants start equally warm.
psql_db -At -c "SELECT sum(pg_prewarm(c.oid)) FROM pg_class c
	WHERE c.relname LIKE 'docs\_%' AND c.relkind IN ('r', 'i')" >/dev/null
log "loaded in $((SECONDS - start)) s; standard policy by $POLICY_ORIGIN"

# The guard is really on: no tenant, no rows but an error; tenant 42 sees
# exactly its own rows.
if PGUSER_BENCH=app psql_db -c "SELECT count(*) FROM docs_protected" >/dev/null 2>&1; then
	die "docs_protected was readable without a tenant: is tenant_guard preloaded?"
fi
visible=$(PGUSER_BENCH=app psql_db -At <<-'SQL'
	BEGIN;
	SELECT set_config('app.current_tenant', '42', true) \g /dev/null
	SELECT count(*) FROM docs_protected;
	COMMIT;
	SQL
)
[[ $visible == "$PER_TENANT" ]] || die "tenant 42 sees $visible rows, expected $PER_TENANT"

PLANS=$(explain_all force_generic_plan)
CUSTOM_PLANS=$(explain_all force_custom_plan)
INDEX_CHECK=PASS
for plans in "$PLANS" "$CUSTOM_PLANS"; do
	for h in "point lookup, docs_protected (standard policy)" \
		"range scan, docs_protected (standard policy)"; do
		p=$(plan_section "$plans" "$h")
		if ! grep -q "Index" <<<"$p" || grep -q "Seq Scan" <<<"$p"; then
			INDEX_CHECK=MISS
			log "no index scan in: $h"
		fi
	done
done
grep -q "docs_protected_tenant_id" <<<"$(plan_section "$PLANS" \
	"range scan, docs_protected (standard policy)")" || INDEX_CHECK=MISS

# Warm-up, then alternated pairs: ABBA ABBA ... so neither always goes first.
for w in point range; do
	pgbench_side_by_side "$BENCH_PORT" "$(script "${w}_protected")" \
		"$BENCH_PORT" "$(script "${w}_plain")" 2 "${PGBENCH_VARS[@]}" >/dev/null
done
for ((p = 1; p <= PAIRS; p++)); do
	order=(protected plain)
	((p % 2 == 0)) && order=(plain protected)
	for w in point range; do
		for v in "${order[@]}"; do
			TPS[$w,$v,$p]=$(pgbench_tps "$BENCH_PORT" "$CLIENTS" "$(script "${w}_$v")" \
				"$DURATION" "${PGBENCH_VARS[@]}")
		done
		log "alternated pair $p, $w: protected ${TPS[$w,protected,$p]}, plain ${TPS[$w,plain,$p]} tps"
	done
done
for w in point range; do
	for ((r = 1; r <= SIDE_REPS; r++)); do
		read -r a b <<<"$(pgbench_side_by_side "$BENCH_PORT" "$(script "${w}_protected")" \
			"$BENCH_PORT" "$(script "${w}_plain")" "$SIDE_DURATION" "${PGBENCH_VARS[@]}")"
		# shellcheck disable=SC2034  # read through values_of
		SIDE[$w,$r]=$(calc "$a / $b")
		log "side by side, $w: protected $a, plain $b tps"
	done
done

# Instructions per transaction of the four statements (server stopped).
pg_stop "$DATA"
mkdir -p "$BENCH_TMP/cg"
[[ $EUID -eq 0 ]] && chown postgres: "$BENCH_TMP/cg"
declare -A CG
for w in point range; do
	for v in protected plain; do
		for k in 0 N; do
			n=$CG_TXN
			[[ $k == 0 ]] && n=0
			f=$BENCH_TMP/cg/$w.$v.$k
			cg_script "$w" "$v" "$n" >"$f.sql"
			cg_run "$DATA" "$f.sql" "$f.out" -c shared_preload_libraries=tenant_guard \
				-c shared_buffers="$SHARED_BUFFERS"
			CG[$w,$v,$k]=$(cg_total "$f.out")
		done
		CG[$w,$v]=$(calc "(${CG[$w,$v,N]} - ${CG[$w,$v,0]}) / $CG_TXN")
		log "callgrind, $w, $v: $(fmt_int "${CG[$w,$v]}") instructions per transaction"
	done
done

# --------------------------------------------------------------- report

declare -A ALT_MED SIDE_MED
for w in point range; do
	ALT_MED[$w]=$(ratios_of TPS "$w,protected" "$w,plain" "$PAIRS" | median)
	SIDE_MED[$w]=$(values_of SIDE "$w" "$SIDE_REPS" | median)
done
{
	echo "## Standard policy at scale"
	echo
	echo "$(fmt_int "$SCALE_ROWS") rows, $(fmt_int "$SCALE_TENANTS") tenants ($PER_TENANT rows each, interleaved); standard policy installed by $POLICY_ORIGIN; tenant_guard preloaded; indexes on both tables: \`$INDEXES\`. pgbench -M prepared as role app, the same transaction shape for both (tenant set, one statement). *Alternated*: $PAIRS pairs of -c $CLIENTS -T $DURATION runs (protected/plain, order alternating); ratio = tps protected / tps plain within a pair. *Side by side*: both at the same time, -c $(((CLIENTS + 1) / 2)) each, -T $SIDE_DURATION, $SIDE_REPS run(s). Medians."
	echo
	echo "| workload | median tps protected | median tps plain | alternated: protected / plain | side by side: protected / plain | per-pair ratios (alternated) | per-run ratios (side by side) |"
	echo "|---|---:|---:|---:|---:|---|---|"
	for w in point range; do
		label="lookup by id"
		[[ $w == range ]] && label="range scan, 10 rows of one tenant"
		echo "| $label | $(values_of TPS "$w,protected" "$PAIRS" | median | xargs printf '%.0f') | $(values_of TPS "$w,plain" "$PAIRS" | median | xargs printf '%.0f') | $(printf '%.3f' "${ALT_MED[$w]}") | $(printf '%.3f' "${SIDE_MED[$w]}") | $(ratios_of TPS "$w,protected" "$w,plain" "$PAIRS" | list3) | $(values_of SIDE "$w" "$SIDE_REPS" | list3) |"
	done
	echo
	echo "Instructions per transaction, counted by callgrind (single-user backend, tenant_guard preloaded, shared_buffers = $SHARED_BUFFERS, $CG_TXN transactions minus a warm-up-only run, the same statements and transaction shape; both EXECUTEs pass the same arguments, the tenant being unused by the protected statements); for a CPU-bound server, throughput is inversely proportional to this:"
	echo
	echo "| workload | Ir/txn protected | Ir/txn plain | protected − plain | throughput ratio implied (plain / protected) |"
	echo "|---|---:|---:|---:|---:|"
	for w in point range; do
		label="lookup by id"
		[[ $w == range ]] && label="range scan, 10 rows of one tenant"
		echo "| $label | $(fmt_int "${CG[$w,protected]}") | $(fmt_int "${CG[$w,plain]}") | $(fmt_int "$(calc "${CG[$w,protected]} - ${CG[$w,plain]}")") | $(printf '%.3f' "$(calc "${CG[$w,plain]} / ${CG[$w,protected]}")") |"
	done
	echo
	echo "Plans (generic plans, as pgbench runs them after five executions; tenant 42). Protected statements use an index and no sequential scan, also in custom plans: **$INDEX_CHECK**."
	echo
	echo '```'
	echo "$PLANS"
	echo '```'
	echo
} | report

# Judged by the instruction counts, which the machine's noise cannot move;
# the pgbench medians are reported alongside.
CG_RATIO_POINT=$(calc "${CG[point,plain]} / ${CG[point,protected]}")
CG_RATIO_RANGE=$(calc "${CG[range,plain]} / ${CG[range,protected]}")
ok=$(awk "BEGIN { print ($CG_RATIO_POINT >= 0.95 && $CG_RATIO_RANGE >= 0.95) ? \"PASS\" : \"MISS\" }")
pc() { printf '%.1f%%' "$(calc "$1 * 100")"; }
record_target "standard policy at $(fmt_int "$SCALE_ROWS") rows: ≥ 95% of the throughput of the application-side filter" \
	"by instructions: lookup $(pc "$CG_RATIO_POINT"), range scan $(pc "$CG_RATIO_RANGE"); pgbench alternated / side by side: lookup $(pc "${ALT_MED[point]}") / $(pc "${SIDE_MED[point]}"), range $(pc "${ALT_MED[range]}") / $(pc "${SIDE_MED[range]}")" "$ok"
record_target "protected statements use an index (EXPLAIN)" "see plans" "$INDEX_CHECK"

log "scale part done"
