"""Orders and payments, as tenant tables (test/clients/run.sh).

Revision ID: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None


# README: alembic
def upgrade():
    op.create_table(
        "orders",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("tenant_id", sa.BigInteger, nullable=False),
        sa.Column("item", sa.Text, nullable=False),
        sa.UniqueConstraint("tenant_id", "id"),
    )
    op.execute("SELECT tenant_guard.protect('orders')")
    op.create_table(
        "payments",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("tenant_id", sa.BigInteger, nullable=False),
        sa.Column("order_id", sa.BigInteger, nullable=False),
        sa.Column("amount", sa.Integer, nullable=False),
    )
    op.execute("SELECT tenant_guard.protect('payments')")
    op.create_foreign_key("payments_order_fkey", "payments", "orders",
                          ["tenant_id", "order_id"], ["tenant_id", "id"])
    op.create_index("payments_tenant_order", "payments", ["tenant_id", "order_id"])
# END README


def downgrade():
    op.drop_table("payments")
    op.execute("SELECT tenant_guard.unprotect('orders')")
    op.drop_table("orders")
