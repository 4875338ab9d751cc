#!/usr/bin/env bash
# test/core_suite.sh: PostgreSQL's own regression suite with tenant_guard
# preloaded, compared with the same suite without it.
#
# The core suite (src/test/regress, parallel_schedule, as "make
# installcheck" runs it) exercises far more of the server than our own
# tests: every statement type, every catalog path, triggers, rules, RLS,
# partitions, COPY, MERGE.  It runs twice, on two throwaway servers of the
# installed binaries: once without tenant_guard and once with
# shared_preload_libraries = 'tenant_guard'.  The suite runs as a superuser
# in database "regression", where the rules do not apply, but several tests
# SET ROLE to regress_* roles that are inside them, so a few outputs differ
# by refusals.  The difference between the two runs' outputs must be the
# reviewed one in test/core_suite/expected-MAJOR.diff: any new difference,
# or an expected one that went away, fails the run.  A server process that
# crashes fails it too.
#
#   test/core_suite.sh            run and compare (exit 0, 1, or 77 when the
#                                 source of the installed major cannot be
#                                 had, or no reviewed difference exists for
#                                 it yet, so there is nothing to compare)
#   test/core_suite.sh --update   run and write the difference to
#                                 test/core_suite/expected-MAJOR.diff,
#                                 keeping its review header: review every
#                                 hunk and update the header before
#                                 committing
#   --compare WORKDIR             compare (or with --update, write) the
#                                 outputs of an earlier run kept in WORKDIR
#                                 instead of running the suite again
#
# The core suite needs its own pg_regress, regress.so and psql: the source
# comes from "apt-get source postgresql-MAJOR" (deb-src is enabled if it is
# not), which may serve an older minor release than the installed server's.
# Its psql is used rather than the installed one, whose handling of a failed
# COPY FROM STDIN skips the data lines and loses coverage.  The source is
# configured with minimal options, only psql, libpq, pg_regress and the
# test libraries are built (a few minutes), and the tree is cached in
# $TG_CORE_SUITE_CACHE/pgsrc-VERSION (default /var/cache/tenant_guard) for
# later runs; remove that directory to fetch a newer minor release.
#
# The major version comes from PG_CONFIG (or TG_BINDIR), as in test/lib.sh.
# TG_CORE_SUITE_KEEP=1 keeps the work directory (both runs' results,
# server logs and the difference) even when the run passes.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

update=0
compare=
while [ $# -gt 0 ]; do
	case $1 in
		--update) update=1 ;;
		--compare) compare=${2:?}; shift ;;
		*) tg_die "usage: $0 [--update] [--compare WORKDIR]" ;;
	esac
	shift
done

CS_VERSION=$("$PG_CONFIG" --version | awk '{print $2}')
CS_MAJOR=${CS_VERSION%%.*}
CS_PKG=postgresql-$CS_MAJOR
CS_PATCH=$TG_ROOT/test/core_suite/expected-$CS_MAJOR.diff
if [ -z "${TG_CORE_SUITE_CACHE:-}" ]; then
	if [ -w /var/cache ] || [ -w /var/cache/tenant_guard ]; then
		TG_CORE_SUITE_CACHE=/var/cache/tenant_guard
	else
		TG_CORE_SUITE_CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/tenant_guard
	fi
fi
mkdir -p "$TG_CORE_SUITE_CACHE"

# Packages to fetch, unpack and build the source: psql without readline
# and zlib, no ICU (the server's own libraries do the work in the tests).
CS_PACKAGES=(make gcc dpkg-dev bzip2 xz-utils bison flex perl)

