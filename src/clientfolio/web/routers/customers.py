"""The customer list (``/customers``: search, filters by class, RFM profile,
category and region, sort, pagination) and the customer page
(``/customers/{code}``: an audited read; 404 alike for an unknown customer
and for one outside the user's need-to-know scope)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select

from clientfolio.access import PipelineReader, PortfolioReader, Principal
from clientfolio.i18n import gettext_for
from clientfolio.plan.records import plan_actions
from clientfolio.protect.keys import KeyRing
from clientfolio.store.schema import Activity, Customer, Invoice, InvoiceLine, Payment, User
from clientfolio.web.build import SORTS, TERMS, customer_detail, customer_list, customer_rows
from clientfolio.web.charts import customer_chart
from clientfolio.web.deps import PrincipalDep, RingDep, ViewDep
from clientfolio.web.figures import CodeNames, Figures, code_names
from clientfolio.web.models import CustomerDetail, CustomerList, TimelineEvent
from clientfolio.web.render import page, wants_json
from clientfolio.web.state import WebState

__all__ = ["ListQuery", "ListQueryDep", "customer_page_of", "list_of", "names_of", "router", "timeline_of"]

router = APIRouter(include_in_schema=False)

_SORT_PATTERN = f"^-?({'|'.join(SORTS)})$"


class ListQuery(BaseModel):
    """The customer list's query string."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    q: str | None = Field(None, max_length=100, description="Text searched in the code and the name.")
    abc: str | None = Field(None, pattern="^[ABC]?$", description="ABC class.")
    profile: str | None = Field(None, max_length=40, description="RFM profile (very_regular, ...).")
    category: str | None = Field(None, max_length=40, description="Crossed ABC category (vip, core, ...).")
    region: str | None = Field(None, max_length=40, description="Region code.")
    sort: str = Field("code", pattern=_SORT_PATTERN, description="Column to sort on; a leading - sorts descending.")
    page: int = Field(1, ge=1, description="Page number, from 1.")
    per_page: int = Field(25, ge=1, le=200, description="Rows per page.")


ListQueryDep = Annotated[ListQuery, Query()]


def list_of(state: WebState, principal: Principal, ring: KeyRing, query: ListQuery, lang: str) -> CustomerList:
    """The page of the customer list that ``query`` asks for, of what ``principal`` sees."""
    figures = state.figures.get(state.store, principal, ring)
    names = names_of(state, principal, figures)
    rows = customer_rows(PortfolioReader(state.store, principal).accounts(prospects=False), figures, lang, names)
    return customer_list(
        rows,
        q=query.q,
        filters={k: getattr(query, k) or None for k in ("abc", "profile", "category", "region")},
        sort=query.sort,
        page=query.page,
        per_page=query.per_page,
        lang=lang,
        names=names,
    )


def names_of(state: WebState, principal: Principal, figures: Figures | None) -> CodeNames:
    """The names of the regions, segments and product lines (kept with the figures)."""
    if figures is None:
        return code_names(state.store, principal)
    return figures.view(("names",), lambda: code_names(state.store, principal))


def timeline_of(reader: PortfolioReader, code: str, lang: str) -> list[TimelineEvent]:
    """Customer ``code``'s invoices, payments and activities (made and
    planned) in one stream, newest first (nothing when the principal may not
    see it)."""
    _ = gettext_for(lang)
    events: list[TimelineEvent] = []
    mine = (Customer.code == code, reader.visible(Customer))
    with reader.connect() as conn:
        invoices = conn.execute(
            select(Invoice.number, Invoice.issued_on, Invoice.kind, func.sum(InvoiceLine.amount_cents))
            .join(Customer, Customer.id == Invoice.customer_id)
            .outerjoin(InvoiceLine, InvoiceLine.invoice_id == Invoice.id)
            .where(*mine)
            .group_by(Invoice.id, Invoice.number, Invoice.issued_on, Invoice.kind)
        ).all()
        payments = conn.execute(
            select(Invoice.number, Payment.paid_on, Payment.amount_cents)
            .join(Invoice, Invoice.id == Payment.invoice_id)
            .join(Customer, Customer.id == Invoice.customer_id)
            .where(*mine)
        ).all()
        activities = conn.execute(
            select(Activity.id, Activity.kind, Activity.occurred_on, Activity.subject, User.username, Activity.planned)
            .join(Customer, Customer.id == Activity.customer_id)
            .outerjoin(User, User.id == Activity.user_id)
            .where(*mine)
        ).all()
    for number, day, kind, cents in invoices:
        label = _("Credit note {number}") if kind == "credit_note" else _("Invoice {number}")
        events.append(
            TimelineEvent(
                occurred_on=day,
                kind=kind,
                label=label.format(number=number),
                amount_cents=None if cents is None else int(cents),
            )
        )
    for number, day, paid in payments:
        events.append(
            TimelineEvent(
                occurred_on=day,
                kind="payment",
                label=_("Payment of {number}").format(number=number),
                amount_cents=paid,
            )
        )
    for _id, kind, day, subject, user, planned in activities:
        events.append(
            TimelineEvent(
                occurred_on=day, kind=kind, label=_(TERMS.get(kind, kind)), note=subject, user=user, planned=planned
            )
        )
    order = {"invoice": 0, "credit_note": 0, "payment": 1}
    events.sort(key=lambda e: (e.occurred_on, order.get(e.kind, 2)), reverse=True)
    return events


def customer_page_of(state: WebState, principal: Principal, ring: KeyRing, code: str, lang: str) -> CustomerDetail:
    """The page of customer ``code`` (the read is audited); 404 when the
    principal may not see it or it does not exist."""
    reader = PipelineReader(state.store, principal)
    customer = reader.customer(code, chain_key=ring.subkey("audit"), ring=ring)
    if customer is None:
        raise HTTPException(404, "No such customer.")
    account = next(iter(reader.accounts(code, prospects=False)), None)
    figures = state.figures.get(state.store, principal, ring)
    year = figures.inputs.as_of.year if figures is not None else dt.date.today().year
    detail = customer_detail(
        customer,
        account,
        figures,
        reader.contacts(code, ring),
        reader.activities(customer_code=code),
        plan_actions(state.store, principal, year, ring=ring),
        lang,
        names_of(state, principal, figures),
    )
    return detail.model_copy(update={"timeline": timeline_of(reader, code, lang)})


@router.get("/customers")
def customers_page(view: ViewDep, principal: PrincipalDep, ring: RingDep, query: ListQueryDep) -> Response:
    """The customer list page."""
    return page(view, "customers.html", list_of(view.state, principal, ring, query, view.lang))


@router.get("/customers/{code}")
def customer_page(view: ViewDep, principal: PrincipalDep, ring: RingDep, code: str) -> Response:
    """A customer's page."""
    data = customer_page_of(view.state, principal, ring, code, view.lang)
    chart = "" if wants_json(view.request) else customer_chart(data, view._, view.fmt)
    return page(view, "customer.html", data, html={"chart": chart, "today": dt.date.today()})
