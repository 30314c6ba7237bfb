"""Fixtures: a fresh store per test, on SQLite and on PostgreSQL.

Tests taking ``store`` run once per engine.  PostgreSQL tests use a database
of their own on the local server (``CLIENTFOLIO_TEST_PG_URL``, default
``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``), as new: emptied
after the test before the next one takes it (``pg_pool.py``).  When that server
is unreachable they are skipped, except when ``CI`` is set: then they fail.
A migrated store is a copy of one migrated once per session.
"""

from __future__ import annotations

import functools
import gc
import itertools
import os
import shutil
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from clientfolio.protect import passwords
from clientfolio.store import Store
from tests.pg_pool import Databases
from tests.spark.cluster import QUICK_JVM, write_spark_defaults

SPARK_CLUSTER = "tests/spark/"
"""The tests on a Spark cluster (``tests/spark``'s ``cluster`` fixture): one worker, one
cluster started (not one per worker)."""
IN_PROCESS_SPARK = "spark in the test process"
"""The other tests that name Spark (``[spark]`` …), and ``IN_PROCESS_FILES``: one worker,
one JVM started in it."""
IN_PROCESS_FILES = ("tests/spark/test_remote_out.py",)
"""The files of ``tests/spark`` on Spark in the test process (``spark_backend``), not on the cluster."""
OWN_SPARK_FILES = ("tests/spark/test_connect.py",)
"""The files of ``tests/spark`` starting a Spark of their own (a Connect server, a module
fixture): a file as any other, on the worker that takes it."""
BROWSER = "tests/browser/"
"""The browser tests, whatever their file: one worker, one Chromium and one served app
(``tests/browser/conftest.py``'s session fixtures) instead of one per worker that takes a file."""
LONG_FIRST = (
    SPARK_CLUSTER,
    IN_PROCESS_SPARK,
    BROWSER,
    "tests/spark/test_connect.py",
    "tests/test_french_first.py",
    "tests/web/test_access_matrix.py",
    "tests/web/test_freshness.py",
)
"""The groups of tests that take longest (30 to 90 s each on this machine's two cores:
Spark's JVMs, a browser's walks, the French path's processes), given to the workers
first, in this order, so that the short files fill the end of the run: in xdist's order
(the most tests first) the cluster's few tests came last and ran alone for the last 40 s."""


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """``--dist loadfile`` (``scripts/test``) as xdist's, a test file on one worker
    (its module fixtures built once), but with the Spark tests in the two groups
    above (but ``OWN_SPARK_FILES``) and the browser tests in one, whatever their
    files; ``LONG_FIRST`` first, then the largest groups (in tests)."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class SparkTogether(LoadScopeScheduling):
        def _assign_work_unit(self, node: Any) -> None:
            if not getattr(self, "_long_first", False):  # the first assignment: the queue is complete
                self._long_first = True
                rank = {scope: i for i, scope in enumerate(LONG_FIRST)}
                queue = sorted(self.workqueue.items(), key=lambda item: rank.get(item[0], len(rank)))  # stable
                self.workqueue.clear()
                self.workqueue.update(queue)
            super()._assign_work_unit(node)

        def _split_scope(self, nodeid: str) -> str:
            path, _, name = nodeid.partition("::")
            if path in OWN_SPARK_FILES:
                return path
            if path in IN_PROCESS_FILES:
                return IN_PROCESS_SPARK
            if path.startswith(SPARK_CLUSTER):
                return SPARK_CLUSTER
            if path.startswith(BROWSER):
                return BROWSER
            return IN_PROCESS_SPARK if "spark" in name.lower() else path

    return SparkTogether(config, log)


@pytest.fixture(scope="session", autouse=True)
def _english_machine() -> Iterator[None]:
    """The tests run as on an English machine whatever this one's locale: the
    tests of French set the language themselves (``--lang``, ``LANG``)."""
    with pytest.MonkeyPatch.context() as mp:
        for name in ("CLIENTFOLIO_LANG", "LC_ALL", "LC_MESSAGES"):
            mp.delenv(name, raising=False)
        mp.setenv("LANG", "C.UTF-8")
        yield


BOOTSTRAP_SAMPLES = "10"
"""The valuation's bootstrap in the tests (``clv.bootstrap_samples``, 100 by default): enough
for an interval (the 5th and 95th percentiles between two of ten totals), ten times less work.  The
tests of the interval itself pass their own config."""


@pytest.fixture(scope="session", autouse=True)
def _small_bootstrap() -> Iterator[None]:
    """The effective settings (CLI, ``value_source`` without a config, the plan, the
    report, the web app) resample the customers ``BOOTSTRAP_SAMPLES`` times."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CLIENTFOLIO_CLV__BOOTSTRAP_SAMPLES", BOOTSTRAP_SAMPLES)
        yield


