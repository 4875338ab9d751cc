#!/usr/bin/env bash
#
# bench/throughput.sh - transactions per second with pgbench.
#
# Part 3 of the benchmark: the workloads of callgrind.sh (RLS point lookup,
# 20-table RLS join, pgbench's select-only statement on a table without
# RLS), run by pgbench -M prepared as role "app", in every configuration
# (nothing preloaded, tenant_guard, pg_stat_statements, pgaudit).  Two ways:
#
#   alternated    one server, restarted with a different
#                 shared_preload_libraries for each configuration, in rounds
#                 whose order alternates (forward, backward, ...); ratio of
#                 each configuration to "none" within a round, medians.
#   side by side  two servers on copies of the same data, "none" and the
#                 configuration, loaded at the same time by two pgbench
#                 processes (half the clients each); ratio of their tps.
#
# The machine is shared: its speed changes by a factor of two within
# seconds when other work comes and goes, which can tilt any pair of runs
# that are not simultaneous.  Side by side, both servers see the same
# machine.  Absolute tps mean little; the ratios are the result.
#
# Usage: bench/throughput.sh   (normally through bench/run.sh; QUICK=1 for
# one short round).  Writes $RESULTS_DIR/throughput.md.

source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

ROUNDS=${ROUNDS:-4}         # alternated: each configuration once per round
DURATION=${DURATION:-8}     # seconds per alternated pgbench run
WARM=${WARM:-2}             # seconds of warm-up per workload after a start
SIDE_REPS=${SIDE_REPS:-3}   # side by side: runs per workload and configuration
SIDE_DURATION=${SIDE_DURATION:-10}
CLIENTS=${CLIENTS:-4}
if [[ $QUICK == 1 ]]; then
	ROUNDS=1
	DURATION=2
	WARM=1
	SIDE_REPS=1
	SIDE_DURATION=2
fi

WORKLOADS=(point join20 select_only)
declare -A LABEL=(
	[point]="RLS point lookup"
	[join20]="RLS join, 20 tables"
	[select_only]="no RLS table (pgbench select-only)"
)
declare -A TPS SIDE   # "workload,config,round" -> tps

PORT_A=$BENCH_PORT
PORT_B=$((BENCH_PORT + 1))
PGBENCH_VARS=(-D tenants="$BASE_TENANTS" -D rows="$BASE_ROWS"
	-D join_rows="$JOIN_ROWS" -D naccounts=$((100000 * PGBENCH_SCALE)))
script() { echo "$BENCH_DIR/pgbench/$1.sql"; }

bench_init throughput

log "building the data set"
DATA_A=$BENCH_TMP/data_a
DATA_B=$BENCH_TMP/data_b
build_base_cluster "$DATA_A" "shared_buffers = 256MB"
pg_stop "$DATA_A"
cp -a "$DATA_A" "$DATA_B"

# ------------------------------------------------------------ alternated

for ((r = 1; r <= ROUNDS; r++)); do
	order=("${CONFIGS[@]}")
	if ((r % 2 == 0)); then
		order=()
		for ((i = ${#CONFIGS[@]} - 1; i >= 0; i--)); do order+=("${CONFIGS[$i]}"); done
	fi
	for c in "${order[@]}"; do
		# shellcheck disable=SC2046
		pg_start "$DATA_A" "$(config_preload "$c")" $(config_settings "$c")
		for w in "${WORKLOADS[@]}"; do   # fill caches after the restart
			pgbench_tps "$PORT_A" "$CLIENTS" "$(script "$w")" "$WARM" "${PGBENCH_VARS[@]}" >/dev/null
		done
		for w in "${WORKLOADS[@]}"; do
			TPS[$w,$c,$r]=$(pgbench_tps "$PORT_A" "$CLIENTS" "$(script "$w")" "$DURATION" "${PGBENCH_VARS[@]}")
			log "alternated, round $r, $c, $w: ${TPS[$w,$c,$r]} tps"
		done
		pg_stop "$DATA_A"
	done
done

# ----------------------------------------------------------- side by side

pg_start "$DATA_A" ""
for c in "${CONFIGS[@]}"; do
	[[ $c == none ]] && continue
	# shellcheck disable=SC2046
	pg_start "$DATA_B" "$(config_preload "$c")" "port=$PORT_B" $(config_settings "$c")
	for w in "${WORKLOADS[@]}"; do
		pgbench_side_by_side "$PORT_A" "$(script "$w")" "$PORT_B" "$(script "$w")" \
			"$WARM" "${PGBENCH_VARS[@]}" >/dev/null
		for ((r = 1; r <= SIDE_REPS; r++)); do
			read -r a b <<<"$(pgbench_side_by_side "$PORT_A" "$(script "$w")" \
				"$PORT_B" "$(script "$w")" "$SIDE_DURATION" "${PGBENCH_VARS[@]}")"
			# shellcheck disable=SC2034  # read through values_of
			SIDE[$w,$c,$r]=$(calc "$b / $a")
			log "side by side, $c vs none, $w: $b vs $a tps"
		done
	done
	pg_stop "$DATA_B"
done
pg_stop "$DATA_A"

# --------------------------------------------------------------- report

{
	echo "## Throughput (pgbench)"
	echo
	echo "pgbench -M prepared as role app. *Alternated*: one server restarted per configuration, $ROUNDS round(s) in alternating order, -c $CLIENTS -T $DURATION per run after a ${WARM}s warm-up; ratio = tps / tps of none in the same round. *Side by side*: a server with nothing preloaded and one with the configuration, on copies of the same data, loaded simultaneously by two pgbench processes (-c $(((CLIENTS + 1) / 2)) each, -T $SIDE_DURATION, $SIDE_REPS run(s)); ratio = tps of the configuration / tps of none. Medians. The machine's speed varies by up to 2x within seconds, which only the side-by-side runs are immune to; absolute tps mean little."
	echo
	echo "| workload | config | median tps (alternated) | alternated vs none | side by side vs none | per-round ratios (alternated) | per-run ratios (side by side) |"
	echo "|---|---|---:|---:|---:|---|---|"
	for w in "${WORKLOADS[@]}"; do
		for c in "${CONFIGS[@]}"; do
			tps=$(values_of TPS "$w,$c" "$ROUNDS" | median)
			alt=$(ratios_of TPS "$w,$c" "$w,none" "$ROUNDS")
			if [[ $c == none ]]; then
				side_med="" side_list=""
			else
				side_med=$(pct "$(values_of SIDE "$w,$c" "$SIDE_REPS" | median)")
				side_list=$(values_of SIDE "$w,$c" "$SIDE_REPS" | list3)
			fi
			echo "| ${LABEL[$w]} | $c | $(printf '%.0f' "$tps") | $(pct "$(median <<<"$alt")") | $side_med | $(list3 <<<"$alt") | $side_list |"
		done
	done
	echo
} | report

log "throughput part done"
