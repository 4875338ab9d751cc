#!/usr/bin/env bash
# test/sanitize.sh: the regression suites again, with tenant_guard built
# under UndefinedBehaviorSanitizer and the server run under valgrind's
# memcheck.
#
# What: the pg_regress suite (make installcheck's REGRESS list) and the
# pgTAP suite (test/pgtap/*.sql), against a server preloading a tenant_guard
# built with -fsanitize=undefined, every server process under memcheck.
# Exits non-zero on any test failure, any UBSan report, any memcheck error
# in tenant_guard's code, any invalid read, write or free
# anywhere, or any server process killed by a signal, and prints what it
# found.
#
# Why: the hooks run inside every backend, on every statement; an overrun,
# a use after free, an uninitialised read or undefined behaviour there
# corrupts the server, and the ordinary suites would only notice if it
# happened to crash.
#
# How, without touching the system's PostgreSQL (others test against it):
#   - copy the installation (bindir, pkglibdir with PGXS, sharedir and the
#     headers) under a temporary directory, keeping the relative layout;
#     PostgreSQL's programs find their directories relative to their own
#     binary, so the copy's pg_config and postgres use the copy (checked);
#   - build tenant_guard from a copy of the tree with
#     COPT="-fsanitize=undefined ..." (PGXS adds COPT to the compile and
#     link flags, after PostgreSQL's own -O2 -fwrapv ...), and install it
#     into the copy;
#   - replace the copy's postgres by a wrapper that runs the real binary
#     under memcheck when it starts a server, and directly for initdb's
#     bootstrap and single-user runs and version checks.  Backends are
#     forked from the postmaster, so all of them run under memcheck.
#
# Before the suites, a canary library built the same way is made to read
# past a malloc()ed block and to shift by 40 in a server: the run fails
# unless both reports arrive, so it cannot pass with the checks silently
# off.  It also checks that the installed tenant_guard.so calls UBSan.
#
# Why not AddressSanitizer: ASan needs its runtime preloaded into the
# server, and Debian 12's postgres hangs at start-up with libasan in
# LD_PRELOAD (glibc's gettext lock in bindtextdomain() is found corrupted).
#
# Limits: PostgreSQL's palloc() carves chunks out of large malloc() blocks
# and Debian's server is not built with USE_VALGRIND, so memcheck sees
# overruns of a block and uses of freed blocks and of uninitialised memory,
# not an overrun into a neighbouring palloc chunk.  The server itself has
# uninitialised-byte reports of its own (padding written to WAL and sent
# to the statistics machinery, which PostgreSQL's own suppression file
# silences); those without tenant_guard.so in their stack are counted and
# listed by kind, not failed.  -fwrapv (PostgreSQL's) makes signed
# overflow defined.  The TAP tests, which start servers of their own, are
# left to the ordinary run: under memcheck they would take the better part
# of an hour.
#
# Takes a few minutes.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

tg_install_packages "${TG_PACKAGES[@]}" valgrind

SAN_COPT="-fsanitize=undefined -fno-omit-frame-pointer -g"

tg_make_workdir

# Stop whatever server is still running from the work directory (the
# suites stop their own, unless interrupted), then remove it.
san_cleanup() {
	local pidfile
	tg_stop_clusters
	if [ -n "${TG_WORKDIR:-}" ] && [ -d "$TG_WORKDIR" ]; then
		while IFS= read -r pidfile; do
			tg_as_cluster_user "$TG_BINDIR/pg_ctl" -D "$(dirname "$pidfile")" \
				-m immediate -w stop >/dev/null 2>&1 || true
		done < <(find "$TG_WORKDIR" -name postmaster.pid 2>/dev/null)
	fi
	tg_cleanup
}
trap san_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

