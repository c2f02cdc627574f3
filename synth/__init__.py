"""Synthetic partner programs: realistic CSV files plus the ground truth of who declines,
churns or drifts, for the demo, benchmarks and model evaluation."""

from synth.spec import PATTERNS, ProgramSpec
from synth.write import GeneratedProgram, generate_program

__all__ = ["PATTERNS", "GeneratedProgram", "ProgramSpec", "generate_program"]
