# shellcheck shell=bash
#
# bench/lib/callgrind.sh - counting a single-user backend's instructions.
#
# Sourced by bench/callgrind.sh and bench/scale.sh (after lib/common.sh).
# A single-user backend (postgres --single) executes a script of SQL
# statements, one per line, from stdin, under valgrind --tool=callgrind,
# which counts every instruction it executes.  The count does not depend on
# the speed or the load of the machine.

# cg_run DATADIR SCRIPT OUT [-c name=value ...]: run SCRIPT against database
# "bench" in DATADIR (the cluster must be stopped); writes OUT (callgrind's
# data), OUT.stdout, OUT.stderr and OUT.tree (callgrind_annotate's call
# tree).  Fails if the backend reported any error.
cg_run() {
	local data=$1 script=$2 out=$3
	shift 3
	as_pg valgrind --tool=callgrind --callgrind-out-file="$out" \
		"$PG_BIN/postgres" --single -D "$data" "$@" bench \
		<"$script" >"$out.stdout" 2>"$out.stderr" ||
		{ tail -20 "$out.stderr" >&2; die "single-user backend failed ($(basename "$script"))"; }
	# The backend carries on after an error: make sure there was none.
	if grep -v '^==' "$out.stderr" | grep -Eq 'ERROR|FATAL|PANIC|WARNING'; then
		grep -v '^==' "$out.stderr" | grep -E -m5 'ERROR|FATAL|PANIC|WARNING' >&2
		die "errors in single-user run ($(basename "$script"), $*)"
	fi
	callgrind_annotate --tree=calling --threshold=100 "$out" >"$out.tree" 2>/dev/null
}

# Total instructions of a callgrind run.
cg_total() { awk '/^summary:/ { print $2 }' "$1"; }

# Inclusive instructions of pg_printf (the single-user backend's terminal
# output, which a client connection would not pay in that form): summed
# over its call sites in the call tree.
cg_printf() {
	awk '/\) +> +[^ ]*:pg_printf / { c = $1; gsub(",", "", c); s += c }
		END { printf "%.0f\n", s }' "$1.tree"
}
