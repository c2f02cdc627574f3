"""Every reason sentence is true as written on generated programs: each sentence for every
partner recomputed from the raw events (:mod:`evaluation.reason_sentences`)."""

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from evaluation.generated import load_generated
from evaluation.reason_sentences import check_sentences
from insights.program_events import peer_groups, program_events
from synth import ProgramSpec, generate_program
from tests.programs import EXAMPLE_PROGRAM


@pytest.mark.slow
@pytest.mark.parametrize(
    "spec",
    [
        ProgramSpec(partners=250, months=20, seed=21, end=date(2026, 11, 1)),
        ProgramSpec(partners=250, months=14, seed=22, end=date(2026, 10, 1), dip_month=11),
    ],
    ids=["20 months", "14 months with a dip"],
)
def test_every_reason_sentence_is_true_as_written(spec: ProgramSpec, tmp_path: Path) -> None:
    generate_program(spec, tmp_path)
    frames = load_generated(tmp_path, EXAMPLE_PROGRAM)
    as_of = pd.Timestamp(spec.end) - pd.Timedelta(days=9)
    checked, false = check_sentences(
        program_events(frames), as_of, peer_groups(frames.partners), EXAMPLE_PROGRAM.info.currency
    )
    print(f"{checked} reason sentences checked, {len(false)} false")
    assert checked > 100
    assert false == []
