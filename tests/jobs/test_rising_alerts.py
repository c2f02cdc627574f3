"""A partner the month's scorecards call rising gets no at-risk alert (the two would
contradict each other); another partner with the same risk does."""

from datetime import date

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from insights.risk_scoring import RiskAssessment
from jobs.scoring import raise_alerts
from models import Partner, PartnerScorecard
from models.monitoring import PartnerAlert
from tests.programs import EXAMPLE_PROGRAM


def test_a_rising_partner_is_not_also_alerted_at_risk(
    session_factory: sessionmaker[Session],
) -> None:
    with session_factory.begin() as session:
        rising, quiet = (
            Partner(
                external_id=f"P-{n}", name=n, tier="gold", region="EMEA", manager_slack_id="UMGR01"
            )
            for n in ("Rising Co", "Quiet Co")
        )
        session.add_all([rising, quiet])
        session.flush()
        for partner, rise in ((rising, 4.2), (quiet, None)):
            session.add(
                PartnerScorecard(
                    partner_id=partner.id,
                    month=date(2026, 10, 1),
                    score=50.0,
                    tier="gold",
                    recommended_tier="gold",
                    rising=rise,
                    card={"rising": ["deal registrations up"]} if rise else {},
                )
            )
        scores = pd.DataFrame(
            {
                "risk": [0.9, 0.9],
                "risk_band": ["high", "high"],
                "method": ["model", "model"],
                "top_factors": [["won less"], ["won less"]],
                "drift_flags": [[], []],
            },
            index=pd.Index([rising.id, quiet.id], name="partner_id"),
        )
        assessment = RiskAssessment(date(2026, 11, 30), scores, None, {})  # type: ignore[arg-type]
        raise_alerts(session, EXAMPLE_PROGRAM, assessment, date(2026, 12, 1))
        alerted = {a.partner_id for a in session.scalars(select(PartnerAlert))}
        assert alerted == {quiet.id}
