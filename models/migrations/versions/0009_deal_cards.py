"""deal cards

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "deal_cards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("deal_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("ts", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["deal_id"],
            ["deal_registrations.id"],
            name=op.f("fk_deal_cards_deal_id_deal_registrations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deal_cards")),
    )
    with op.batch_alter_table("deal_cards", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_deal_cards_deal_id"), ["deal_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("deal_cards", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deal_cards_deal_id"))
    op.drop_table("deal_cards")
