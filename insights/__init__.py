"""Partner analytics: scorecards, tiers, risk and drift models."""
