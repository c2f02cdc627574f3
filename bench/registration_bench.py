"""Registration-check benchmark: ``active_matches`` against 1,000,000 active registrations.

The issue's targets: a check against 1,000,000 active registrations answers in <= 20 ms p99 on
PostgreSQL, and ``/deal status`` is answered server-side in <= 100 ms p99 with that volume.
Run from the repository root:

    python bench/registration_bench.py                          # 1,000,000 registrations
    python bench/registration_bench.py --registrations 100000 --queries 500

The database named by ``--database-url`` is DROPPED and recreated on every run, built by the
migrations, and loaded with COPY: ~1,000 partners, the accounts and the active registrations
(pending / approved / conflict, registered over the last 80 days) of the synthetic companies from
``bench/matcher_bench.py``. Then it times :func:`deals.registration.active_matches` (each call in
its own read-only transaction, after a warm-up) with SQL lookups only, shows ``EXPLAIN (ANALYZE,
BUFFERS)`` of the look-alike query for a typical and for the slowest of those checks, builds the
look-alike index (:mod:`deals.active_index`) and times the checks again with it, times
:func:`deals.registration.register` for new registrations, sends signed ``/deal status``
commands through the real HTTP server (``bench/slack_load.py``), and prints peak RSS and the
total runtime.
"""

import argparse
import math
import os
import random
import re
import resource
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

import psycopg
from sqlalchemy import Engine, event, make_url, text
from sqlalchemy.orm import Session, sessionmaker

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.matcher_bench import build_registrations, synthetic_company, variant  # noqa: E402
from bench.slack_load import Command, report_phase, send, serving  # noqa: E402
from config.program import Program  # noqa: E402
from deals.accounts import account_row  # noqa: E402
from deals.active_index import ActiveIndex  # noqa: E402
from deals.registration import RegistrationRequest, active_matches, register  # noqa: E402
from models import Person, PersonRole  # noqa: E402
from models.db import make_engine, make_session_factory  # noqa: E402
from models.migrate import upgrade  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/partnerbot_bench"
TARGET_MS = 20.0
STATUS_TARGET = 0.100
"""Seconds: /deal status answered server-side in <= 100 ms p99."""
MANAGER = "U0BENCHMGR"
PARTNERS = 1_000
WARMUP = 100
STATUSES = (("pending", 0.4), ("approved", 0.5), ("conflict", 0.1))
REGISTERED_DAYS = 80
PROTECTION_DAYS = 90
CANDIDATE_SQL = "FROM deal_registrations JOIN accounts"

Company = tuple[str, str | None]


@dataclass(frozen=True)
class Query:
    kind: str
    """"exact" (an existing account's name), "variant" (typed differently) or "new"."""
    name: str
    domain: str | None


@dataclass(frozen=True)
class Timed:
    query: Query
    ms: float
    matches: int


@dataclass
class Bench:
    """What every section needs: the loaded database and the companies in it."""

    args: argparse.Namespace
    engine: Engine
    sessions: sessionmaker[Session]
    companies: list[Company]
    """One per loaded registration, in registration id order (id = index + 1)."""
    account_keys: set[str]
    threshold: float
    index: ActiveIndex | None = None
    """The look-alike index, built after loading (``--no-index``: SQL only)."""


# --- helpers -----------------------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


@contextmanager
def stopwatch(label: str) -> Iterator[None]:
    started = time.perf_counter()
    yield
    print(f"{label:<34}{time.perf_counter() - started:8.1f} s")


def heading(title: str) -> None:
    print(f"\n== {title} ==")


def latency_line(label: str, values: list[float]) -> str:
    return (
        f"{label:<16}{len(values):>6}  median {statistics.median(values):6.2f}  "
        f"p95 {percentile(values, 0.95):6.2f}  p99 {percentile(values, 0.99):6.2f}  "
        f"max {max(values):7.2f} ms"
    )


# --- database ------------------------------------------------------------------------------------


