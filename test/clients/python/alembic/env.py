"""Alembic's environment for test/clients/python/sqlalchemy_app.py: runs
the migrations on the engine the test passes in config.attributes, in one
transaction."""

from alembic import context

engine = context.config.attributes["engine"]
with engine.connect() as connection:
    context.configure(connection=connection, transaction_per_migration=False)
    with context.begin_transaction():
        context.run_migrations()
