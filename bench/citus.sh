#!/usr/bin/env bash
#
# bench/citus.sh - instructions per single-tenant routed transaction on a
# Citus cluster (a coordinator and two workers), with and without
# tenant_guard.
#
# The callgrind method of bench/callgrind.sh (README, "Method"), on a
# cluster: a cluster cannot run single-user, so each node's postmaster runs
# under valgrind --tool=callgrind (pg_ctl -p names a wrapper that execs
# valgrind), with one callgrind file per process (callgrind.out.<pid>;
# backends are forked, and callgrind follows forks).  psql, as role app,
# connects to the coordinator and runs transactions
#
#   BEGIN;
#   SET LOCAL app.current_tenant = '<t>';
#   SELECT id, amount FROM orders WHERE tenant_id = <t> AND id = <id>;
#   COMMIT;
#
# (simple protocol, literals: a client that does not prepare; Citus routes
# the SELECT to the one shard of tenant t, and sends it the SET LOCAL with
# citus.propagate_set_commands = 'local').  The instructions counted are
# those of the processes that served the client: the coordinator backend
# of psql's connection and the worker backends of the connections Citus
# opened for it, all of which log in as app (log_connections names their
# pids).  Background processes (checkpointer, Citus's maintenance daemons
# and their connections to the workers, as the superuser) do work per
# second of wall-clock time, not per transaction, and are reported apart.
#
#   Ir/txn = (Ir(warm-up + N transactions) - Ir(warm-up only)) / N
#
# for the coordinator's backend, the workers' backends, and their sum; the
# measured run is made twice and the mean taken (PostgreSQL flushes its
# statistics at most once a second of wall-clock time, so runs differ by
# a few hundred instructions per transaction).
# Every run starts the three nodes from pristine copies of their data
# directories.  Tenants and ids follow a fixed pseudo-random sequence.
#
# Configurations (same data, same statements):
#   citus          shared_preload_libraries = 'citus'; orders carries by
#                  hand the two policies protect() installs where Citus is
#                  installed, with current_setting('app.current_tenant')
#                  for the tenant (tenant_guard.tenant() is a function of
#                  tenant_guard's library, which calling it would load),
#                  FORCEd
#   tenant_guard   'citus, tenant_guard', CREATE EXTENSION tenant_guard,
#                  the same table and policies: only the extension differs
#   protect        'citus, tenant_guard', the table orders_p, protected
#                  with tenant_guard.protect() before distribution (its
#                  policies compare the column with tenant_guard.tenant())
#
# Usage: bench/citus.sh (or bench/run.sh --only citus); QUICK=1 for fewer
# transactions; CITUS_BENCH_CONFIGS to choose configurations.  Skips (exit
# 0, saying so in the report) when Citus is not installed in the
# PostgreSQL named (TG_BINDIR, PG_CONFIG or PG_BIN; test/citus/run.sh
# installs it).  Writes $RESULTS_DIR/citus.md.

source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
source "$BENCH_DIR/lib/callgrind.sh"

N_TXN=${N_TXN:-2000}
[[ $QUICK == 1 ]] && N_TXN=200
ROWS=${CITUS_BENCH_ROWS:-20000}
TENANTS=${CITUS_BENCH_TENANTS:-50}
# The warm-up is one transaction per tenant, so that every shard has been
# reached (each worker's backend started, each shard's relation cached on
# both sides) before the measured transactions: a worker backend's start
# costs about 200 million instructions under Citus.
WARMUP=$TENANTS
SHARDS=${CITUS_BENCH_SHARDS:-8}
read -r -a CCONFIGS <<<"${CITUS_BENCH_CONFIGS:-citus tenant_guard protect}"
declare -A IR NAPP

bench_init citus

if [[ ! -f $("$PG_CONFIG" --sharedir)/extension/citus.control ||
	! -f $("$PG_CONFIG" --pkglibdir)/citus.so ]]; then
	log "Citus is not installed in $("$PG_CONFIG" --pkglibdir): citus part SKIPPED (test/citus/run.sh installs it)"
	{
		echo "## Citus cluster (callgrind)"
		echo
		echo "Skipped: Citus is not installed in this PostgreSQL (\`CITUS_SRC=... test/citus/run.sh\` builds and installs it)."
		echo
	} | report
	record_target "instructions per routed transaction on a Citus cluster" "not measured (no Citus)" "SKIP"
	exit 0
