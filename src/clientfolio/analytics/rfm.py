"""RFM: recency, frequency, amount, and the purchase code by quarter
(*matrice RFM*, DOMAIN.md section 6, seed 002).

For each customer, each of the last N quarters says whether it bought (1) or
not (0): the seed's customer bought nothing in periods 1 and 2, 100 K€ in
period 3 and 230 K€ in period 4, so its code is ``0011``.  The code and the date
of the first purchase give the customer's profile (*très réguliers, réguliers,
cycliques, à fidéliser ou en perte de vitesse, nouveaux, inactifs*), and each
profile comes with the action to take.  The profile rules are data
(``RfmConfig.rules``): an ordered list, the first rule that matches wins, and a
customer matched by none gets ``RfmConfig.fallback``.

Definitions (``as_of`` is the analysis date, N = ``RfmConfig.quarters``):

- **Quarters** are rolling three-month windows ending at ``as_of``, oldest
  first: quarter N is ``(as_of - 3 months, as_of]``, quarter N-1 is
  ``(as_of - 6 months, as_of - 3 months]`` … quarter 1 is
  ``(as_of - 3N months, as_of - 3(N-1) months]``.  "- k months" keeps the day of
  month, clamped to the end of a shorter month (31 May - 3 months = 28/29
  February).  The boundaries are computed in Python and compared as literal
  dates, so every engine cuts at the same day.  The N quarters are "the window".
- **Purchase**: an invoice (``customer_id, invoice_id``) whose net amount (sum
  of its lines) is positive; it is dated by its positive lines (the latest
  purchase by its latest one, the first purchase by its earliest: the same day
  unless an invoice's lines carry different dates).  A credit note is a separate invoice
  number with negative lines: it is never a purchase, and it does not undo the
  purchase it credits (that purchase still counts for recency and frequency),
  but it lowers the amounts.
- ``recency_days`` = ``as_of`` - date of the last purchase up to ``as_of`` (any
  time, not only in the window); NULL when the customer has no purchase at all
  (only credit notes).
- ``frequency`` = number of purchases with a line dated in the window.
- ``monetary_cents`` = net amount (invoices and credit notes) of the lines
  dated in the window.
- ``amount_q1`` … ``amount_qN`` = net amount of the lines dated in each quarter.
- ``quarters`` = the purchase code, N characters, character k is ``1`` when
  ``amount_qk > 0`` (the customer bought more than it was credited in that
  quarter), else ``0``.
- Scores ``r``, ``f``, ``m`` = ``NTILE(5) + 1 … 5`` over all the customers of the
  result, higher is better, ties broken by ``customer_id`` (ascending: among
  equal values the smaller code gets the lower or equal score):

  - ``r``: ``NTILE(5) OVER (ORDER BY recency_days DESC, customer_id)``,
    customers without a purchase counted as the least recent;
  - ``f``: ``NTILE(5) OVER (ORDER BY frequency, customer_id)``;
  - ``m``: ``NTILE(5) OVER (ORDER BY monetary_cents, customer_id)``.

  NTILE makes buckets of equal size (the first ``n mod 5`` one larger), so with
  fewer than five customers the scores go 1 … n.  The tie-break follows the
  engine's string order: the same everywhere for codes of ASCII letters and
  digits in one case; PostgreSQL with a linguistic collation may order mixed
  case or punctuation differently.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Mapping
from functools import reduce
from itertools import pairwise
from types import MappingProxyType
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from clientfolio.analytics.customer_totals import CustomerNeeds, Span, customer_totals, settle_purchases
from clientfolio.errors import RuleError
from clientfolio.i18n import N_, gettext_for
from clientfolio.periods import months_before

if TYPE_CHECKING:
    import ibis.expr.types as ir

__all__ = [
    "RFM_PROFILES",
    "Condition",
    "RfmConfig",
    "RfmProfile",
    "RfmRule",
    "quarter_bounds",
    "rfm",
    "rfm_needs",
    "rfm_of_totals",
]

Condition = Literal["no_quarter", "every_quarter", "at_least", "first_purchase_within", "fading", "gap"]
"""The vocabulary of profile conditions (N = number of quarters, code = purchase code):

- ``no_quarter``: no quarter bought, code all ``0`` (``0000``);
- ``every_quarter``: every quarter bought, code all ``1`` (``1111``);
- ``at_least``: at least ``k`` of the N quarters bought;
- ``first_purchase_within``: the customer's first purchase ever is dated in the
  last ``k`` quarters (after ``as_of - 3k months``); needs the history before
  the window: when the data starts inside the window, everyone looks new;
