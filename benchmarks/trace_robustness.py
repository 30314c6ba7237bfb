"""Robustness of leak tracing: is the right recipient found, and nobody else?

Builds a 5,000-customer demo portfolio (SQLite, temporary), registers one
customer export for each of 10 recipients, then

1. takes recipient R03's file through each attack (10 % of the rows kept,
   shuffled, columns dropped and renamed, XLSX round trip then CSV with ';'
   and decimal commas, 10 % of the values edited, all of them together, and
   1 % of the rows as a limit case; and a data cleaner's work: punctuation
   stripped, legal forms and abbreviations flipped, name and city merged into
   one column, the trap records dropped, a UTF-16 "Unicode text" re-save, the
   data on a second XLSX sheet) and traces it; then a copy merged from R03's
   and R05's files (two colluders);
2. traces 1,000 files that must not be attributed to a wrong recipient: 400
   unmarked copies of the same customers, 300 copies marked under another
   secret (another installation), 300 files of the other nine recipients,
   each cut and reworked by random attacks; a false attribution is any
   attribution to a recipient the file was not made for.

Run:  .venv/bin/python benchmarks/trace_robustness.py [--customers 5000] [--files 1000]
"""

from __future__ import annotations

import argparse
import codecs
import csv
import datetime as dt
import io
import random
import re
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from openpyxl import Workbook

from clientfolio.access import SYSTEM
from clientfolio.demo import generate_demo
from clientfolio.protect.alerts import ExportRules
from clientfolio.protect.exports import (
    CUSTOMER_COLUMNS,
    ExportKeys,
    ExportRequest,
    customer_rows,
    fingerprint_secrets,
    list_exports,
    make_export,
    verify_keys,
    write_table,
)
from clientfolio.protect.fingerprint import export_key, mark_text
from clientfolio.protect.keys import KeyRing
from clientfolio.protect.trace import TraceResult, read_table, trace_rows
from clientfolio.settings import Settings
from clientfolio.store import Store

Grid = list[list[str]]
NOW = dt.datetime(2026, 1, 6, 10, 0, tzinfo=dt.UTC)
RING = KeyRing.for_tests(b"benchmark-master-key-32-bytes!!!")
THRESHOLD = Settings().trace_threshold
VERIFY = verify_keys(RING)


def keep_rows(share: float) -> Callable[[Grid, random.Random], Grid]:
    def attack(grid: Grid, rng: random.Random) -> Grid:
        body = grid[1:]
        return [grid[0], *rng.sample(body, max(1, round(share * len(body))))]

    return attack


def shuffle(grid: Grid, rng: random.Random) -> Grid:
    body = grid[1:]
    rng.shuffle(body)
    return [grid[0], *body]


def drop_and_rename(grid: Grid, rng: random.Random) -> Grid:
    """Drop the code, SIREN and revenue columns, rename and reorder the others."""
    keep = [i for i, name in enumerate(grid[0]) if name not in ("code", "siren", "revenue_12m")]
    rng.shuffle(keep)
    renamed = [f"col_{n}" for n in range(len(keep))]
    return [renamed, *([row[i] for i in keep] for row in grid[1:])]


def _as_excel_reads(cell: str) -> object:
    """What a spreadsheet makes of a CSV cell: numbers become numbers."""
    text = cell.replace(",", ".")
    try:
        return int(text) if text.isdigit() else float(text)
    except ValueError:
        return cell


def xlsx_round_trip(grid: Grid, rng: random.Random) -> Grid:
    """Open in a spreadsheet, save as XLSX, read back, save as CSV with ';' and decimal commas."""
    with tempfile.TemporaryDirectory() as tmp:
        book = Workbook(write_only=True)
        sheet = book.create_sheet("leak")
        for row in grid:
            sheet.append([_as_excel_reads(c) for c in row])
        path = Path(tmp) / "leak.xlsx"
        book.save(path)
        cells = read_table(path)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerows([c.replace(".", ",") if c.replace(".", "", 1).isdigit() else c for c in row] for row in cells)
    return list(csv.reader(io.StringIO(out.getvalue()), delimiter=";"))


def edit_values(share: float) -> Callable[[Grid, random.Random], Grid]:
    """Edit ``share`` of the cells: a letter changed, a letter dropped, or another row's value."""

    def attack(grid: Grid, rng: random.Random) -> Grid:
        body = [list(row) for row in grid[1:]]
        for row in body:
            for j, cell in enumerate(row):
                if rng.random() >= share or not cell:
                    continue
                how = rng.randrange(3)
                k = rng.randrange(len(cell))
                if how == 0:
                    row[j] = cell[:k] + rng.choice("aeiourstxz") + cell[k + 1 :]
                elif how == 1:
                    row[j] = cell[:k] + cell[k + 1 :]
                else:
                    row[j] = rng.choice(body)[j]
        return [grid[0], *body]

    return attack


