"""Slow clients against ``partnerbot serve`` (gunicorn, 2 workers, SQLite, Slack faked in this
process): signed ``/deal help`` commands at a steady rate while ``--slow`` connections trickle
a request a byte every half second (half inside their headers, half inside a 100,000-byte
body). Prints the acknowledgements' latency, how many missed Slack's 3 seconds, and the
server's CPU milliseconds per command.

Run from the repository root::

    python bench/slow_clients_bench.py --slow 0
    python bench/slow_clients_bench.py --slow 64
"""

import argparse
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import psutil  # noqa: E402

from bench.slack_load import percentile  # noqa: E402
from tests.slack.fake_slack import HOME_TEAM, FakeSlack  # noqa: E402
from tests.slack.serve_process import post, serving, slow_connection, trickle  # noqa: E402
from tests.slack.signing import signed, slash_command_body  # noqa: E402

MANAGER = "U0BENCHMGR"
SLACK_WAITS = 3.0


def command(fake: FakeSlack, port: int) -> float | None:
    """Seconds to the acknowledgement, or None when none came within Slack's 3 seconds."""
    body = slash_command_body(
        "/deal", "help", user_id=MANAGER, team_id=HOME_TEAM, response_url=fake.response_url()
    )
    request = signed(body)
    started = time.monotonic()
    try:
        status, _ = post(port, request.body, request.headers, timeout=SLACK_WAITS)
    except OSError:
        return None
    return time.monotonic() - started if status == 200 else None


def server_cpu(pid: int) -> float:
    master = psutil.Process(pid)
    processes = [master, *master.children(recursive=True)]
    return sum(p.cpu_times().user + p.cpu_times().system for p in processes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slow", type=int, default=64, help="slow connections")
    parser.add_argument("--rate", type=float, default=50.0, help="commands a second")
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    with FakeSlack() as fake, tempfile.TemporaryDirectory() as folder:
        fake.add_user(MANAGER, HOME_TEAM)
        with serving(fake, Path(folder)) as served, ExitStack() as stack:
            for _ in range(20):  # warm up both workers
                command(fake, served.port)
            stop = threading.Event()
            slow = [stack.enter_context(slow_connection(served.port, n)) for n in range(args.slow)]
            trickler = threading.Thread(target=trickle, args=(slow, stop), daemon=True)
            trickler.start()
            stack.callback(stop.set)
            time.sleep(1)
            cpu = server_cpu(served.process.pid)
            count = int(args.rate * args.seconds)
            with ThreadPoolExecutor(32) as senders:
                futures = []
                started = time.monotonic()
                for n in range(count):
                    time.sleep(max(0.0, started + n / args.rate - time.monotonic()))
                    futures.append(senders.submit(command, fake, served.port))
                waits = [f.result() for f in futures]
            cpu = server_cpu(served.process.pid) - cpu
    acked = sorted(w for w in waits if w is not None)
    ms = [1000 * percentile(acked, q) for q in (50, 95, 99)]
    print(
        f"{args.slow} slow connections, {count} commands at {args.rate:g}/s: "
        f"ack median {ms[0]:.0f} ms, p95 {ms[1]:.0f} ms, p99 {ms[2]:.0f} ms; "
        f"{count - len(acked)} not acknowledged within 3 s; "
        f"server CPU {1000 * cpu / count:.1f} ms a command"
    )


if __name__ == "__main__":
    main()
