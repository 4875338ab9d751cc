#!/usr/bin/env bash
# test/clients/run.sh: tenant_guard from real client libraries, directly and
# through PgBouncer in transaction pooling mode.
#
# Frameworks: psycopg 3 with psycopg_pool, SQLAlchemy with Alembic, Django
# (Debian 12's python3-* packages), node-postgres and knex (npm, the versions
# locked by package-lock.json, installed with "npm ci" into the work
# directory).  For each, on one throwaway cluster with a database of its
# own:
#   - a migration, run as the tables' owner (role tg_owner, NOLOGIN, reached
#     by the login tg_migrator with "-c role=tg_owner"), that creates
#     orders and payments, calls tenant_guard.protect() on both and adds a
#     foreign key from payments to orders; checked afterwards in the
#     catalogs;
#   - as the application role tg_app (a login that owns nothing), first
#     directly, then through PgBouncer (pool of 4 server connections per
#     database): the request pattern the README shows, a forgetful request
#     (must fail with SQLSTATE 42501), and a load of 16 workers mixing
#     documented requests with forgetful ones and polluting ones (a
#     session-level set_config() with a bind parameter, then COMMIT), which
#     counts cross-tenant rows, requests not refused, unexpected errors
#     (25P02 from a connection a pool got back aborted) and sessions left
#     inside a transaction: all must be zero;
#   - then, on node-postgres's database, the two data migrations across
#     tenants that the README shows (backfill.sql).
# The README's snippets must be the ones the tests run: every block between
# "README: name" and "END README" in the tests must appear in README.md
# word for word.
#
# Prints one line per check and a summary per framework; exits non-zero if
# any check fails.  TG_CLIENTS_PER_WORKER (default 30) sets the requests per
# worker and load; TG_CLIENTS_ONLY="psycopg knex" runs only those
# frameworks (while working on one).
set -euo pipefail
. "$(dirname "$0")/../lib.sh"

CLIENTS_DIR=$TG_ROOT/test/clients
PER_WORKER=${TG_CLIENTS_PER_WORKER:-30}
PYTHON=/usr/bin/python3		# Debian's, which the python3-* packages serve
CLIENT_PACKAGES=(python3-psycopg python3-psycopg-pool python3-psycopg2
	python3-sqlalchemy python3-alembic python3-django pgbouncer)
# Debian's nodejs and npm, unless a node with npm is installed already
# (NodeSource's nodejs package bundles npm and conflicts with Debian's).
command -v npm >/dev/null || CLIENT_PACKAGES+=(nodejs npm)

tg_install_packages "${TG_PACKAGES[@]}" "${CLIENT_PACKAGES[@]}"
tg_build_and_install
tg_make_workdir

BOUNCER_DIR=$TG_WORKDIR/pgbouncer
clients_cleanup() {
	if [ -f "$BOUNCER_DIR/pgbouncer.pid" ]; then
		kill "$(cat "$BOUNCER_DIR/pgbouncer.pid")" 2>/dev/null || true
	fi
	tg_cleanup
}
trap clients_cleanup EXIT

export PYTHONDONTWRITEBYTECODE=1
failed=()
declare -A results

# The README's snippets are the tests' code.
tg_log "clients: README snippets against the tests"
if ! (cd "$CLIENTS_DIR" && "$PYTHON" readme_snippets.py "$TG_ROOT/README.md" \
		$(find python node -name '*.py' -o -name '*.js' | sort) setup.sql setup_database.sql backfill.sql); then
	failed+=("README snippets")
fi