- ``fading``: more quarters bought in the first half of the window than in the
  second half (halves of N // 2 quarters; with N odd the middle quarter is in
  neither): ``1100``, ``1000``, ``0100`` (``1110`` too, unless a rule before
  catches it);
- ``gap``: a quarter not bought between two bought ones (a ``1``, then one or
  more ``0``, then a ``1``): ``1010``, ``0101``, ``1001``, ``1011`` …
"""

_WITH_K: frozenset[str] = frozenset({"at_least", "first_purchase_within"})


class RfmProfile(BaseModel):
    """A profile's name and recommended action: English messages of the
    catalogs for the default profiles (French in ``i18n/fr``), translated
    where shown (``label_in``, ``action_in``); a profile the settings define
    gives its own texts, shown as written."""

    model_config = ConfigDict(frozen=True)

    key: str
    label: str
    action: str

    def label_in(self, lang: str) -> str:
        """The profile's name in ``lang`` (a user's own text as written)."""
        return gettext_for(lang)(self.label)

    def action_in(self, lang: str) -> str:
        """The recommended action in ``lang`` (a user's own text as written)."""
        return gettext_for(lang)(self.action)


def _legacy_text(english: object, french: object) -> object:
    """One text from the former pair of a rule (``label_en``/``label_fr``): the
    English when the catalog gives it that French (a message of the product,
    translated both ways), else the French as the user wrote it."""
    if isinstance(english, str) and (french is None or gettext_for("fr")(english) == french):
        return english
    return french if french is not None else english


class RfmRule(BaseModel):
    """One profile rule: when the condition holds, the customer gets ``profile``."""

    model_config = ConfigDict(frozen=True)

    profile: str = Field(description="Profile key given to the customers this rule matches.")
    when: Condition = Field(description="Condition on the purchase code / first purchase date (see Condition).")
    k: int | None = Field(
        None, ge=1, description="Number of quarters for 'at_least' and 'first_purchase_within'; unset otherwise."
    )
    label: str = Field(
        description="Profile name: the default profiles' English names are translated; your own text is "
        "shown as written.",
        json_schema_extra={"translated": True},  # shown in the reader's language (clientfolio.config)
    )
    action: str = Field(
        description="Recommended action: the default profiles' are translated; your own text is shown as written.",
        json_schema_extra={"translated": True},  # shown in the reader's language (clientfolio.config)
    )

    @model_validator(mode="before")
    @classmethod
    def _one_text(cls, data: object) -> object:
        """Settings written with the former French and English pairs
        (``label_fr``/``label_en``, ``action_fr``/``action_en``) keep working."""
        if not isinstance(data, dict):
            return data
        data = dict(data)
        for name in ("label", "action"):
            fr, en = data.pop(f"{name}_fr", None), data.pop(f"{name}_en", None)
            if name not in data and (fr is not None or en is not None):
                data[name] = _legacy_text(en, fr)
        return data

    @model_validator(mode="after")
    def _k_matches_condition(self) -> RfmRule:
        if (self.when in _WITH_K) != (self.k is not None):
            if self.when in _WITH_K:
                raise RuleError(
                    "rule {profile}: condition {when} needs k", profile=repr(self.profile), when=repr(self.when)
                )
            raise RuleError(
                "rule {profile}: condition {when} takes no k", profile=repr(self.profile), when=repr(self.when)
            )
        return self

    def as_profile(self) -> RfmProfile:
        return RfmProfile(key=self.profile, label=self.label, action=self.action)


DEFAULT_RULES: tuple[RfmRule, ...] = (
    RfmRule(
        profile="inactive",
        when="no_quarter",
        label=N_("inactive"),
        action=N_(
            "Win back: personal follow-up call, a come-back offer, learn why they left "
            "(price, service, competition); serve at low cost or let go when the potential "
            "is low."
        ),
    ),
    RfmRule(
        profile="new",
        when="first_purchase_within",
        k=2,
        label=N_("new"),
        action=N_(
            "Onboard well: follow the first order, check satisfaction, qualify the "
            "potential and propose a second purchase to make a regular customer."
        ),
    ),
    RfmRule(
        profile="very_regular",
        when="every_quarter",
        label=N_("very regular"),
        action=N_(
            "Protect and grow: privileged (VIP) follow-up, make the customer feel valued, "
            "cross-sell the rest of the range, watch for any sign of decline."
        ),
    ),
    RfmRule(
        profile="regular",
        when="at_least",
        k=3,
        label=N_("regular"),
        action=N_(
            "Build loyalty: regular contact, a loyalty programme or contract, cross-selling "
            "to make purchases recurrent."
        ),
    ),
    RfmRule(
        profile="declining",
        when="fading",
        label=N_("to retain or losing speed"),
        action=N_(
            "Act fast: call or visit to understand the drop (satisfaction, competition, "
            "needs), a targeted loyalty or win-back offer."
        ),
    ),
    RfmRule(
        profile="cyclical",
        when="gap",
        label=N_("cyclical"),
        action=N_(
            "Anticipate the cycle: reach out before the usual buying period, propose "
            "scheduled orders or a yearly contract to smooth purchases."
        ),
    ),
)


class RfmConfig(BaseModel):
    """RFM settings: the number of quarters, score buckets and the profile rules."""

    model_config = ConfigDict(frozen=True)

    quarters: int = Field(
        4,
        ge=1,
        le=40,
        description="Number of rolling three-month periods ending at the as-of date (the code "
        "length). Default 4: one year, as in the seed.",
    )
    score_buckets: int = Field(
        5,
        ge=2,
        le=100,
        description="Number of NTILE buckets for the r, f and m scores (default 5: quintiles, scores 1 to 5).",
    )
    rules: tuple[RfmRule, ...] = Field(
        DEFAULT_RULES,
        description="Profile rules in order; the first that matches gives the profile. "
        "Default: inactive (no quarter bought), new (first purchase in the last 2 "
        "quarters), very regular (every quarter), regular (at least 3 quarters), "
        "declining (more quarters bought in the first half than in the second), "
        "cyclical (a gap between two bought quarters).",
    )
    fallback: str = Field(
        "declining",
        description="Profile of the customers no rule matches (one of the rules' profiles). "
        "Default 'declining' (à fidéliser): occasional buyers such as 0011 or 0001 "
        "with an older history, to make loyal.",
    )

    @model_validator(mode="after")
    def _consistent(self) -> RfmConfig:
        keys = [rule.profile for rule in self.rules]
        if len(set(keys)) != len(keys):
            raise RuleError("each profile has one rule")
        if self.fallback not in keys:
            raise RuleError("fallback {profile} is not one of the rules' profiles", profile=repr(self.fallback))
        for rule in self.rules:
            if rule.k is not None and rule.k > self.quarters:
                raise RuleError(
                    "rule {profile}: k = {k} is more than the {quarters} quarters",
                    profile=repr(rule.profile),
                    k=rule.k,
                    quarters=self.quarters,
                )
        return self

    def profiles(self) -> dict[str, RfmProfile]:
        """Labels and action of each profile, in rule order."""
        return {rule.profile: rule.as_profile() for rule in self.rules}

    def profile(self, key: str) -> RfmProfile:
        """Labels and action of the profile ``key`` (KeyError when unknown)."""
        return self.profiles()[key]


RFM_PROFILES: Mapping[str, RfmProfile] = MappingProxyType(RfmConfig().profiles())
"""Labels and actions of the default profiles (read-only)."""


def quarter_bounds(as_of: dt.date, quarters: int) -> list[tuple[dt.date, dt.date]]:
    """``(after, up_to)`` of each quarter, oldest first: quarter k holds the days
    ``after < day <= up_to``."""
    ends = [months_before(as_of, 3 * i) for i in range(quarters, -1, -1)]
    return list(pairwise(ends))


def _condition(rule: RfmRule, bought: list[ir.BooleanValue], first: ir.DateValue, as_of: dt.date) -> ir.BooleanValue:
    import ibis

    n = len(bought)

    def count(flags: list[ir.BooleanValue]) -> ir.IntegerValue:
        ones = [ibis.ifelse(flag, 1, 0) for flag in flags]
        return reduce(operator.add, ones) if ones else ibis.literal(0, "int8")

    def any_of(flags: list[ir.BooleanValue]) -> ir.BooleanValue:
        return reduce(operator.or_, flags)

    if rule.when == "no_quarter":
        return count(bought) == 0
    if rule.when == "every_quarter":
        return count(bought) == n
    if rule.when == "at_least":
        assert rule.k is not None
        return count(bought) >= rule.k
    if rule.when == "first_purchase_within":
        assert rule.k is not None
        return first.notnull() & (first > ibis.literal(months_before(as_of, 3 * rule.k), "date"))
    if rule.when == "fading":
        half = n // 2
        return count(bought[:half]) > count(bought[n - half :])
    # gap: some quarter j not bought, with a bought quarter before and after it
    gaps = [~bought[j] & any_of(bought[:j]) & any_of(bought[j + 1 :]) for j in range(1, n - 1)]
    return reduce(operator.or_, gaps) if gaps else ibis.literal(False)


def rfm_needs(as_of: dt.date, config: RfmConfig | None = None) -> CustomerNeeds:
    """What RFM needs of each customer's lines (see ``customer_totals``): the net
    of each quarter and the purchases."""
    config = config or RfmConfig()
    bounds = quarter_bounds(as_of, config.quarters)
    return CustomerNeeds(
        spans={f"amount_q{k + 1}": Span(after, up_to) for k, (after, up_to) in enumerate(bounds)},
        purchases_after=bounds[0][0],
    )


def rfm(transactions: ir.Table, *, as_of: dt.date, config: RfmConfig | None = None) -> ir.Table:
    """RFM figures, purchase code, scores and profile of each customer.

    Takes the transactions table (``customer_id, invoice_id, date,
    amount_cents``; see ``analytics.transactions``); lines after ``as_of`` are
    left out.  Gives one row per customer with any line up to ``as_of``::

        customer_id     string
        recency_days    int64   days from the last purchase to as_of (NULL: none)
        frequency       int64   purchases (positive invoices) in the window
        monetary_cents  int64   net amount in the window
        amount_q1..qN   int64   net amount per quarter, q1 the oldest
        quarters        string  purchase code, e.g. "0011"
        r, f, m         int64   scores 1..5 (higher = more recent / frequent / more)
        profile         string  profile key (see RfmConfig.rules)

    The definitions are in the module docstring.
    """
    needs = [rfm_needs(as_of, config)]
    totals = customer_totals(transactions, as_of=as_of, needs=needs)
    # reads the totals once now (``analyze`` passes them cached)
    totals = settle_purchases(transactions, totals, as_of=as_of, needs=needs)
    return rfm_of_totals(totals, as_of=as_of, config=config)


def rfm_of_totals(totals: ir.Table, *, as_of: dt.date, config: RfmConfig | None = None) -> ir.Table:
    """``rfm`` computed from customer totals that include ``rfm_needs``, their
    purchases settled (``analyze`` computes them once for the measures, ABC
    and RFM)."""
    import ibis

    config = config or RfmConfig()
    n = config.quarters
    amount_names = [f"amount_q{k + 1}" for k in range(n)]
    c = totals
    amounts = [c[name].cast("int64") for name in amount_names]
    bought = [amount > 0 for amount in amounts]
    # the code is built by concatenating CASE expressions: || on SQL engines, CONCAT on Spark
    code: ir.StringValue = reduce(operator.add, [ibis.ifelse(flag, "1", "0") for flag in bought])
    monetary: ir.IntegerValue = reduce(operator.add, amounts)

    profile = ibis.cases(
        *[(_condition(rule, bought, c.first_purchase, as_of), rule.profile) for rule in config.rules],
        else_=config.fallback,
    )
    base = c.select(
        "customer_id",
        recency_days=ibis.literal(as_of, "date").delta(c.last_purchase, unit="day").cast("int64"),
        frequency=c.purchases,
        monetary_cents=monetary,
        **dict(zip(amount_names, amounts, strict=True)),
        quarters=code,
        profile=profile,
    )

    buckets = config.score_buckets
    # customers without a purchase rank as the least recent
    recency_key = base.recency_days.fill_null(2**62)

    def score(*order: ir.Value) -> ir.IntegerValue:
        return (ibis.ntile(buckets).over(order_by=[*order, base.customer_id]) + 1).cast("int64")

    scored = base.mutate(
        r=score(recency_key.desc()),
        f=score(base.frequency),
        m=score(base.monetary_cents),
    )
    return scored.select(
        "customer_id",
        "recency_days",
        "frequency",
        "monetary_cents",
        *amount_names,
        "quarters",
        "r",
        "f",
        "m",
        "profile",
    )