# Add a deb-src entry for every deb entry of the host's deb822 sources, in a
# file of our own, unless some deb-src entry exists already.  Prints 1 when
# it wrote the file (apt-get update is then needed).
cs_enable_deb_src() {
	local own=/etc/apt/sources.list.d/tenant-guard-src.sources
	if grep -qsE '^[[:space:]]*Types:.*deb-src' /etc/apt/sources.list.d/*.sources ||
		grep -qsE '^[[:space:]]*deb-src[[:space:]]' /etc/apt/sources.list \
			/etc/apt/sources.list.d/*.list; then
		return 0
	fi
	local file tmp
	tmp=$(mktemp)
	for file in /etc/apt/sources.list.d/*.sources; do
		[ -f "$file" ] || continue
		# Stanzas are separated by blank lines; keep those with Types: deb.
		awk 'BEGIN { RS = ""; ORS = "\n\n" }
			/(^|\n)Types:[^\n]*(^|[ \t])deb([ \t\n]|$)/ {
				sub(/(^|\n)Types:[^\n]*/, "\nTypes: deb-src"); sub(/^\n/, "");
				print }' "$file" >>"$tmp"
	done
	# A classic one-line sources.list (older images).
	if [ -f /etc/apt/sources.list ]; then
		sed -n 's/^[[:space:]]*deb[[:space:]]/deb-src /p' \
			/etc/apt/sources.list >"$tmp.list"
	fi
	if [ -s "$tmp" ]; then
		tg_log "enabling source packages in $own"
		tg_as_root install -m 644 "$tmp" "$own"
	elif [ -s "$tmp.list" ]; then
		tg_log "enabling source packages in ${own%.sources}.list"
		tg_as_root install -m 644 "$tmp.list" "${own%.sources}.list"
	else
		rm -f "$tmp" "$tmp.list"
		return 0
	fi
	rm -f "$tmp" "$tmp.list"
	echo 1
}

# The newest cached and built tree of this major, if any.
cs_cached_tree() {
	local dir
	for dir in $(ls -d "$TG_CORE_SUITE_CACHE/pgsrc-$CS_MAJOR".* 2>/dev/null |
			sort -rV); do
		if [ -f "$dir/.built" ]; then
			echo "$dir"
			return 0
		fi
	done
	return 1
}

# Fetch, configure and build the source of version $1 (Debian version) in
# the cache.  Only what the core suite needs: psql and libpq (installed into
# the tree's own prefix), pg_regress, regress.so, refint.so and autoinc.so.
cs_build() {
	local debver=$1 upstream=${1%%-*}
	local dir=$TG_CORE_SUITE_CACHE/pgsrc-$upstream
	rm -rf "$dir"
	mkdir -p "$dir/dl"
	tg_log "fetching $CS_PKG=$debver into $dir"
	(cd "$dir/dl" && apt-get source -q "$CS_PKG=$debver" >"$dir/fetch.log" 2>&1) ||
		{ tail -n 5 "$dir/fetch.log" >&2; rm -rf "$dir"; return 1; }
	mv "$dir/dl/$CS_PKG-$upstream" "$dir/src"
	rm -rf "$dir/dl"
	tg_log "building psql, pg_regress and the test libraries of $upstream"
	(
		set -e
		cd "$dir/src"
		./configure -q --prefix="$dir/inst" --without-icu --without-readline \
			--without-zlib --without-llvm
		make -s -j2 -C src/interfaces/libpq install
		make -s -j2 -C src/bin/psql install
		make -s -j2 -C src/test/regress all
	) >"$dir/build.log" 2>&1 ||
		{ tail -n 30 "$dir/build.log" >&2; tg_die "building $upstream failed (see $dir/build.log)"; }
	touch "$dir/.built"
}

