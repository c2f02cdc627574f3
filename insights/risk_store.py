"""Risk assessments in the database (for alerts, digests and ``/scorecard``) and in the CSV that
``partnerbot score --out`` writes.

Why a run row beside the scores: a score means little without the model that produced it. Each
run keeps its model card and the fitted pipeline, so a manager's "why did it say that?" can be
answered months later, and the feedback on alerts can be matched to the model version."""

from __future__ import annotations

import csv
import io
import json
import math
from datetime import date
from pathlib import Path
from typing import Any

import joblib
import pandas as pd
from sqlalchemy import delete, insert
from sqlalchemy.orm import Session

from config.program import Program
from insights.program_events import program_events
from insights.risk_model import MODEL_VERSION
from insights.risk_scoring import RiskAssessment, assess
from insights.scorecard_metrics import ProgramFrames, load_frames
from models.monitoring import PartnerRiskScore, RiskRun

CSV_COLUMNS = ("partner_id", "risk", "risk_band", "top_factors", "drift_flags")


def assess_and_store(
    session: Session, program: Program, as_of: date, frames: ProgramFrames | None = None
) -> RiskAssessment:
    """Assess every active partner at the end of ``as_of`` from what the database holds and
    store the result in the caller's transaction (the nightly job and ``partnerbot score``)."""
    frames = frames or load_frames(session, program)
    assessment = assess(program_events(frames), frames.partners, as_of, program)
    store_assessment(session, assessment)
    return assessment


def _model_bytes(assessment: RiskAssessment) -> bytes | None:
    if assessment.model.estimator is None:
        return None
    buffer = io.BytesIO()
    joblib.dump(assessment.model.estimator, buffer, compress=3)
    return buffer.getvalue()


def store_assessment(session: Session, assessment: RiskAssessment) -> int:
    """Replace the scores for ``assessment.as_of`` with these, recorded under a new run; returns
    the run id. The caller commits."""
    card = json.loads(json.dumps(assessment.card, default=str))  # dates and numpy → JSON
    run = RiskRun(
        as_of=assessment.as_of,
        model_version=MODEL_VERSION,
        method=assessment.model.method or "heuristic",
        card=card,
        model=_model_bytes(assessment),
        partners=len(assessment.scores),
        seconds=round(assessment.seconds.get("total", 0.0), 3),
    )
    session.add(run)
    session.flush()
    session.execute(delete(PartnerRiskScore).where(PartnerRiskScore.as_of == assessment.as_of))
    scores = assessment.scores
    rows = zip(
        scores.index.to_numpy(),
        scores["risk"].to_numpy(float),
        scores["risk_band"].to_numpy(),
        scores["method"].to_numpy(),
        scores["top_factors"].to_numpy(),
        scores["drift_flags"].to_numpy(),
        strict=True,
    )
    _write(session, run.id, assessment.as_of, rows)
    return run.id


def _json(value: Any) -> str:
    return json.dumps(value, allow_nan=False)  # PostgreSQL's JSON has no NaN: fail here


def _write(session: Session, run_id: int, as_of: date, rows: Any) -> None:
    """COPY on PostgreSQL (100,000 rows in about a second), one executemany elsewhere."""
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        values = [
            {
                "partner_id": int(p),
                "as_of": as_of,
                "run_id": run_id,
                "risk": float(r),
                "risk_band": str(b),
                "method": str(m),
                "top_factors": list(f),
                "drift_flags": list(d),
            }
            for p, r, b, m, f, d in rows
        ]
        if values:  # an empty executemany would insert one row of defaults
            session.execute(insert(PartnerRiskScore), values)
        return
    driver = connection.connection.driver_connection
    assert driver is not None
    columns = "partner_id, as_of, run_id, risk, risk_band, method, top_factors, drift_flags"
    with (
        driver.cursor() as cursor,
        cursor.copy(f"COPY partner_risk_scores ({columns}) FROM STDIN") as copy,
    ):
        for p, r, b, m, f, d in rows:
            copy.write_row((int(p), as_of, run_id, float(r), str(b), str(m), _json(f), _json(d)))


FLAG_PLACES = {"expected": 2, "observed": 2, "magnitude": 3, "score": 3}
"""Money to the cent, sizes to three places; rounded again by Python for the CSV, as numpy's
rounding leaves figures like ``1798482.2899999998``."""


def _tidy(flag: dict[str, Any]) -> dict[str, Any]:
    return {
        key: round(value, FLAG_PLACES[key])
        if key in FLAG_PLACES and isinstance(value, float) and math.isfinite(value)
        else value
        for key, value in flag.items()
    }


def write_assessment_csv(assessment: RiskAssessment, external_ids: pd.Series, out: Path) -> int:
    """The ``partnerbot score --out`` contract: one row per active partner, ``partner_id`` (as
    imported), ``risk`` (0–1), ``risk_band``, ``top_factors`` (sentences joined by "; ") and
    ``drift_flags`` (JSON list). Riskiest first; returns the number of rows."""
    scores = assessment.scores.sort_values("risk", ascending=False, kind="stable")
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_COLUMNS)
        for partner, row in zip(scores.index, scores.itertuples(index=False), strict=True):
            writer.writerow(
                (
                    external_ids.get(partner, partner),
                    f"{row.risk:.4f}",
                    row.risk_band,
                    "; ".join(row.top_factors),
                    json.dumps([_tidy(f) for f in row.drift_flags], separators=(",", ":")),
                )
            )
    return len(scores)
