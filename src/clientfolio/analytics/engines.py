"""Ibis back-ends the analytics run on: DuckDB (files, the fast default),
SQLite and PostgreSQL (the application store), PySpark (beyond one machine).

Analytics never open connections themselves: the shells open one here and
hand the functions Ibis tables.  Spark runs where ``SparkOptions`` says: in
the process (``local[2]``), on a cluster's master (``spark://``, ``yarn``,
``k8s://``), on the session ``spark-submit`` prepared, or on a Spark Connect
endpoint; its settings are the ``[spark]`` table of the settings file.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import warnings
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from clientfolio.errors import ClientfolioError, RuleError

if TYPE_CHECKING:
    import duckdb
    from ibis.backends import BaseBackend

__all__ = ["ENGINES", "SparkOptions", "connect", "connect_store", "duckdb_connection", "spark_failure", "spark_session"]

ENGINES = ("duckdb", "sqlite", "postgres", "spark")
DUCKDB_MEMORY_LIMIT = "1GB"
"""DuckDB's memory for the analysis (it spills to the temporary directory beyond):
with the Python side, 50M lines run under 2 GB instead of taking 80 % of the machine."""
QUIET_DUCKDB = "SET enable_progress_bar = false"
"""Run on every DuckDB connection: DuckDB prints a progress bar on standard
output for any query over 2 s, into the command's output (a ``--json``
document made invalid, the terminal's tables cut).  A setting of the
connection, not of the database: it cannot be given to ``duckdb.connect``."""
LOCAL_MASTER = "local[2]"


class SparkOptions(BaseModel):
    """Where the Spark engine runs, and Spark's own settings (``--spark-master``,
    ``--spark-remote``, the ``[spark]`` table of the settings file)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    master: str = Field(
        "",
        description="Spark master URL: spark://host:7077, yarn, k8s://https://host:6443, local[4] "
        "(empty: local[2] in the process, or the master spark-submit gave).",
    )
    remote: str = Field("", description="Spark Connect endpoint, sc://host:15002, instead of a master (empty: none).")
    conf: dict[str, str] = Field(
        default_factory=dict,
        description='Spark settings given to the session, spark.* keys (spark.executor.memory = "4g", ...).',
    )

    @model_validator(mode="after")
    def _coherent(self) -> SparkOptions:
        if self.master and self.remote:
            raise RuleError("give a Spark master or a Spark Connect endpoint, not both")
        if self.remote and not self.remote.startswith("sc://"):
            raise RuleError("a Spark Connect endpoint starts with sc:// ({value})", value=self.remote)
        wrong = [key for key in self.conf if not key.startswith("spark.")]
        if wrong:
            raise RuleError("Spark settings start with spark.: {keys}", keys=", ".join(wrong))
        return self


def duckdb_connection() -> duckdb.DuckDBPyConnection:
    """A DuckDB connection in memory for bulk work on fetched tables (the CSV
    cells, the JSON rows), quiet (``QUIET_DUCKDB``)."""
    import duckdb

    con = duckdb.connect()
    con.execute(QUIET_DUCKDB)
    return con


def connect(
    engine: str, *, spark: SparkOptions | None = None, database: str | None = None, url: str | None = None
) -> BaseBackend:
    """An Ibis back-end: ``duckdb`` (in memory, or ``database``), ``sqlite``
    (``database`` path), ``postgres`` (``url``) or ``spark`` (where ``spark``
    says; default: a local session)."""
    import ibis

    from clientfolio.analytics.compiled_sql import remember_compiled

    if engine == "duckdb":
        backend = ibis.duckdb.connect(
            database or ":memory:", memory_limit=DUCKDB_MEMORY_LIMIT, temp_directory=tempfile.gettempdir()
        )
        backend.raw_sql(QUIET_DUCKDB)
        remember_compiled(backend)
        return backend
    if engine == "sqlite":
        backend = ibis.sqlite.connect(database)
        remember_compiled(backend)
        return backend
    if engine == "postgres":
        backend = ibis.postgres.connect(**_pg_options(str(url)))
        # Ibis reads a result through a cursor, which PostgreSQL plans for its first tenth (nested loops);
        # the analyses read every row: with the statistics not yet gathered after an import, the plan
        # of the first rows took 300 s on a 20,000-customer store where the one of all rows hashes in 1 s
        backend.raw_sql("SET cursor_tuple_fraction = 1.0")
        remember_compiled(backend)
        return backend
    if engine == "spark":
        session = spark_session(spark or SparkOptions())  # first: says what is missing before Ibis loads PySpark
        return ibis.pyspark.connect(session)
    raise ClientfolioError("unknown engine '{engine}'; use one of {engines}", engine=engine, engines=", ".join(ENGINES))


