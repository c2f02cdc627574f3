"""partner scorecards

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "partner_scorecards",
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("score", sa.Double(), nullable=False),
        sa.Column("tier", sa.String(length=32), nullable=False),
        sa.Column("recommended_tier", sa.String(length=32), nullable=False),
        sa.Column("card", sa.JSON(), nullable=False),
        sa.Column(
            "computed_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column("chart_file_id", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["partners.id"],
            name=op.f("fk_partner_scorecards_partner_id_partners"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("partner_id", "month", name=op.f("pk_partner_scorecards")),
    )
    with op.batch_alter_table("partner_scorecards", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_partner_scorecards_month_score"), ["month", "score"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("partner_scorecards", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_partner_scorecards_month_score"))
    op.drop_table("partner_scorecards")
