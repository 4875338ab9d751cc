#!/usr/bin/env bash
# test/matrix.sh: the full test command (test/run_all.sh) on other Debian
# releases, each in a chroot with that release's own PostgreSQL.
#
#   test/matrix.sh [--rebuild] [--build-only] [SUITE...]
#                                  default suites: trixie sid
#
#   trixie   Debian 13: PostgreSQL 17, pgTAP, PgBouncer 1.24
#   sid      Debian unstable: PostgreSQL 18, pgTAP, PgBouncer 1.26, and the
#            pooled tests again with PgBouncer's max_prepared_statements
#            (TG_PGBOUNCER_PREPARED=1, TG_REQUIRE_PGBOUNCER_PREPARED=1)
#
# Why chroots: Debian ships one PostgreSQL major per release, and a user
# installs the one their release has.  Running the README's test command
# in a minimal installation of each release is what tells that user it
# works, with the compiler, PostgreSQL, pgTAP and PgBouncer that release
# ships.
#
# How: each chroot is built once with debootstrap --variant=minbase from
# the Debian mirror the host's apt uses, with the packages test/lib.sh
# names for that release's default PostgreSQL, and cached outside the
# checkout in $TG_MATRIX_CACHE (default /var/cache/tenant_guard), as
# chroot-SUITE.  A chroot is rebuilt when it is missing, broken (no stamp
# file, or its pg_config does not run), or when asked (--rebuild); the
# stamp records when and from which mirror it was built.  For each run the
# working tree (tracked and untracked files, not what .gitignore ignores)
# is copied into the chroot's /build; /proc, /sys, /dev, /dev/pts and a
# fresh /dev/shm are mounted for the run, and unmounted, with every process
# left inside the chroot stopped, when the run ends, fails or is
# interrupted.  run_all.sh runs as root inside; the servers run as the
# chroot's postgres user.
#
# Exit status: 0 if every suite passed.  The last lines are one
# "matrix: SUITE PASS|FAIL ..." line per suite.  Each suite's full output
# goes to stdout, each line prefixed with "[SUITE] ", and to
# $TG_MATRIX_CACHE/logs/SUITE.log.
#
# Needs root, debootstrap (installed if missing) and network access to the
# mirror for the first build (a few minutes per suite).
set -euo pipefail

TG_ROOT=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${TG_MATRIX_CACHE:-/var/cache/tenant_guard}
REBUILD=0
BUILD_ONLY=0

log() { printf '== matrix: %s\n' "$*" >&2; }
die() { printf 'matrix: error: %s\n' "$*" >&2; exit 2; }

while [ $# -gt 0 ]; do
	case "$1" in
		--rebuild) REBUILD=1; shift ;;
		--build-only) BUILD_ONLY=1; shift ;;
		-h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
		--) shift; break ;;
		-*) die "unknown option $1" ;;
		*) break ;;
	esac
done
SUITES=("$@")
[ ${#SUITES[@]} -gt 0 ] || SUITES=(trixie sid)

[ "$(id -u)" -eq 0 ] || die "needs root (debootstrap, chroot, mount)"

# Environment of the test command in each suite.
suite_env() {
	case "$1" in
		sid) echo TG_PGBOUNCER_PREPARED=1 TG_REQUIRE_PGBOUNCER_PREPARED=1 ;;
		*) echo ;;
	esac
}

# The mirror the host's apt uses for its own release (not the security
# archive): debootstrap fetches the other releases from it.
host_mirror() {
	local codename uri
	codename=$(. /etc/os-release; echo "${VERSION_CODENAME:-}")
	uri=$(apt-get indextargets --format '$(REPO_URI) $(CODENAME)' \
			'Created-By: Packages' 2>/dev/null |
		awk -v c="$codename" '$2 == c { print $1; exit }')
	[ -n "$uri" ] || die "cannot find the Debian mirror of the host's apt sources for '$codename'"
	echo "${uri%/}"
}