fi
command -v valgrind >/dev/null || die "valgrind is not installed (bench/run.sh installs it)"
CITUS_VERSION=$(sed -n "s/^default_version *= *'\(.*\)'/\1/p" \
	"$("$PG_CONFIG" --sharedir)/extension/citus.control")

node_port() { echo $((BENCH_PORT + $1)); }

# psql_node I [psql args]: psql as the superuser to node I, database bench.
psql_node() {
	local i=$1; shift
	"$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$SOCK_DIR" -p "$(node_port "$i")" \
		-U postgres -d bench "$@"
}

config_libs() {
	case $1 in
		citus) echo "citus" ;;
		*) echo "citus,tenant_guard" ;;
	esac
}
config_table() {
	case $1 in
		protect) echo "orders_p" ;;
		*) echo "orders" ;;
	esac
}
config_pristine() {
	case $1 in
		citus) echo "$BENCH_TMP/pristine_citus" ;;
		*) echo "$BENCH_TMP/pristine_tg" ;;
	esac
}

# The policies protect() installs where Citus is installed, by hand, with
# the setting read directly.
hand_policies_sql() {
	local cond="tenant_id = current_setting('app.current_tenant')::integer"
	cat <<-SQL
		ALTER TABLE orders ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
		CREATE POLICY tenant_guard_isolation ON orders AS RESTRICTIVE FOR ALL
		  USING ($cond) WITH CHECK ($cond);
		CREATE POLICY tenant_guard_baseline ON orders AS PERMISSIVE FOR ALL
		  USING ($cond) WITH CHECK ($cond);
	SQL
}

# build_pristine DIR WITH_TG: a coordinator and two workers in DIR/node0..2,
# database bench with Citus; orders (and with tenant_guard, orders_p,
# protected) distributed by tenant_id.  Stopped afterwards.
build_pristine() {
	local dir=$1 with_tg=$2 i libs=citus tbl
	[[ $with_tg == 1 ]] && libs=citus,tenant_guard
	for i in 0 1 2; do
		tg_initdb "$dir/node$i" -E UTF8 --locale=C >"$BENCH_TMP/initdb.log" 2>&1 ||
			{ cat "$BENCH_TMP/initdb.log" >&2; die "initdb failed"; }
		tg_configure_server "$dir/node$i" "$SOCK_DIR" "$(node_port $i)" \
			"# added by tenant_guard bench (citus)" \
			"max_connections = 40" \
			"max_prepared_transactions = 20" \
			"synchronous_commit = off" \
			"full_page_writes = off" \
			"autovacuum = off" \
			"checkpoint_timeout = 1h" \
			"log_min_messages = warning" \
			"log_connections = on" \
			"log_line_prefix = '%p '" \
			"citus.propagate_set_commands = 'local'" \
			"citus.distributed_deadlock_detection_factor = -1" \
			"citus.recover_2pc_interval = -1"
		tg_start_server "$dir/node$i" "$dir/node$i/server.log" \
			-o "-c shared_preload_libraries='$libs'" -t 120 || die "node $i did not start"
		"$PG_BIN/psql" -X -q -h "$SOCK_DIR" -p "$(node_port $i)" -U postgres -d postgres \
			-c "CREATE DATABASE bench" >/dev/null
		psql_node "$i" -c "CREATE EXTENSION citus" >/dev/null
	done
	{
		echo "SET client_min_messages = warning;"
		[[ $with_tg == 1 ]] && echo "CREATE EXTENSION tenant_guard;"
		echo "CREATE ROLE app LOGIN;"
		echo "SELECT citus_set_coordinator_host('$SOCK_DIR', $(node_port 0));"
		echo "SELECT citus_add_node('$SOCK_DIR', $(node_port 1));"
		echo "SELECT citus_add_node('$SOCK_DIR', $(node_port 2));"
		for tbl in orders $([[ $with_tg == 1 ]] && echo orders_p); do
			cat <<-SQL
				CREATE TABLE $tbl (id int NOT NULL, tenant_id int NOT NULL,
				  amount int NOT NULL, note text NOT NULL, PRIMARY KEY (tenant_id, id));
				INSERT INTO $tbl SELECT g, (g - 1) % $TENANTS + 1, g % 9973, 'order ' || g
				  FROM generate_series(1, $ROWS) g;
			SQL
			if [[ $tbl == orders ]]; then
				hand_policies_sql
			else
				echo "SELECT tenant_guard.protect('orders_p');"
			fi
			cat <<-SQL
				SELECT create_distributed_table('$tbl', 'tenant_id', shard_count => $SHARDS);
				SELECT truncate_local_data_after_distributing_table('$tbl');
				GRANT SELECT ON $tbl TO app;
			SQL
		done
		echo "VACUUM (FREEZE, ANALYZE);"
	} | psql_node 0 >/dev/null
	for i in 0 1 2; do psql_node "$i" -c "VACUUM (FREEZE, ANALYZE)" -c "CHECKPOINT"; done
	for i in 2 1 0; do pg_stop "$dir/node$i"; done
}