QUICK_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1, hash_len=32, salt_len=16)
"""argon2id at its smallest cost: the tests hash and check hundreds of passwords (every user
made, every login: about 11 CPU-s of the suite with the production parameters outside the web
tests, which had their own quick hasher), which is not what they test.
The production parameters, the rehash and the unknown user's equal cost are tested with
``owasp_hashes``; the commands the tests start as processes keep them."""
OWASP_HASHER = passwords.HASHER
"""The production hasher (``passwords.HASHER`` at import, before any patch)."""


@contextmanager
def hashes_by(hasher: PasswordHasher) -> Iterator[None]:
    """Passwords hashed and checked by ``hasher`` meanwhile, and the unknown user's
    throw-away hash made again by it (then again by the one found on leaving)."""
    passwords._dummy_hash.cache_clear()
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(passwords, "HASHER", hasher)
            yield
    finally:
        passwords._dummy_hash.cache_clear()


@pytest.fixture(scope="session", autouse=True)
def _quick_password_hashes() -> Iterator[None]:
    """Every test's passwords hashed with ``QUICK_HASHER`` (autouse and of the session:
    set up before the session's stores that hold users)."""
    with hashes_by(QUICK_HASHER):
        yield


@pytest.fixture
def owasp_hashes() -> Iterator[None]:
    """The production parameters (``OWASP_HASHER``) for the test that checks them."""
    with hashes_by(OWASP_HASHER):
        yield