def strip_punctuation(grid: Grid, rng: random.Random) -> Grid:
    """A cleaner's normalisation: punctuation removed, upper case, spaces collapsed."""
    return [grid[0], *([" ".join(re.sub(r"[^\w\s]", " ", c).upper().split()) for c in row] for row in grid[1:])]


_FLIPS = {
    "SARL": "S.A.R.L.",
    "S.A.R.L.": "SARL",
    "SAS": "S.A.S.",
    "S.A.S.": "SAS",
    "SA": "S.A.",
    "S.A.": "SA",
    "Saint": "St",
    "St": "Saint",
    "Sainte": "Ste",
    "Ste": "Sainte",
}


def flip_forms(grid: Grid, rng: random.Random) -> Grid:
    """Every legal form re-dotted or un-dotted, every Saint/St swapped."""
    return [
        grid[0],
        *([re.sub(r"[\w.]+", lambda m: _FLIPS.get(m.group(0), m.group(0)), c) for c in row] for row in grid[1:]),
    ]


def merge_columns(grid: Grid, rng: random.Random) -> Grid:
    """Name, postal code and city merged into one column ("name, 75001 Paris")."""
    head = grid[0]
    name, postal, city = head.index("name"), head.index("postal_code"), head.index("city")
    rest = [i for i in range(len(head)) if i not in (name, postal, city)]
    return [
        ["who", *(head[i] for i in rest)],
        *([f"{row[name]}, {row[postal]} {row[city]}", *(row[i] for i in rest)] for row in grid[1:]),
    ]


def drop_traps(codes: dict[str, frozenset[str]]) -> Callable[[Grid, random.Random], Grid]:
    """The rows of R03's trap records dropped (as a leaker who found them would)."""

    def attack(grid: Grid, rng: random.Random) -> Grid:
        return [grid[0], *(row for row in grid[1:] if row[0] not in codes["R03"])]

    return attack