#
# A private copy of the installation.
#
PRIV=$TG_WORKDIR/pg
tg_log "copying $("$PG_CONFIG" --version) to $PRIV"
for opt in --bindir --pkglibdir --sharedir --pkgincludedir; do
	dir=$("$PG_CONFIG" "$opt")
	mkdir -p "$PRIV$dir"
	# Leave out any tenant_guard another run installed there.
	tar -C "$dir" --exclude='tenant_guard*' -cf - . | tar -C "$PRIV$dir" -xf -
done
PRIV_PG_CONFIG=$PRIV$("$PG_CONFIG" --bindir)/pg_config
for opt in --bindir --pkglibdir --sharedir --includedir-server --pgxs; do
	[ "$("$PRIV_PG_CONFIG" "$opt")" = "$PRIV$("$PG_CONFIG" "$opt")" ] ||
		tg_die "the copied pg_config does not report $opt under $PRIV"
done
TG_BINDIR=$("$PRIV_PG_CONFIG" --bindir)
PRIV_PKGLIBDIR=$("$PRIV_PG_CONFIG" --pkglibdir)

# The server under memcheck.  initdb runs the real binary for its
# bootstrap and single-user steps (and everyone for -V), which would only
# take longer under memcheck.  exec -a keeps argv[0] for those.
LOGDIR=$TG_WORKDIR/sanitizer
tg_as_cluster_user mkdir "$LOGDIR"
mv "$TG_BINDIR/postgres" "$TG_BINDIR/postgres.bin"
cat >"$TG_BINDIR/postgres" <<EOF
#!/bin/bash
# Written by tenant_guard's test/sanitize.sh.
export UBSAN_OPTIONS='print_stacktrace=1:report_error_type=1:log_path=$LOGDIR/ubsan'
case "\$1" in
	--boot|--single|-V|--version|-C|--describe-config)
		exec -a "\$0" '$TG_BINDIR/postgres.bin' "\$@" ;;
esac
exec valgrind --quiet --tool=memcheck --leak-check=no --error-limit=no \\
	--num-callers=40 --read-var-info=no --log-file='$LOGDIR/memcheck.%p' \\
	'$TG_BINDIR/postgres.bin' "\$@"
EOF
chmod 755 "$TG_BINDIR/postgres"

#
# Build and install the instrumented library into the copy.
#
tg_log "building tenant_guard with $SAN_COPT"
mkdir -p "$TG_WORKDIR/src"
tar -C "$TG_ROOT" --exclude=.git --exclude='*.o' --exclude='*.so' \
	--exclude='*.bc' --exclude=tmp_check --exclude=tmp_check_iso \
	--exclude=results --exclude=log -cf - . | tar -C "$TG_WORKDIR/src" -xf -
