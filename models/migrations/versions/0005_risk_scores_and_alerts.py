"""risk scores and alerts

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "risk_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("model_version", sa.String(length=32), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("card", sa.JSON(), nullable=False),
        sa.Column("model", sa.LargeBinary(), nullable=True),
        sa.Column("partners", sa.Integer(), nullable=False),
        sa.Column("seconds", sa.Double(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_runs")),
    )
    with op.batch_alter_table("risk_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_risk_runs_as_of"), ["as_of"], unique=False)

    op.create_table(
        "partner_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("condition", sa.String(length=64), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("severity", sa.String(length=8), nullable=False),
        sa.Column("headline", sa.String(length=300), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("recipient", sa.String(length=32), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "open",
                "acknowledged",
                "snoozed",
                "dismissed",
                name="alert_state",
                native_enum=False,
                create_constraint=True,
            ),
            server_default=sa.text("'open'"),
            nullable=False,
        ),
        sa.Column("state_by", sa.String(length=32), nullable=True),
        sa.Column("state_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("snoozed_until", sa.Date(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["partners.id"],
            name=op.f("fk_partner_alerts_partner_id_partners"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_alerts")),
    )
    with op.batch_alter_table("partner_alerts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_partner_alerts_partner_id_condition"),
            ["partner_id", "condition"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_partner_alerts_recipient_created_at"),
            ["recipient", "created_at"],
            unique=False,
        )

    op.create_table(
        "partner_risk_scores",
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("risk", sa.Double(), nullable=False),
        sa.Column("risk_band", sa.String(length=8), nullable=False),
        sa.Column("top_factors", sa.JSON(), nullable=False),
        sa.Column("drift_flags", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["partners.id"],
            name=op.f("fk_partner_risk_scores_partner_id_partners"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["risk_runs.id"],
            name=op.f("fk_partner_risk_scores_run_id_risk_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("partner_id", "as_of", name=op.f("pk_partner_risk_scores")),
    )
    with op.batch_alter_table("partner_risk_scores", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_partner_risk_scores_as_of_risk"), ["as_of", "risk"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("partner_risk_scores", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_partner_risk_scores_as_of_risk"))

    op.drop_table("partner_risk_scores")
    with op.batch_alter_table("partner_alerts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_partner_alerts_recipient_created_at"))
        batch_op.drop_index(batch_op.f("ix_partner_alerts_partner_id_condition"))

    op.drop_table("partner_alerts")
    with op.batch_alter_table("risk_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_risk_runs_as_of"))

    op.drop_table("risk_runs")
