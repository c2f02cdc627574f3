"""Acknowledgement benchmark: bursts of simultaneous signed ``/deal register`` commands against
``partnerbot serve`` (gunicorn, PostgreSQL), as when a partner team registers a list at once.

The issue: 50 simultaneous registrations were acknowledged in up to 2.9 s, near Slack's 3 s.
Each burst sends ``--commands`` registrations from as many threads of another process, released
together, and measures each from send to its HTTP answer (ack) and to its answer reaching the
fake Slack (delivery: the acknowledgement itself when it carried the answer, else the post to
``response_url``). Run from the repository root::

    python bench/ack_bench.py                           # 3 bursts of 50
    python bench/ack_bench.py --commands 100 --bursts 5 --workers 1

The database named by ``--database-url`` is emptied (its ``public`` schema dropped), migrated
and given one partner and one partner manager, who registers every deal for that partner.
"""

import argparse
import multiprocessing
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from bench.load_bench import free_port, start_server  # noqa: E402
from bench.slack_load import TimedFake, latency_line  # noqa: E402
from bot.http import EVENTS_PATH  # noqa: E402
from models import Partner, Person, PersonRole  # noqa: E402
from models.db import make_engine, make_session_factory  # noqa: E402
from models.migrate import upgrade  # noqa: E402
from tests.databases import create_postgres_database  # noqa: E402
from tests.slack.fake_slack import HOME_TEAM, RESPONSE_URL  # noqa: E402
from tests.slack.signing import signed, slash_command_body  # noqa: E402

DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/partnerbot_ack_bench_test"
MANAGER = "U0ACKBENCH"
PARTNER = "Acme Resellers"


def prepare(url: str) -> None:
    """Create the database if missing (a ``…_test`` name: its schema is dropped), empty it,
    migrate it, add the partner and manager."""
    create_postgres_database(url)
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    upgrade(engine)
    with make_session_factory(engine).begin() as session:
        session.add(Partner(external_id="P-ACME", name=PARTNER, tier="gold", region="NA"))
        session.add(Person(slack_user_id=MANAGER, role=PersonRole.MANAGER, region="NA"))
    engine.dispose()


def post(port: int, fake_url: str, path: str, words: str, start: threading.Barrier) -> tuple:
    """One signed ``/deal register``, sent when every thread of the burst is ready."""
    import http.client

    body = slash_command_body(
        "/deal", words, user_id=MANAGER, team_id=HOME_TEAM, response_url=fake_url + path
    )
    message = signed(body)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    start.wait()
    sent = time.monotonic()
    try:
        connection.request("POST", EVENTS_PATH, body=message.body, headers=message.headers)
        response = connection.getresponse()
        inline = bool(response.read())
        status = response.status
    except OSError:
        status, inline = 0, False
    finally:
        connection.close()
    return path, sent, time.monotonic(), status, inline


def burst(port: int, fake_url: str, number: int, count: int) -> list[tuple]:
    """In its own process: ``count`` registrations from as many threads, released at once."""
    start = threading.Barrier(count)
    with ThreadPoolExecutor(max_workers=count) as pool:
        futures = [
            pool.submit(
                post,
                port,
                fake_url,
                f"/{RESPONSE_URL}/burst{number}-{i}",
                f"register Customer {number}-{i} customer{number}-{i}.example 48k for {PARTNER}",
                start,
            )
            for i in range(count)
        ]
        return [future.result() for future in futures]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DATABASE_URL)
    parser.add_argument("--commands", type=int, default=50, help="Registrations per burst.")
    parser.add_argument("--bursts", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2, help="WEB_CONCURRENCY of the server.")
    args = parser.parse_args()

    prepare(args.database_url)
    acks: list[float] = []
    delivered: list[float] = []
    statuses: Counter[int] = Counter()
    inline = 0
    with TimedFake() as fake:
        fake.add_user(MANAGER, HOME_TEAM)
        port = free_port()
        server = start_server(args.database_url, fake, port, args.workers)
        try:
            spawn = multiprocessing.get_context("spawn")
            with spawn.Pool(1) as pool:
                for number in range(args.bursts):
                    sent = pool.apply(burst, (port, fake.url, number, args.commands))
                    deadline = time.monotonic() + 30
                    later = [s for s in sent if not s[4]]
                    while time.monotonic() < deadline and any(
                        s[0] not in fake.arrivals for s in later
                    ):
                        time.sleep(0.05)
                    for path, start, acked, status, in_ack in sent:
                        acks.append(acked - start)
                        statuses[status] += 1
                        inline += in_ack
                        arrived = acked if in_ack else fake.arrivals.get(path)
                        if arrived is not None:
                            delivered.append(arrived - start)
                    time.sleep(1)  # the burst's cards and notices go out before the next
        finally:
            server.terminate()
            server.wait(timeout=60)
    total = args.bursts * args.commands
    print(
        f"{args.bursts} bursts of {args.commands} simultaneous /deal register, "
        f"partnerbot serve with {args.workers} worker(s)"
    )
    print(f"   {'ms':<10}{'median':>9}{'p95':>9}{'p99':>9}{'max':>9}")
    print(latency_line("ack", acks))
    print(latency_line("delivery", delivered))
    print(
        f"   HTTP status: {dict(statuses)}; answered in the acknowledgement: {inline} of {total}; "
        f"not delivered within 30 s: {total - len(delivered)}"
    )


if __name__ == "__main__":
    main()