def utf16_resave(grid: Grid, rng: random.Random) -> Grid:
    """Saved as Excel's "Unicode text" (UTF-16 LE with BOM, tab-separated), read back by the tracer."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "leak.txt"
        path.write_bytes(codecs.BOM_UTF16_LE + "\r\n".join("\t".join(r) for r in grid).encode("utf-16-le"))
        return read_table(path)


def second_sheet(grid: Grid, rng: random.Random) -> Grid:
    """The data on the second sheet of an XLSX file (a first sheet of notes)."""
    with tempfile.TemporaryDirectory() as tmp:
        book = Workbook()
        book.create_sheet("notes").append(["Notes"])
        sheet = book.create_sheet("data")
        for row in grid:
            sheet.append(row)
        path = Path(tmp) / "leak.xlsx"
        book.save(path)
        return read_table(path)


def cleaner(codes: dict[str, frozenset[str]]) -> Callable[[Grid, random.Random], Grid]:
    def attack(grid: Grid, rng: random.Random) -> Grid:
        for step in (drop_traps(codes), keep_rows(0.10), strip_punctuation, merge_columns, utf16_resave):
            grid = step(grid, rng)
        return grid

    return attack


def combined(grid: Grid, rng: random.Random) -> Grid:
    for attack in (keep_rows(0.10), shuffle, drop_and_rename, xlsx_round_trip, edit_values(0.10)):
        grid = attack(grid, rng)
    return grid


ATTACKS: list[tuple[str, Callable[[Grid, random.Random], Grid]]] = [
    ("none (the file as exported)", lambda g, r: g),
    ("10 % of the rows kept (500)", keep_rows(0.10)),
    ("rows shuffled", shuffle),
    ("columns dropped (code, SIREN, revenue) and renamed", drop_and_rename),
    ("XLSX round trip, then CSV with ; and decimal commas", xlsx_round_trip),
    ("10 % of the values edited", edit_values(0.10)),
    ("all of the above together", combined),
    ("limit case: 1 % of the rows (50)", keep_rows(0.01)),
]


def random_rework(grid: Grid, rng: random.Random) -> Grid:
    grid = keep_rows(rng.uniform(0.01, 0.5))(grid, rng)
    if rng.random() < 0.5:
        grid = drop_and_rename(grid, rng)
    if rng.random() < 0.05:
        grid = xlsx_round_trip(grid, rng)
    if rng.random() < 0.5:
        grid = edit_values(0.10)(grid, rng)
    return shuffle(grid, rng)


def grid_of(rows: list[dict[str, object]], tmp: Path, name: str) -> Grid:
    path = tmp / name
    write_table(path, "csv", CUSTOMER_COLUMNS, rows)
    return read_table(path)


def describe(result: TraceResult) -> tuple[str, str, str, str]:
    if result.collusion:
        return (
            " + ".join(c.export.recipient for c in result.implicated),
            "collusion",
            ", ".join(f"{c.score.agreeing}/{c.score.checked}" for c in result.implicated),
            "-",
        )
    found = result.attributed
    if found is None:
        return "no match", "-", "-", "-"
    score = found.score
    p = (
        f"{10**found.log10_wrong_attribution:.1e}"
        if found.log10_wrong_attribution > -300
        else f"1e{found.log10_wrong_attribution:.0f}"
    )
    return (
        found.export.recipient,
        result.evidence or "-",
        f"{score.agreeing}/{score.checked}",
        p + (" (reversed)" if score.anti else ""),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=5_000)
    parser.add_argument("--files", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        store = Store(f"sqlite:///{tmp}/bench.db")
        generate_demo(store, customers=args.customers, years=1, seed=args.seed, as_of=NOW.date())
        keys = ExportKeys.from_ring(RING)
        for i in range(1, 11):
            make_export(
                store,
                SYSTEM,
                ExportRequest(f"R{i:02d}", "benchmark"),
                tmp / f"R{i:02d}.csv",
                keys=keys,
                rules=ExportRules(),
                now=NOW,
            )
        exports, secrets = list_exports(store), fingerprint_secrets(RING)
        files = {e.recipient: read_table(tmp / f"{e.recipient}.csv") for e in exports}
        plain_rows = customer_rows(store, SYSTEM, NOW.date())
        print(
            f"{args.customers:,} customers, {len(exports)} registered exports "
            f"({exports[0].signed.manifest.row_count:,} rows each with the traps), "
            f"setup {time.perf_counter() - started:.1f} s\n"
        )

        print("| attack on R03's file | rows left | found | evidence | marks agreeing | P(wrong attribution) |")
        print("|---|---|---|---|---|---|")
        trap_codes = {e.recipient: frozenset(t.code for t in e.traps) for e in exports}
        cleanups: list[tuple[str, Callable[[Grid, random.Random], Grid]]] = [
            ("trap records dropped", drop_traps(trap_codes)),
            ("punctuation stripped, upper case", strip_punctuation),
            ("legal forms and Saint/St flipped", flip_forms),
            ("name, postal code and city merged into one column", merge_columns),
            ("UTF-16 'Unicode text' re-save (tabs)", utf16_resave),
            ("data on the second sheet of an XLSX file", second_sheet),
            ("cleaner: traps dropped, 10 %, punctuation, merged, UTF-16", cleaner(trap_codes)),
        ]
        for label, attack in [*ATTACKS, *cleanups]:
            leaked = attack([list(r) for r in files["R03"]], random.Random(rng.random()))
            result = trace_rows(leaked, exports, secrets, threshold=THRESHOLD, verify_keys=VERIFY)
            print(f"| {label} | {len(leaked) - 1:,} | " + " | ".join(describe(result)) + " |")
        mix = random.Random(rng.random())
        merged = [
            files["R03"][0],
            *(a if mix.random() < 0.5 else b for a, b in zip(files["R03"][1:], files["R05"][1:], strict=False)),
        ]
        result = trace_rows(merged, exports, secrets, threshold=THRESHOLD, verify_keys=VERIFY)
        print(
            f"| two colluders (R03 and R05, each row from either) | {len(merged) - 1:,} | "
            + " | ".join(describe(result))
            + " |"
        )

        null_started = time.perf_counter()
        foreign_key = export_key(b"another installation's secret!!", "X-foreign")
        marked_elsewhere = [
            {**r, "name": mark_text(foreign_key, str(r["name"])), "city": mark_text(foreign_key, str(r["city"]))}
            for r in plain_rows
        ]
        sources: list[tuple[str, Grid, str | None]] = [
            ("unmarked copy", grid_of(plain_rows, tmp, "plain.csv"), None),
            ("marked by another installation", grid_of(marked_elsewhere, tmp, "foreign.csv"), None),
        ]
        counts = {"unmarked copy": 0, "marked by another installation": 0, "other recipients": 0}
        false, right, closest = 0, 0, 0.0
        for n in range(args.files):
            if n < 0.4 * args.files:
                label, grid, truth = sources[0]
            elif n < 0.7 * args.files:
                label, grid, truth = sources[1]
            else:
                truth = f"R{rng.choice([i for i in range(1, 11) if i != 3]):02d}"
                label, grid = "other recipients", files[truth]
            counts[label] += 1
            result = trace_rows(
                random_rework([list(r) for r in grid], rng), exports, secrets, threshold=THRESHOLD, verify_keys=VERIFY
            )
            named = {c.export.recipient for c in result.implicated}
            false += bool(named - {truth})
            right += named == {truth}
            wrong = [c for c in result.candidates if c.export.recipient != truth]
            closest = min(closest, min(c.log10_wrong_attribution for c in wrong))
        print(
            f"\n{args.files:,} files that are not R03's, traced in {time.perf_counter() - null_started:.1f} s: "
            + ", ".join(f"{v} {k}" for k, v in counts.items())
        )
        print(f"- false attributions: {false}")
        print(f"- files of other recipients attributed to their own recipient: {right} of {counts['other recipients']}")
        print(
            f"- closest wrong export over all files: P(wrong attribution) = {10**closest:.2g} (threshold {THRESHOLD:g})"
        )
        store.dispose()
    print(f"\ntotal {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
