#!/usr/bin/env bash
#
# bench/run.sh - tenant_guard's benchmark suite, in one command.
#
#   bench/run.sh            full run (~25 min): builds and installs the
#                           extension, runs every part, prints the tables and
#                           writes them into bench/README.md
#   bench/run.sh --quick    smoke run (~5 min): fewer transactions, shorter
#                           pgbench runs, a 1M-row table; README untouched
#
# Options:
#   --only PARTS   comma-separated subset of: callgrind,throughput,scale;
#                  or token (signed tenant tokens) or citus (a Citus
#                  cluster, when Citus is installed), which are not in the
#                  default run
#   --no-build     do not run make / make install first
#   --no-readme    do not update bench/README.md
#   --keep         keep the temporary directories (callgrind files, logs)
#
# The parts (each can also be run alone, see its header):
#   callgrind.sh   instructions per transaction with callgrind (parts 1, 2)
#   throughput.sh  pgbench tps, configurations alternated (part 3)
#   scale.sh       standard policy on 10M rows vs an application-side
#                  filter (part 4)
#   token.sh       signed tenant tokens (--only token)
#   citus.sh       routed transactions on a Citus cluster (--only citus)
# Every part starts its own throwaway cluster(s) in
# $BENCH_TMPDIR/tenant_guard_bench_* (BENCH_TMPDIR defaults to /var/tmp) as
# the postgres OS user, on a unix socket in that directory (no TCP), and
# stops them on exit.  Results go to bench/results/<date>/ (not in git) and
# bench/results/latest.md.
#
# Needs root (for apt-get, make install and runuser), or a user that can
# run initdb and write to the PostgreSQL installation.

set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
COMMAND="bench/run.sh${*:+ $*}"
source "$BENCH_DIR/lib/common.sh"

PARTS=(callgrind throughput scale)
BUILD=1
UPDATE_README=1
while (($#)); do
	case $1 in
		--quick) QUICK=1 ;;
		--only) shift; IFS=, read -r -a PARTS <<<"${1:?--only needs a list}" ;;
		--no-build) BUILD=0 ;;
		--no-readme) UPDATE_README=0 ;;
		--keep) KEEP_TMP=1 ;;
		-h | --help) sed -n '2,/^$/s/^# \{0,1\}//p' "$0"; exit 0 ;;
		*) die "unknown option $1 (see --help)" ;;
	esac
	shift
