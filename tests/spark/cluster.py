"""A Spark standalone cluster on localhost, from the ``pyspark`` package itself.

A master and workers started with ``sbin/spark-daemon.sh`` of the pip package
(the script ``start-master.sh`` and ``start-worker.sh`` call in a Spark
distribution; the package ships it, not them), ``SPARK_HOME`` the package's
folder, logs and pid files under a temporary folder; nothing is downloaded.
The cluster tests (``tests/spark/test_cluster.py``) and ``benchmarks/spark_cluster.py`` use it.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "QUICK_JVM",
    "QUICK_SQL",
    "Cluster",
    "ConnectServer",
    "start_cluster",
    "start_connect_server",
    "write_spark_defaults",
]

MASTER = "org.apache.spark.deploy.master.Master"
WORKER = "org.apache.spark.deploy.worker.Worker"
HOST = "127.0.0.1"


QUICK_JVM = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -XX:+UnlockDiagnosticVMOptions -XX:-BytecodeVerificationRemote"
"""Java options for the tests' short-lived JVMs: compiled by C1 only and collected by one
thread, they start and run a few thousand rows on half the CPU; the classes of Spark's jars
loaded without the bytecode verifier (as the JDK's own): about a tenth less CPU for the
JVMs of the cluster test, whose time is mostly loading classes (the benchmarks keep Java's
defaults, made for long jobs)."""


QUICK_SQL = {
    "spark.sql.codegen.wholeStage": "false",
    "spark.sql.codegen.factoryMode": "NO_CODEGEN",
    "spark.sql.adaptive.enabled": "false",
}
"""Spark SQL settings for the tests' small inputs, beside ``QUICK_JVM``: expressions
evaluated as they are rather than compiled to Java first (Spark generates and compiles
Java code for each plan, worth it for millions of rows, not for a few thousand; Spark's
own tests run both ways, with the same results), and plans not re-optimised between
stages.  A quarter less CPU for the in-process Spark tests (53 CPU-s to 40), a tenth
for the cluster's; the benchmarks keep Spark's defaults."""


def write_spark_defaults(conf_dir: Path, java_options: str) -> None:
    """``conf_dir/spark-defaults.conf`` giving the drivers and executors
    ``java_options``, and ``QUICK_SQL`` (read by every ``spark-submit`` whose
    ``SPARK_CONF_DIR`` it is)."""
    conf_dir.mkdir(parents=True, exist_ok=True)
    lines = [f"spark.{role}.extraJavaOptions {java_options}\n" for role in ("driver", "executor")]
    lines += [f"{key} {value}\n" for key, value in QUICK_SQL.items()]
    (conf_dir / "spark-defaults.conf").write_text("".join(lines), encoding="utf-8")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        port: int = s.getsockname()[1]
        return port


def kill_leftovers(pid_dir: Path) -> None:
    """Kill the daemons whose pid files are left in ``pid_dir`` (a stop that
    did not end them) and remove the files."""
    for pid_file in pid_dir.glob("*.pid"):
        try:
            os.kill(int(pid_file.read_text().strip()), signal.SIGKILL)
        except (ProcessLookupError, ValueError):
            pass
        pid_file.unlink(missing_ok=True)


@dataclass
class Cluster:
    """A running cluster: its master ``url`` (spark://...), its web UI ``ui``,
    the environment its daemons and drivers run with, and its folder."""

    url: str
    ui: str
    env: dict[str, str]
    root: Path
    workers: int
    started: list[tuple[str, int]] = field(default_factory=list)  # (daemon class, instance)

    def state(self) -> dict[str, Any]:
        """The master's state (``/json/``: workers, applications)."""
        with urllib.request.urlopen(self.ui + "/json/", timeout=5) as response:
            state: dict[str, Any] = json.load(response)
            return state

    def alive_workers(self) -> int:
        return sum(w.get("state") == "ALIVE" for w in self.state().get("workers", []))

    def applications(self) -> list[dict[str, Any]]:
        """The applications the master ran or runs (name, state, cores...)."""
        state = self.state()
        return [*state.get("activeapps", []), *state.get("completedapps", [])]

    def driver_env(self) -> dict[str, str]:
        """The environment of a driver process run against the cluster."""
        return dict(self.env)

    def stop(self) -> None:
        """Stop the workers, then the master (``spark-daemon.sh stop``), then kill what is left by pid file."""
        daemon = Path(self.env["SPARK_HOME"]) / "sbin" / "spark-daemon.sh"
        for command, instance in reversed(self.started):
            subprocess.run(
                ["bash", str(daemon), "stop", command, str(instance)],
                env=self.env,
                capture_output=True,
                timeout=60,
                check=False,
            )
        kill_leftovers(Path(self.env["SPARK_PID_DIR"]))

    def logs(self) -> str:
        """The daemons' logs (for a failure's message)."""
        return "\n".join(p.read_text(errors="replace")[-3000:] for p in sorted((self.root / "logs").glob("*")))


def start_cluster(
    root: Path,
    *,
    workers: int = 2,
    cores: int = 1,
    memory: str = "1g",
    timeout: float = 90,
    java_options: str = "",
) -> Cluster:
    """Start a master and ``workers`` workers (``cores`` cores and ``memory`` each) under
    ``root``; returns once the master counts them alive (``RuntimeError`` after
    ``timeout`` seconds, the cluster stopped).  ``java_options`` go to the
    daemons, and to the drivers and executors run with the cluster's environment."""
    import pyspark

    home = Path(pyspark.__file__).parent
    for sub in ("logs", "pids", "conf"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "SPARK_HOME": str(home),
        "SPARK_CONF_DIR": str(root / "conf"),
        "SPARK_LOG_DIR": str(root / "logs"),
        "SPARK_PID_DIR": str(root / "pids"),
        "SPARK_IDENT_STRING": "clientfolio",
        "SPARK_LOCAL_IP": HOST,
        "SPARK_LOCAL_HOSTNAME": "localhost",
        "PYSPARK_PYTHON": sys.executable,
        "PYSPARK_DRIVER_PYTHON": sys.executable,
    }
    if java_options:
        env["SPARK_DAEMON_JAVA_OPTS"] = java_options
        write_spark_defaults(root / "conf", java_options)
    port, ui_port = _free_port(), _free_port()
    cluster = Cluster(f"spark://{HOST}:{port}", f"http://{HOST}:{ui_port}", env, root, workers)
    daemon = home / "sbin" / "spark-daemon.sh"

    def launch(command: str, instance: int, *args: str) -> subprocess.Popen[bytes]:
        cluster.started.append((command, instance))
        return subprocess.Popen(
            ["bash", str(daemon), "start", command, str(instance), *args],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    deadline = time.monotonic() + timeout

    def wait_for(ready: Callable[[], bool], what: str) -> None:
        while not ready():
            if time.monotonic() > deadline:
                raise RuntimeError(f"the Spark cluster did not start in {timeout} s ({what}):\n{cluster.logs()}")
            time.sleep(0.2)

    def master_listens() -> bool:
        with socket.socket() as s:
            return s.connect_ex((HOST, port)) == 0

    def workers_alive() -> bool:
        try:
            return cluster.alive_workers() >= workers
        except OSError:  # the master's UI is not up yet
            return False

    try:  # the master first: a worker that finds no master retries only after several seconds
        if launch(MASTER, 1, "--host", HOST, "--port", str(port), "--webui-port", str(ui_port)).wait(60) != 0:
            raise RuntimeError(f"spark-daemon.sh could not start the master:\n{cluster.logs()}")
        wait_for(master_listens, "the master")
        launched = []
        for i in range(1, workers + 1):
            work = root / f"work{i}"
            work.mkdir(exist_ok=True)
            args = ("--host", HOST, "--port", str(_free_port()), "--webui-port", str(_free_port()))
            launched.append(
                launch(
                    WORKER, i, *args, "--cores", str(cores), "--memory", memory, "--work-dir", str(work), cluster.url
                )
            )
        if any(p.wait(timeout=60) != 0 for p in launched):
            raise RuntimeError(f"spark-daemon.sh could not start the workers:\n{cluster.logs()}")
        wait_for(workers_alive, "the workers")
        return cluster
    except BaseException:
        cluster.stop()
        raise


CONNECT = "org.apache.spark.sql.connect.service.SparkConnectServer"


@dataclass
class ConnectServer:
    """A Spark Connect server (local mode) started by ``start_connect_server``."""

    url: str  # sc://127.0.0.1:PORT
    env: dict[str, str]

    def stop(self) -> None:
        daemon = Path(self.env["SPARK_HOME"]) / "sbin" / "spark-daemon.sh"
        subprocess.run(["bash", str(daemon), "stop", CONNECT, "1"], env=self.env, capture_output=True, check=False)
        kill_leftovers(Path(self.env["SPARK_PID_DIR"]))


def start_connect_server(root: Path, *, conf: dict[str, str] | None = None, timeout: float = 120) -> ConnectServer:
    """A Spark Connect server in local mode under ``root`` (``sbin/start-connect-server.sh``
    of the package), with the Spark settings ``conf``; returns once its port answers
    (``RuntimeError`` after ``timeout`` s)."""
    import pyspark

    home = Path(pyspark.__file__).parent
    for sub in ("logs", "pids"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "SPARK_HOME": str(home),
        "SPARK_LOG_DIR": str(root / "logs"),
        "SPARK_PID_DIR": str(root / "pids"),
        "SPARK_IDENT_STRING": "clientfolio",
        "SPARK_LOCAL_IP": HOST,
    }
    port = _free_port()
    server = ConnectServer(f"sc://{HOST}:{port}", env)
    settings = {"spark.connect.grpc.binding.port": str(port), "spark.connect.grpc.binding.address": HOST}
    settings |= conf or {}
    try:
        subprocess.run(
            ["bash", str(home / "sbin" / "start-connect-server.sh"), "--master", "local[2]"]
            + [arg for key, value in settings.items() for arg in ("--conf", f"{key}={value}")],
            env=env,
            capture_output=True,
            timeout=60,
            check=True,
        )
        deadline = time.monotonic() + timeout
        while True:
            with socket.socket() as s:
                if s.connect_ex((HOST, port)) == 0:
                    return server
            if time.monotonic() > deadline:
                logs = "\n".join(p.read_text(errors="replace")[-3000:] for p in (root / "logs").glob("*"))
                raise RuntimeError(f"the Spark Connect server did not start in {timeout} s:\n{logs}")
            time.sleep(0.1)
    except BaseException:
        server.stop()
        raise
