"""A generated program (``partnerbot generate``'s files) loaded as the scorers see it: imported
into a scratch SQLite database beside the files, exactly as ``partnerbot import`` would, and
read back as :class:`insights.scorecard_metrics.ProgramFrames`."""

import argparse
from datetime import date
from pathlib import Path

from config.program import Program
from ingest import import_file
from insights.scorecard_metrics import ProgramFrames, load_frames
from models.db import make_engine, make_session_factory
from models.migrate import upgrade

KINDS = ("partners", "people", "deals", "activities")
END = date(2026, 11, 1)
"""Where the benches' generated programs end."""


def bench_arguments(doc: str) -> argparse.Namespace:
    """The generated programs a bench judges (``--partners``, ``--months``, ``--seeds``) and
    how many of their last complete months (``--reviews``); ``doc``'s first paragraph is the
    description."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--partners", type=int, default=1000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--reviews", type=int, default=6)
    return parser.parse_args()


def load_generated(folder: Path, program: Program) -> ProgramFrames:
    """The program generated into ``folder``, imported under ``program`` and loaded."""
    engine = make_engine(f"sqlite:///{folder / 'generated.sqlite3'}")
    try:
        upgrade(engine)
        for kind in KINDS:
            import_file(kind, folder / f"{kind}.csv", engine, program)
        with make_session_factory(engine)() as session:
            return load_frames(session, program)
    finally:
        engine.dispose()
