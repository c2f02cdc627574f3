"""account names indexed for prefix lookups under any collation

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_index("ix_accounts_normalized_name")
        batch_op.create_index(
            "ix_accounts_normalized_name_pattern",
            ["normalized_name"],
            unique=False,
            postgresql_ops={"normalized_name": "varchar_pattern_ops"},
        )


def downgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_index("ix_accounts_normalized_name_pattern")
        batch_op.create_index("ix_accounts_normalized_name", ["normalized_name"], unique=False)
