"""Synthetic partner programs: realistic CSV files in the import formats plus the ground truth
of which partners grow, ramp, decline, churn, drop or spike and from when, for the demo, the
import benchmark and the evaluation of risk and drift models."""

from synth.config import PATTERNS, TIERS, ProgramSpec
from synth.records import (
    ActivityColumns,
    DealColumns,
    PartnerHistory,
    PartnerRecord,
    PersonRecord,
    TruthRecord,
)
from synth.simulate import simulate_partners
from synth.write import HEADERS, GeneratedProgram, generate_program, staff

__all__ = [
    "HEADERS",
    "PATTERNS",
    "TIERS",
    "ActivityColumns",
    "DealColumns",
    "GeneratedProgram",
    "PartnerHistory",
    "PartnerRecord",
    "PersonRecord",
    "ProgramSpec",
    "TruthRecord",
    "generate_program",
    "simulate_partners",
    "staff",
]