done
# Only a complete full run is worth recording in the README.
[[ $QUICK == 1 || ${#PARTS[@]} -ne 3 ]] && UPDATE_README=0
export QUICK KEEP_TMP

# ------------------------------------------------------------ prerequisites

# Install what is missing: valgrind (callgrind), pgaudit, the contrib
# modules (pg_stat_statements, pg_prewarm; part of postgresql-15), pgbench
# and the headers to build the extension.
ensure_packages() {
	local -a missing=()
	command -v valgrind >/dev/null && command -v callgrind_annotate >/dev/null ||
		missing+=(valgrind)
	local libdir
	libdir=$("$PG_CONFIG" --pkglibdir 2>/dev/null || echo /usr/lib/postgresql/15/lib)
	# (only the callgrind and throughput parts run the configurations)
	[[ -f $libdir/pgaudit.so || " ${CONFIGS[*]} " != *" pgaudit "* ||
		" ${PARTS[*]} " != *" callgrind "* && " ${PARTS[*]} " != *" throughput "* ]] ||
		missing+=(postgresql-15-pgaudit)
	[[ -f $libdir/pg_stat_statements.so && -f $libdir/pg_prewarm.so &&
		-x $PG_BIN/postgres ]] || missing+=(postgresql-15 postgresql-contrib)
	[[ -x $PG_BIN/pgbench && -x $PG_BIN/psql ]] || missing+=(postgresql-client-15)
	[[ -x $PG_CONFIG ]] || missing+=(postgresql-server-dev-15)
	command -v make >/dev/null && command -v gcc >/dev/null || missing+=(make gcc)
	((${#missing[@]} == 0)) && return
	[[ $EUID -eq 0 ]] || die "missing packages (${missing[*]}); run as root to install them"
	log "installing ${missing[*]}"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

build_extension() {
	log "building and installing tenant_guard"
	if ! { make -C "$REPO_DIR" PG_CONFIG="$PG_CONFIG" &&
		make -C "$REPO_DIR" install PG_CONFIG="$PG_CONFIG"; } >"$RESULTS_DIR/build.log" 2>&1; then
		tail -30 "$RESULTS_DIR/build.log" >&2
		die "build failed"
	fi
}

# ------------------------------------------------------------------ report

# Replace what lies between the results markers in README.md.
update_readme() {
	local readme=$BENCH_DIR/README.md tmp
	grep -q '^<!-- results:begin -->$' "$readme" || die "no results markers in $readme"
	tmp=$(mktemp)
	awk -v f="$1" '
		/^<!-- results:begin -->$/ { print; while ((getline l < f) > 0) print l; skip = 1; next }
		/^<!-- results:end -->$/ { skip = 0 }
		!skip' "$readme" >"$tmp"
	cat "$tmp" >"$readme"
	rm -f "$tmp"
	log "updated $readme"
}

# ------------------------------------------------------------------- main

STAMP=$(date +%Y-%m-%d_%H%M%S)
RESULTS_DIR=$BENCH_DIR/results/$STAMP
export RESULTS_DIR
mkdir -p "$RESULTS_DIR"
started=$SECONDS

ensure_packages
((BUILD)) && build_extension

# Others may "make install" on a shared machine: a part during which the
# installed library changed measured two builds.  The callgrind part (the
# headline, 3 minutes) is then run again; the others are only flagged.
SO=$("$PG_CONFIG" --pkglibdir)/tenant_guard.so
so_sum() { md5sum "$SO" | cut -c1-12; }
declare -A SO_OF
SO_WARN=""

for part in "${PARTS[@]}"; do
	[[ -x $BENCH_DIR/$part.sh ]] || die "no such part: $part"
	for attempt in 1 2 3; do
		log "=== $part"
		before=$(so_sum)
		"$BENCH_DIR/$part.sh"
		SO_OF[$part]=$(so_sum)
		[[ ${SO_OF[$part]} == "$before" ]] && break
		log "tenant_guard.so changed during $part (another make install)"
		if [[ $part != callgrind || $attempt == 3 ]]; then
			SO_WARN+=" $part"
			break
		fi
	done
done

# Compose the results: header, targets, then each part's tables.
out=$RESULTS_DIR/results.md
rev=$(git -C "$REPO_DIR" rev-parse --short HEAD 2>/dev/null || echo unknown)
git -C "$REPO_DIR" diff --quiet HEAD -- . ':!bench' 2>/dev/null || rev+=" + uncommitted changes"
{
	echo "### Results of $(date '+%Y-%m-%d %H:%M %Z')"
	echo
	echo "- command: \`$COMMAND\`$([[ $QUICK == 1 ]] && echo ' (quick mode: smaller and shorter, for smoke tests only)')"
	echo "- PostgreSQL: \`$("$PG_BIN/postgres" --version)\`"
	echo "- tenant_guard: $rev; installed tenant_guard.so measured (md5): $(for p in "${PARTS[@]}"; do printf '%s %s; ' "$p" "${SO_OF[$p]}"; done | sed 's/; $//')"
	[[ -n $SO_WARN ]] && echo "- **WARNING: the installed library kept changing during:$SO_WARN; those results mix builds**"
	echo "- machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(uname -sr), valgrind $(valgrind --version 2>/dev/null | sed 's/valgrind-//')"
	echo "- run time: $(((SECONDS - started) / 60)) min"
	echo
	echo "| target | measured | result |"
	echo "|---|---|---|"
	for part in "${PARTS[@]}"; do cat "$RESULTS_DIR/$part.targets.md"; done
	echo
	for part in "${PARTS[@]}"; do
		# Demote the parts' headings (not the code blocks) by one level.
		awk '/^```/ { code = !code } !code && /^#/ { $0 = "#" $0 } 1' "$RESULTS_DIR/$part.md"
	done
} >"$out"
cp "$out" "$BENCH_DIR/results/latest.md"

echo
echo "================================================================"
cat "$out"
log "results: $out"
[[ -n $SO_WARN ]] && log "WARNING: $SO changed during:$SO_WARN (see the results header)"
((UPDATE_README)) && update_readme "$out"
log "done in $(((SECONDS - started) / 60)) min"
