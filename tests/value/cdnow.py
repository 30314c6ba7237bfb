"""The CDNOW sample (2,357 customers who first bought in 1997-Q1) summarised as
in Fader, Hardie & Lee's papers: a 39-week calibration period, 1997-01-01 to
1997-09-30.

Purchases on the same day count as one (their amounts summed).  Per customer:
``frequency`` x = distinct purchase days in the calibration period minus one
(repeat purchases), ``recency`` t_x = days from the first to the last purchase
day, ``T`` = days from the first purchase day to 1997-09-30, both divided by 7
(weeks), and ``monetary_value`` = mean amount (dollars) of the repeat purchase
days, 0 when x = 0.  This reproduces Hardie's files: a customer who bought on
1997-01-01 has T = 272 / 7 = 38.86 weeks.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import numpy.typing as npt

DATA = Path(__file__).parent.parent / "data" / "cdnow_sample.txt"
CALIBRATION_END = dt.date(1997, 9, 30)

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class CalibrationSummary:
    customer_id: npt.NDArray[np.int64]
    frequency: FloatArray
    recency: FloatArray
    T: FloatArray
    monetary_value: FloatArray


@cache
def cdnow_calibration() -> CalibrationSummary:
    """Per-customer (x, t_x, T, mean repeat amount) over the calibration period."""
    days: dict[int, dict[dt.date, float]] = {}
    for line in DATA.read_text().splitlines():
        if not line.strip():
            continue
        customer_field, _, date, _, amount = line.split()
        day = dt.datetime.strptime(date, "%Y%m%d").date()
        per_day = days.setdefault(int(customer_field), {})
        per_day[day] = per_day.get(day, 0.0) + float(amount)
    ids = sorted(days)
    frequency, recency, T, monetary = [], [], [], []
    for customer in ids:
        history = sorted(days[customer].items())
        first = history[0][0]
        repeats = [(day, amount) for day, amount in history[1:] if day <= CALIBRATION_END]
        frequency.append(len(repeats))
        recency.append((repeats[-1][0] - first).days / 7 if repeats else 0.0)
        T.append((CALIBRATION_END - first).days / 7)
        monetary.append(sum(a for _, a in repeats) / len(repeats) if repeats else 0.0)
    return CalibrationSummary(
        customer_id=np.array(ids, dtype=np.int64),
        frequency=np.array(frequency, dtype=np.float64),
        recency=np.array(recency, dtype=np.float64),
        T=np.array(T, dtype=np.float64),
        monetary_value=np.array(monetary, dtype=np.float64),
    )


def write_transactions(path: Path) -> Path:
    """The CDNOW sample written to ``path`` as a transactions Parquet file (one
    line per purchase, invoice ``F<n>``, amounts in dollars as euros; codes as
    text: the same on every engine)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = [line.split() for line in DATA.read_text().splitlines() if line.strip()]
    table = pa.table(
        {
            "customer_id": [r[0] for r in rows],
            "invoice_id": [f"F{n}" for n in range(len(rows))],
            "date": [dt.date(int(r[2][:4]), int(r[2][4:6]), int(r[2][6:])) for r in rows],
            "amount": [float(r[4]) for r in rows],
        }
    )
    pq.write_table(table, path)
    return path