# Find or make the built tree; sets CS_TREE.  Exits 77 when no source of
# this major is available.
cs_prepare_tree() {
	if CS_TREE=$(cs_cached_tree); then
		return 0
	fi
	tg_install_packages "${CS_PACKAGES[@]}"
	if [ -n "$(cs_enable_deb_src)" ] || ! apt-cache showsrc "$CS_PKG" 2>/dev/null |
			grep -q '^Version:'; then
		tg_as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
	fi
	# Every version served, the installed one and older ones first (newest
	# first), then newer ones: an index may list a version whose files the
	# mirror does not have.
	local versions debver
	versions=$(apt-cache showsrc "$CS_PKG" 2>/dev/null |
		awk '/^Version:/ { print $2 }' | sort -ruV)
	if [ -z "$versions" ]; then
		echo "core suite: no source package $CS_PKG in the apt sources" >&2
		exit 77
	fi
	for debver in $(echo "$versions" | awk -v v="$CS_VERSION" '
			{ split($1, a, "-"); up = a[1] }
			{ if (up == v || system("dpkg --compare-versions " up " lt " v) == 0)
				old[n++] = $1; else newer[m++] = $1 }
			END { for (i = 0; i < n; i++) print old[i];
				  for (i = m - 1; i >= 0; i--) print newer[i] }'); do
		if cs_build "$debver"; then
			CS_TREE=$TG_CORE_SUITE_CACHE/pgsrc-${debver%%-*}
			return 0
		fi
		tg_log "$CS_PKG=$debver could not be fetched, trying an older one"
	done
	echo "core suite: no version of $CS_PKG could be fetched" >&2
	exit 77
}

# cs_run NAME PRELOAD: the core suite on a fresh server with
# shared_preload_libraries = PRELOAD; results in $TG_WORKDIR/NAME.
cs_run() {
	local name=$1 preload=$2 dir=$TG_WORKDIR/$1 regress=$CS_TREE/src/src/test/regress
	tg_as_cluster_user mkdir -p "$dir/out"
	LC_ALL=C tg_initdb "$dir/data" -E UTF8 --no-locale >/dev/null
	TG_PGPORT=$(( 20000 + RANDOM % 20000 ))
	# As pg_regress's own temporary servers are configured.
	tg_configure_server "$dir/data" "$dir" "$TG_PGPORT" \
		"shared_preload_libraries = '$preload'" "max_prepared_transactions = 2"
	tg_start_server "$dir/data" "$dir/server.log"
	tg_log "core suite ${name} tenant_guard (port $TG_PGPORT)"
	# pg_regress exits 1 when tests fail against PostgreSQL's expected
	# output; the comparison between the two runs is what counts.
	tg_as_cluster_user "$regress/pg_regress" \
		--inputdir="$regress" --outputdir="$dir/out" \
		--bindir="$CS_TREE/inst/bin" --dlpath="$regress" \
		--host="$dir" --port="$TG_PGPORT" --user=postgres \
		--max-concurrent-tests=20 --schedule="$regress/parallel_schedule" \
		>"$dir/pg_regress.log" 2>&1 || true
	tg_stop_clusters
	tg_log "$name: $(grep -cE '\.\.\. ok' "$dir/pg_regress.log" || true) tests" \
		"give the output PostgreSQL expects"
	if [ ! -d "$dir/out/results" ]; then
		tail -n 20 "$dir/pg_regress.log" >&2
		return 1
	fi
}

# Normalise what depends on the run rather than on the guard: the paths of
# the work directory and of the source tree.
cs_normalise() {
	sed -e "s|$TG_WORKDIR/[a-z]*/out|@outdir@|g" -e "s|$CS_TREE|@srctree@|g" "$1"
}

# The difference between the two runs, one unified diff per test whose
# output differs, in schedule order.
cs_difference() {
	local regress=$CS_TREE/src/src/test/regress test
	for test in $(awk '/^test:/ { for (i = 2; i <= NF; i++) print $i }' \
			"$regress/parallel_schedule"); do
		cmp -s "$TG_WORKDIR/without/out/results/$test.out" \
			"$TG_WORKDIR/with/out/results/$test.out" && continue
		diff -u --label "without/$test.out" --label "with/$test.out" \
			<(cs_normalise "$TG_WORKDIR/without/out/results/$test.out" 2>/dev/null) \
			<(cs_normalise "$TG_WORKDIR/with/out/results/$test.out" 2>/dev/null) || true
	done
}

# cs_split DIFF DIR: one file per test of a difference, named after it.
cs_split() {
	rm -rf "$2"
	mkdir -p "$2"
	awk -v dir="$2" '
		/^--- without\// { f = $2; sub(/^without\//, "", f); f = dir "/" f }
		/^#/ && !f { next }
		f { print > f }' "$1"
}

# Keep the work directory when the run fails, or when asked to.
cleanup() {
	tg_stop_clusters
	if [ "${TG_CORE_SUITE_KEEP:-0}" = 1 ] || [ "${cs_failed:-1}" = 1 ]; then
		echo "core suite: work directory kept in $TG_WORKDIR" >&2
	else
		rm -rf "$TG_WORKDIR"
	fi
}

# A major without a reviewed difference has nothing to compare with: say
# so and skip (77) before fetching and building anything, rather than spend
# the run producing a difference nobody reviewed.  --update makes one.
if [ "$update" = 0 ] && [ ! -f "$CS_PATCH" ]; then
	echo "core suite: no reviewed difference for PostgreSQL $CS_MAJOR" \
		"($CS_PATCH); run $0 --update and review it" >&2
	exit 77
fi

if [ -n "$compare" ]; then
	CS_TREE=$(cs_cached_tree) ||
		tg_die "no built source tree in $TG_CORE_SUITE_CACHE"
	TG_WORKDIR=$(cd "$compare" && pwd)
	[ -d "$TG_WORKDIR/with/out/results" ] || tg_die "no results in $compare"
else
	tg_install_packages "${TG_PACKAGES[@]}"
	# One fetch and build at a time per cache (the version matrix may run
	# this script in parallel).
	exec 9>"$TG_CORE_SUITE_CACHE/pgsrc-$CS_MAJOR.lock"
	flock 9
	cs_prepare_tree
	flock -u 9
	tg_log "core suite of $(basename "$CS_TREE") against the server $CS_VERSION"
	tg_build_and_install

	tg_make_workdir
	trap cleanup EXIT
	cs_failed=1
	started=$SECONDS
	cs_run without ''
	cs_run with tenant_guard
	tg_log "both runs took $(( SECONDS - started )) s"
fi

status=0
grep -E -H "$TG_CRASH_PATTERN" "$TG_WORKDIR"/with/server.log \
	"$TG_WORKDIR"/without/server.log || status=$?
if [ "$status" -ne 1 ]; then
	echo "core suite: a server process crashed (see the logs above)" >&2
	exit 1
fi

cs_difference >"$TG_WORKDIR/difference.diff"

if [ "$update" = 1 ]; then
	mkdir -p "$(dirname "$CS_PATCH")"
	{
		if [ -f "$CS_PATCH" ]; then
			sed -n '/^---/q; p' "$CS_PATCH"
		else
			echo "# The reviewed difference between PostgreSQL $CS_MAJOR's core regression"
			echo "# suite without and with tenant_guard (test/core_suite.sh)."
			echo "# TODO: review each hunk and say here which rule it is."
			echo "#"
		fi
		cat "$TG_WORKDIR/difference.diff"
	} >"$TG_WORKDIR/patch.new"
	cp "$TG_WORKDIR/patch.new" "$CS_PATCH"
	tg_log "wrote $CS_PATCH: $(grep -c '^--- without/' "$CS_PATCH") tests differ; review every hunk and its header before committing"
	cs_failed=0
	exit 0
fi

if [ ! -f "$CS_PATCH" ]; then
	echo "core suite: no reviewed difference for PostgreSQL $CS_MAJOR" \
		"($CS_PATCH); run $0 --update and review it" >&2
	exit 1
fi

cs_split "$CS_PATCH" "$TG_WORKDIR/expected_by_test"
cs_split "$TG_WORKDIR/difference.diff" "$TG_WORKDIR/actual_by_test"
# Tests whose difference with tenant_guard depends on what the tests run
# beside them do: psql, whose regress role may not keep a session
# search_path through its own schema testpart (rule 2), then lists the
# partitioned relations of schema public, which the tests of its parallel
# group create and drop.  Their difference must exist, and is not compared
# line by line.
CS_UNSTABLE=" psql "
unexpected=()
for test in $( (ls "$TG_WORKDIR/expected_by_test"; ls "$TG_WORKDIR/actual_by_test") |
		sed 's/\.out$//' | sort -u); do
	if [[ $CS_UNSTABLE == *" $test "* ]] &&
			[ -s "$TG_WORKDIR/expected_by_test/$test.out" ] &&
			[ -s "$TG_WORKDIR/actual_by_test/$test.out" ]; then
		continue
	fi
	if ! cmp -s "$TG_WORKDIR/expected_by_test/$test.out" \
			"$TG_WORKDIR/actual_by_test/$test.out"; then
		unexpected+=("$test")
	fi
done
ntests=$(awk '/^test:/ { n += NF - 1 } END { print n }' \
	"$CS_TREE/src/src/test/regress/parallel_schedule")
ndiffer=$(grep -c '^--- without/' "$TG_WORKDIR/difference.diff" || true)
if [ ${#unexpected[@]} -gt 0 ]; then
	for test in "${unexpected[@]}"; do
		echo "---- $test: the difference with tenant_guard differs from the reviewed one" \
			"(reviewed difference against this run's):"
		diff -u -N --label "reviewed/$test" --label "this-run/$test" \
			"$TG_WORKDIR/expected_by_test/$test.out" \
			"$TG_WORKDIR/actual_by_test/$test.out" 2>/dev/null | head -n 80 || true
	done
	echo "core suite: FAILED: ${#unexpected[@]} tests differ unexpectedly with" \
		"tenant_guard: ${unexpected[*]}" >&2
	echo "core suite: outputs in $TG_WORKDIR/{without,with}/out/results;" \
		"if the new difference is intended, run $0 --update and review it" >&2
	exit 1
fi
tg_log "core suite: $((ntests - ndiffer)) of $ntests tests give the same output with tenant_guard; the other $ndiffer differ as reviewed"
cs_failed=0
