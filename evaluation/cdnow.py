"""The at-risk model on real data: CDNOW customers as partners, purchases as won deals.

Protocol (README of the data set): score as of 1997-10-01 using only transactions dated before
it; the label is "no purchase from 1997-10-01 to 1998-06-30" (39 weeks). The model is trained
only on rolling snapshots of pre-cut-off history (see ``insights.risk_model``) and chooses its
family on an internal back-test that also ends before the cut-off; the holdout labels are read
once, after everything is fitted, to print the table.

    PYTHONPATH=. python -m evaluation.cdnow [--data PATH] [--seed N]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier

from insights.purchase_process import BetaGeometricNBD
from insights.risk_features import risk_features
from insights.risk_model import RiskConfig, RiskModel, inactive_label, metrics

DATA = Path("/work/shared/data/cdnow/CDNOW_master.txt")
CUTOFF = pd.Timestamp("1997-10-01")
HOLDOUT_END = pd.Timestamp("1998-07-01")  # exclusive: the holdout ends 1998-06-30
HORIZON_DAYS = (HOLDOUT_END - CUTOFF).days  # 273 = 39 weeks
REFERENCE = {  # from the data set's README, same protocol
    "recency (days since last purchase)": (0.759, 0.868),
    "BG/NBD expected purchases in holdout": (0.763, 0.847),
    "HistGradientBoosting on RFM, earlier window": (0.758, 0.870),
}


def load_events(path: Path = DATA) -> pd.DataFrame:
    """Raw CDNOW file as an events frame: partner_id, date, amount (every row a won deal)."""
    raw = pd.read_csv(
        path,
        sep=r"\s+",
        header=0,
        names=["partner_id", "date", "cds", "amount"],
        dtype={"partner_id": str, "date": str},
    )
    raw["date"] = pd.to_datetime(raw["date"], format="%Y%m%d")
    return raw[["partner_id", "date", "amount"]]


def bgnbd_expected(past: pd.DataFrame) -> pd.Series:
    """Reference: BG/NBD (weeks) fitted on the calibration period, expected holdout purchases."""
    f = risk_features(past, CUTOFF)
    x, t_x, big_t = f["repeat_occasions"], f["span_days"] / 7, f["tenure_days"] / 7
    model = BetaGeometricNBD.fit(x, t_x, big_t)
    return pd.Series(model.expected_purchases(x, t_x, big_t, HORIZON_DAYS / 7), index=f.index)


def hgb_rfm(past: pd.DataFrame, seed: int) -> pd.Series:
    """Reference: HistGradientBoosting on RFM features, trained on an earlier window — features
    as of 1997-04-01 (every customer has made a first purchase), label "no purchase in
    1997-04-01..1997-09-30" — then applied to RFM as of the cut-off."""
    cols = ["recency_days", "occasions", "amount_mean", "tenure_days"]
    start = pd.Timestamp("1997-04-01")
    train = risk_features(past, start)[cols]
    y = inactive_label(past, start, (CUTOFF - start).days, train.index)
    clf = HistGradientBoostingClassifier(random_state=seed).fit(train, y)
    test = risk_features(past, CUTOFF)[cols]
    return pd.Series(clf.predict_proba(test)[:, 1], index=test.index)


