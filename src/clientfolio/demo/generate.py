"""A realistic, deterministic demo portfolio of a French B2B SME.

``generate_demo`` fills an empty store with the customers, sales, payments,
prospects, sales team and activities of a fictitious distributor of
consumables, equipment and services.  Every draw comes from one
``random.Random(seed)``: the same seed and date give the same store.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

from sqlalchemy import Connection, Table, literal, select, text

from clientfolio.access.principal import SYSTEM
from clientfolio.access.rls import limit_connection
from clientfolio.demo import catalog, pipeline
from clientfolio.demo.identity import CompanyId, Identities, email
from clientfolio.demo.sales import (
    INVOICE_COLUMNS,
    LINE_COLUMNS,
    PAYMENT_COLUMNS,
    Buyer,
    Offered,
    sales_history,
)
from clientfolio.errors import ClientfolioError
from clientfolio.protect.fields import seal_rows
from clientfolio.protect.keys import KeyRing
from clientfolio.store import Store, bulk_insert
from clientfolio.store.schema import (
    Activity,
    Base,
    Contact,
    Customer,
    Invoice,
    InvoiceLine,
    Payment,
    Product,
    ProductLine,
    Prospect,
    Region,
    Segment,
    StageChange,
    User,
    UserScope,
)

__all__ = ["DemoSummary", "generate_demo"]

CHURN = 0.12  # share of customers who stop buying each year
MEDIAN_ANNUAL_CENTS = 600_000  # median yearly revenue of a customer (6 000 EUR)
SIGMA = 1.6  # spread of the lognormal revenue: about 20 % of customers make 80 %
LOSS_MAKING_EVERY = 40  # one customer in 40 is sold below cost ...
BELOW_COST = 0.2  # ... its margin is -20 % of its revenue
PROSPECTS_PER_CUSTOMER = 0.6
STAGES = {"suspect": 0.30, "prospect": 0.22, "cold": 0.16, "warm": 0.12, "hot": 0.08, "won": 0.06, "lost": 0.06}
STAGE_ACTIVITIES = {"suspect": 1, "prospect": 3, "cold": 4, "warm": 8, "hot": 12, "won": 10, "lost": 5}
SOURCES = {
    "network": 0.20,
    "press": 0.08,
    "recommendation": 0.20,
    "bought_file": 0.22,
    "event": 0.12,
    "web": 0.15,
    "other": 0.03,
}
SUBJECTS = {
    "call": ("Point sur les besoins", "Relance devis", "Prise de rendez-vous", "Suivi de commande", "Relance paiement"),
    "email": ("Envoi de devis", "Envoi de documentation", "Proposition commerciale", "Confirmation de rendez-vous"),
    "visit": ("Visite de courtoisie", "Démonstration produit", "Présentation de la gamme", "Visite d'atelier"),
    "meeting": ("Revue de compte annuelle", "Négociation contrat cadre", "Point trimestriel", "Réunion de lancement"),
}
KINDS = {"call": 0.40, "email": 0.30, "visit": 0.18, "meeting": 0.12}
DURATIONS = {"call": (5, 25), "email": None, "visit": (45, 150), "meeting": (30, 120)}
OUTCOMES = (
    "Intéressé, à relancer dans un mois",
    "Devis demandé",
    "Pas de besoin immédiat",
    "Commande confirmée",
    "Rendez-vous fixé",
    "En attente du retour client",
)

DAY = dt.timedelta(days=1)
Rows = list[tuple[Any, ...]]
Newcomer = tuple[int, CompanyId, dt.date, int, int]  # id, identity, start, region, segment


@dataclass(frozen=True)
class DemoSummary:
    """Rows written by ``generate_demo`` (``invoices`` counts credit notes too)."""

    customers: int
    prospects: int
    invoices: int
    lines: int
    payments: int
    activities: int
    users: int


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _size_band(size: float) -> str:
    """Size band of a company whose size, in standard deviations, is ``size``."""
    floors = {"large": 1.6, "medium": 0.6, "small": -0.5}
    return next((band for band, floor in floors.items() if size > floor), "micro")


def _pick(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), list(weights.values()))[0]


@dataclass(frozen=True)
class _Account:
    """A customer or prospect as the contacts and activities need it."""

    customer_id: int | None
    prospect_id: int | None
    owner_id: int
    phone_block: str
    name: str
    weight: float  # expected activities over the last year
    since: dt.date  # no activity before
    contacts: int | None = None  # people on file; None: drawn with the contacts


class _Demo:
    """Draws the rows of every table, in memory and in insertion order."""

    def __init__(self, rng: random.Random, customers: int, years: int, as_of: dt.date) -> None:
        self.rng = rng
        self.as_of = as_of
        self.first_day = _years_before(as_of, years) + DAY
        self.n_customers = customers
        self.years = years
        self.ids = Identities(rng)
        self.tables: list[tuple[Table, tuple[str, ...], Rows]] = []
        self.accounts: list[_Account] = []
        self.owners: dict[str, int] = {}
        self.director_id = 0

    def add(self, model: type[Base], columns: tuple[str, ...], rows: Rows) -> None:
        self.tables.append((Base.metadata.tables[model.__tablename__], columns, rows))

    def build(self) -> list[tuple[Table, tuple[str, ...], Rows]]:
        offer = self._reference()
        self._users()
        buyers, newcomers = self._customers()
        rows = sales_history(self.rng, buyers, offer, self.first_day, self.as_of)
        rows.lines = _below_cost(rows.invoices, rows.lines)
        self._prospects(newcomers)
        self._contacts()
        self._activities()
        self.add(Invoice, INVOICE_COLUMNS, rows.invoices)
        self.add(InvoiceLine, LINE_COLUMNS, rows.lines)
        self.add(Payment, PAYMENT_COLUMNS, rows.payments)
        return self.tables

    def _reference(self) -> list[list[Offered]]:
        cols = ("id", "code", "name")
        self.add(Region, cols, [(i, r.code, r.name) for i, r in enumerate(catalog.REGIONS, 1)])
        self.add(Segment, cols, [(i, s.code, s.name) for i, s in enumerate(catalog.SEGMENTS, 1)])
        self.add(ProductLine, cols, [(i, p.code, p.name) for i, p in enumerate(catalog.PRODUCT_LINES, 1)])
        offer: list[list[Offered]] = []
        products: Rows = []
        for line_id, line in enumerate(catalog.PRODUCT_LINES, 1):
            offer.append([])
            for ref in sorted(line.products, key=lambda p: p.unit_price_cents):
                products.append((len(products) + 1, ref.code, ref.name, line_id, ref.unit_price_cents))
                offer[-1].append((len(products), ref))
        self.add(Product, (*cols, "product_line_id", "unit_price_cents"), products)
        return offer

    def _users(self) -> None:
        users: Rows = []
        scopes: Rows = []
        for user_id, (username, display, role, regions) in enumerate(catalog.USERS, 1):
            users.append((user_id, username, display, f"{username}@{catalog.COMPANY[2]}", role, True))
            for code in regions:
                scopes.append((len(scopes) + 1, user_id, "region", code))
                self.owners[code] = user_id
            if role == "manager":
                self.director_id = user_id
        self.add(User, ("id", "username", "display_name", "email", "role", "is_active"), users)
        self.add(UserScope, ("id", "user_id", "dimension", "code"), scopes)

    def _customers(self) -> tuple[list[Buyer], list[Newcomer]]:
        """Customer rows; their buyers, and those who started in the last year,
        newest first."""
        rng, as_of = self.rng, self.as_of
        hazard = -math.log(1 - CHURN)  # newcomers replace the lost at this yearly rate
        founders = max(1, round(self.n_customers / (1 + hazard * self.years)))
        span = (as_of - self.first_day).days
        drafts = []
        for i in range(self.n_customers):
            if i < founders:
                start = self.first_day
                created = start - rng.randint(30, 15 * 365) * DAY
            else:
                start = self.first_day + rng.randint(1, span) * DAY
                if start.weekday() >= 5 and start + 2 * DAY <= as_of:
                    start += (7 - start.weekday()) * DAY
                created = start - rng.randint(0, 60) * DAY
            stop = start + max(1, round(rng.expovariate(hazard) * 365.25)) * DAY
            drafts.append((created, i, start, stop if stop <= as_of else None))
        drafts.sort()
        customers: Rows = []
        buyers: list[Buyer] = []
        newcomers: list[Newcomer] = []
        line_w = [s.line_weights for s in catalog.SEGMENTS]
        # stratified draws of the revenue quantile: the 80/20 shape holds on few customers
        zs = [NormalDist().inv_cdf((i + 0.2 + 0.6 * rng.random()) / len(drafts)) for i in range(len(drafts))]
        rng.shuffle(zs)
        for cid, (z, (created, _, start, end)) in enumerate(zip(zs, drafts, strict=True), 1):
            r = rng.choices(range(len(catalog.REGIONS)), [x.weight for x in catalog.REGIONS])[0]
            s = rng.choices(range(len(catalog.SEGMENTS)), [x.weight for x in catalog.SEGMENTS])[0]
            region, segment = catalog.REGIONS[r], catalog.SEGMENTS[s]
            company = self.ids.company(region, segment)
            annual = MEDIAN_ANNUAL_CENTS * math.exp(SIGMA * z)
            if end is None:
                status = "active"
            else:
                status = "inactive" if (as_of - end).days < 540 else "lost"
            potential = max(annual * 1.05, annual * rng.lognormvariate(0.45, 0.6))
            customers.append(
                (
                    cid,
                    f"C{cid:05d}",
                    company.name,
                    company.siren,
                    company.siret,
                    company.activity.naf_code,
                    company.activity.sector,
                    _size_band(z + rng.gauss(0, 0.45)),
                    r + 1,
                    s + 1,
                    company.address,
                    company.postal_code,
                    company.city,
                    "FR",
                    created.isoformat(),
                    status,
                    round(potential),
                    self.owners[region.code],
                )
            )
            buyers.append(self._buyer(cid, start, end, annual, z, line_w[s]))
            self.accounts.append(
                _Account(
                    cid,
                    None,
                    self.owners[region.code],
                    region.phone_block,
                    company.name,
                    0.3 if status == "lost" else 1.5 + 1.2 * max(0.0, z + 1),
                    start,
                )
            )
            if start > self.first_day and (as_of - start).days < 365:
                newcomers.append((cid, company, start, r + 1, s + 1))
        self.add(
            Customer,
            (
                "id",
                "code",
                "name",
                "siren",
                "siret",
                "naf_code",
                "sector",
                "size_band",
                "region_id",
                "segment_id",
                "address",
                "postal_code",
                "city",
                "country",
                "created_on",
                "status",
                "potential_cents",
                "owner_id",
            ),
            customers,
        )
        newcomers.sort(key=lambda n: (n[2], n[0]), reverse=True)
        return buyers, newcomers

    def _buyer(
        self, cid: int, start: dt.date, end: dt.date | None, annual: float, z: float, segment_lines: tuple[float, ...]
    ) -> Buyer:
        rng = self.rng
        profile = rng.choices(
            ("very_regular", "regular", "cyclical", "declining"), (0.18 + 0.25 * (z > 0.8), 0.40, 0.27, 0.12)
        )[0]
        top = max(segment_lines)
        weights = tuple(
            w * rng.lognormvariate(0, 0.5) if w == top or (w > 0 and rng.random() < 0.25 + 1.2 * w) else 0.0
            for w in segment_lines
        )
        terms = rng.choices((30, 45, 60), (0.40, 0.35, 0.25))[0]
        payer = rng.random()
        if payer < 0.18:  # late payer
            delay, default = (rng.randint(20, 35), rng.randint(45, 90)), 0.03
        else:
            delay, default = ((2 - terms, 12 - terms) if payer < 0.30 else (-7, 5)), 0.0
        return Buyer(
            id=cid,
            start=start,
            end=end,
            annual_cents=annual,
            profile=profile,
            extra_orders=min(3.0, max(0.0, 0.4 + 0.5 * z + rng.random())),
            seasons=tuple(sorted(rng.sample((1, 2, 3, 4), rng.choice((1, 2))))),
            line_weights=weights,
            discount=min(0.15, max(0.0, 0.03 + 0.03 * z + rng.gauss(0, 0.02))),
            terms=terms,
            pay_delay=delay,
            default_rate=default,
        )

    def _prospects(self, newcomers: list[Newcomer]) -> None:
        rng, as_of = self.rng, self.as_of
        count = max(len(STAGES), round(self.n_customers * PROSPECTS_PER_CUSTOMER))
        stages = list(STAGES) + [_pick(rng, STAGES) for _ in range(count - len(STAGES))]
        rng.shuffle(stages)
        aims = list(pipeline.CELLS)  # the first open prospects fill every cell of the matrix
        prospects: Rows = []
        moves: Rows = []
        for pid, stage in enumerate(stages, 1):
            customer_id, closed_on = None, None
            if stage == "won" and newcomers:
                customer_id, company, closed_on, region_id, segment_id = newcomers.pop(0)
                created = closed_on - rng.randint(30, 200) * DAY
            else:
                region_id = rng.choices(range(1, len(catalog.REGIONS) + 1), [x.weight for x in catalog.REGIONS])[0]
                segment_id = rng.randint(1, len(catalog.SEGMENTS))
                company = self.ids.company(catalog.REGIONS[region_id - 1], catalog.SEGMENTS[segment_id - 1])
                created = as_of - rng.randint(7, 540 if stage == "suspect" else 730) * DAY
            region = catalog.REGIONS[region_id - 1]
            aim = aims.pop(0) if aims and stage not in ("won", "lost") else None
            q = pipeline.qualify(rng, stage, as_of, aim)
            lost_at = _pick(rng, pipeline.LOST_FROM) if stage == "lost" else None
            owner = self.owners[region.code]
            for before, after, day in pipeline.stage_path(
                rng, stage, created, as_of, closed_on=closed_on, lost_at=lost_at
            ):
                moves.append(
                    (
                        len(moves) + 1,
                        pid,
                        before,
                        after,
                        day.isoformat(),
                        self.director_id if rng.random() < 0.12 else owner,
                    )
                )
            prospects.append(
                (
                    pid,
                    f"P{pid:05d}",
                    company.name,
                    company.siren,
                    company.activity.naf_code,
                    company.activity.sector,
                    _size_band(
                        math.log(q.potential_cents / pipeline.MEDIAN_POTENTIAL_CENTS) / 1.2 + rng.gauss(0, 0.45)
                    ),
                    region_id,
                    segment_id,
                    company.city,
                    stage,
                    _pick(rng, SOURCES),
                    q.potential_cents,
                    q.accessibility_score,
                    q.potential_score,
                    q.has_project,
                    q.last_similar_purchase_on and q.last_similar_purchase_on.isoformat(),
                    q.contact_knowledge,
                    q.receptivity,
                    q.timing,
                    _pick(rng, pipeline.LOST_REASONS) if stage == "lost" else None,
                    created.isoformat(),
                    owner,
                    customer_id,
                )
            )
            self.accounts.append(
                _Account(
                    None, pid, owner, region.phone_block, company.name, STAGE_ACTIVITIES[stage], created, q.contacts
                )
            )
        self.add(
            Prospect,
            (
                "id",
                "code",
                "name",
                "siren",
                "naf_code",
                "sector",
                "size_band",
                "region_id",
                "segment_id",
                "city",
                "stage",
                "source",
                "potential_cents",
                "accessibility_score",
                "potential_score",
                "has_project",
                "last_similar_purchase_on",
                "contact_knowledge",
                "receptivity",
                "timing",
                "lost_reason",
                "created_on",
                "owner_id",
                "customer_id",
            ),
            prospects,
        )
        self.add(StageChange, ("id", "prospect_id", "from_stage", "to_stage", "changed_on", "user_id"), moves)

    def _contacts(self) -> None:
        rng = self.rng
        contacts: Rows = []
        for acc in self.accounts:
            if acc.contacts is not None:  # a prospect, drawn with its qualification
                count = acc.contacts
            else:
                count = 1 + (acc.weight > 3 or rng.random() < 0.3)
            for n in range(count):
                first, last = self.ids.person()
                block = acc.phone_block if n == 0 else catalog.MOBILE_BLOCK
                contacts.append(
                    (
                        len(contacts) + 1,
                        acc.customer_id,
                        acc.prospect_id,
                        f"{first} {last}",
                        rng.choice(catalog.FUNCTIONS),
                        email(first, last, acc.name),
                        self.ids.phone(block),
                    )
                )
        self.add(Contact, ("id", "customer_id", "prospect_id", "name", "function", "email", "phone"), contacts)

    def _activities(self) -> None:
        rng, as_of = self.rng, self.as_of
        year_ago = as_of - 364 * DAY
        rows: Rows = []
        for acc in self.accounts:
            since = max(year_ago, acc.since)
            n = round(acc.weight * rng.uniform(0.5, 1.5))
            for _ in range(n):
                kind = _pick(rng, KINDS)
                day = since + rng.randint(0, (as_of - since).days) * DAY
                span = DURATIONS[kind]
                rows.append(
                    (
                        len(rows) + 1,
                        kind,
                        day.isoformat(),
                        acc.customer_id,
                        acc.prospect_id,
                        self.director_id if rng.random() < 0.12 else acc.owner_id,
                        rng.choice(SUBJECTS[kind]),
                        rng.choice(OUTCOMES) if rng.random() < 0.7 else None,
                        rng.randint(*span) if span else None,
                    )
                )
        rows.sort(key=lambda a: (a[2], a[0]))
        rows = [(i, *row[1:]) for i, row in enumerate(rows, 1)]
        self.add(
            Activity,
            (
                "id",
                "kind",
                "occurred_on",
                "customer_id",
                "prospect_id",
                "user_id",
                "subject",
                "outcome",
                "duration_minutes",
            ),
            rows,
        )


def _below_cost(invoices: Rows, lines: Rows) -> Rows:
    """``lines`` with the margin of the customers whose id is a multiple of
    ``LOSS_MAKING_EVERY`` set to ``-BELOW_COST`` x the amount (the plan suggests
    reconsidering them); no draw, so the rest of the portfolio is unchanged."""
    losing = {doc[0] for doc in invoices if doc[2] % LOSS_MAKING_EVERY == 0}
    return [(*line[:7], -round(line[6] * BELOW_COST)) if line[1] in losing else line for line in lines]


def _check_empty(conn: Connection) -> None:
    for table in Base.metadata.sorted_tables:
        if conn.execute(select(literal(1)).select_from(table).limit(1)).first():
            raise ClientfolioError(
                "the store is not empty (table {table} has rows): the demo "
                "portfolio can only be generated into a new, empty store",
                table=table.name,
            )


def generate_demo(
    store: Store,
    *,
    customers: int = 300,
    years: int = 4,
    seed: int = 7,
    as_of: dt.date | None = None,
    ring: KeyRing | None = None,
) -> DemoSummary:
    """Fill the empty ``store`` with a demo portfolio of ``customers`` customers
    (those lost and won along the way included) and ``years`` years of sales
    ending at ``as_of`` (default today), drawn from ``seed``; the sensitive
    fields are encrypted with ``ring`` (kept plain without one)."""
    if customers < 1 or years < 1:
        raise ClientfolioError("the demo needs at least one customer and one year")
    demo = _Demo(random.Random(seed), customers, years, as_of or dt.date.today())
    with store.begin() as conn:
        limit_connection(conn, SYSTEM.scope)  # the demo writes every region
        _check_empty(conn)
        tables = demo.build()
        for table, columns, rows in tables:
            if ring is not None:
                columns, rows = seal_rows(ring, table.name, columns, rows)
            bulk_insert(conn, table, columns, rows)
        if conn.dialect.name == "postgresql":
            for table, _, _ in tables:
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                        f"(SELECT COALESCE(MAX(id), 1) FROM {table.name}))"
                    )
                )
    store.refresh_statistics()
    count = {table.name: len(rows) for table, _, rows in tables}
    return DemoSummary(
        customers=count["customers"],
        prospects=count["prospects"],
        invoices=count["invoices"],
        lines=count["invoice_lines"],
        payments=count["payments"],
        activities=count["activities"],
        users=count["users"],
    )
