"""Result files written to a cluster's storage: ``--out hdfs://...``.

``analyze --out`` and ``value --out`` take a local folder, or with
``--engine spark`` a URI the session's Hadoop file systems write (``hdfs://``,
``s3a://``, ``abfss://``, ``gs://``, ``file://``).  The files are written
exactly as locally (``write_analysis``, ``write_value``) into a private
temporary folder on the driver, then each is copied to the URI with Hadoop's
``FileSystem.copyFromLocalFile`` through the session's JVM: the same names and
the same bytes, one file each (not Spark's folder of part-files).  The rows
are on the driver anyway (one per customer).  Spark Connect has no JVM on the
client: a URI is refused there.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from clientfolio.analytics.engines import SparkOptions, spark_failure, spark_session
from clientfolio.errors import ClientfolioError

__all__ = ["check_out", "is_uri", "write_out"]

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def is_uri(out: str) -> bool:
    """Whether ``--out`` is a URI (``scheme://...``) rather than a local folder."""
    return bool(_SCHEME.match(out))


def check_out(out: str, spark: SparkOptions | None) -> None:
    """Stop before the run when ``out`` is a URI the run cannot write: without
    the Spark engine (``spark`` None), or on Spark Connect."""
    if not is_uri(out):
        return
    if spark is None:
        raise ClientfolioError("--out {out}: a URI is written through Spark; add --engine spark", out=out)
    if spark.remote:
        raise ClientfolioError(
            "--out {out}: Spark Connect cannot write files to the cluster's storage; give a local folder", out=out
        )


def write_out(out: str, write: Callable[[Path], Sequence[Path]], spark: SparkOptions | None) -> list[str]:
    """Write the files of ``write`` (it writes into the folder it is given and
    returns the paths) into ``out``: a local folder, or a URI through the Spark
    session of ``spark``; returns where they are."""
    check_out(out, spark)
    if not is_uri(out):
        return [str(path) for path in write(Path(out))]
    assert spark is not None  # check_out: a URI needs Spark
    with tempfile.TemporaryDirectory(prefix="clientfolio-out-") as private:
        return _copy(write(Path(private)), out, _session(spark))


def _session(options: SparkOptions) -> Any:
    """The session the run used (the active one), else a new one of ``options``."""
    from pyspark.sql import SparkSession  # the Spark engine ran: PySpark is there

    return SparkSession.getActiveSession() or spark_session(options)


def _copy(paths: Sequence[Path], out: str, session: Any) -> list[str]:
    """Copy the local files ``paths`` into the folder ``out`` (created; files of
    the same names replaced), without the ``.crc`` files Hadoop's local file
    system would add beside them."""
    jvm = session._jvm
    conf = session._jsc.hadoopConfiguration()
    folder = jvm.org.apache.hadoop.fs.Path(out)
    targets = [out.rstrip("/") + "/" + path.name for path in paths]
    try:
        fs = jvm.org.apache.hadoop.fs.FileSystem.newInstance(folder.toUri(), conf)  # ours: not Spark's cached one
        try:
            fs.setWriteChecksum(False)
            fs.mkdirs(folder)
            for path, target in zip(paths, targets, strict=True):
                source = jvm.org.apache.hadoop.fs.Path(path.resolve().as_uri())
                fs.copyFromLocalFile(False, True, source, jvm.org.apache.hadoop.fs.Path(target))
        finally:
            fs.close()
    except Exception as exc:  # noqa: BLE001 - Hadoop's errors through py4j: said in one line
        raise ClientfolioError(
            "--out {out}: cannot write the files ({reason})", out=out, reason=spark_failure(exc)
        ) from None
    return targets
