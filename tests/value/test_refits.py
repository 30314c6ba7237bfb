"""The bootstrap's refits kept for the next valuation of the same portfolio
(``value.refits``): a sales rep's valuation after the owner's reuses the
portfolio's refits and finds the numbers it finds alone; new data or other
settings refit; the store of refits stays within its bounds; the web app's
figures of every scope share one."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest
from sqlalchemy import func, select

from clientfolio.access import SYSTEM, PortfolioReader, Principal
from clientfolio.protect.users import principal_for
from clientfolio.store import Store
from clientfolio.store.schema import Customer, Invoice, InvoiceLine, Product
from clientfolio.value import PortfolioValue, ValueConfig, value_source
from clientfolio.value import clv as clv_module
from clientfolio.value import run as value_run
from clientfolio.value.refits import Refits, refit_key
from clientfolio.web.figures import FigureCache, compute_figures
from tests.browser.staff import RING

CONFIG = ValueConfig.model_validate({"clv": {"bootstrap_samples": 12}})


@pytest.fixture
def demo(demo_copy: Callable[..., str]) -> Iterator[Store]:
    store = Store(demo_copy())
    yield store
    store.dispose()


def counted(monkeypatch: pytest.MonkeyPatch, module: object, name: str) -> list[int]:
    """The calls of ``module.name`` from now on, counted: ``[n]``."""
    count = [0]
    real = getattr(module, name)

    def counting(*args: Any, **kwargs: Any) -> Any:
        count[0] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, counting)
    return count


@pytest.fixture
def fits(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The purchase model's fits, counted: ``[n]``."""
    return counted(monkeypatch, clv_module, "fit_bgnbd")


def valued(store: Store, who: Principal, refits: Refits | None, config: ValueConfig = CONFIG) -> PortfolioValue:
    return value_source(store=store, reader=PortfolioReader(store, who), config=config, refits=refits)


def interval(value: PortfolioValue) -> tuple[Any, ...]:
    e = value.equity
    return e.total_cents, e.low_cents, e.high_cents, e.interval_method


def add_sale(store: Store) -> None:
    """A sale to the first customer on the day of the last one."""
    with store.session() as s:
        customer = s.scalars(select(Customer).order_by(Customer.code)).first()
        product = s.scalars(select(Product).order_by(Product.code)).first()
        assert customer is not None and product is not None
        last = s.scalar(select(func.max(Invoice.issued_on)))
        assert isinstance(last, dt.date)
        invoice = Invoice(number="REFIT-1", customer_id=customer.id, issued_on=last, kind="invoice")
        s.add(invoice)
        s.flush()
        s.add(InvoiceLine(invoice_id=invoice.id, line_no=1, product_id=product.id, amount_cents=123_456))
        s.commit()


def test_a_reps_valuation_after_the_owners_reuses_its_refits(demo: Store, fits: list[int]) -> None:
    rep, refits = principal_for(demo, "jleroy"), Refits()
    alone = valued(demo, rep, None)
    refitted = fits[0]  # the point fits and the twelve refits
    assert refitted >= 12 and alone.equity.interval_method == "bootstrap"
    whole = valued(demo, SYSTEM, refits)
    assert fits[0] == 2 * refitted  # the same fits for the whole portfolio
    again = valued(demo, rep, refits)
    # neither the portfolio's point fits nor its refits again: only the fits of the rep's own
    # customers' past (the trajectories), both purchase models, kept from now on
    assert fits[0] == 2 * refitted + 2
    assert valued(demo, rep, refits) == again and fits[0] == 2 * refitted + 2
    # the same numbers as alone, to the last bit; the rep's total is its customers' share
    assert interval(again) == interval(alone)
    assert again.customers == alone.customers and again.prospects == alone.prospects
    assert again.equity.low_cents is not None and whole.equity.low_cents is not None
    assert again.equity.total_cents < whole.equity.total_cents
    assert again.equity.low_cents < whole.equity.low_cents


def test_new_data_or_other_settings_refit(demo: Store, fits: list[int]) -> None:
    refits = Refits()
    first = valued(demo, SYSTEM, refits)
    refitted = fits[0]
    valued(demo, SYSTEM, refits)
    assert fits[0] == refitted
    valued(demo, SYSTEM, None)  # none given: nothing kept nor found
    assert fits[0] == 2 * refitted and len(refits) == 3  # the refits and the point fits (now and past)
    # another seed: other resamples, another interval (and the point fits again: other settings)
    seeded = CONFIG.model_copy(update={"clv": CONFIG.clv.model_copy(update={"bootstrap_seed": 7})})
    other = valued(demo, SYSTEM, refits, seeded)
    assert fits[0] == 3 * refitted
    assert interval(other) != interval(first)
    add_sale(demo)  # a new sale changes a customer's history
    before = fits[0]
    valued(demo, SYSTEM, refits)
    # the refits and the point fit again; the past's, a window before the sale, found
    assert fits[0] == before + refitted - 2 and len(refits) == 8


