"""Import throughput: invoice lines per second into SQLite, and peak memory.

    python benchmarks/import_throughput.py --lines 1000000

Writes a French invoice CSV (``;``, decimal comma, dd/mm/yyyy, cp1252) of
``--lines`` lines under benchmarks/data/ (kept between runs), then imports it
into a fresh SQLite store in a child process and prints lines/s and the peak
resident memory of that process.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).parent


def write_csv(path: Path, lines: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    customers = [f"C{i:05d}" for i in range(5000)]
    products = [(f"P{i:04d}", f"Article {i}", f"Famille {i % 12}") for i in range(400)]
    with path.open("w", encoding="cp1252", newline="") as f:
        f.write(
            "N° facture;Date facture;Code client;Raison sociale;N° ligne;Article;Désignation;"
            "Famille;Quantité;Montant HT;Coût\r\n"
        )
        n = invoice = 0
        while n < lines:
            invoice += 1
            code = rng.choice(customers)
            day = f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{rng.randint(2021, 2025)}"
            for line_no in range(1, min(rng.randint(1, 5), lines - n) + 1):
                p_code, label, family = rng.choice(products)
                amount = rng.randint(100, 500_000) / 100
                f.write(
                    f"F{invoice:08d};{day};{code};Société {code};{line_no};{p_code};{label};"
                    f"{family};{rng.randint(1, 50)};{amount:.2f};{amount * 0.6:.2f}\r\n".replace(".", ",")
                )
                n += 1


def child(csv_path: str) -> None:
    from clientfolio.filelimits import ReadLimits, reading_limits
    from clientfolio.ingest import import_file
    from clientfolio.store import Store

    # the default reading limits (5,000,000 cells) refuse these files: raised, as a large import would
    limits = ReadLimits(rows=1 << 40, cells=1 << 40)
    with tempfile.TemporaryDirectory() as tmp, reading_limits(limits):
        store = Store(f"sqlite:///{tmp}/bench.db")
        start = time.perf_counter()
        result = import_file(store, csv_path)
        seconds = time.perf_counter() - start
        rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            json.dumps(
                {
                    "lines": result.created["invoice_lines"],
                    "seconds": round(seconds, 2),
                    "lines_per_second": round(result.created["invoice_lines"] / seconds),
                    "peak_rss_mb": round(rss_mb),
                }
            )
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    data = HERE / "data"
    data.mkdir(exist_ok=True)
    csv_path = data / f"invoices_{args.lines}.csv"
    if not csv_path.exists():
        print(f"writing {csv_path} ...", file=sys.stderr)
        write_csv(csv_path, args.lines)
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(csv_path)], check=True, capture_output=True, text=True
    )
    figures = json.loads(out.stdout)
    print(
        f"{figures['lines']:,} invoice lines in {figures['seconds']} s: "
        f"{figures['lines_per_second']:,} lines/s, peak memory {figures['peak_rss_mb']} MB"
    )


if __name__ == "__main__":
    main()
