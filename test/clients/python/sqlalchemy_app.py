"""SQLAlchemy, with its migrations run by Alembic, against tenant_guard
(test/clients/run.sh).  SQLAlchemy 1.4 (Debian 12) talks to PostgreSQL
through psycopg2.

The blocks between "README:" and "END README" are the README's snippets,
word for word (run.sh checks).
"""

import pathlib
import sys
import urllib.parse

from alembic import command
from alembic.config import Config
from sqlalchemy import (BigInteger, Column, FetchedValue, Identity, Integer,
                        Text, create_engine, event, select, text)
from sqlalchemy.orm import declarative_base, sessionmaker

import harness

args = harness.app_arguments()


def url(dsn):
    """A libpq keyword DSN as an SQLAlchemy URL (unix socket in host)."""
    kw = harness.dsn_keywords(dsn)
    query = {"host": kw["host"], "port": kw["port"]}
    if "options" in kw:
        query["options"] = kw["options"]
    return "postgresql+psycopg2://%s@/%s?%s" % (
        kw["user"], kw["dbname"], urllib.parse.urlencode(query))


DATABASE_URL = url(args.app_dsn)

# README: sqlalchemy
engine = create_engine(DATABASE_URL, pool_size=16, max_overflow=0)
Session = sessionmaker(engine)
Base = declarative_base()


@event.listens_for(Session, "after_begin")
def set_tenant(session, transaction, connection):
    connection.execute(text("SELECT tenant_guard.set_tenant(:tenant_id)"),
                       {"tenant_id": session.info["tenant_id"]})


class Order(Base):
    __tablename__ = "orders"
    id = Column(BigInteger, Identity(), primary_key=True)
    tenant_id = Column(BigInteger, server_default=FetchedValue(), nullable=False)
    item = Column(Text, nullable=False)


class Payment(Base):
    __tablename__ = "payments"
    id = Column(BigInteger, Identity(), primary_key=True)
    tenant_id = Column(BigInteger, server_default=FetchedValue(), nullable=False)
    order_id = Column(BigInteger, nullable=False)
    amount = Column(Integer, nullable=False)


def place_order(tenant_id, item, amount):
    with Session(info={"tenant_id": tenant_id}) as session, session.begin():
        order = Order(item=item)
        session.add(order)
        session.flush()  # INSERT ... RETURNING id; tenant_id is read when used
        session.add(Payment(order_id=order.id, amount=amount))
        seen = (session.scalars(select(Order.tenant_id)).all()
                + session.scalars(select(Payment.tenant_id)).all())
        return order.tenant_id, seen
# END README

# Sessions of a code path that forgot the listener.
PlainSession = sessionmaker(engine)


# A model that does not tell SQLAlchemy where tenant_id comes from: its
# INSERT sends an explicit NULL, which protect()'s trigger fills in.
BareBase = declarative_base()


class BareOrder(BareBase):
    __tablename__ = "orders"
    id = Column(BigInteger, Identity(), primary_key=True)
    tenant_id = Column(BigInteger, nullable=False)
    item = Column(Text, nullable=False)


def bare_order(tenant_id):
    with Session(info={"tenant_id": tenant_id}) as session, session.begin():
        order = BareOrder(item="fig")
        session.add(order)
        session.flush()
        session.refresh(order)
        return order.tenant_id


def forgetful():
    with PlainSession() as session, session.begin():
        return session.scalars(select(Order.tenant_id)).all()


def polluting(tenant_id):
    with PlainSession() as session, session.begin():
        session.execute(text("SELECT set_config('app.current_tenant', :t, false)"),
                        {"t": str(tenant_id)})


def migrate(dsn):
    cfg = Config()
    cfg.set_main_option("script_location",
                        str(pathlib.Path(__file__).parent / "alembic"))
    owner = create_engine(url(dsn))
    cfg.attributes["engine"] = owner
    try:
        command.upgrade(cfg, "head")
    finally:
        owner.dispose()


def main():
    name = "sqlalchemy %s" % args.endpoint
    ok = True
    if args.migrate_dsn:
        try:
            migrate(args.migrate_dsn)
            harness.check("alembic migration", True,
                          "alembic upgrade head as the tables' owner")
        except Exception as exc:  # noqa: BLE001
            harness.check("alembic migration", False, "%s %s" % (
                harness.sqlstate(exc), str(exc).splitlines()[0]))
            return 1
    try:
        for tenant in (3, "4"):
            ok &= harness.expect_documented(
                name, lambda t: place_order(t, "apple", 5), tenant)
        ok &= harness.expect_refused(name, forgetful, "forgetful request")
        try:
            got = bare_order(5)
            ok &= harness.check(name, got == 5, "a model without "
                                "server_default=FetchedValue() inserts NULL: "
                                "the row gets tenant_id %s of 5" % got)
        except Exception as exc:  # noqa: BLE001
            ok &= harness.check(name, False, "a model without "
                                "server_default=FetchedValue(): %s %s" % (
                                    harness.sqlstate(exc),
                                    str(exc).splitlines()[0]))
        ok &= harness.run_load(
            name, (lambda t: place_order(t, "pear", 7), forgetful, polluting),
            args.per_worker, 16, args.monitor_dsn, args.dbname)
    finally:
        engine.dispose()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