def test_the_kept_refits_stay_within_bounds() -> None:
    refits = Refits(max_floats=10)
    six = [np.ones(3), None, np.ones(3)]
    refits.put("a", six)
    refits.put("b", [np.ones(4)])
    assert len(refits) == 2
    assert refits.get("a") is not None  # now the most recently used
    refits.put("c", [np.ones(4)])  # 14 numbers: "b" goes
    assert refits.get("b") is None and refits.get("a") is not None and refits.get("c") is not None
    refits.put("d", [np.ones(11)])  # larger than the whole store: not kept
    assert refits.get("d") is None and len(refits) == 2
    # a point fit, or a read, is kept only in the room left: never at the expense of refits
    refits.put_point("p", "a point fit", 1)  # "a" and "c" hold the 10 numbers
    assert refits.get_point("p") is None and len(refits) == 2
    refits.put("e", [np.ones(2)])  # refits drop the least recently used: "a"
    refits.put_point("q", "a point fit", 4)  # 10 numbers in all
    assert refits.get("a") is None and refits.get_point("q") == "a point fit" and len(refits) == 3
    view = refits.of_data(1)
    assert view.read_once("r", lambda: "read", lambda _: 1) == "read" and len(refits) == 3  # no room: not kept
    refits.put("f", [np.ones(3)])  # drops "c", the least recently used
    assert refits.get("c") is None and refits.get_point("q") is not None
    assert view.read_once("r", lambda: "read again", lambda _: 1) == "read again"
    assert view.read_once("r", lambda: "not read", lambda _: 1) == "read again"  # kept this time
    assert refits.of_data(2).read_once("r", lambda: "other data", lambda _: 1) == "other data"
    assert Refits().read_once("r", lambda: "no version", lambda _: 1) == "no version"


def test_the_key_holds_every_input() -> None:
    a, b = np.arange(4.0), np.arange(4.0)
    assert refit_key([a], CONFIG) == refit_key([b], CONFIG)
    assert refit_key([a], CONFIG) != refit_key([a.astype(np.float32)], CONFIG)
    assert refit_key([a], CONFIG) != refit_key([a[:3]], CONFIG)
    assert refit_key([a], CONFIG) != refit_key([a], CONFIG.model_copy(update={"window_months": 6}))
    assert refit_key([a, b], "x") != refit_key([np.concatenate([a, b])], "x")


def test_the_figures_of_every_scope_share_one_bootstrap(demo: Store, fits: list[int]) -> None:
    cache = FigureCache(600)
    rep = principal_for(demo, "jleroy")
    whole = cache.get(demo, principal_for(demo, "pbernard"), RING)
    refitted = fits[0]
    figures = cache.get(demo, rep, RING)
    # one bootstrap's refits and one point fit for both scopes, the past fit of each scope's own
    # customers, and the whole portfolio's histories the rep's models are fitted on
    assert whole is not None and figures is not None and len(cache.refits) == 5
    shared = fits[0] - refitted
    assert shared == 2  # the rep's past fit (both purchase models) only
    alone = compute_figures(demo, rep, RING)  # no refits given: its own bootstrap
    assert alone is not None and fits[0] - refitted - shared > shared
    assert interval(figures.inputs.value) == interval(alone.inputs.value)


def test_the_scopes_read_the_whole_portfolios_histories_once_per_data(
    demo: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two reps' figures fit their models on the whole portfolio's histories, read
    once for both; after a new sale, read again."""
    reads = counted(monkeypatch, value_run, "population_histories")
    cache = FigureCache(600)
    first, second = principal_for(demo, "jleroy"), principal_for(demo, "sgirard")
    assert first.scope != second.scope
    assert cache.get(demo, first, RING) is not None
    figures = cache.get(demo, second, RING)
    assert figures is not None and reads[0] == 1
    alone = compute_figures(demo, second, RING)  # its own reading (of the table), its own fits
    assert alone is not None
    assert figures.inputs.value.customers == alone.inputs.value.customers
    assert interval(figures.inputs.value) == interval(alone.inputs.value) and reads[0] == 1
    add_sale(demo)
    assert cache.get(demo, first, RING) is not None and reads[0] == 2