# with_llvm=no: no bitcode, which the JIT could inline uninstrumented.
san_make() {
	make -s -C "$1" PG_CONFIG="$PRIV_PG_CONFIG" COPT="$SAN_COPT" with_llvm=no "${@:2}"
}
san_make "$TG_WORKDIR/src" >/dev/null
san_make "$TG_WORKDIR/src" install >/dev/null
[ "$(id -u)" -eq 0 ] && chown -R postgres: "$TG_WORKDIR/src"
SO=$PRIV_PKGLIBDIR/tenant_guard.so
TG_SOURCES=("$TG_WORKDIR"/src/*.c "$TG_WORKDIR"/src/src/*.c)

# The installed library calls UBSan and links its runtime.  (Whole outputs
# in variables: grep -q on a pipe would fail it by SIGPIPE.)
syms=$(nm -D --undefined-only "$SO")
grep -q '__ubsan_handle_' <<<"$syms" ||
	tg_die "$SO has no UndefinedBehaviorSanitizer checks"
grep -q 'libubsan' <<<"$(ldd "$SO")" || tg_die "$SO does not link libubsan"


# The memcheck error records of the logs given, one per paragraph, each
# prefixed with the name of its log.  A record starts with a line naming
# the kind of error and ends before the next line holding only "==pid==".
san_records() {
	awk '
		/^==[0-9]+== *$/ { if (rec != "") print rec "\n"; rec = ""; next }
		{ sub(/^==[0-9]+== /, ""); rec = (rec == "" ? FILENAME ": " $0 : rec "\n" $0) }
		END { if (rec != "") print rec "\n" }
	' "$@" </dev/null
}

# The memcheck records of the logs given that have a frame in code of the
# library whose sources are the .c files given: with debugging information
# a frame names its source file and line, without it the library ("(in
# /path/tenant_guard.so)": the whole frame, since the temporary directories
# the servers run in are named tenant_guard.XXXXXX, which can begin "so").
# A frame of the library below the standard_* function one of its hooks
# hands every statement to (a server's own report during DROP ROLE, seen
# on PostgreSQL 18, has the ProcessUtility hook far down its stack) does
# not make the record the library's: the innermost frames decide.
san_records_in() {
	local logs=$1 names pattern; shift
	names="${*##*/}"
	names=${names//./[.]}
	pattern="[(](${names// /|}):[0-9]+[)]"
	names=${names//\[.\]c/[.]so}
	pattern="$pattern|[(]in [^)]*/(${names// /|})[)]"
	san_records $logs | awk -v RS= -v re="$pattern" '
		{
			n = split($0, frame, "\n")
			for (i = 1; i <= n; i++)
			{
				if (frame[i] ~ re) { print $0; break }
				if (frame[i] ~ /: standard_(ProcessUtility|ExecutorStart|ExecutorRun|ExecutorFinish|ExecutorEnd|planner) /)
					break
			}
		}'
}

# Check the memcheck and UBSan logs.  Fails (returns 1, after printing
# them) on a UBSan report, a memcheck record in tenant_guard's code, or an
# invalid read, write or free anywhere; counts the rest by kind.
san_check_reports() {
	local logs=("$LOGDIR"/memcheck.*) records ours invalid bad=0 f
	for f in "$LOGDIR"/ubsan.*; do
		[ -s "$f" ] || continue
		echo "---- $f"; head -n 100 "$f"; bad=1
	done
	[ -e "${logs[0]}" ] || { echo "no memcheck logs"; return 1; }
	records=$(san_records "${logs[@]}")
	ours=$(san_records_in "${logs[*]}" "${TG_SOURCES[@]}")
	invalid=$(awk -v RS= '/: (Invalid (read|write|free)|Mismatched free|Source and destination overlap)/' <<<"$records")
	if [ -n "$ours" ]; then
		echo "---- memcheck records in tenant_guard's code"; head -n 300 <<<"$ours"; bad=1
	fi
	if [ -n "$invalid" ]; then
		echo "---- invalid accesses"; head -n 300 <<<"$invalid"; bad=1
	fi
	echo "memcheck: $(ls "$LOGDIR"/memcheck.* | wc -l) server processes checked;" \
		"records by kind (a pass if none is in tenant_guard):"
	awk -v RS= '{ k = $0; sub(/^[^:]*: /, "", k); sub(/\n.*/, "", k); n[k]++ }
		END { for (k in n) printf "  %5d  %s\n", n[k], k }' <<<"$records" | sort -rn
	return $bad
}

#
# The canary: both tools report from a library built like this one, in a
# server started like the suites'.
#
tg_log "checking that memcheck and UBSan report (canary)"
mkdir "$TG_WORKDIR/canary"
cat >"$TG_WORKDIR/canary/Makefile" <<'MKEOF'
MODULES = san_canary
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)
MKEOF
cat >"$TG_WORKDIR/canary/san_canary.c" <<'CEOF'
/* Written by tenant_guard's test/sanitize.sh: a bug for each checker. */
#include "postgres.h"

#include <stdlib.h>

#include "fmgr.h"

PG_MODULE_MAGIC;

PG_FUNCTION_INFO_V1(san_canary_shift);
PG_FUNCTION_INFO_V1(san_canary_overrun);

/* Undefined behaviour for a shift of 32 or more. */
Datum
san_canary_shift(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(1 << PG_GETARG_INT32(0));
}