def fresh_database(url: str) -> None:
    """Drop the database named in ``url`` (closing its connections) and create it empty."""
    target = make_url(url)
    admin = make_engine(target.set(database="postgres").render_as_string(hide_password=False))
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()


def copy_rows(cursor: psycopg.Cursor[Any], table: str, columns: str, rows: Any) -> None:
    with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def account_rows(companies: list[Company]) -> tuple[list[tuple[Any, ...]], list[int]]:
    """Accounts (id first, deduplicated by ``account_key``) and each company's account id."""
    ids: dict[str, int] = {}
    accounts: list[tuple[Any, ...]] = []
    account_of: list[int] = []
    for name, domain in companies:
        key, account_name, normalized, clean_domain = account_row(name, domain)
        account_id = ids.get(key)
        if account_id is None:
            account_id = ids[key] = len(accounts) + 1
            accounts.append((account_id, key, account_name[:255], normalized, clean_domain))
        account_of.append(account_id)
    return accounts, account_of


def deal_rows(account_of: list[int], seed: int) -> Iterator[tuple[Any, ...]]:
    """Active registrations, one per company, of random partners over the last 80 days."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    names = [status for status, _ in STATUSES]
    weights = [weight for _, weight in STATUSES]
    for index, account_id in enumerate(account_of):
        deal_id = index + 1
        registered_at = now - timedelta(seconds=rng.uniform(0, REGISTERED_DAYS * 86_400))
        status = rng.choices(names, weights)[0]
        expires = (
            registered_at.date() + timedelta(PROTECTION_DAYS) if status == "approved" else None
        )
        yield (
            deal_id,
            f"R-{deal_id:06d}",
            rng.randint(1, PARTNERS),
            account_id,
            Decimal(rng.randrange(5_000, 500_000)),
            "USD",
            registered_at,
            f"U{rng.randrange(10**8):08d}",
            status,
            expires,
        )


def partner_rows() -> Iterator[tuple[Any, ...]]:
    regions = ("EMEA", "NA", "LATAM", "APAC")
    tiers = ("registered", "silver", "gold", "platinum")
    for partner_id in range(1, PARTNERS + 1):
        yield (
            partner_id,
            f"P-{partner_id:04d}",
            f"Bench Partner {partner_id}",
            tiers[partner_id % len(tiers)],
            regions[partner_id % len(regions)],
            f"UMGR{partner_id % 40:04d}",
        )


LOADED_TABLES = ("partners", "accounts", "deal_registrations")


def deferred_indexes(cursor: psycopg.Cursor[Any]) -> list[str]:
    """Drop the loaded tables' plain indexes (not those backing keys and unique constraints)
    and return their definitions: building them after the COPY is much faster than keeping
    them up to date row by row."""
    cursor.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
        "AND tablename = ANY(%s) AND indexname NOT IN (SELECT conname FROM pg_constraint)",
        [list(LOADED_TABLES)],
    )
    found = cursor.fetchall()
    for name, _ in found:
        cursor.execute(f'DROP INDEX "{name}"')
    return [definition for _, definition in found]


def skip_foreign_key_checks(cursor: psycopg.Cursor[Any]) -> None:
    """The generated rows honour the foreign keys by construction; a superuser can skip the
    per-row checks for this transaction."""
    cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
    row = cursor.fetchone()
    if row and row[0]:
        cursor.execute("SET LOCAL session_replication_role = replica")


def copy_all(
    cursor: psycopg.Cursor[Any], accounts: list[tuple[Any, ...]], account_of: list[int], seed: int
) -> None:
    copy_rows(
        cursor, "partners", "id, external_id, name, tier, region, manager_slack_id", partner_rows()
    )
    copy_rows(cursor, "accounts", "id, account_key, name, normalized_name, domain", accounts)
    copy_rows(
        cursor,
        "deal_registrations",
        "id, external_id, partner_id, account_id, amount, currency, registered_at, "
        "registered_by, status, expires_at",
        deal_rows(account_of, seed),
    )
    for table in LOADED_TABLES:
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table}"
        )


def load(engine: Engine, companies: list[Company], seed: int) -> set[str]:
    """COPY partners, accounts and one active registration per company, in one transaction;
    returns the account keys loaded."""
    with stopwatch("accounts built in Python"):
        accounts, account_of = account_rows(companies)
    raw = engine.raw_connection()
    try:
        connection = cast(psycopg.Connection[Any], raw.driver_connection)
        with connection.cursor() as cursor:
            with stopwatch("COPY"):
                definitions = deferred_indexes(cursor)
                skip_foreign_key_checks(cursor)
                copy_all(cursor, accounts, account_of, seed)
            with stopwatch(f"{len(definitions)} indexes rebuilt"):
                cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
                for definition in definitions:
                    cursor.execute(definition)
                connection.commit()
        connection.autocommit = True
        with stopwatch("VACUUM ANALYZE"), connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")  # also sets the visibility map for index-only scans
        connection.autocommit = False
    finally:
        raw.close()
    print(
        f"loaded {PARTNERS:,} partners, {len(accounts):,} accounts, "
        f"{len(companies):,} active registrations"
    )
    return {row[1] for row in accounts}


def setup(args: argparse.Namespace) -> Bench:
    """A fresh, migrated and loaded database."""
    heading(f"load {args.registrations:,} active registrations")
    with stopwatch("drop + create database"):
        fresh_database(args.database_url)
    engine = make_engine(args.database_url)
    with stopwatch("migrations"):
        upgrade(engine)
    with stopwatch("companies generated"):
        companies = build_registrations(args.registrations, args.seed)
    started = time.perf_counter()
    account_keys = load(engine, companies, args.seed)
    print(f"{'load total (after generation)':<34}{time.perf_counter() - started:8.1f} s")
    with engine.connect() as connection:
        size = connection.scalar(
            text("SELECT pg_size_pretty(pg_database_size(current_database()))")
        )
    print(f"database size {size}")
    return Bench(
        args=args,
        engine=engine,
        sessions=make_session_factory(engine),
        companies=companies,
        account_keys=account_keys,
        threshold=Program().registration.name_match_threshold,
    )


# --- the check -----------------------------------------------------------------------------------


def new_company(bench: Bench, rng: random.Random) -> Company:
    """A synthetic company whose account is not in the database (it may still resemble one)."""
    while True:
        name, domain = synthetic_company(rng)
        if account_row(name, domain)[0] not in bench.account_keys:
            return name, domain


def make_queries(bench: Bench, count: int, rng: random.Random) -> list[Query]:
    """Thirds: an existing registration as typed, a variant of one, a new company; about a
    third of the domains are left out, as when a partner gives none."""
    queries = []
    for index in range(count):
        kind = ("exact", "variant", "new")[index % 3]
        if kind == "new":
            name, domain = new_company(bench, rng)
        else:
            name, domain = rng.choice(bench.companies)
            if kind == "variant":
                name, domain = variant(name, domain, rng)
        if domain and rng.random() < 0.3:
            domain = None
        queries.append(Query(kind, name, domain))
    return queries


def check(bench: Bench, query: Query, index: ActiveIndex | None) -> Timed:
    """One check in its own read-only transaction; only ``active_matches`` (with the index's
    catch-up read, when there is an index) is timed."""
    with bench.sessions() as session:
        session.execute(text("SET TRANSACTION READ ONLY"))
        started = time.perf_counter()
        rows = active_matches(session, query.name, query.domain, bench.threshold, index)
        ms = (time.perf_counter() - started) * 1000
        session.rollback()
    return Timed(query, ms, len(rows))


def time_checks(bench: Bench, index: ActiveIndex | None, queries: int) -> list[Timed]:
    how = "with the look-alike index" if index else "SQL only (no index)"
    heading(
        f"active_matches, {how}: {queries:,} checks after {WARMUP} warm-up, "
        f"threshold {bench.threshold}"
    )
    rng = random.Random(bench.args.seed + 1)
    for query in make_queries(bench, WARMUP, rng):
        check(bench, query, index)
    timed = [check(bench, query, index) for query in make_queries(bench, queries, rng)]
    everything = [t.ms for t in timed]
    print(latency_line("all", everything))
    groups: dict[str, Callable[[Timed], bool]] = {
        "exact": lambda t: t.query.kind == "exact",
        "variant": lambda t: t.query.kind == "variant",
        "new": lambda t: t.query.kind == "new",
        "with domain": lambda t: t.query.domain is not None,
        "without domain": lambda t: t.query.domain is None,
    }
    for label, wanted in groups.items():
        print(latency_line(label, [t.ms for t in timed if wanted(t)]))
    matches = [t.matches for t in timed]
    found = sum(1 for m in matches if m)
    print(
        f"matches per check: mean {statistics.mean(matches):.2f}, max {max(matches)}; "
        f"{found:,} of {len(timed):,} checks found at least one"
    )
    missed = sum(1 for t in timed if t.query.kind == "exact" and not t.matches)
    print(f"exact checks that did not find the registration they repeat: {missed}")
    p99 = percentile(everything, 0.99)
    verdict = "meets" if p99 <= TARGET_MS else "MISSES"
    print(f"p99 / target = {p99:.2f} / {TARGET_MS:.0f} ms = {p99 / TARGET_MS:.2f} ({verdict})")
    slowest = sorted(timed, key=lambda t: t.ms, reverse=True)[:5]
    print("slowest: " + "; ".join(f"{describe(t.query)} {t.ms:.1f} ms" for t in slowest))
    return timed


def describe(query: Query) -> str:
    return f"{query.kind} {query.name!r} <{query.domain or '-'}>"


# --- plans ---------------------------------------------------------------------------------------


@contextmanager
def captured(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    """The candidate queries (SQL and DBAPI parameters) executed inside the block."""
    seen: list[tuple[str, Any]] = []

    def listener(*args: Any) -> None:
        _connection, _cursor, statement, parameters = args[:4]
        if CANDIDATE_SQL in statement:
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", listener)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", listener)


def explain(bench: Bench, label: str, query: Query) -> None:
    with captured(bench.engine) as seen:
        check(bench, query, None)
    statement, parameters = seen[-1]
    with bench.engine.connect() as connection:
        plan = connection.exec_driver_sql(
            f"EXPLAIN (ANALYZE, BUFFERS) {statement}", parameters
        ).scalars()
        lines = list(plan)
        connection.rollback()
    heading(f"EXPLAIN (ANALYZE, BUFFERS), {label}: {describe(query)}")
    print(f"parameters: {parameters}")
    print("\n".join(lines))
    plan_text = "\n".join(lines)
    indexes = re.findall(r"Index (?:Only )?Scan(?: Backward)? using (\w+)", plan_text)
    indexes += re.findall(r"Bitmap Index Scan on (\w+)", plan_text)
    seq_scans = re.findall(r"Seq Scan on (\w+)", plan_text)
    print(f"indexes used: {', '.join(dict.fromkeys(indexes)) or 'NONE'}")
    print(f"sequential scans: {', '.join(seq_scans) or 'none'}")


def explain_plans(bench: Bench, timed: list[Timed]) -> None:
    median = statistics.median(t.ms for t in timed)
    typical = min(timed, key=lambda t: abs(t.ms - median))
    explain(bench, "a typical check (median time)", typical.query)
    explain(bench, "the slowest check", max(timed, key=lambda t: t.ms).query)


# --- registering ---------------------------------------------------------------------------------


def time_registrations(bench: Bench, count: int = 200) -> None:
    """Full :func:`register` (locks, account upsert, check, insert, audit, commit): half new
    companies, a quarter existing ones as typed, a quarter variants, by random partners."""
    how = "with the look-alike index" if bench.index else "SQL only"
    heading(f"register, {how}: {count} new registrations (half of registered companies)")
    rng = random.Random(bench.args.seed + 2)
    program = Program()
    timings: list[float] = []
    outcomes: Counter[str] = Counter()
    for index in range(count):
        if index % 2:
            name, domain = new_company(bench, rng)
        else:
            name, domain = rng.choice(bench.companies)
            if index % 4 == 2:
                name, domain = variant(name, domain, rng)
        request = RegistrationRequest(
            partner_id=rng.randint(1, PARTNERS),
            account_name=name,
            account_domain=domain,
            amount=Decimal(rng.randrange(5_000, 500_000)),
            currency="USD",
            registered_by="UBENCH",
        )
        started = time.perf_counter()
        with bench.sessions.begin() as session:  # the commit is part of the cost
            outcome = register(session, request, program, bench.index)
        timings.append((time.perf_counter() - started) * 1000)
        outcomes[outcome.kind] += 1
    print(latency_line("register", timings))
    print("outcomes: " + ", ".join(f"{kind} {n}" for kind, n in sorted(outcomes.items())))


# --- the look-alike index ------------------------------------------------------------------------


def build_index(bench: Bench) -> ActiveIndex:
    heading("the look-alike index (deals.active_index), built as `partnerbot serve` builds it")
    before = peak_rss_mib()
    index = ActiveIndex(bench.sessions)
    started = time.perf_counter()
    index.build()
    print(
        f"built in {time.perf_counter() - started:.1f} s; peak RSS {before:.0f} -> "
        f"{peak_rss_mib():.0f} MiB"
    )
    return index


# --- /deal status over HTTP ----------------------------------------------------------------------


def time_status(bench: Bench, requests: int, rate: float) -> None:
    """Signed ``/deal status R-…`` commands for random registrations, through the real server,
    by a manager (who may see every registration)."""
    heading(f"/deal status over HTTP: {requests} commands at {rate:g}/s, real server, fake Slack")
    with bench.sessions.begin() as session:
        session.add(Person(slack_user_id=MANAGER, role=PersonRole.MANAGER, name="Bench"))
    rng = random.Random(bench.args.seed + 3)
    texts = [f"status R-{rng.randint(1, bench.args.registrations):06d}" for _ in range(requests)]
    command = Command("/deal", MANAGER)
    url = bench.engine.url.render_as_string(hide_password=False)
    # The server's own look-alike index is off: its background build would compete with the
    # commands for the CPU, and /deal status does not use it.
    with serving(url, Program(), MANAGER, registration_index=False) as (server, fake):
        send(server, fake, command, "warmup", texts[:20], rate)
        fake.clear()
        phase = send(server, fake, command, "status", texts, rate)
        report_phase(
            "/deal status R-…",
            phase,
            fake,
            lambda answer: str(answer.body.get("text", "")).startswith("R-"),
            ack_p99=STATUS_TARGET,
            delivery=(99, STATUS_TARGET),
        )


# --- main ----------------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_URL, help="dropped and recreated!")
    parser.add_argument("--registrations", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-index", action="store_true", help="time SQL lookups only")
    parser.add_argument("--status-requests", type=int, default=300)
    parser.add_argument("--rate", type=float, default=10.0, help="/deal status per second")
    return parser.parse_args()


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def main() -> None:
    started = time.perf_counter()
    args = parse_args()
    url = make_url(args.database_url).render_as_string(hide_password=True)
    print(f"database {url}; {os.cpu_count()} CPUs, load average {load_average()}")
    bench = setup(args)
    fallback = time_checks(bench, None, max(args.queries // 4, 100))
    explain_plans(bench, fallback)
    if not args.no_index:
        bench.index = build_index(bench)
        time_checks(bench, bench.index, args.queries)
    time_registrations(bench)
    time_status(bench, args.status_requests, args.rate)
    bench.engine.dispose()
    heading("process")
    print(f"peak RSS {peak_rss_mib():.0f} MiB; load average {load_average()}")
    print(f"total runtime {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
