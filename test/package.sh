#!/usr/bin/env bash
# test/package.sh: the Debian package and the release files, as CI checks
# them (.ci/run runs it after the test suites).
#
# What:
#   - the versions agree: tenant_guard.control's default_version, META.json
#     (PGXN; the same version as SemVer, 1.3 -> 1.3.0), debian/changelog's
#     upstream version, and the name of the tarball "make dist" writes;
#   - dpkg-buildpackage -b builds postgresql-NN-tenant-guard for every
#     major version pg_buildext supports here (debian/pgversions); the
#     build runs "pg_buildext installcheck": the pg_regress suite on a
#     throwaway pg_virtualenv cluster preloading the package's files;
#   - each .deb holds the library, the control file and every SQL script
#     of the tree, and depends on its server;
#   - the installed package, without installing it into the system: the
#     .deb is unpacked into a private copy of its PostgreSQL (as
#     test/sanitize.sh copies it), which then has no other tenant_guard,
#     and "make installcheck" runs the pg_regress suite and the TAP tests
#     of PKG_PROVE_TESTS against it, as the postgres user.
#
# Why not dpkg -i: the machine's PostgreSQL is shared (other checkouts and
# test runs install into it); the unpacked copy tests the same files.
# debian/tests/ (autopkgtest) runs the same suites on a system where the
# package is installed.
#
# Builds from a copy of the working tree (uncommitted changes included),
# in a temporary directory.  Takes two to four minutes.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# The TAP tests run against the unpacked package: loading, dump and
# restore, the suite on an extension updated from 1.0 (every packaged
# upgrade script), bad configuration.  The pooled-load, fault and
# adversarial tests test the code, not the package; run_all.sh runs them.
PKG_PROVE_TESTS=${PKG_PROVE_TESTS:-test/t/001_loading.pl test/t/004_dump_restore.pl test/t/009_upgraded_suite.pl test/t/010_bad_config.pl}

tg_install_packages make gcc dpkg-dev debhelper postgresql-all \
	postgresql-server-dev-all libipc-run-perl jq

tg_make_workdir
trap tg_cleanup EXIT

failed=()
fail() { printf 'package check failed: %s\n' "$*" >&2; failed+=("$1"); }

#
# Versions.
#
version=$(sed -n "s/^default_version *= *'\(.*\)'/\1/p" "$TG_ROOT/tenant_guard.control")
[ -n "$version" ] || tg_die "no default_version in tenant_guard.control"
semver=$version
update_from=$(sed -n 's/^UPDATE_FROM *= *//p' "$TG_ROOT/Makefile")
[ -n "$update_from" ] || tg_die "no UPDATE_FROM in the Makefile"
[[ $semver =~ ^[0-9]+\.[0-9]+$ ]] && semver=$semver.0
tg_log "tenant_guard $version (PGXN $semver)"

meta=$TG_ROOT/META.json
jq -e . "$meta" >/dev/null || fail "META.json is not JSON"
for key in name version abstract maintainer license provides meta-spec; do
	jq -e --arg k "$key" 'has($k)' "$meta" >/dev/null ||
		fail "META.json lacks the required key $key"
done
[ "$(jq -r '.name' "$meta")" = tenant_guard ] || fail "META.json: name is not tenant_guard"
[ "$(jq -r '."meta-spec".version' "$meta")" = 1.0.0 ] || fail "META.json: meta-spec is not 1.0.0"
[ "$(jq -r '.version' "$meta")" = "$semver" ] ||
	fail "META.json: version $(jq -r '.version' "$meta") is not $semver"
[ "$(jq -r '.provides.tenant_guard.version' "$meta")" = "$semver" ] ||
	fail "META.json: provides.tenant_guard.version is not $semver"
for key in file docfile; do
	f=$(jq -r ".provides.tenant_guard.$key" "$meta")
	[ -f "$TG_ROOT/$f" ] || fail "META.json: provides.tenant_guard.$key $f does not exist"
done
[ "$(jq -r '.prereqs.runtime.requires.PostgreSQL' "$meta")" = 14.0.0 ] ||
	fail "META.json: the runtime prerequisite is not PostgreSQL 14.0.0"

debversion=$(cd "$TG_ROOT" && dpkg-parsechangelog -S Version)
[ "${debversion%-*}" = "$version" ] ||
	fail "debian/changelog: upstream version ${debversion%-*} is not $version"

# make dist archives HEAD: only in a git checkout.
if git -C "$TG_ROOT" rev-parse --verify -q HEAD >/dev/null 2>&1; then
	make -s -C "$TG_ROOT" dist DISTDIR="$TG_WORKDIR/dist" >/dev/null
	for f in "tenant_guard-$version.tar.gz" "tenant_guard-$version.zip"; do
		[ -s "$TG_WORKDIR/dist/$f" ] || fail "make dist did not write $f"
	done
	# (The whole listing in a variable: grep -q on a pipe would fail it
	# by SIGPIPE.)
	listing=$(tar -tzf "$TG_WORKDIR/dist/tenant_guard-$version.tar.gz")
	grep -qx "tenant_guard-$version/META.json" <<<"$listing" ||
		fail "the release tarball has no tenant_guard-$version/META.json"
