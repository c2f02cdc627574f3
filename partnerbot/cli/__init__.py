"""The ``partnerbot`` command line: the terminal door to the same domain Slack and the
scheduler use. Each module holds a group of commands and imports the domain only inside them,
so any command starts without loading what it does not use."""

import click

from partnerbot.cli.checks import doctor, program
from partnerbot.cli.context import fail
from partnerbot.cli.data import db, generate, import_command, summary
from partnerbot.cli.deals import deals
from partnerbot.cli.demo import demo
from partnerbot.cli.digests import digest
from partnerbot.cli.scoring import evaluate, score, scorecard_command
from partnerbot.cli.serving import outbox, serve, worker

UNREACHABLE = 3
"""Exit code when the database cannot be reached: nothing was done, try again later."""


@click.group()
def cli() -> None:
    """partnerbot: deal registration, scorecards and partner alerts in Slack."""


for command in (
    db,
    import_command,
    generate,
    summary,
    deals,
    score,
    evaluate,
    scorecard_command,
    digest,
    demo,
    serve,
    worker,
    outbox,
    doctor,
    program,
):
    cli.add_command(command)


def main() -> None:
    """Entry point: known failures end with a clear message and exit code, never a traceback."""
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        fail("aborted", code=130)
    except click.ClickException as error:
        error.show()
        raise SystemExit(error.exit_code) from None
    except Exception as error:
        known = _known_failure(error)
        if known is None:
            raise
        fail(*known)


def _known_failure(error: Exception) -> tuple[str, int] | None:
    """The message and exit code of a failure the user can fix: bad configuration or a database
    not upgraded (2), a rejected file (1), a database out of reach (3: try again). Imported only
    when something failed, as the commands import them."""
    from sqlalchemy.exc import DBAPIError

    from bot.app import SlackConfigError
    from config.program import ProgramError
    from ingest import CsvImportError
    from jobs.leadership import WorkerError

    if isinstance(error, ProgramError | SlackConfigError | WorkerError):
        return str(error), 2
    if isinstance(error, CsvImportError):
        return "\n".join(error.lines), 1
    if isinstance(error, DBAPIError):
        return _database_failure(error)
    return None


def _database_failure(error: Exception) -> tuple[str, int] | None:
    """An unreachable database, or a statement that failed on a schema older than the code
    (a table or column missing): what to do about it. Any other database error is a bug."""
    from config.settings import Settings
    from models.db import is_unreachable, make_engine
    from models.migrate import is_current

    if is_unreachable(error):
        cause = str(getattr(error, "orig", error)).strip().splitlines()[0]
        return (
            f"partnerbot can't reach its database ({cause}): check DATABASE_URL and that the "
            "server is up, then try again",
            UNREACHABLE,
        )
    engine = make_engine(Settings().database_url)
    try:
        current = is_current(engine)
    except Exception:  # reachable a moment ago; the original error says more
        return None
    finally:
        engine.dispose()
    if current:
        return None
    return "the database is not upgraded to this partnerbot: run partnerbot db upgrade", 2
