"""outbox updates: card updates through the outbox, cards recorded before they are posted

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("update_of", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("update_ts", sa.String(length=32), nullable=True))
    with op.batch_alter_table("deal_cards", schema=None) as batch_op:
        batch_op.add_column(sa.Column("outbox_key", sa.String(length=200), nullable=True))
        batch_op.alter_column("ts", existing_type=sa.String(length=32), nullable=True)


def downgrade() -> None:
    # 0009 knows cards by ts only, and would post an update still to send as a new message
    op.execute(
        "UPDATE deal_cards SET ts = (SELECT o.ts FROM outbox_messages o"
        " WHERE o.key = deal_cards.outbox_key) WHERE ts IS NULL"
    )
    op.execute("DELETE FROM deal_cards WHERE ts IS NULL")
    op.execute(
        "DELETE FROM outbox_messages WHERE (update_of IS NOT NULL OR update_ts IS NOT NULL)"
        " AND status <> 'sent'"
    )
    with op.batch_alter_table("deal_cards", schema=None) as batch_op:
        batch_op.alter_column("ts", existing_type=sa.String(length=32), nullable=False)
        batch_op.drop_column("outbox_key")
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_column("update_ts")
        batch_op.drop_column("update_of")
