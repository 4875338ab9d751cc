#!/usr/bin/env bash
# test/citus/run.sh: tenant_guard on a Citus cluster (a coordinator and two
# workers on one machine).
#
# Citus is not packaged by Debian, so this script builds it from a source
# tree you give it, installs it into the PostgreSQL that PG_CONFIG (or
# TG_BINDIR, test/lib.sh) names, installs tenant_guard there too, and runs
# the TAP tests in test/citus/t/ (make installcheck with PROVE_TESTS), each
# of which starts its own coordinator and workers on unix sockets in a
# temporary directory, with shared_preload_libraries = 'citus,
# tenant_guard' (Citus refuses to load unless it comes first), and stops
# them however the test ends.
#
#   CITUS_SRC=/path/to/citus test/citus/run.sh
#
# CITUS_SRC is a checkout of https://github.com/citusdata/citus at a release
# tag that supports your PostgreSQL major (13.2.x: PostgreSQL 15 to 17;
# 14.x: 16 to 18), for example
#
#   git clone --depth 1 --branch v13.2.2 https://github.com/citusdata/citus
#
# Without CITUS_SRC the script says so and exits 0 having tested nothing
# (test/run_all.sh reports the step as skipped).  The tree given is not
# changed: it is copied and built in a temporary directory, with the
# Debian packages Citus needs to build (installed with apt-get, only when
# a build happens).  The build is skipped when the same Citus version is
# installed already (CITUS_REBUILD=1 forces it).  Exits non-zero if the
# build or any test fails.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"

if [ -z "${CITUS_SRC:-}" ]; then
	tg_log "Citus tests SKIPPED: CITUS_SRC is not set.  To run them, give a Citus"
	tg_log "source tree for PostgreSQL $TG_PG_MAJOR, for example:"
	tg_log "  git clone --depth 1 --branch v13.2.2 https://github.com/citusdata/citus /tmp/citus"
	tg_log "  CITUS_SRC=/tmp/citus $0"
	exit 0
fi
[ -f "$CITUS_SRC/configure" ] && [ -f "$CITUS_SRC/src/backend/distributed/citus.control" ] ||
	tg_die "CITUS_SRC=$CITUS_SRC is not a Citus source tree (no configure, no citus.control)"

# The version in a citus.control file.
citus_control_version() {
	sed -n "s/^default_version *= *'\(.*\)'/\1/p" "$1"
}

CITUS_VERSION=$(citus_control_version "$CITUS_SRC/src/backend/distributed/citus.control")
CITUS_COMMIT=$(git -C "$CITUS_SRC" describe --tags --always 2>/dev/null || echo "not a git checkout")
tg_log "Citus source: $CITUS_SRC (version $CITUS_VERSION, $CITUS_COMMIT)"
CITUS_INSTALLED_CONTROL=$("$PG_CONFIG" --sharedir)/extension/citus.control

# Build dependencies: Citus links lz4 and zstd (columnar compression) and
# includes libpq-int.h, which includes gssapi.h on a PostgreSQL built with
# GSSAPI, as Debian's is.  libcurl is only for Citus's anonymous usage
# statistics, which the build leaves out (--without-libcurl).
CITUS_PACKAGES=(make gcc "postgresql-server-dev-$TG_PG_MAJOR" liblz4-dev
	libzstd-dev libkrb5-dev)

tg_make_workdir
trap tg_cleanup EXIT

citus_build() {
	local build=$TG_WORKDIR/citus-build
	tg_log "building Citus $CITUS_VERSION from $CITUS_SRC against $("$PG_CONFIG" --version)"
	tg_install_packages "${CITUS_PACKAGES[@]}"
	mkdir -p "$build"
	tar -C "$CITUS_SRC" --exclude=.git -cf - . | tar -C "$build" -xf -

	# PostgreSQL 15.14 and later export have_createdb_privilege(), which
	# Citus 13.2 defines as a static function of its own for 15 (a
	# "static declaration follows non-static declaration" error).  Rename
	# Citus's copy in the build tree; its callers get the server's.
	if grep -qs 'extern bool have_createdb_privilege' \
			"$("$PG_CONFIG" --includedir-server)/commands/dbcommands.h" &&
			grep -qs '^have_createdb_privilege(void)$' \
			"$build/src/include/pg_version_compat.h"; then
		tg_log "renaming Citus's own have_createdb_privilege(), which this PostgreSQL exports"
		sed -i 's/^have_createdb_privilege(void)$/citus_own_have_createdb_privilege(void)/' \
			"$build/src/include/pg_version_compat.h"
	fi

	(cd "$build" && ./configure -q PG_CONFIG="$PG_CONFIG" --without-libcurl >/dev/null)
	make -s -C "$build" -j"$(nproc)" with_llvm=no >/dev/null
	tg_as_root make -s -C "$build" with_llvm=no install >/dev/null
}

if [ "${CITUS_REBUILD:-0}" = 1 ] || [ ! -f "$CITUS_INSTALLED_CONTROL" ] ||
		[ "$(citus_control_version "$CITUS_INSTALLED_CONTROL")" != "$CITUS_VERSION" ]; then
	citus_build
else
	tg_log "Citus $CITUS_VERSION is installed in $("$PG_CONFIG" --pkglibdir) already (CITUS_REBUILD=1 builds it again)"
fi

tg_install_packages make gcc libipc-run-perl
tg_build_and_install

# make installcheck writes into the tree: run it in a copy the cluster user
# owns, with only the Citus tests (PROVE_TESTS) and no pg_regress or
# isolation suite.
tg_log "copying the tree to $TG_WORKDIR/src"
mkdir -p "$TG_WORKDIR/src"
tar -C "$TG_ROOT" --exclude=.git --exclude='*.o' --exclude='*.so' \
	--exclude='*.bc' -cf - . | tar -C "$TG_WORKDIR/src" -xf -
[ "$(id -u)" -eq 0 ] && chown -R postgres: "$TG_WORKDIR/src"

tg_log "Citus TAP tests (test/citus/t/*.pl)"
if ! tg_as_cluster_user env CITUS_VERSION="$CITUS_VERSION" \
		make -C "$TG_WORKDIR/src" PG_CONFIG="$PG_CONFIG" installcheck \
		REGRESS= ISOLATION= PROVE_TESTS="${CITUS_PROVE_TESTS:-test/citus/t/*.pl}"; then
	for f in "$TG_WORKDIR"/src/tmp_check/log/*; do
		[ -f "$f" ] && { echo "---- $f"; tail -n 80 "$f"; }
	done
	tg_die "Citus tests FAILED"
fi
tg_log "Citus tests passed (Citus $CITUS_VERSION, $("$PG_CONFIG" --version))"
