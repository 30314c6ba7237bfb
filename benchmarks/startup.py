"""Start-up of the commands that touch no data, as fresh processes.

    python benchmarks/startup.py [--repeat 20] [--baseline SRC]

Runs ``clientfolio --help``, ``--version``, ``settings`` and ``settings --json``
(output to /dev/null) in turn, ``--repeat`` times each, interleaved so that a
drift of the machine's speed falls on all of them alike, and prints the median
and minimum wall time and the median CPU time (user + system, ``os.wait4``).
``--baseline SRC`` also runs each with the package at ``SRC`` first on
``PYTHONPATH`` (a copy of an earlier ``src/``: ``git archive HEAD src | tar -x
-C /tmp/before``), the current ``src/`` likewise: before and after side by side.
Compile both first (``python -m compileall -q src /tmp/before/src``) where
``PYTHONDONTWRITEBYTECODE`` is set, or every run compiles every module.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
COMMANDS = {
    "--help": ["--help"],
    "--version": ["--version"],
    "settings": ["settings"],
    "settings --json": ["settings", "--json"],
}
LAUNCH = "import sys; sys.argv[0] = 'clientfolio'; from clientfolio.cli import main; main()"


def run(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds of one run of ``argv``, its output discarded."""
    started = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # the child: output to /dev/null, then the command
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)
        os.dup2(null, 2)
        os.execve(argv[0], argv, env)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(argv)} failed")
    return wall, usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--baseline", help="an earlier src/ to time beside the current one")
    args = parser.parse_args()
    versions = {"": str(HERE.parent / "src")}
    if args.baseline:
        versions = {"before ": args.baseline, "after ": str(HERE.parent / "src")}
    runs: dict[str, list[tuple[float, float]]] = {}
    for _ in range(args.repeat):
        for label, src in versions.items():
            env = {**os.environ, "PYTHONPATH": src}
            for name, command in COMMANDS.items():
                runs.setdefault(label + name, []).append(run([sys.executable, "-c", LAUNCH, *command], env))
    print(f"| command ({args.repeat} runs, interleaved) | wall median | wall min | CPU median |")
    print("|---|---:|---:|---:|")
    for name, timings in runs.items():
        walls, cpus = [w for w, _ in timings], [c for _, c in timings]
        print(f"| `{name}` | {statistics.median(walls):.3f} s | {min(walls):.3f} s | {statistics.median(cpus):.3f} s |")


if __name__ == "__main__":
    main()
