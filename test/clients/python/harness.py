"""The load every Python framework test runs (test/clients/run.sh).

A framework test gives run_load() three functions, each one request made
the framework's documented way, or one of the two mistakes:

  request(tenant)    the documented pattern: sets the tenant, inserts an
                     order and a payment, returns the new order's
                     tenant_id and the tenant_id of every order and
                     payment it can read
  forgetful()        reads orders without setting a tenant: must fail with
                     SQLSTATE 42501, never return rows
  polluting(tenant)  sets the tenant at session level with a bind
                     parameter and commits: must fail with 42501, and the
                     connection must go back to the pool usable

run_load() runs them from WORKERS threads, one in ten requests forgetful and
one in ten polluting, then one more documented request per pooled
connection, and counts: rows of another tenant a request saw, forgetful or
polluting requests that were not refused, any other error (a connection
left in an aborted transaction shows up here as 25P02), and sessions of the
application role left inside a transaction.  It prints one line and returns
whether everything held.
"""

import argparse
import logging
import random
import shlex
import sys
import threading
import time

import psycopg

# psycopg_pool warns of every connection it gets back inside a failed
# transaction (the polluting requests'); the counts say what matters.
logging.getLogger("psycopg.pool").setLevel(logging.ERROR)

WORKERS = 16
TENANTS = 8


def app_arguments():
    """The command line test/clients/run.sh gives every framework test."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--app-dsn", required=True)
    ap.add_argument("--migrate-dsn")
    ap.add_argument("--monitor-dsn", required=True)
    ap.add_argument("--dbname", required=True)
    ap.add_argument("--per-worker", type=int, default=40)
    return ap.parse_args()


def dsn_keywords(dsn):
    """A libpq keyword DSN ("host=... port=...") as a dict."""
    return dict(item.split("=", 1) for item in shlex.split(dsn))


def describe(rows):
    """What a request that should have failed returned, in short."""
    if isinstance(rows, list):
        return "%d rows" % len(rows)
    text = repr(rows)
    return text if len(text) <= 60 else text[:57] + "..."


def sqlstate(exc):
    """The SQLSTATE of a database error, however a framework wrapped it."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        for attr in ("sqlstate", "pgcode"):
            code = getattr(exc, attr, None)
            if isinstance(code, str) and len(code) == 5:
                return code
        exc = getattr(exc, "orig", None) or exc.__cause__
    return None


def stuck_sessions(monitor_dsn, dbname):
    """Sessions of the application role in dbname that sit inside a
    transaction (idle in transaction, aborted or not), seen directly on the
    server, not through PgBouncer."""
    with psycopg.connect(monitor_dsn, autocommit=True) as conn:
        return conn.execute(
            """SELECT count(*) FROM pg_stat_activity
                WHERE usename = 'tg_app' AND datname = %s
                  AND state LIKE 'idle in transaction%%'""",
            [dbname]).fetchone()[0]


class Counts:
    def __init__(self):
        self.lock = threading.Lock()
        self.tenant = self.forgetful = self.polluting = 0
        self.cross = 0
        self.forgetful_served = self.polluting_accepted = 0
        self.unexpected = []

    def error(self, what, exc):
        with self.lock:
            self.unexpected.append("%s: %s %s" % (what, sqlstate(exc),
                                                  str(exc).splitlines()[0]))


def one_request(i, rng, fns, counts):
    request, forgetful, polluting = fns
    tenant = rng.randint(1, TENANTS)
    if i % 10 == 3:
        try:
            rows = forgetful()
        except Exception as exc:  # noqa: BLE001 -- any driver's error
            if sqlstate(exc) != "42501":
                counts.error("forgetful", exc)
        else:
            with counts.lock:
                counts.forgetful_served += 1
                counts.unexpected.append("forgetful request served %s"
                                     % describe(rows))
        with counts.lock:
            counts.forgetful += 1
    elif i % 10 == 7:
        try:
            polluting(tenant)
        except Exception as exc:  # noqa: BLE001
            if sqlstate(exc) != "42501":
                counts.error("polluting", exc)
        else:
            with counts.lock:
                counts.polluting_accepted += 1
        with counts.lock:
            counts.polluting += 1
    else:
        with counts.lock:
            counts.tenant += 1
        try:
            mine, seen = request(tenant)
        except Exception as exc:  # noqa: BLE001
            counts.error("tenant %d" % tenant, exc)
            return
        bad = sum(1 for t in seen if int(t) != tenant) + (int(mine) != tenant)
        with counts.lock:
            counts.cross += bad


def run_load(name, fns, per_worker, pool_size, monitor_dsn, dbname,
             seed=10):
    counts = Counts()
    start = time.monotonic()

    def worker(w):
        rng = random.Random(seed * 1000 + w)
        for i in range(per_worker):
            one_request(w + i, rng, fns, counts)

    threads = [threading.Thread(target=worker, args=(w,))
               for w in range(WORKERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Every pooled connection serves one more documented request: none may
    # have been left aborted by a polluting request.
    rng = random.Random(seed)
    for i in range(2 * pool_size):
        one_request(0, rng, fns, counts)
    stuck = stuck_sessions(monitor_dsn, dbname)
    elapsed = time.monotonic() - start
    total = counts.tenant + counts.forgetful + counts.polluting
    ok = (counts.cross == 0 and counts.forgetful_served == 0
          and counts.polluting_accepted == 0 and not counts.unexpected
          and stuck == 0 and counts.tenant > 0)
    print("%s: %s: %d requests by %d workers (%d of a tenant, %d forgetful, "
          "%d polluting) in %.1f s: %d cross-tenant rows, forgetful served %d, "
          "polluting accepted %d, unexpected errors %d, stuck sessions %d"
          % ("ok" if ok else "FAILED", name, total, WORKERS, counts.tenant,
             counts.forgetful, counts.polluting, elapsed, counts.cross,
             counts.forgetful_served, counts.polluting_accepted,
             len(counts.unexpected), stuck))
    for line in sorted(set(counts.unexpected))[:10]:
        print("    " + line)
    sys.stdout.flush()
    return ok


def check(name, cond, what):
    print("%s: %s: %s" % ("ok" if cond else "FAILED", name, what))
    sys.stdout.flush()
    return bool(cond)


def expect_documented(name, fn, tenant):
    """fn(tenant), a documented request, must get its new order tenant_id
    tenant and see no other tenant's rows (tenant may be given as a
    string)."""
    try:
        mine, seen = fn(tenant)
    except Exception as exc:  # noqa: BLE001
        return check(name, False, "documented request of tenant %r: %s %s"
                     % (tenant, sqlstate(exc), str(exc).splitlines()[0]))
    return check(name, int(mine) == int(tenant) and
                 {int(t) for t in seen} == {int(tenant)},
                 "documented request of tenant %r gets tenant_id %s and "
                 "sees tenants %s" % (tenant, mine, sorted(set(seen))))


def expect_refused(name, fn, what):
    """fn must fail with SQLSTATE 42501."""
    try:
        rows = fn()
    except Exception as exc:  # noqa: BLE001
        code = sqlstate(exc)
        return check(name, code == "42501",
                     "%s: refused with %s (%s)"
                     % (what, code, str(exc).splitlines()[0]))
    return check(name, False, "%s: served %s instead of an error"
                 % (what, describe(rows)))