fi

#
# Build the packages (and run pg_buildext installcheck) in a copy.
#
build=$TG_WORKDIR/build/tenant-guard-$version
mkdir -p "$build"
tar -C "$TG_ROOT" --exclude=.git --exclude='*.o' --exclude='*.so' \
	--exclude='*.bc' --exclude=tmp_check --exclude=tmp_check_iso \
	--exclude=results --exclude=log --exclude=dist -cf - . | tar -C "$build" -xf -
versions=$(cd "$build" && pg_buildext supported-versions)
[ -n "$versions" ] || tg_die "pg_buildext supports no PostgreSQL version here"
tg_log "dpkg-buildpackage for PostgreSQL $(echo $versions), with pg_buildext installcheck"
start=$SECONDS
if ! (cd "$build" && dpkg-buildpackage -us -uc -b) >"$TG_WORKDIR/build.log" 2>&1; then
	tail -n 80 "$TG_WORKDIR/build.log"
	# the server log above hides which test failed and how
	grep -E '^(not ok|test .* FAILED| [0-9]+ of [0-9]+ tests failed)' \
		"$TG_WORKDIR/build.log" || true
	find "$TG_WORKDIR/build" -name regression.diffs -exec head -n 120 {} + || true
	grep -v -E '^[0-9]{4}-[0-9]{2}-[0-9]{2} ' "$TG_WORKDIR/build.log" | tail -n 40
	tg_die "dpkg-buildpackage failed (debian/control out of date? run pg_buildext updatecontrol)"
fi
grep -E '^(### |test |ok |not ok | All [0-9]+ tests)' "$TG_WORKDIR/build.log" || true
tg_log "built in $((SECONDS - start)) s"

#
# Per major version: the package's contents, then the suites on it.
#
for v in $versions; do
	deb=$(ls "$TG_WORKDIR"/build/postgresql-"$v"-tenant-guard_"$debversion"_*.deb 2>/dev/null || true)
	[ -f "$deb" ] || { fail "no postgresql-$v-tenant-guard .deb"; continue; }
	contents=$(dpkg-deb -c "$deb" | awk '{ print $NF }' | sed 's|^\./|/|')
	# the committed scripts of released versions, and the two that make
	# writes from src/sql/ (the full script, the update into this version)
	for f in "/usr/lib/postgresql/$v/lib/tenant_guard.so" \
			"/usr/share/postgresql/$v/extension/tenant_guard.control" \
			$( (cd "$TG_ROOT" && ls tenant_guard--*.sql
				echo "tenant_guard--$version.sql"
				echo "tenant_guard--$update_from--$version.sql") |
				sort -u | sed "s|^|/usr/share/postgresql/$v/extension/|"); do
		grep -qxF "$f" <<<"$contents" || fail "$(basename "$deb") lacks $f"
	done
	grep -q "postgresql-$v" <<<"$(dpkg-deb -f "$deb" Depends)" ||
		fail "$(basename "$deb") does not depend on postgresql-$v"

	# A private copy of PostgreSQL $v without tenant_guard, then the package.
	bindir=/usr/lib/postgresql/$v/bin
	priv=$TG_WORKDIR/pg$v
	for opt in --bindir --pkglibdir --sharedir --pkgincludedir; do
		dir=$("$bindir/pg_config" "$opt")
		mkdir -p "$priv$dir"
		tar -C "$dir" --exclude='tenant_guard*' -cf - . | tar -C "$priv$dir" -xf -
	done
	dpkg-deb -x "$deb" "$priv"
	priv_pg_config=$priv$bindir/pg_config
	for opt in --bindir --pkglibdir --sharedir; do
		[ "$("$priv_pg_config" "$opt")" = "$priv$("$bindir/pg_config" "$opt")" ] ||
			tg_die "the copied pg_config does not report $opt under $priv"
	done
	[ -f "$("$priv_pg_config" --pkglibdir)/tenant_guard.so" ] ||
		tg_die "the unpacked package's library is not in the copy's pkglibdir"

	tg_log "PostgreSQL $v: pg_regress and TAP ($PKG_PROVE_TESTS) on the unpacked package"
	src=$TG_WORKDIR/src$v
	mkdir -p "$src"
	tar -C "$build" --exclude=debian -cf - . | tar -C "$src" -xf -
	[ "$(id -u)" -eq 0 ] && chown -R postgres: "$src"
	if ! tg_as_cluster_user make -C "$src" PG_CONFIG="$priv_pg_config" \
			PROVE_TESTS="$PKG_PROVE_TESTS" installcheck; then
		fail "installcheck on postgresql-$v-tenant-guard"
		for f in "$src/regression.diffs" "$src"/tmp_check/log/regress_log_*; do
			[ -f "$f" ] && { echo "---- $f"; tail -n 60 "$f"; }
		done
	fi
done

if [ ${#failed[@]} -gt 0 ]; then
	tg_log "FAILED: ${failed[*]}"
	exit 1
fi
tg_log "the packages for PostgreSQL $(echo $versions) built and passed their tests"
