"""psycopg 3 with psycopg_pool against tenant_guard (test/clients/run.sh).

The blocks between "README:" and "END README" are the README's snippets,
word for word (run.sh checks).
"""

import pathlib
import sys

import psycopg
from psycopg_pool import ConnectionPool

import harness

# README: psycopg
def make_pool(dsn, behind_pgbouncer):
    # PgBouncer before 1.21 cannot carry prepared statements in transaction mode
    return ConnectionPool(dsn, min_size=4, max_size=16, kwargs={
        "prepare_threshold": None if behind_pgbouncer else 5})


def place_order(pool, tenant_id, item, amount):
    with pool.connection() as conn:  # one transaction: COMMIT at the end, ROLLBACK on an error
        conn.execute("SELECT tenant_guard.set_tenant(%s)", [tenant_id])
        order_id, order_tenant = conn.execute(
            "INSERT INTO orders (item) VALUES (%s) RETURNING id, tenant_id", [item]).fetchone()
        conn.execute("INSERT INTO payments (order_id, amount) VALUES (%s, %s)", [order_id, amount])
        seen = conn.execute("SELECT tenant_id FROM orders UNION ALL SELECT tenant_id FROM payments")
        return order_tenant, [t for (t,) in seen]
# END README


def forgetful(pool):
    with pool.connection() as conn:
        return conn.execute("SELECT tenant_id FROM orders").fetchall()


def polluting(pool, tenant_id):
    # A session-level tenant with a bind parameter, then COMMIT.
    with pool.connection() as conn:
        conn.execute("SELECT set_config('app.current_tenant', %s, false)",
                     [str(tenant_id)])


def migrate(dsn):
    sql = (pathlib.Path(__file__).parent.parent / "migration.sql").read_text()
    with psycopg.connect(dsn) as conn:  # one transaction
        conn.execute(sql)


def main():
    args = harness.app_arguments()
    name = "psycopg %s" % args.endpoint
    ok = True

    if args.migrate_dsn:
        try:
            migrate(args.migrate_dsn)
            ok &= harness.check("psycopg migration", True,
                                "migration.sql as the tables' owner")
        except psycopg.Error as exc:
            harness.check("psycopg migration", False, "%s %s" % (
                exc.sqlstate, str(exc).splitlines()[0]))
            return 1

    pool = make_pool(args.app_dsn, args.endpoint == "pgbouncer")
    try:
        # The documented pattern, with an int: psycopg sends it typed.
        for tenant in (1, "2"):
            ok &= harness.expect_documented(
                name, lambda t: place_order(pool, t, "apple", 5), tenant)
        ok &= harness.expect_refused(name, lambda: forgetful(pool),
                                     "forgetful request")
        ok &= harness.run_load(
            name,
            (lambda t: place_order(pool, t, "pear", 7),
             lambda: forgetful(pool),
             lambda t: polluting(pool, t)),
            args.per_worker, 16, args.monitor_dsn, args.dbname)
    finally:
        pool.close()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
