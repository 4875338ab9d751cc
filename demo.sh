#!/usr/bin/env bash
# demo.sh: tenant_guard at work on a throwaway server.
#
# Installs what it needs on a fresh Debian (12, 13 or unstable) machine,
# builds and installs the extension into the distribution's PostgreSQL (or
# the one TG_PG_MAJOR or PG_CONFIG names, see test/lib.sh), starts a
# PostgreSQL server in a temporary directory with tenant_guard preloaded,
# creates a small multi-tenant schema protected by
# tenant_guard.protect(), and shows the guard refusing a query without a
# tenant, answering it for one tenant after SET LOCAL, and refusing a
# session-level SET.  Then it opens psql on that server (when run from a
# terminal; the server is removed when psql exits) or prints how to connect
# and how to stop it.
set -euo pipefail
. "$(dirname "$0")/test/lib.sh"

tg_install_packages "${TG_PACKAGES[@]}"
tg_build_and_install
tg_make_workdir
tg_start_cluster "$TG_WORKDIR"

tg_psql -d postgres -c "CREATE DATABASE shop"
tg_psql -d shop <<'SQL'
CREATE EXTENSION tenant_guard;

-- The application logs in as app, which owns nothing and bypasses nothing,
-- and needs no temporary tables (audit() reports a role that can make them).
CREATE ROLE app LOGIN;
REVOKE TEMPORARY ON DATABASE shop FROM PUBLIC;

CREATE TABLE orders (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	tenant_id int NOT NULL,
	item text NOT NULL
);
INSERT INTO orders (tenant_id, item) VALUES
	(1, 'apple'), (1, 'pear'), (2, 'plum'), (2, 'fig'), (3, 'kiwi');
SELECT tenant_guard.protect('orders');
GRANT SELECT, INSERT, UPDATE, DELETE ON orders TO app;
SQL

demo() {
	printf '\n-- %s\n' "$1"
	shift
	tg_as_cluster_user "$TG_BINDIR/psql" -X -h "$TG_PGHOST" -p "$TG_PGPORT" \
		-U app -d shop --echo-queries "$@" 2>&1 || true
}

demo "Without a tenant, the query is refused:" \
	-c "SELECT * FROM orders"
demo "With SET LOCAL inside a transaction, tenant 1 sees its rows only:" \
	-c "BEGIN" -c "SET LOCAL app.current_tenant = '1'" \
	-c "SELECT * FROM orders" -c "COMMIT"
demo "A session-level SET, which a pooled connection would hand to the next request, is refused:" \
	-c "SET app.current_tenant = '1'"
demo "Switching tenants within a transaction is refused:" \
	-c "BEGIN" -c "SET LOCAL app.current_tenant = '1'" \
	-c "SET LOCAL app.current_tenant = '2'" -c "ROLLBACK"
demo "The audit of the database finds nothing wrong:" \
	-c "SELECT * FROM tenant_guard.audit()"

connect="$TG_BINDIR/psql -h $TG_PGHOST -p $TG_PGPORT -U app shop"
if [ -t 0 ] && [ -t 1 ]; then
	printf '\nOpening psql as the application role (the server is removed when you quit):\n  %s\n\n' "$connect"
	trap tg_cleanup EXIT
	tg_as_cluster_user $connect || true
else
	cat <<EOF

The server keeps running.  Connect with:
  $connect
Stop and remove it with:
  $(if [ "$(id -u)" -eq 0 ]; then echo "runuser -u postgres -- "; fi)$TG_BINDIR/pg_ctl -D $TG_WORKDIR/data stop && rm -rf $TG_WORKDIR
EOF
fi
