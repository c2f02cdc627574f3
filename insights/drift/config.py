"""The thresholds and windows of drift detection."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DriftConfig:
    """Thresholds and windows of :func:`detect_drift`. Scores of the count, win-rate and
    deal-size detectors are log-likelihood ratios (nats), so one ``threshold`` serves them all."""

    threshold: float = 7.5
    """Flag when the (dispersion-adjusted) log-likelihood ratio reaches this. Calibrated on
    synthetic programs so that about 5 % of stable partners are flagged per quarter."""
    baseline_months: int = 12
    """A full year before each candidate onset, so the baseline spans every season."""
    min_baseline_months: int = 6
    """A partner needs this much history before a candidate onset to be judged at it."""
    scan_months: int = 6
    """Candidate onsets: the starts of the last ``scan_months`` months."""
    history_months: int = 24
    """Months of history read (at most); the rest is ignored, which bounds time and memory."""
    rises: bool = True
    """Flag increases as well as decreases (growth is drift too)."""
    quiet_runs: bool = True
    """Also score the quiet run since each partner's last registration or win, at day
    resolution."""
    min_peer_partners: int = 20
    """Smaller peer groups are measured against the whole program instead."""
    min_peer_events: float = 30.0
    """Below this many peer events (leave-one-out) in the history, a partner's expected share
    follows the calendar instead of the peers."""
    min_closed: int = 3
    """Closed deals needed in each window to judge the win rate."""
    min_sized: int = 3
    """Registrations needed in each window to judge the deal size."""
    anomaly_rate: float = 0.002
    """Share of past partner-months the IsolationForest would call unusual: its threshold."""
    anomaly_months: int = 2
    """Months (the partial current one included) whose unusual patterns are still reported."""
    anomaly_sample: int = 20_000
    """Past partner-months the IsolationForest is fitted on (a seeded sample)."""
    anomaly_trees: int = 100
    anomaly_margin: float = 1.0
    """Feature units (about one standard deviation) beyond the sample's range that make a
    month unusual whatever the forest says."""
    shared_grid: int = 16
    """Values of the common drop factor tried by the combined detector."""
    seed: int = 0
