"""rising partners on the monthly scorecards; how each risk score was made

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("partner_scorecards", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rising", sa.Double(), nullable=True))
    with op.batch_alter_table("partner_risk_scores", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("method", sa.String(length=16), server_default="model", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("partner_risk_scores", schema=None) as batch_op:
        batch_op.drop_column("method")
    with op.batch_alter_table("partner_scorecards", schema=None) as batch_op:
        batch_op.drop_column("rising")