def spark_session(options: SparkOptions) -> Any:
    """The Spark session of ``options``: on the Spark Connect endpoint, else on
    the master (in the process by default; under ``spark-submit``, the master
    and settings it gave unless one is named), with ``options.conf``.  A missing
    PySpark or Java, or a session that cannot start, is a ``ClientfolioError``."""
    try:
        from pyspark.sql import SparkSession  # deferred: a JVM starts
    except ImportError:
        raise ClientfolioError("the Spark engine needs PySpark: pip install 'clientfolio[spark]'") from None
    builder = SparkSession.builder.appName("clientfolio").config("spark.sql.session.timeZone", "UTC")
    if options.remote:
        builder = builder.remote(options.remote)
        # Ibis asks Spark to verify each table it uploads; Connect cannot, and warns each time
        warnings.filterwarnings("ignore", message="'verifySchema' is ignored", category=UserWarning)
    else:
        builder = builder.config("spark.ui.showConsoleProgress", "false")  # no progress bars over the output
        submitted = "PYSPARK_GATEWAY_PORT" in os.environ  # spark-submit started the JVM with its settings
        if not submitted:
            _check_java()
        master = options.master or ("" if submitted else LOCAL_MASTER)
        if master:
            builder = builder.master(master)
        if master.startswith("local"):  # one machine: few partitions, no web UI
            builder = (
                builder.config("spark.sql.shuffle.partitions", 4)
                .config("spark.ui.enabled", "false")
                .config("spark.sql.warehouse.dir", tempfile.mkdtemp(prefix="clientfolio-spark-"))
            )
    for key, value in options.conf.items():
        builder = builder.config(key, value)
    try:
        session = builder.getOrCreate()
    except ImportError as exc:  # the Spark Connect client's own packages
        raise ClientfolioError(
            "Spark Connect needs its client: pip install 'pyspark[connect]' ({reason})", reason=str(exc)
        ) from None
    except Exception as exc:  # noqa: BLE001 - PySpark's own errors (gateway, Connect): said in one line
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ClientfolioError("the Spark engine cannot start ({reason})", reason=reason) from None
    if not options.remote:
        session.sparkContext.setLogLevel("ERROR")  # Spark's warnings are not the user's
    return session


def spark_failure(exc: BaseException) -> str:
    """The cause of a Spark failure in one line (at most 300 characters): the
    first line of its message that names an exception or an error (Py4J gives
    a Java stack: "An error occurred while calling ...", then
    "org.apache.spark.SparkException: Job aborted ..."), else its first line."""
    lines = [line.strip(" :\t") for line in str(exc).strip().splitlines() if line.strip()]
    causes = [line for line in lines if "Exception" in line or "Error" in line] or lines or [type(exc).__name__]
    return causes[0][:300]


def _check_java() -> None:
    """PySpark starts its JVM with ``$JAVA_HOME/bin/java``, else ``java`` on the PATH."""
    home = os.environ.get("JAVA_HOME")
    java = os.path.join(home, "bin", "java") if home else shutil.which("java")
    if not java or not os.access(java, os.X_OK):
        raise ClientfolioError(
            "the Spark engine needs Java 17 or later: apt install default-jre-headless (or set JAVA_HOME)"
        )


def _pg_options(url: str) -> dict[str, Any]:
    from sqlalchemy.engine import make_url  # the store's engines only: a file's analysis does without

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
    from sqlalchemy.engine import make_url

    parsed = make_url(database_url)
    if parsed.get_backend_name() == "sqlite":
        return connect("sqlite", database=parsed.database)
    if parsed.get_backend_name() == "postgresql":
        return connect("postgres", url=database_url)
    raise ClientfolioError("analytics cannot read a {dialect} store", dialect=parsed.get_backend_name())
