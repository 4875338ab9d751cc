#!/usr/bin/env bash
#
# bench/token.sh - instructions per verification of a signed tenant token.
#
# The callgrind method of bench/callgrind.sh (README, "Method"), with
# tenant_guard preloaded in every run, on the RLS point lookup, with the
# tenant set three ways:
#   set_config  BEGIN; SELECT set_config('app.current_tenant', t, true);
#               EXECUTE q(id); COMMIT;
#   hs256       the same with SELECT tenant_guard.set_tenant_token('<HS256
#               token for t>') instead of set_config()
#   eddsa       the same with an EdDSA (Ed25519) token
# Ir/txn = (Ir(warm-up + N transactions) - Ir(warm-up only)) / N; a
# token's verification costs its Ir/txn minus set_config's (the token is a
# literal in both cases: the single-user backend has no bind parameters,
# so the parsing of a 250-byte literal is part of the difference).  The
# tokens are test/tokens/mint.py's, one per tenant, signed with the test
# keys of test/tenant_guard.conf.
#
# Usage: bench/token.sh (or bench/run.sh --only token); QUICK=1 for fewer
# transactions.  Writes $RESULTS_DIR/token.md.

source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
source "$BENCH_DIR/lib/callgrind.sh"

N_TXN=${N_TXN:-2000}
WARMUP=${WARMUP:-10}
[[ $QUICK == 1 ]] && N_TXN=200
# a smaller table than callgrind.sh's: the lookup is not what is measured
BASE_ROWS=${TOKEN_BENCH_ROWS:-20000}
BASE_TENANTS=${TOKEN_BENCH_TENANTS:-100}
JOIN_ROWS=100
WORKLOADS=(set_config hs256 eddsa)
declare -A IR

bench_init token
command -v valgrind >/dev/null || die "valgrind is not installed (bench/run.sh installs it)"

# The test keys, and a token per tenant and algorithm (valid until 2080,
# so token_max_age is raised for the runs).
mapfile -t KEY_SETTINGS < <(grep '^tenant_guard.token_' "$REPO_DIR/test/tenant_guard.conf" |
	sed -e "s/ = '/=/" -e "s/'\$//")
SETTINGS=(-c "shared_preload_libraries=tenant_guard" -c "tenant_guard.token_max_age=20000d")
for s in "${KEY_SETTINGS[@]}"; do SETTINGS+=(-c "$s"); done
PYTHONDONTWRITEBYTECODE=1 /usr/bin/python3 - "$REPO_DIR/test/tokens" "$BASE_TENANTS" >"$BENCH_TMP/tokens" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
import mint
for t in range(1, int(sys.argv[2]) + 1):
    print(t, mint.hs(mint.base(str(t))), mint.ed(mint.base(str(t))))
PY

log "building the data set ($BASE_ROWS rows, $BASE_TENANTS tenants)"
PRISTINE=$BENCH_TMP/pristine
build_base_cluster "$PRISTINE" "shared_buffers = 128MB"
psql_db -c "CREATE EXTENSION tenant_guard" 2>/dev/null
pg_stop "$PRISTINE"

# gen_script WORKLOAD NTXN: as bench/callgrind.sh's point workload.
gen_script() {
	awk -v workload="$1" -v total=$((WARMUP + $2)) -v tenants="$BASE_TENANTS" \
		-v rows="$BASE_ROWS" '
		function next_rand() { seed = (seed * 48271) % 2147483647; return seed }
		NR == FNR { hs[$1] = $2; ed[$1] = $3; next }
		END {
			seed = 42
			print "PREPARE q(int) AS SELECT id, balance FROM rls_accounts WHERE id = $1;"
			print "SET ROLE app;"
			for (i = 1; i <= total; i++) {
				t = next_rand() % tenants + 1
				id = t + tenants * (next_rand() % (rows / tenants))
				print "BEGIN;"
				if (workload == "set_config")
					printf "SELECT set_config('"'"'app.current_tenant'"'"', '"'"'%d'"'"', true);\n", t
				else
					printf "SELECT tenant_guard.set_tenant_token('"'"'%s'"'"');\n", workload == "hs256" ? hs[t] : ed[t]
				printf "EXECUTE q(%d);\n", id
				print "COMMIT;"
			}
		}' "$BENCH_TMP/tokens" /dev/null
}

mkdir -p "$BENCH_TMP/scripts" "$BENCH_TMP/cg"
for w in "${WORKLOADS[@]}"; do
	gen_script "$w" "$N_TXN" >"$BENCH_TMP/scripts/$w.N.sql"
	gen_script "$w" 0 >"$BENCH_TMP/scripts/$w.0.sql"
done
[[ $EUID -eq 0 ]] && chown -R postgres: "$BENCH_TMP/scripts" "$BENCH_TMP/cg"

for w in "${WORKLOADS[@]}"; do
	for k in 0 N; do
		rm -rf "$BENCH_TMP/run"
		cp -a "$PRISTINE" "$BENCH_TMP/run"
		cg_run "$BENCH_TMP/run" "$BENCH_TMP/scripts/$w.$k.sql" "$BENCH_TMP/cg/$w.$k.out" "${SETTINGS[@]}"
		IR[$w,$k]=$(cg_total "$BENCH_TMP/cg/$w.$k.out")
	done
	log "$w: $(fmt_int "$(calc "(${IR[$w,N]} - ${IR[$w,0]}) / $N_TXN")") instructions per transaction"
done

per_txn() { calc "(${IR[$1,N]} - ${IR[$1,0]}) / $N_TXN"; }
{
	echo "## Signed tenant tokens (callgrind)"
	echo
	echo "RLS point lookup, tenant_guard preloaded, the tenant set with set_config() or set_tenant_token(); Ir/txn as in the callgrind part, N = $N_TXN, warm-up = $WARMUP. Per verification: Ir/txn minus set_config()'s."
	echo
	echo "| tenant set with | Ir/txn | per verification | vs set_config |"
	echo "|---|---:|---:|---:|"
	base=$(per_txn set_config)
	for w in "${WORKLOADS[@]}"; do
		v=$(per_txn "$w")
		echo "| $w | $(fmt_int "$v") | $(fmt_int "$(calc "$v - $base")") | $(pct "$(calc "$v / $base")") |"
	done
	echo
} | report
log "token part done"
