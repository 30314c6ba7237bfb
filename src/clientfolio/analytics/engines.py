"""Ibis back-ends the analytics run on: DuckDB (files, the fast default),
SQLite and PostgreSQL (the application store), PySpark (beyond one machine).

Analytics never open connections themselves: the shells open one here and
hand the functions Ibis tables.
"""

from __future__ import annotations

import tempfile
from typing import Any

import ibis
from ibis.backends import BaseBackend
from sqlalchemy.engine import make_url

from clientfolio.errors import ClientfolioError

__all__ = ["ENGINES", "connect", "connect_store"]

ENGINES = ("duckdb", "sqlite", "postgres", "spark")
DUCKDB_MEMORY_LIMIT = "1GB"
"""DuckDB's memory for the analysis (it spills to the temporary directory beyond):
with the Python side, 50M lines run under 2 GB instead of taking 80 % of the machine."""


def connect(engine: str, **options: Any) -> BaseBackend:
    """An Ibis back-end: ``duckdb`` (in memory, or ``database=``), ``sqlite``
    (``database=`` path), ``postgres`` (``url=``) or ``spark`` (local session)."""
    if engine == "duckdb":
        return ibis.duckdb.connect(
            options.get("database", ":memory:"), memory_limit=DUCKDB_MEMORY_LIMIT, temp_directory=tempfile.gettempdir()
        )
    if engine == "sqlite":
        return ibis.sqlite.connect(options["database"])
    if engine == "postgres":
        return ibis.postgres.connect(**_pg_options(options["url"]))
    if engine == "spark":
        from pyspark.sql import SparkSession  # deferred: a JVM starts

        session = (
            SparkSession.builder.master(options.get("master", "local[2]"))
            .appName("clientfolio")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.sql.shuffle.partitions", options.get("partitions", 4))
            .config("spark.ui.enabled", "false")
            .config(
                "spark.sql.warehouse.dir", options.get("warehouse") or tempfile.mkdtemp(prefix="clientfolio-spark-")
            )
            .getOrCreate()
        )
        return ibis.pyspark.connect(session)
    raise ClientfolioError("unknown engine '{engine}'; use one of {engines}", engine=engine, engines=", ".join(ENGINES))


def _pg_options(url: str) -> dict[str, Any]:
    parsed = make_url(url)
    options: dict[str, Any] = {
        "host": parsed.host or parsed.query.get("host") or "localhost",
        "user": parsed.username,
        "password": parsed.password,
        "database": parsed.database,
    }
    if parsed.port:
        options["port"] = parsed.port
    return {k: v for k, v in options.items() if v is not None}


def connect_store(database_url: str) -> BaseBackend:
    """An Ibis back-end on the application store at ``database_url``."""
    parsed = make_url(database_url)
    if parsed.get_backend_name() == "sqlite":
        return connect("sqlite", database=parsed.database)
    if parsed.get_backend_name() == "postgresql":
        return connect("postgres", url=database_url)
    raise ClientfolioError("analytics cannot read a {dialect} store", dialect=parsed.get_backend_name())