# gen_script TABLE NTXN: the client's transactions, one statement a line:
# the warm-up (tenants 1 to TENANTS in turn), then NTXN transactions.
gen_script() {
	awk -v tbl="$1" -v total=$((WARMUP + $2)) -v tenants="$TENANTS" -v rows="$ROWS" '
		function next_rand() { seed = (seed * 48271) % 2147483647; return seed }
		BEGIN {
			seed = 42
			for (i = 1; i <= total; i++) {
				if (i <= tenants) {
					t = i
					id = t
				} else {
					t = next_rand() % tenants + 1
					id = t + tenants * (next_rand() % (rows / tenants))
				}
				print "BEGIN;"
				printf "SET LOCAL app.current_tenant = '"'"'%d'"'"';\n", t
				printf "SELECT id, amount FROM %s WHERE tenant_id = %d AND id = %d;\n", tbl, t, id
				print "COMMIT;"
			}
		}'
}

# cg_object_self FILE OBJECT: the instructions a process (callgrind FILE)
# executed in the functions of a shared object (OBJECT, a regular
# expression on its path) itself: the cost lines of the functions under an
# ob= naming it, less the inclusive costs of their calls (the line after a
# calls=).  Object names are given once, in ob= or cob=, then by number.
cg_object_self() {
	awk -v obj="$2" '
		/^c?ob=/ {
			o = $0; sub(/^c?ob=/, "", o)
			if (match(o, /^\([0-9]+\)/)) {
				id = substr(o, 1, RLENGTH); rest = substr(o, RLENGTH + 1)
				sub(/^ +/, "", rest)
				if (rest != "") names[id] = rest
				o = names[id]
			}
			if ($0 ~ /^ob=/) cur = o
			next
		}
		/^calls=/ { skip = 1; next }
		/^[0-9+*-]/ { if (skip) { skip = 0; next } if (cur ~ obj) s += $2; next }
		END { printf "%.0f\n", s }' "$1"
}

# wrapper OUTDIR: a postgres that runs under callgrind, one output file per
# process in OUTDIR (pg_ctl -p runs it in place of postgres).
wrapper() {
	cat >"$1/postgres-callgrind" <<-EOF
		#!/bin/sh
		exec valgrind --tool=callgrind --trace-children=yes -q \\
		  --callgrind-out-file="$1/callgrind.out.%p" "$PG_BIN/postgres" "\$@"
	EOF
	chmod 755 "$1/postgres-callgrind"
}