# Mount what a test run needs inside the chroot; umount_chroot undoes it.
MOUNTED=()
MOUNT_ROOT=
mount_chroot() {
	local root=$1
	MOUNT_ROOT=$root
	mount -t proc proc "$root/proc" && MOUNTED+=("$root/proc")
	mount -t sysfs -o ro sysfs "$root/sys" && MOUNTED+=("$root/sys")
	mount --bind /dev "$root/dev" && MOUNTED+=("$root/dev")
	mount --bind /dev/pts "$root/dev/pts" && MOUNTED+=("$root/dev/pts")
	# PostgreSQL's dynamic shared memory lives in /dev/shm: the chroot's
	# own, so that nothing of the host's is shared or left behind.
	mount -t tmpfs -o mode=1777,nosuid,nodev shm "$root/dev/shm" &&
		MOUNTED+=("$root/dev/shm")
}

# Stop every process whose root is inside the chroot (servers, PgBouncer
# left by a failed or interrupted run: all started by this script), then
# unmount in reverse order.
umount_chroot() {
	local i
	kill_chroot_processes "$1"
	for ((i = ${#MOUNTED[@]} - 1; i >= 0; i--)); do
		umount "${MOUNTED[$i]}" 2>/dev/null || umount -l "${MOUNTED[$i]}" ||
			log "could not unmount ${MOUNTED[$i]}"
	done
	MOUNTED=()
}

kill_chroot_processes() {
	local root pid link tries
	root=$(readlink -m "$1")
	for tries in 1 2 3 4 5; do
		local pids=()
		for link in /proc/[0-9]*/root; do
			pid=${link#/proc/}; pid=${pid%/root}
			[ "$(readlink "$link" 2>/dev/null)" = "$root" ] && pids+=("$pid")
		done
		[ ${#pids[@]} -eq 0 ] && break
		if [ "$tries" -lt 4 ]; then
			kill -TERM "${pids[@]}" 2>/dev/null || true
		else
			kill -KILL "${pids[@]}" 2>/dev/null || true
		fi
		sleep 2
	done
}

# Unmount what a run killed before it could clean up left mounted under a
# chroot (deepest first).
umount_stale() {
	local root mnt
	root=$(readlink -m "$1")
	[ -d "$root" ] && kill_chroot_processes "$root"
	awk -v r="$root/" 'index($2, r) == 1 { print $2 }' /proc/mounts | sort -r |
		while read -r mnt; do
			log "unmounting $mnt, left by an earlier run"
			umount "$mnt" 2>/dev/null || umount -l "$mnt"
		done
}

# Is the cached chroot usable: built to the end, and its PostgreSQL runs?
chroot_ok() {
	local root=$1
	[ -f "$root/.tenant_guard-stamp" ] || return 1
	chroot "$root" /bin/sh -c \
		'pg_config=$(ls /usr/lib/postgresql/*/bin/pg_config | sort -V | tail -n 1) && "$pg_config" --version' \
		>/dev/null 2>&1
}

# debootstrap a minimal chroot of SUITE, and install into it what
# test/lib.sh installs for that release's default PostgreSQL (so that
# runs need no network), plus valgrind for test/sanitize.sh.
build_chroot() {
	local suite=$1 root=$2 mirror tmp
	mirror=$(host_mirror)
	tmp=$root.new
	log "$suite: building the chroot in $root from $mirror"
	# Never remove a tree with something mounted inside it.
	if grep -q " $tmp/" /proc/mounts || grep -q " $root/" /proc/mounts; then
		die "$suite: something is still mounted under $root; unmount it first"
	fi
	rm -rf "$tmp"
	command -v debootstrap >/dev/null || {
		apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
	}
	debootstrap --variant=minbase --include=ca-certificates \
		"$suite" "$tmp" "$mirror" >"$CACHE/logs/$suite.debootstrap.log" 2>&1 ||
		{ tail -n 30 "$CACHE/logs/$suite.debootstrap.log" >&2; die "$suite: debootstrap failed"; }
	printf 'deb %s %s main\n' "$mirror" "$suite" >"$tmp/etc/apt/sources.list"
	# The mirror may serve a dated snapshot, whose unstable Release file is
	# past its Valid-Until (a week after it was signed): accept it.  The
	# signatures are still checked.
	echo 'Acquire::Check-Valid-Until "false";' \
		>"$tmp/etc/apt/apt.conf.d/99tenant-guard-snapshot"
	# No daemons start inside the chroot while packages are installed.
	printf '#!/bin/sh\nexit 101\n' >"$tmp/usr/sbin/policy-rc.d"
	chmod 755 "$tmp/usr/sbin/policy-rc.d"
	# postgresql-common: no default cluster, which would be of no use here.
	mkdir -p "$tmp/etc/postgresql-common/createcluster.d"
	echo 'create_main_cluster = false' \
		>"$tmp/etc/postgresql-common/createcluster.d/tenant_guard.conf"
	mkdir -p "$tmp/tmp/tg-lib/test"
	cp "$TG_ROOT/test/lib.sh" "$tmp/tmp/tg-lib/test/lib.sh"
	mount_chroot "$tmp"
	local status=0
	chroot "$tmp" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
		LANG=C.UTF-8 /bin/bash -c \
		'set -euo pipefail; . /tmp/tg-lib/test/lib.sh; tg_install_packages "${TG_PACKAGES[@]}" valgrind' \
		>>"$CACHE/logs/$suite.debootstrap.log" 2>&1 || status=$?
	umount_chroot "$tmp"
	if [ $status -ne 0 ]; then
		tail -n 30 "$CACHE/logs/$suite.debootstrap.log" >&2
		die "$suite: installing the packages failed"
	fi
	rm -rf "$tmp/tmp/tg-lib"
	chroot "$tmp" apt-get clean
	{
		echo "built $(date -u +%Y-%m-%dT%H:%M:%SZ) from $mirror $suite"
		chroot "$tmp" dpkg-query -W -f '${db:Status-Abbrev} ${Package} ${Version}\n' \
			'postgresql-[0-9]*' pgbouncer 'postgresql-*-pgtap' gcc valgrind |
			awk '$1 == "ii" { print $2, $3 }'
	} >"$tmp/.tenant_guard-stamp"
	if [ -e "$root" ]; then
		grep -q " $root/" /proc/mounts && die "$suite: something is mounted under $root"
		rm -rf "$root"
	fi
	mv "$tmp" "$root"
}

# The PostgreSQL and PgBouncer packages installed in a chroot, for the
# summary: "postgresql-17 17.12-0+deb13u1, pgbouncer 1.24.1-1+deb13u2".
chroot_versions() {
	chroot "$1" dpkg-query -W -f '${db:Status-Abbrev} ${Package} ${Version}\n' \
		'postgresql-[0-9]*' pgbouncer 2>/dev/null |
		awk '$1 == "ii" && $2 ~ /^(postgresql-[0-9]+|pgbouncer)$/ { printf "%s%s %s", sep, $2, $3; sep = ", " }'
}

# Copy the working tree into the chroot: tracked and untracked files,
# without what .gitignore ignores (build products, test output).
copy_tree() {
	local dest=$1
	rm -rf "$dest"
	mkdir -p "$dest"
	if git -C "$TG_ROOT" rev-parse --git-dir >/dev/null 2>&1; then
		(cd "$TG_ROOT" && git ls-files -z --cached --others --exclude-standard |
			while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
			tar --null -T - -cf -) | tar -C "$dest" -xf -
	else
		tar -C "$TG_ROOT" --exclude=.git --exclude='*.o' --exclude='*.so' \
			--exclude='*.bc' --exclude=results --exclude=tmp_check \
			--exclude=tmp_check_iso -cf - . | tar -C "$dest" -xf -
	fi
}

# What runs in the chroot: the README's two commands.  demo.sh, not on a
# terminal, leaves its server running and says how to stop it: it must
# show a refusal, and its server is stopped as it says.
IN_CHROOT='
cd /build/tenant_guard || exit 1
status=0
./test/run_all.sh || status=1
echo "== demo.sh"
if out=$(./demo.sh </dev/null 2>&1); then
	echo "$out"
	stop=$(echo "$out" | sed -n "/^Stop and remove it with:/{n;p;}")
	echo "$out" | grep -q "ERROR:  tenant context required for table" ||
		{ echo "== demo.sh showed no refusal"; status=1; }
	[ -n "$stop" ] && bash -c "$stop" >/dev/null ||
		{ echo "== could not stop the demo server"; status=1; }
else
	echo "$out"
	echo "== demo.sh failed"
	status=1
fi
exit $status'

# Run the test command in SUITE's chroot.  Returns its exit status.
run_suite() {
	local suite=$1 root=$CACHE/chroot-$1 status=0
	# One run at a time per chroot: a second one would share its /build.
	exec 9>"$CACHE/chroot-$suite.lock"
	flock -n 9 || { log "$suite: waiting for another run in this chroot"; flock 9; }
	umount_stale "$root"
	umount_stale "$root.new"
	if [ "$REBUILD" -eq 1 ] || ! chroot_ok "$root"; then
		# in a subshell: a failed build fails this suite, not the matrix
		( trap on_exit EXIT; build_chroot "$suite" "$root" ) || return 3
	fi
	if [ "$BUILD_ONLY" -eq 1 ]; then
		exec 9>&-
		return 0
	fi
	log "$suite: $(head -n 1 "$root/.tenant_guard-stamp")"
	copy_tree "$root/build/tenant_guard"
	mount_chroot "$root"
	# A run interrupted while apt was installing leaves dpkg half-done in
	# the cached chroot, and every later install there fails: finish it.
	chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		DEBIAN_FRONTEND=noninteractive dpkg --configure -a >/dev/null 2>&1 ||
		log "$suite: dpkg --configure -a failed"
	trust_host_cas "$root"
	# shellcheck disable=SC2046
	set +e
	chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		HOME=/root LANG=C.UTF-8 TERM=dumb \
		NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt \
		$(suite_env "$suite") \
		/bin/bash -c "$IN_CHROOT" \
		</dev/null 2>&1 | tee "$CACHE/logs/$suite.log" | sed -u "s/^/[$suite] /"
	status=${PIPESTATUS[0]}
	set -e
	umount_chroot "$root"
	rm -rf "$root/build"
	exec 9>&-
	return "$status"
}

# The chroot trusts the certificate authorities the host added to its own
# (/usr/local/share/ca-certificates: a network that reaches the npm
# registry through a proxy of its own signs with such a CA), so that the
# client suite's npm ci works there as on the host.  Node reads its extra
# CAs from NODE_EXTRA_CA_CERTS (IN_CHROOT_ENV).
trust_host_cas() {
	local root=$1
	[ -d /usr/local/share/ca-certificates ] || return 0
	mkdir -p "$root/usr/local/share/ca-certificates"
	cp -a /usr/local/share/ca-certificates/. \
		"$root/usr/local/share/ca-certificates/" 2>/dev/null || true
	chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		update-ca-certificates >/dev/null 2>&1 ||
		log "update-ca-certificates failed in $root"
}

on_exit() {
	[ ${#MOUNTED[@]} -gt 0 ] && umount_chroot "$MOUNT_ROOT"
	return 0
}

# All in a function, which bash reads whole before running it: a checkout
# updated during a run does not change the script under it.
main() {
	local suite start status secs versions failed=0 summary=()
	mkdir -p "$CACHE/logs"
	trap on_exit EXIT
	trap 'log "interrupted"; exit 130' INT TERM HUP
	for suite in "${SUITES[@]}"; do
		start=$(date +%s)
		status=0
		run_suite "$suite" || status=$?
		secs=$(( $(date +%s) - start ))
		versions=$(chroot_versions "$CACHE/chroot-$suite")
		if [ "$BUILD_ONLY" -eq 1 ] && [ $status -eq 0 ]; then
			summary+=("matrix: $suite chroot ready in ${secs}s ($versions)")
		elif [ $status -eq 0 ]; then
			summary+=("matrix: $suite PASS in ${secs}s ($versions)")
		else
			summary+=("matrix: $suite FAIL (exit $status) in ${secs}s ($versions), log: $CACHE/logs/$suite.log")
			failed=1
		fi
	done
	printf '%s\n' "${summary[@]}"
	return $failed
}

main "$@"; exit $?
