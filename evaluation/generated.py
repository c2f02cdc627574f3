"""A generated program (``partnerbot generate``'s files) loaded as the scorers see it: imported
into a scratch SQLite database beside the files, exactly as ``partnerbot import`` would, and
read back as :class:`insights.scorecard_metrics.ProgramFrames`."""

from pathlib import Path

from config.program import Program
from ingest import import_file
from insights.scorecard_metrics import ProgramFrames, load_frames
from models.db import make_engine, make_session_factory
from models.migrate import upgrade

KINDS = ("partners", "people", "deals", "activities")


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
