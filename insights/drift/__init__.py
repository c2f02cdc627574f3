"""Drift detection: which partners changed how they sell, in which metric, and since when.

Entry point :func:`insights.drift.detect.detect_drift`; its parts: ``streams`` (event kinds
and count streams), ``config`` (thresholds and windows), ``grid`` (partner × month totals),
``peers`` (the peer index), ``statistics`` (likelihood ratios, dispersion), ``detectors``
(change scans per metric and combined), ``anomalies`` (unusual partner-months) and
``flags`` (the output frame).

Why it is built this way:

- **Counts, not z-scores.** Most partners are sparse (1-3 registrations a month, under one win):
  standardising month totals of 0, 1 or 2 throws the signal away. Each metric is a count stream
  (registrations, won deals, activities; revenue as won amount in units of the partner's typical
  deal) and a change is scored by a likelihood ratio: the recent window's share of the partner's
  events against the share its own baseline predicts. Conditioning on the partner's total (a
  binomial test) also prices in how little a sparse partner's baseline says.
- **Discounted by the peers.** The predicted share is not "as many as in the baseline" but "as
  many as the peer group (leave-one-out) did in the recent window relative to the baseline", so a
  program-wide dip, the season or a partially elapsed current month is not blamed on one partner.
- **Over-dispersion.** Monthly counts vary more than Poisson; each stream's dispersion is
  estimated from the program and divides the likelihood ratio (quasi-likelihood), so busy
  partners are not flagged for ordinary noise.
- **Combined evidence.** A partner that disengages shows it in activity and registrations
  first, survey scores when a survey falls due, and won deals and the win rate later (or at once,
  when it walks away from its open deals). The combined detector adds, at a common change point,
  the likelihood ratio of one shared drop factor on registrations and activity to the one-sided
  evidence of fewer wins, a lower win rate and lower satisfaction: it convicts sparse partners
  that no single stream does.
- **Scan over change points.** Every month start in the last ``scan_months`` (the partial current
  month included) is a candidate onset: a CUSUM-like scan with exact count likelihoods. The best
  candidate is ``since``. A quiet run since the last registration or win is one more candidate,
  at day resolution, so days without a deal count even before a month is over.
- **Unusual patterns** (a burst of registrations, an outsized deal) last a month, not a level:
  an IsolationForest on partner-month residuals against the same peer-discounted baseline flags
  them (metric ``pattern``).

Only events with ``date < as_of`` are read, and the grid, the peer index and the anomaly model's
sample are all functions of that history and ``config.seed``, so a run is reproducible and later
data cannot change it.
"""
