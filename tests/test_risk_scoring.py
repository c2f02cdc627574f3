"""``partnerbot score --as-of DATE --out FILE.csv``: the risk contract, what is stored, and that
nothing dated after DATE changes a score — on SQLite and PostgreSQL, through the command line a
user runs. Plus the plain-language reasons on hand-made histories."""

import csv
import json
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine, delete, func, select, update
from sqlalchemy.orm import Session

from ingest import import_file
from insights.risk_factors import top_factors
from insights.risk_features import risk_features
from insights.risk_scoring import RiskAssessment
from insights.risk_store import CSV_COLUMNS, write_assessment_csv
from models import DealRegistration, DealStatus, Partner, PartnerActivity
from models.enums import AlertState, PartnerStatus
from models.monitoring import PartnerAlert, PartnerRiskScore, RiskRun
from synth import ProgramSpec, generate_program
from tests.cli import run_cli
from tests.programs import EXAMPLE_PROGRAM

AS_OF = date(2026, 6, 30)


def read_scores(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        assert tuple(reader.fieldnames or ()) == CSV_COLUMNS
        return list(reader)


def generated_program(engine: Engine, folder: Path) -> None:
    """A generated 150-partner program (18 months to November 2026), imported as a user would:
    with fewer, two back-test dates rank no better than chance, whatever ranks them."""
    generated = generate_program(ProgramSpec(partners=150, months=18, seed=11), folder)
    for kind in ("partners", "people", "deals", "activities"):
        import_file(kind, generated.paths[kind], engine, EXAMPLE_PROGRAM)


def score(url: str, out: Path) -> list[dict[str, str]]:
    done = run_cli("score", "--as-of", AS_OF.isoformat(), "--out", str(out), database_url=url,
                   cwd=out.parent)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "At risk as of 2026-06-30" in done.stdout
    return read_scores(out)


@pytest.mark.slow
def test_score_writes_the_contract_stores_it_and_ignores_later_data(
    engine: Engine, tmp_path: Path
) -> None:
    generated_program(engine, tmp_path)
    url = engine.url.render_as_string(hide_password=False)
    rows = score(url, tmp_path / "risk.csv")

    with engine.connect() as connection:
        active = connection.scalars(
            select(Partner.external_id).where(
                Partner.status == PartnerStatus.ACTIVE,
                (Partner.signed_at.is_(None)) | (Partner.signed_at <= AS_OF),
            )
        ).all()
        stored = connection.execute(
            select(func.count(), func.min(PartnerRiskScore.risk), func.max(PartnerRiskScore.risk))
            .where(PartnerRiskScore.as_of == AS_OF)
        ).one()  # fmt: skip
    with Session(engine) as session:
        runs = session.scalars(select(RiskRun).where(RiskRun.as_of == AS_OF)).all()
    assert sorted(r["partner_id"] for r in rows) == sorted(active)
    assert stored[0] == len(rows)
    risks = [float(r["risk"]) for r in rows]
    assert risks == sorted(risks, reverse=True)
    assert 0 <= min(risks) < max(risks) <= 1
    assert {r["risk_band"] for r in rows} <= {"low", "medium", "high"}
    for row in rows:
        flags = json.loads(row["drift_flags"])
        assert isinstance(flags, list)
        for flag in flags:
            assert {"metric", "expected", "observed", "magnitude", "since"} <= set(flag)
        if row["risk_band"] == "low":
            assert not row["top_factors"], row  # only medium and high are explained
    (run,) = runs
    assert run.card["as_of"] == "2026-07-01"  # the model's cut-off: events before it
    assert run.card["version"] == run.model_version
    assert run.partners == len(rows)

    # Rewind the database to what it held at the end of AS_OF: later registrations and
    # activities never happened, and deals that closed later are still open.
    with engine.begin() as connection:
        later = DealRegistration.registered_at >= pd.Timestamp(AS_OF) + pd.Timedelta(days=1)
        connection.execute(delete(DealRegistration).where(later))
        connection.execute(delete(PartnerActivity).where(PartnerActivity.occurred_on > AS_OF))
        connection.execute(
            update(DealRegistration)
            .where(DealRegistration.closed_at > AS_OF)
            .values(status=DealStatus.APPROVED, closed_at=None)
        )
    assert score(url, tmp_path / "rewound.csv") == rows


D0 = pd.Timestamp("2025-01-01")


def events(rows: list[tuple[int, int, str, float]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["partner_id", "day", "kind", "amount"])
    frame["date"] = D0 + pd.to_timedelta(frame.pop("day"), unit="D")
    return frame


def test_reasons_are_measured_against_the_partners_own_rhythm_and_peers() -> None:
    as_of = D0 + pd.Timedelta(days=400)
    rows: list[tuple[int, int, str, float]] = []
    # 1: won every 20 days until day 300, then silence (100 days at as_of).
    rows += [(1, d, "won", 10_000.0) for d in range(0, 301, 20)]
    # 2: same rhythm, still winning: nothing unusual.
    rows += [(2, d, "won", 10_000.0) for d in range(0, 400, 20)]
    # 3..8: peers closing 6 wins and 4 losses in the last six months; 3 loses most.
    for partner in range(3, 9):
        wins, losses = (1, 9) if partner == 3 else (6, 4)
        rows += [(partner, 230 + 10 * k, "won", 5_000.0) for k in range(wins)]
        rows += [(partner, 235 + 10 * k, "lost", 5_000.0) for k in range(losses)]
        rows += [(partner, d, "won", 5_000.0) for d in range(0, 200, 25)]
    frame = events(rows)
    partners = pd.Index([1, 2, 3], name="partner_id")
    features = risk_features(frame, as_of)
    peers = pd.Series("gold/EMEA", index=pd.Index(range(1, 9)))
    found = top_factors(frame, as_of, partners, features, peers, "USD")
    assert found[1][0] == "no won deal in 100 days, usually every 20"
    assert any(f.startswith("won USD 0 in the last 90 days, usually USD") for f in found[1])
    assert found[2] == []  # nothing worse than its own normal: no reason, never a bare count
    assert "win rate 10% vs 60% peer median (deals closed in the last 180 days)" in found[3]


def test_usual_rates_are_over_the_history_a_partner_has() -> None:
    as_of = D0 + pd.Timedelta(days=300)
    # signed and busy from day 120: 45 registrations in its first 90 days, 2 in the last 90
    rows = [(1, 120 + 2 * k, "registered", 0.0) for k in range(45)]
    rows += [(1, 250, "registered", 0.0), (1, 260, "registered", 0.0)]
    # 2: a month of history before the last 90 days: too short to say what is usual
    rows += [(2, 180 + k, "registered", 0.0) for k in range(20)] + [(2, 260, "registered", 0.0)]
    frame = events(rows)
    partners = pd.Index([1, 2], name="partner_id")
    found = top_factors(frame, as_of, partners, risk_features(frame, as_of), None, "USD")
    assert found[1] == ["2 deal registrations in the last 90 days, usually 45 per 90 days"]
    assert found[2] == []


@pytest.mark.slow
def test_evaluate_backtests_on_the_programs_own_history(engine: Engine, tmp_path: Path) -> None:
    generated_program(engine, tmp_path)
    answers = [
        ("at_risk", AlertState.ACKNOWLEDGED),
        ("at_risk", AlertState.ACKNOWLEDGED),
        ("at_risk", AlertState.SNOOZED),
        ("at_risk", AlertState.DISMISSED),
        ("at_risk", AlertState.OPEN),
        ("drift:revenue", AlertState.DISMISSED),
    ]
    with Session(engine) as session:
        partner = session.scalars(select(Partner.id)).first()
        assert partner is not None
        for condition, state in answers:
            alert = PartnerAlert(
                partner_id=partner,
                condition=condition,
                as_of=date(2026, 11, 1),
                severity="high",
                headline="test",
                detail={},
                recipient="U0MANAGER",
                state=state,
            )
            session.add(alert)
        session.commit()
    url = engine.url.render_as_string(hide_password=False)
    done = run_cli("evaluate", "--dates", "2", "--drift-months", "4", "--truth",
                   str(tmp_path / "truth.csv"), database_url=url, cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "At-risk back-test: label over the 90 days after each date" in out
    for method in ("at-risk model", "recency", "BG/NBD expected"):
        assert method in out
    means = [line for line in out.splitlines() if "mean" in line and "at-risk model" in line]
    assert len(means) == 1
    auc = float(means[0].split("│")[5])
    assert 0.5 < auc <= 1  # better than chance on a program with real churn in it
    assert "injected drops and churn (truth.csv), recall within 2 months" in out
    assert "Calibration of the at-risk probabilities (mean P vs observed" in out
    assert out.count("ECE ") == 2  # one line per back-test date
    assert "Alerts as the worker sends them, replayed on the 1st of each month" in out
    assert "of stable partners alerted (" in out
    assert "drops and churn alerted within 2 months:" in out
    feedback = out[out.index("Managers' feedback on alerts") :].splitlines()
    rows = [[cell.strip() for cell in line.split("│")[1:-1]] for line in feedback if "│" in line]
    assert ["at_risk", "5", "2", "1", "1", "75%"] in rows
    assert ["drift:revenue", "1", "0", "0", "1", "0%"] in rows


def test_the_risk_csv_writes_drift_figures_as_people_write_them(tmp_path: Path) -> None:
    """Issue 19: ``score --out`` showed ``1798482.2899999998``; money goes to the cent."""
    flag = {"metric": "won_revenue", "detector": "cusum", "expected": 1798482.2899999998,
            "observed": 0.1 + 0.2, "magnitude": 0.123456, "since": "2026-05-01"}  # fmt: skip
    scores = pd.DataFrame(
        {"risk": [0.5], "risk_band": ["medium"], "top_factors": [[]], "drift_flags": [[flag]]},
        index=[7],
    )
    assessment = RiskAssessment(AS_OF, scores, model=None, seconds={})  # type: ignore[arg-type]
    write_assessment_csv(assessment, pd.Series({7: "P-7"}), tmp_path / "risk.csv")
    (row,) = read_scores(tmp_path / "risk.csv")
    (written,) = json.loads(row["drift_flags"])
    assert written == {**flag, "expected": 1798482.29, "observed": 0.3, "magnitude": 0.123}
