"""A sales rep's figures are of the company's day (``PortfolioReader.scoped_day``),
not of its own region's last sale: the same as-of date as the company's, and
the same lifetime value of each of its customers as the company sees."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy import func, select

from clientfolio.access import SYSTEM, PortfolioReader
from clientfolio.analytics.run import analyze_source
from clientfolio.plan.run import gather
from clientfolio.prospects.run import prospects_view
from clientfolio.protect.users import principal_for
from clientfolio.store import Store
from clientfolio.store.schema import Customer, Invoice, InvoiceLine, Product, Region


def test_a_reps_figures_are_of_the_companys_day(demo_copy: Callable[..., str]) -> None:
    store = Store(demo_copy())
    rep = principal_for(store, "jleroy")
    regions = rep.scope.regions
    assert regions
    with store.session() as s:
        last = s.scalar(select(func.max(Invoice.issued_on)))
        assert isinstance(last, dt.date)
        outside = s.scalars(
            select(Customer).join(Region, Customer.region_id == Region.id).where(Region.code.not_in(regions))
        ).first()
        product = s.scalars(select(Product).order_by(Product.code)).first()
        assert outside is not None and product is not None
        # the company sells three days after the rep's region last did
        invoice = Invoice(number="LATER-1", customer_id=outside.id, issued_on=last + dt.timedelta(days=3))
        s.add(invoice)
        s.flush()
        s.add(InvoiceLine(invoice_id=invoice.id, line_no=1, product_id=product.id, amount_cents=50_000))
        s.commit()
    later = last + dt.timedelta(days=3)
    assert PortfolioReader(store, rep).latest_sale_date() == last
    assert PortfolioReader(store, rep).scoped_day() == later
    assert PortfolioReader(store, SYSTEM).scoped_day() is None  # its own last sale is the day
    assert analyze_source(store=store, reader=PortfolioReader(store, rep)).as_of == later

    company, mine = gather(store, SYSTEM, interval=False), gather(store, rep, interval=False)
    assert company.as_of == mine.as_of == later
    assert prospects_view(store, rep).as_of == later  # the rep's prospects page too
    seen = {c.customer_id: c for c in company.value.customers}
    assert mine.value.customers
    for customer in mine.value.customers:
        assert customer.clv_cents == seen[customer.customer_id].clv_cents, customer.customer_id
        assert customer.p_alive == seen[customer.customer_id].p_alive, customer.customer_id
    store.dispose()