tg_log "clients: npm ci (pg, knex)"
mkdir -p "$TG_WORKDIR/node"
cp "$CLIENTS_DIR/package.json" "$CLIENTS_DIR/package-lock.json" "$TG_WORKDIR/node/"
(cd "$TG_WORKDIR/node" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
export NODE_PATH=$TG_WORKDIR/node/node_modules

tg_start_cluster "$TG_WORKDIR/pg" "max_connections = 200"
PGDIR=$TG_PGHOST
PGPORT_=$TG_PGPORT
DATABASES=(psycopg_app sqlalchemy_app django_app pg_app knex_app)

tg_psql -d postgres -f "$CLIENTS_DIR/setup.sql" >/dev/null
for db in "${DATABASES[@]}"; do
	tg_psql -d postgres -c "CREATE DATABASE $db OWNER tg_owner"
	tg_psql -d "$db" -f "$CLIENTS_DIR/setup_database.sql" >/dev/null
done

# PgBouncer in transaction pooling mode, no reset query, four server
# connections per database for sixteen clients.
tg_as_cluster_user mkdir -p "$BOUNCER_DIR"
BOUNCER_PORT=$(( PGPORT_ + 1 ))
{
	echo "[databases]"
	for db in "${DATABASES[@]}"; do
		echo "$db = host=$PGDIR port=$PGPORT_ dbname=$db"
	done
	cat <<EOF
[pgbouncer]
listen_addr =
listen_port = $BOUNCER_PORT
unix_socket_dir = $BOUNCER_DIR
pidfile = $BOUNCER_DIR/pgbouncer.pid
logfile = $BOUNCER_DIR/pgbouncer.log
auth_type = trust
auth_file = $BOUNCER_DIR/userlist.txt
pool_mode = transaction
default_pool_size = 4
min_pool_size = 0
reserve_pool_size = 0
server_reset_query =
server_reset_query_always = 0
ignore_startup_parameters = extra_float_digits
max_client_conn = 200
query_wait_timeout = 20
EOF
} | tg_as_cluster_user tee "$BOUNCER_DIR/pgbouncer.ini" >/dev/null
echo '"tg_app" ""' | tg_as_cluster_user tee "$BOUNCER_DIR/userlist.txt" >/dev/null
tg_as_cluster_user /usr/sbin/pgbouncer -q -d "$BOUNCER_DIR/pgbouncer.ini"
for _ in $(seq 100); do
	[ -S "$BOUNCER_DIR/.s.PGSQL.$BOUNCER_PORT" ] && break
	sleep 0.1
done
if [ ! -S "$BOUNCER_DIR/.s.PGSQL.$BOUNCER_PORT" ]; then
	cat "$BOUNCER_DIR/pgbouncer.log" >&2 || true
	tg_die "PgBouncer did not start"
fi

dsn() {	# dsn ENDPOINT DB USER
	local host=$PGDIR port=$PGPORT_
	if [ "$1" = pgbouncer ]; then host=$BOUNCER_DIR port=$BOUNCER_PORT; fi
	echo "host=$host port=$port dbname=$2 user=$3"
}
MONITOR_DSN="$(dsn direct postgres postgres)"

# migration_ok DB: orders and payments owned by tg_owner, protected,
# forced row-level security, and a validated foreign key between them.
migration_ok() {
	local out
	out=$(tg_psql -d "$1" -tA -f "$CLIENTS_DIR/check_migration.sql" 2>&1) || true
	if [ "$out" = t ]; then
		echo "ok: $1: migration as tg_owner: orders and payments protected, foreign key validated"
		return 0
	fi
	echo "FAILED: $1: migration check: $out"
	return 1
}

# backfill_ok DB: the data migrations of backfill.sql, across tenants,
# changed every row of orders (the load left rows of tenants 1 to 8).
backfill_ok() {
	local out
	if ! out=$(tg_as_cluster_user "$TG_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 \
			"$(dsn direct "$1" tg_migrator) options='-c role=tg_owner'" \
			-f "$CLIENTS_DIR/backfill.sql" 2>&1); then
		echo "FAILED: $1: backfill.sql: $out"
		return 1
	fi
	out=$(tg_psql -d "$1" -tA -c "SELECT count(DISTINCT tenant_id) || ' tenants, '
		|| count(*) FILTER (WHERE item !~ '^[A-Z]+\.\$') || ' rows unchanged' FROM orders")
	if [ "$out" = "8 tenants, 0 rows unchanged" ]; then
		echo "ok: $1: data migrations across tenants, one transaction per tenant and as tg_backfill: $out"
		return 0
	fi
	echo "FAILED: $1: data migrations across tenants: $out"
	return 1
}

# run_framework NAME DB COMMAND...: the command is run twice, directly with
# the migration and through PgBouncer, with the DSNs as arguments.
run_framework() {
	local name=$1 db=$2; shift 2
	local status=ok endpoint start=$SECONDS
	case " ${TG_CLIENTS_ONLY:-$name} " in *" $name "*) ;; *) return 0 ;; esac
	tg_log "clients: $name"
	for endpoint in direct pgbouncer; do
		local extra=()
		if [ "$endpoint" = direct ]; then
			extra=(--migrate-dsn "$(dsn direct "$db" tg_migrator) options='-c role=tg_owner'")
		fi
		if ! "$@" --endpoint "$endpoint" --dbname "$db" \
				--app-dsn "$(dsn "$endpoint" "$db" tg_app)" \
				--monitor-dsn "$MONITOR_DSN" --per-worker "$PER_WORKER" \
				"${extra[@]}"; then
			status=FAILED
		fi
		if [ "$endpoint" = direct ] && ! migration_ok "$db"; then
			status=FAILED
		fi
	done
	results[$name]="$status ($(( SECONDS - start )) s)"
	[ "$status" = ok ] || failed+=("$name")
}

run_framework psycopg psycopg_app "$PYTHON" "$CLIENTS_DIR/python/psycopg_app.py"
run_framework sqlalchemy sqlalchemy_app "$PYTHON" "$CLIENTS_DIR/python/sqlalchemy_app.py"
run_framework django django_app "$PYTHON" "$CLIENTS_DIR/python/django_app.py"
run_framework node-postgres pg_app node "$CLIENTS_DIR/node/pg_app.js"
run_framework knex knex_app node "$CLIENTS_DIR/node/knex_app.js"
if [ "${results[node-postgres]:-}" != "" ] && ! backfill_ok pg_app; then
	failed+=("backfill")
fi

tg_log "clients: results"
for name in psycopg sqlalchemy django node-postgres knex; do
	printf '   %-14s %s\n' "$name" "${results[$name]:-not run}" >&2
done
status=0
grep -E -H "$TG_CRASH_PATTERN" "$PGDIR/server.log" || status=$?
[ "$status" -eq 1 ] || failed+=("server log")
if [ ${#failed[@]} -gt 0 ]; then
	tg_log "clients: FAILED: ${failed[*]}"
	exit 1
fi
tg_log "clients: all passed"
