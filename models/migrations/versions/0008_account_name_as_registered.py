"""registrations keep the account name as typed

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("deal_registrations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("account_name_as_registered", sa.String(length=255), nullable=True)
        )
    # What each registration typed was not kept before: its account's name is the best guess.
    op.execute(
        "UPDATE deal_registrations SET account_name_as_registered = "
        "(SELECT name FROM accounts WHERE accounts.id = deal_registrations.account_id)"
    )


def downgrade() -> None:
    with op.batch_alter_table("deal_registrations", schema=None) as batch_op:
        batch_op.drop_column("account_name_as_registered")