@pytest.fixture(scope="session", autouse=True)
def _quick_jvms(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Spark's JVMs in the tests (this process's, the commands' and the Connect
    server's) run with ``QUICK_JVM`` and ``QUICK_SQL`` through a ``spark-defaults.conf``
    of their own (``SPARK_CONF_DIR``): less than half the CPU for the tests' small inputs."""
    conf_dir = tmp_path_factory.mktemp("spark-conf")
    write_spark_defaults(conf_dir, QUICK_JVM)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SPARK_CONF_DIR", str(conf_dir))
        yield


def pytest_collection_finish(session: pytest.Session) -> None:
    """The collected modules (tests, the library, Ibis, SQLAlchemy, pandas …: a million
    objects that live as long as the process) left out of the garbage collector's
    passes (``gc.freeze``, as the web app does after its figures), and a pass every
    20,000 allocations instead of 700: the analyses build and drop Ibis expressions by the
    hundred thousand, and every pass walked the young objects again (5 % of the tests' CPU)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 50, 100)


@pytest.fixture(scope="session", autouse=True)
def _one_click_command_per_app() -> Iterator[None]:
    """typer's ``CliRunner.invoke`` builds the app's click command anew at every call:
    the signatures and type hints of every command read again, 0.1 s of CPU each time,
    for tests that invoke it a thousand times.  Built once per app here, as ``clientfolio``
    builds it once per process; each run still chooses its language and translates the
    help (``ErrorBoundary.main``), and the commands look their consoles up when they run."""
    import typer.main
    import typer.testing

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(typer.testing, "_get_command", functools.cache(typer.main.get_command))  # by app identity
        yield


def copy_sqlite(source: Path, target: Path) -> None:
    """Copy the SQLite store ``source`` to ``target``, with its mode (0600): its
    write-ahead log first written into it (a command run in this process may
    leave its connections open, the last writes still in ``-wal``)."""
    with closing(sqlite3.connect(source)) as db:
        busy, logged, written = db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    assert busy == 0 and logged == written, f"{source}: the log is not all written ({busy}, {logged}, {written})"
    shutil.copy(source, target)


DemoFile = Callable[..., Path]


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> DemoFile:
    """``demo_template(**keywords)``: a SQLite file holding ``generate_demo(store,
    **keywords)``, built once per session for the same keywords (hashable
    values): copy it (``demo_copy``), never write to it."""
    from clientfolio.demo import generate_demo
    from clientfolio.store import Store

    built: dict[tuple[tuple[str, Any], ...], Path] = {}

    def template(**keywords: Any) -> Path:
        key = tuple(sorted(keywords.items()))
        if key not in built:
            path = tmp_path_factory.mktemp("demo_template") / "demo.db"
            store = Store(f"sqlite:///{path}")
            try:
                generate_demo(store, **keywords)
            finally:
                store.dispose()
            built[key] = path
        return built[key]

    return template


@pytest.fixture
def demo_copy(demo_template: DemoFile, tmp_path: Path) -> Callable[..., str]:
    """``demo_copy(**keywords)``: the URL of this test's own copy (in ``tmp_path``)
    of the demo store ``generate_demo(store, **keywords)`` builds."""
    copies = itertools.count()

    def copy(**keywords: Any) -> str:
        path = tmp_path / f"demo-{next(copies)}.db"
        shutil.copy(demo_template(**keywords), path)  # with its mode (0600)
        return f"sqlite:///{path}"

    return copy


PG_ADMIN_URL = os.environ.get("CLIENTFOLIO_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def _pg_admin():  # type: ignore[no-untyped-def]
    engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any failure means "no server"
        engine.dispose()
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL unreachable at {PG_ADMIN_URL} while CI is set: {exc}")
        pytest.skip(f"PostgreSQL unreachable at {PG_ADMIN_URL}")
    return engine


@pytest.fixture(scope="session")
def _pg_databases() -> Iterator[Databases]:
    """This worker's PostgreSQL databases (``tests/pg_pool.py``), dropped at the end."""
    _pg_admin().dispose()
    databases = Databases(PG_ADMIN_URL)
    yield databases
    databases.close()


@pytest.fixture
def pg_url(_pg_databases: Databases) -> Iterator[str]:
    """URL of a new, empty PostgreSQL database (one emptied, as new, after the test)."""
    name = _pg_databases.take(migrated=False)
    try:
        yield _pg_databases.url(name)
    finally:
        _pg_databases.give_back(name, migrated=False)


@pytest.fixture(scope="session", autouse=True)
def _new_sqlite_stores_copied(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """A new SQLite store the tests open in this process (``Store(url)`` on a file
    not there yet, or empty) is a copy of one migrated once per session, not migrated
    again: Alembic takes 0.1 s of CPU a store, and the tests make hundreds.  The
    migrations still run: once per session for the copy, and in full wherever a test
    asks for a revision or opens a store behind the head (``tests/test_store.py``),
    and in the commands the tests run as child processes."""
    template = tmp_path_factory.mktemp("migrated") / "clientfolio.db"
    Store(f"sqlite:///{template}").dispose()  # migrated before the patch
    assert not template.with_name(f"{template.name}-wal").exists()  # all in the one file
    upgrade = Store.upgrade

    def copied_then_upgraded(self: Store, revision: str = "head") -> None:
        url = make_url(self.url)
        path = (
            Path(url.database)
            if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:")
            else None
        )
        if (
            revision == "head"
            and path is not None
            and path.parent.is_dir()
            and not (path.exists() and path.stat().st_size)
        ):
            self.engine.dispose()  # no connection to the empty file left open
            shutil.copy(template, path)
        upgrade(self, revision)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(Store, "upgrade", copied_then_upgraded)
        yield


ENGINES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(params=ENGINES)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of a new, empty store, nothing migrated (SQLite file, then a PostgreSQL database)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/clientfolio.db"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture(params=ENGINES)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A fresh, migrated store (SQLite file, then a PostgreSQL database): a copy
    of a new store migrated once per session, the migrations not run again (the
    SQLite file copied as every new one is, ``_new_sqlite_stores_copied``)."""
    if request.param == "sqlite":
        s = Store(f"sqlite:///{tmp_path}/clientfolio.db")
        try:
            yield s
        finally:
            s.dispose()
        return
    databases: Databases = request.getfixturevalue("_pg_databases")
    name = databases.take(migrated=True)
    s = Store(databases.url(name))
    try:
        yield s
    finally:
        s.dispose()
        databases.give_back(name, migrated=True)


def planner_statistics(store: Store, tables: tuple[str, ...]) -> dict[str, tuple[int, float]]:
    """PostgreSQL: each of ``tables``'s manual ANALYZE runs (not autovacuum's) and the
    planner's row estimate (-1: never analysed)."""
    with store.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT s.relname, s.analyze_count, c.reltuples FROM pg_stat_user_tables s "
                "JOIN pg_class c ON c.oid = s.relid WHERE s.relname = ANY(:tables)"
            ),
            {"tables": list(tables)},
        )
        return {name: (int(runs), float(estimate)) for name, runs, estimate in rows}


@contextmanager
def ordinary_role(pg_url: str, *, write: bool = False) -> Iterator[str]:
    """The URL of a new ordinary role of the database at ``pg_url`` (no superuser,
    no BYPASSRLS: row-level security binds it) that may read its tables, and
    write them with ``write``; dropped on exit."""
    role = f"cf_app_{uuid.uuid4().hex[:8]}"
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    rights = "SELECT, INSERT, UPDATE, DELETE" if write else "SELECT"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE ROLE "{role}" LOGIN NOSUPERUSER NOBYPASSRLS'))
        conn.execute(text(f'GRANT USAGE ON SCHEMA public TO "{role}"'))
        conn.execute(text(f'GRANT {rights} ON ALL TABLES IN SCHEMA public TO "{role}"'))
        if write:
            conn.execute(text(f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO "{role}"'))
    try:
        yield make_url(pg_url).set(username=role, password=None).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP OWNED BY "{role}"'))
            conn.execute(text(f'DROP ROLE "{role}"'))
        admin.dispose()