# run_cluster CONFIG K SLOT: start the nodes under callgrind from the
# pristine copies, run the K script (N or 0), stop; then sum the
# instructions of the processes that logged in as app, per node, into
# IR[CONFIG,SLOT,node] (and those of every other process into
# IR[CONFIG,SLOT,bg]).
run_cluster() {
	local config=$1 script=$2 k=$3 run=$BENCH_TMP/run i pristine pids p f app other tg
	pristine=$(config_pristine "$config")
	rm -rf "$run"
	mkdir -p "$run"
	for i in 0 1 2; do
		cp -a "$pristine/node$i" "$run/node$i"
		mkdir -p "$BENCH_TMP/cg/$config.$k/node$i"
		wrapper "$BENCH_TMP/cg/$config.$k/node$i"
	done
	[[ $EUID -eq 0 ]] && chown -R postgres: "$run" "$BENCH_TMP/cg"
	for i in 0 1 2; do
		tg_start_server "$run/node$i" "$run/node$i.log" \
			-p "$BENCH_TMP/cg/$config.$k/node$i/postgres-callgrind" -t 600 \
			-o "-c shared_preload_libraries='$(config_libs "$config")'" ||
			die "node $i did not start under callgrind"
	done
	"$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$SOCK_DIR" -p "$(node_port 0)" \
		-U app -d bench -At -f "$BENCH_TMP/scripts/$config.$script.sql" \
		>"$BENCH_TMP/cg/$config.$k/client.out" 2>"$BENCH_TMP/cg/$config.$k/client.err" ||
		{ tail -5 "$BENCH_TMP/cg/$config.$k/client.err" >&2; die "the client failed ($config, $k)"; }
	# one row per transaction
	[[ $(grep -Ec '^[0-9]+\|[0-9]+$' "$BENCH_TMP/cg/$config.$k/client.out" || true) -eq \
		$((WARMUP + $([[ $script == N ]] && echo "$N_TXN" || echo 0))) ]] ||
		die "the client did not get one row per transaction ($config, $k)"
	for i in 2 1 0; do pg_stop "$run/node$i"; done
	# The backends exit before their postmaster; give callgrind a moment
	# to have written every file.
	sleep 1
	IR[$config,$k,bg]=0
	for i in 0 1 2; do
		pids=" $(awk '/connection authorized: user=app / { printf "%s ", $1 }' "$run/node$i.log")"
		app=0 other=0 tg=0
		for f in "$BENCH_TMP/cg/$config.$k/node$i"/callgrind.out.*; do
			p=${f##*.}
			if [[ $pids == *" $p "* ]]; then
				app=$((app + $(cg_total "$f")))
				tg=$((tg + $(cg_object_self "$f" '/tenant_guard[.]so$')))
			else
				other=$((other + $(cg_total "$f")))
			fi
		done
		IR[$config,$k,$i]=$app
		IR[$config,$k,tg$i]=$tg
		NAPP[$config,$k,$i]=$(wc -w <<<"$pids")
		IR[$config,$k,bg]=$((IR[$config,$k,bg] + other))
	done
	cp "$run"/node*.log "$BENCH_TMP/cg/$config.$k/"
	rm -rf "$run"
}

log "building the clusters ($ROWS rows, $TENANTS tenants, $SHARDS shards; Citus $CITUS_VERSION)"
[[ " ${CCONFIGS[*]} " == *" citus "* ]] && build_pristine "$BENCH_TMP/pristine_citus" 0
[[ " ${CCONFIGS[*]} " == *" tenant_guard "* || " ${CCONFIGS[*]} " == *" protect "* ]] &&
	build_pristine "$BENCH_TMP/pristine_tg" 1

mkdir -p "$BENCH_TMP/scripts" "$BENCH_TMP/cg"
for c in "${CCONFIGS[@]}"; do
	gen_script "$(config_table "$c")" "$N_TXN" >"$BENCH_TMP/scripts/$c.N.sql"
	gen_script "$(config_table "$c")" 0 >"$BENCH_TMP/scripts/$c.0.sql"
done

# Ir/txn of CONFIG for node 0, 1, 2, workers or total: the mean of the
# two measured runs (N and its repetition R) minus the warm-up run.
per_txn() { calc "((${IR[$1,N,$2]} + ${IR[$1,R,$2]}) / 2 - ${IR[$1,0,$2]}) / $N_TXN"; }
# How far the two measured runs are apart, per transaction.
spread() { calc "(${IR[$1,N,total]} - ${IR[$1,R,total]}) / $N_TXN"; }
for c in "${CCONFIGS[@]}"; do
	# the measured run twice: PostgreSQL flushes its statistics at most
	# once a second of wall-clock time, so runs differ a little
	for k in 0 N R; do
		log "$c: $([[ $k == 0 ]] && echo "warm-up only" || echo "warm-up + $N_TXN transactions ($k)")"
		run_cluster "$c" "$([[ $k == 0 ]] && echo 0 || echo N)" "$k"
		IR[$c,$k,total]=$((IR[$c,$k,0] + IR[$c,$k,1] + IR[$c,$k,2]))
		IR[$c,$k,workers]=$((IR[$c,$k,1] + IR[$c,$k,2]))
		IR[$c,$k,tgworkers]=$((IR[$c,$k,tg1] + IR[$c,$k,tg2]))
	done
	log "$c: $(fmt_int "$(per_txn "$c" total)") instructions per transaction (coordinator $(fmt_int "$(per_txn "$c" 0)"), workers $(fmt_int "$(per_txn "$c" workers)"))"
done

base=${CCONFIGS[0]}
{
	echo "## Citus cluster: instructions per routed transaction (callgrind)"
	echo
	echo "A coordinator and two workers (Citus $CITUS_VERSION), each postmaster under \`valgrind --tool=callgrind\`; psql as role app sends, per transaction, \`BEGIN\`, \`SET LOCAL app.current_tenant\`, \`SELECT id, amount FROM <table> WHERE tenant_id = t AND id = i\` (routed to one shard; simple protocol, literals) and \`COMMIT\`. $ROWS rows, $TENANTS tenants, $SHARDS shards. Ir/txn = (Ir of warm-up + N transactions − Ir of warm-up only) / N, N = $N_TXN (the mean of two runs), warm-up = $WARMUP, counting the processes that logged in as app: the coordinator's backend and the workers' backends of Citus's connections."
	echo
	echo "| config | coordinator | workers | total Ir/txn | Δ vs $base | vs $base | app backends (coordinator, worker1, worker2) |"
	echo "|---|---:|---:|---:|---:|---:|---|"
	for c in "${CCONFIGS[@]}"; do
		t=$(per_txn "$c" total)
		b=$(per_txn "$base" total)
		echo "| $c | $(fmt_int "$(per_txn "$c" 0)") | $(fmt_int "$(per_txn "$c" workers)") | $(fmt_int "$t") | $(fmt_int "$(calc "$t - $b")") | $(pct "$(calc "$t / $b")") | ${NAPP[$c,N,0]}, ${NAPP[$c,N,1]}, ${NAPP[$c,N,2]} |"
	done
	echo
	echo "Of these, in tenant_guard.so's own functions (their self instructions, not the PostgreSQL functions they call), per transaction: $(for c in "${CCONFIGS[@]:1}"; do printf '%s: coordinator %s, workers %s; ' "$c" "$(fmt_int "$(per_txn "$c" tg0)")" "$(fmt_int "$(per_txn "$c" tgworkers)")"; done | sed 's/; $//')."
	echo
	echo "Each measured run was made twice; Ir/txn uses their mean. The two runs' totals differ by, per transaction: $(for c in "${CCONFIGS[@]}"; do printf '%s %s; ' "$c" "$(fmt_int "$(spread "$c")")"; done | sed 's/; $//')."
	echo
	echo "Other processes of the three nodes (checkpointer, Citus's maintenance daemons and their connections, ...), not counted above, per transaction of the difference: $(for c in "${CCONFIGS[@]}"; do printf '%s %s; ' "$c" "$(fmt_int "$(calc "(${IR[$c,N,bg]} - ${IR[$c,0,bg]}) / $N_TXN")")"; done | sed 's/; $//') (work per second of wall-clock time, not per transaction)."
	echo
} | report
for c in "${CCONFIGS[@]:1}"; do
	record_target "Citus cluster: instructions per routed transaction, $c vs $base (no target set)" \
		"$(pct "$(calc "$(per_txn "$c" total) / $(per_txn "$base" total)")") ($(fmt_int "$(calc "$(per_txn "$c" total) - $(per_txn "$base" total)")") Ir)" "INFO"
done
log "citus part done"