def bootstrap_deltas(
    y: np.ndarray, ours: np.ndarray, other: np.ndarray, n: int, seed: int
) -> tuple[tuple[float, float], tuple[float, float]]:
    """95 % paired-bootstrap intervals (customers resampled) for our ROC-AUC and top-decile
    precision minus another method's: how much of a margin is noise."""
    rng = np.random.default_rng(seed)
    d_auc, d_prec = [], []
    for _ in range(n):
        i = rng.integers(0, len(y), len(y))
        a = metrics(y[i], ours[i], probabilities=False)
        b = metrics(y[i], other[i], probabilities=False)
        d_auc.append(a["roc_auc"] - b["roc_auc"])
        d_prec.append(a["precision_top10"] - b["precision_top10"])
    lo, hi = 2.5, 97.5
    return (
        (float(np.percentile(d_auc, lo)), float(np.percentile(d_auc, hi))),
        (float(np.percentile(d_prec, lo)), float(np.percentile(d_prec, hi))),
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--bootstrap", type=int, default=200, help="resamples for the CIs")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    events = load_events(args.data)
    past = events.loc[events["date"] < CUTOFF]  # the only rows any model below is given

    config = RiskConfig(horizon_days=HORIZON_DAYS, seed=args.seed)
    model = RiskModel(config).fit(past, CUTOFF)
    p_risk = model.predict_proba(past, CUTOFF)
    fitted_at = time.perf_counter()

    scores = {
        "recency (days since last purchase)": risk_features(past, CUTOFF)["recency_days"],
        "BG/NBD expected purchases in holdout": -bgnbd_expected(past),
        "HistGradientBoosting on RFM, earlier window": hgb_rfm(past, args.seed),
    }
    # Holdout labels: read here, once, for the table only.
    partners = p_risk.index
    y = inactive_label(events, CUTOFF, HORIZON_DAYS, partners).to_numpy()
    ours = metrics(y, p_risk.to_numpy())

    card = model.model_card
    print(f"CDNOW at-risk protocol: {len(partners):,} customers scored as of {CUTOFF.date()},")
    print(f"label = no purchase {CUTOFF.date()}..{(HOLDOUT_END - pd.Timedelta(days=1)).date()}")
    print(f"({HORIZON_DAYS} days); positive rate {y.mean():.3f}\n")
    print(f"| {'method':<44} | ROC-AUC | prec. top 10 % | README ref.   |")
    print(f"|{'-' * 46}|---------|----------------|---------------|")
    name = f"RiskModel ({card.get('family') or card['method']}, rolling snapshots)"
    row = f"| {name:<44} | {ours['roc_auc']:.3f}   | {ours['precision_top10']:.3f}          |"
    print(f"{row} —             |")
    deltas = []
    for label, score in scores.items():
        other = score.reindex(partners).to_numpy()
        m = metrics(y, other, probabilities=False)
        ref = REFERENCE[label]
        print(
            f"| {label:<44} | {m['roc_auc']:.3f}   | {m['precision_top10']:.3f}          "
            f"| {ref[0]:.3f} / {ref[1]:.3f} |"
        )
        if args.bootstrap:
            ci = bootstrap_deltas(y, p_risk.to_numpy(), other, args.bootstrap, args.seed)
            deltas.append((label, ci))
    if deltas:
        print(f"\nours minus reference, 95 % paired bootstrap ({args.bootstrap} resamples):")
        for label, ((a_lo, a_hi), (p_lo, p_hi)) in deltas:
            print(
                f"  {label:<44} ROC-AUC [{a_lo:+.4f}, {a_hi:+.4f}]  "
                f"prec. top 10 % [{p_lo:+.4f}, {p_hi:+.4f}]"
            )
    print(
        f"\ncalibration on the holdout: mean P(at risk) {ours['mean_p']:.3f} vs observed "
        f"{ours['base_rate']:.3f}; Brier {ours['brier']:.4f}"
    )

    train, val = card["training"], card["validation"]
    print(f"\nmodel card ({card['version']}, method={card['method']}, seed={args.seed})")
    print(
        f"  training: {train['rows']:,} rows from {len(train['snapshots'])} snapshots "
        f"{train['first_snapshot']}..{train['last_snapshot']}, label windows "
        f"{min(train['label_days'])}..{max(train['label_days'])} days (all ending before "
        f"{CUTOFF.date()}), positive rate {train['positive_rate']:.3f}"
    )
    print(f"  calibration: {card.get('calibration')}")
    print(f"  features: {', '.join(card['features'])}")
    if "coefficients" in card:
        print(f"  coefficients (standardised): {card['coefficients']}")
    print(
        f"  internal back-test: cut-off {val['cutoff']}, horizon {val['horizon_days']} days "
        f"(labels end before {CUTOFF.date()}); chosen family: {val.get('chosen')}"
    )
    for fam, m in val.get("metrics", {}).items():
        calib = f"  mean P {m['mean_p']:.3f} vs {m['base_rate']:.3f}" if "mean_p" in m else ""
        print(
            f"    {fam:<16} ROC-AUC {m['roc_auc']:.3f}  prec. top 10 % "
            f"{m['precision_top10']:.3f}{calib}"
        )
    total = time.perf_counter() - started
    print(f"\nruntime: fit + score {fitted_at - started:.1f} s, total {total:.1f} s")


if __name__ == "__main__":
    main()
