"""The valuation on the engine: one read of the lines (``customer_summary``),
the models fitted on a sample beyond ``ClvConfig.fit_sample`` customers, and
the same valuation on DuckDB and on Spark."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from clientfolio.value import ValueConfig, value_source
from clientfolio.value.bgnbd import fit_bgnbd
from clientfolio.value.clv import fit_sample_of
from clientfolio.value.rules import ClvConfig
from tests.analytics.conftest import spark_backend  # noqa: F401
from tests.value.cdnow import CALIBRATION_END, write_transactions
from tests.value.cdnow import DATA as CDNOW


@pytest.fixture(scope="module")
def cdnow_parquet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The CDNOW sample as a transactions file (codes as text: the same on every engine)."""
    return write_transactions(tmp_path_factory.mktemp("cdnow") / "cdnow.parquet")


def fnv1a(text: str) -> int:
    value = 0xCBF29CE484222325
    for octet in text.encode():
        value = ((value ^ octet) * 0x100000001B3) % 2**64
    return value


def test_the_sample_is_chosen_by_the_codes_hash() -> None:
    # the published FNV-1a 64 test vectors
    assert (fnv1a(""), fnv1a("a"), fnv1a("foobar")) == (0xCBF29CE484222325, 0xAF63DC4C8601EC8C, 0x85944171F73967E8)
    codes = [f"C{k:05d}" for k in range(1000)] + ["a", "foobar", "é"]
    chosen = fit_sample_of(np.array(codes, dtype=object), 100)
    assert chosen is not None and chosen.sum() == 100
    expected = set(sorted(codes, key=fnv1a)[:100])
    assert {c for c, kept in zip(codes, chosen, strict=True) if kept} == expected
    shuffled = codes[::-1]  # the same customers whatever the order
    again = fit_sample_of(np.array(shuffled, dtype=object), 100)
    assert again is not None and {c for c, kept in zip(shuffled, again, strict=True) if kept} == expected
    assert fit_sample_of(np.array(codes, dtype=object), 0) is None  # 0: all
    assert fit_sample_of(np.array(codes, dtype=object), 5000) is None  # fewer customers than the sample


def test_a_sample_fits_the_models_on_its_customers_and_values_everyone(cdnow_parquet: Path) -> None:
    config = ValueConfig(clv=ClvConfig(purchase_model="bgnbd", bootstrap_samples=0, fit_sample=1000), backtest=False)
    result = value_source(transactions=cdnow_parquet, as_of=CALIBRATION_END, config=config)
    e = result.equity
    assert e.customers_valued == 2357 and e.parameters["fit_sample"] == 1000
    assert all(c.clv_cents is not None for c in result.customers)
    # the BG/NBD fitted by hand on the 1,000 customers of smallest hash, from the CDNOW summary
    ids = np.array([c.customer_id for c in result.customers], dtype=object)
    kept = fit_sample_of(ids, 1000)
    assert kept is not None
    rows = {r[0]: r for r in (line.split() for line in CDNOW.read_text().splitlines() if line.strip())}
    assert set(rows) == set(ids)
    days: dict[str, set[dt.date]] = {}
    for line in CDNOW.read_text().splitlines():
        if line.strip():
            code, _, day, _, _ = line.split()
            when = dt.date(int(day[:4]), int(day[4:6]), int(day[6:]))
            if when <= CALIBRATION_END:  # the purchases up to the as-of date
                days.setdefault(code, set()).add(when)
    chosen = [sorted(days[c]) for c in ids[kept]]
    x = np.array([len(d) - 1 for d in chosen], dtype=float)
    t_x = np.array([(d[-1] - d[0]).days / 7 for d in chosen])
    t_obs = np.array([(CALIBRATION_END - d[0]).days / 7 for d in chosen])
    by_hand = fit_bgnbd(x, t_x, t_obs).params
    fitted = e.parameters["purchases"]
    for name in ("r", "alpha", "a", "b"):
        assert fitted[name] == pytest.approx(getattr(by_hand, name), rel=1e-9)
    # ...whose mean purchase rate r / alpha stays near the fit on the 2,357 (published: r 0.243, alpha 4.414)
    assert fitted["r"] / fitted["alpha"] == pytest.approx(0.243 / 4.414, rel=0.15)


def parameters(equity: Any) -> dict[str, float]:
    purchases, spend = equity.parameters["purchases"], equity.parameters["spend"]["parameters"]
    return {name: purchases[name] for name in ("r", "alpha", "a", "b")} | {k: spend[k] for k in ("p", "q", "v")}


@pytest.mark.spark
def test_duckdb_and_spark_give_the_same_valuation(cdnow_parquet: Path, spark_backend: Any) -> None:  # noqa: F811
    config = ValueConfig(clv=ClvConfig(bootstrap_samples=20))
    on = {
        engine: value_source(transactions=cdnow_parquet, as_of=CALIBRATION_END, config=config, engine=engine)
        for engine in ("duckdb", "spark")
    }
    duck, spark = (on[e].equity for e in ("duckdb", "spark"))
    assert duck.purchase_model == spark.purchase_model and duck.spend_model == spark.spend_model
    for name, value in parameters(duck).items():
        assert parameters(spark)[name] == pytest.approx(value, rel=1e-6), name
    for field in ("total_cents", "low_cents", "high_cents"):
        assert getattr(spark, field) == pytest.approx(getattr(duck, field), rel=1e-6), field
    lines = {c.customer_id: c for c in on["spark"].customers}
    assert len(lines) == len(on["duckdb"].customers) == 2357
    for c in on["duckdb"].customers:
        other = lines[c.customer_id]
        assert (other.revenue_cents, other.abc, other.category, other.quadrant) == (
            c.revenue_cents,
            c.abc,
            c.category,
            c.quadrant,
        )
        assert other.clv_cents == pytest.approx(c.clv_cents, rel=1e-6)