/* Reads the byte after a malloc()ed block of n bytes. */
Datum
san_canary_overrun(PG_FUNCTION_ARGS)
{
	int32		n = PG_GETARG_INT32(0);
	volatile char *p = malloc(n + 1);
	int32		c;

	p[n] = 1;
	c = p[n + 1];
	free((void *) p);
	PG_RETURN_INT32(c);
}
CEOF
san_make "$TG_WORKDIR/canary" >/dev/null
CANARY=$TG_WORKDIR/canary/san_canary

tg_start_cluster "$TG_WORKDIR/canary-server"
tg_psql -d postgres \
	-c "CREATE FUNCTION san_canary_shift(int) RETURNS int
	      AS '$CANARY' LANGUAGE C STRICT" \
	-c "CREATE FUNCTION san_canary_overrun(int) RETURNS int
	      AS '$CANARY' LANGUAGE C STRICT" \
	-c "SELECT san_canary_shift(40)" \
	-c "SELECT san_canary_overrun(8)" >/dev/null
tg_stop_clusters
grep -qs 'shift exponent 40' "$LOGDIR"/ubsan.* ||
	tg_die "UndefinedBehaviorSanitizer did not report the canary's shift"
grep -qs 'Invalid read of size 1' "$LOGDIR"/memcheck.* ||
	tg_die "memcheck did not report the canary's overrun"
[ -n "$(san_records_in "$(echo "$LOGDIR"/memcheck.*)" "$CANARY.c")" ] ||
	tg_die "the canary's memcheck record is not attributed to the canary"
rm -f "$LOGDIR"/*
rm -rf "$TG_WORKDIR/canary-server"

#
# The suites, on one server under memcheck.
#
failed=()
crashed=()

# the configuration of make installcheck's server (test/tenant_guard.conf:
# the test keys of signed tenant tokens, which signed_tenant and token_fuzz
# need)
mapfile -t regress_conf < <(grep -v -e '^#' -e '^$' "$TG_ROOT/test/tenant_guard.conf")
tg_start_cluster "$TG_WORKDIR/server" "${regress_conf[@]}"
tg_psql -d postgres -At -c "SELECT 'memcheck running: ' || (pg_read_file('/proc/self/maps') ~ 'vgpreload_memcheck')" \
	| grep -qx 'memcheck running: true' || tg_die "the backend is not running under memcheck"

tg_log "pg_regress suite under memcheck (make installcheck)"
if ! tg_as_cluster_user make -C "$TG_WORKDIR/src" PG_CONFIG="$PRIV_PG_CONFIG" \
		TAP_TESTS= REGRESS_OPTS="--host=$TG_PGHOST --port=$TG_PGPORT --user=postgres --dbname=contrib_regression" \
		installcheck; then
	failed+=("pg_regress")
	f=$TG_WORKDIR/src/regression.diffs
	[ -f "$f" ] && { echo "---- $f"; tail -n 60 "$f"; }
fi

tg_log "pgTAP suite under memcheck (pg_prove)"
if ! tg_run_pgtap "$TG_WORKDIR/src"; then
	failed+=("pgTAP")
fi
tg_stop_clusters
if grep -Eq "$TG_CRASH_PATTERN" "$TG_WORKDIR/server/server.log"; then
	crashed+=("$TG_WORKDIR/server/server.log")
	grep -E -B2 -A2 "$TG_CRASH_PATTERN" "$TG_WORKDIR/server/server.log" | head -n 40 || true
fi
[ ${#crashed[@]} -gt 0 ] && failed+=("crashes")

tg_log "memcheck and UBSan reports"
san_check_reports || failed+=("reports")

if [ ${#failed[@]} -gt 0 ]; then
	tg_log "FAILED under memcheck and UBSan: ${failed[*]}"
	exit 1
fi
tg_log "the regression and pgTAP suites passed under memcheck and UBSan, with no report involving tenant_guard"
