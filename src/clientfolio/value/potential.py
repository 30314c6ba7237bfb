"""The potential of each customer and prospect (*CA potentiel*, DOMAIN.md section 3).

The **wallet** is "what revenue in a year if we were the sole supplier"; the
**potential** is what is left to win: ``max(0, wallet - current revenue)``.  The
wallet is, in this order:

1. **entered** (``entered``): the figure the user entered (``potential``
   column of the customers or prospects file), taken as it is: the user weighed
   the criteria;
2. **share** (``share``): the customer's revenue divided by our share of its
   purchases (``wallet_share_pct``, the competition criterion: 25 % means
   competitors sell it three times what we do);
3. **comparable customers' known wallets** (``peers:<group>``): a quantile
   (``peer_quantile``, 75 % by default) of the entered or share-based wallets
   of the customers of the same segment and size band (``peers:segment+size``);
   when fewer than ``min_peers`` have one, of the same segment
   (``peers:segment``); then of the whole portfolio (``peers:portfolio``).  A
   group needs a known segment (and size band): accounts without one are not
   "comparable" to each other;
4. **comparable customers' revenue** (``peers_revenue:<group>``, same groups):
   when too few known wallets exist, the quantile of what the comparable
   customers bought from us over the window.  It is a weaker estimate (a
   revenue is only the part of a wallet we already have), so its source says
   so and every screen shows it as an estimate from revenue, never as a wallet.

No estimate (``no_revenue``) for a **customer without revenue in the window**
(lost or dormant) unless the user entered its potential: comparable customers
tell what an active customer of its kind buys, not whether this one still needs
anything, so a peer-based wallet would make a lost customer a "potentiel de
développement" out of nothing.  Its past stays in its history and its lifetime
value; the user can enter a win-back potential.  No estimate either
(``none``) when no group has ``min_peers`` members.

Estimated wallets (2 to 4) are then adjusted by the other criteria: times
``1 + sector_growth_pct / 100`` (next year's purchases of a growing sector) and
times the customer's **supplier policy** cap (a customer that splits its
purchases between suppliers never gives one all of them: ``policy_caps``).  The
``source`` says which rule gave the figure (``SOURCE_LABELS`` names each in
English, the French catalog translates), so estimates show as such; see
``source_counts`` for the summary of a portfolio.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "SOURCE_LABELS",
    "Account",
    "Potential",
    "PotentialConfig",
    "estimate_potentials",
    "source_counts",
    "source_label",
]

_GROUPS = ("segment+size", "segment", "portfolio")
_GROUP_WORDS = {"segment+size": "same segment and size band", "segment": "same segment", "portfolio": "whole portfolio"}
SOURCE_LABELS: dict[str, str] = {
    "entered": "entered",
    "share": "estimated from the wallet share",
    **{f"peers:{g}": f"estimated from comparable customers' known potential ({w})" for g, w in _GROUP_WORDS.items()},
    **{f"peers_revenue:{g}": f"estimated from comparable customers' revenue ({w})" for g, w in _GROUP_WORDS.items()},
    "no_revenue": "not estimated: no revenue in the period",
    "none": "not estimated: too few comparable customers",
}
"""English label of each potential source: the message the French catalog
(``i18n/fr/library.po``) translates; never show the codes themselves."""


class PotentialConfig(BaseModel):
    """How potentials are estimated where users have not entered them."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    peer_quantile: float = Field(
        0.75,
        ge=0,
        le=1,
        description="Quantile of comparable customers' wallets taken as the estimate (0.75: the "
        "upper quartile, what the better-served comparable customers buy).",
    )
    min_peers: int = Field(
        3,
        ge=1,
        description="Fewest comparable customers for a group to be used; else a wider group.",
    )
    policy_caps: dict[str, float] = Field(
        default_factory=lambda: {"single": 1.0, "preferred": 0.7, "multiple": 0.5},
        description="Share of its wallet a customer gives one supplier, by supplier policy "
        "(single supplier, preferred supplier, several suppliers).",
    )


@dataclass(frozen=True)
class Account:
    """A customer or prospect as the estimate takes it (money in cents)."""

    account_id: str
    kind: str  # "customer" or "prospect"
    segment: str | None = None
    size_band: str | None = None
    revenue_cents: int = 0
    entered_cents: int | None = None
    wallet_share_pct: float | None = None
    sector_growth_pct: float | None = None
    supplier_policy: str | None = None


@dataclass(frozen=True)
class Potential:
    account_id: str
    kind: str
    revenue_cents: int
    wallet_cents: int | None
    potential_cents: int
    source: str  # a key of SOURCE_LABELS

    @property
    def estimated(self) -> bool:
        """True when the wallet is an estimate (not entered, and not missing)."""
        return self.source not in ("entered", "no_revenue", "none")


def _known_wallet(account: Account) -> tuple[float, str] | None:
    if account.entered_cents is not None:
        return float(account.entered_cents), "entered"
    share = account.wallet_share_pct
    if share is not None and 0 < share <= 100 and account.revenue_cents > 0:
        return account.revenue_cents * 100.0 / share, "share"
    return None


def estimate_potentials(accounts: Sequence[Account], config: PotentialConfig | None = None) -> list[Potential]:
    """The wallet and potential of every account, in the order given (see the
    module docstring for the rules)."""
    config = config or PotentialConfig()
    wallets: dict[str, dict[tuple[str | None, ...], list[float]]] = {
        "peers": defaultdict(list),
        "peers_revenue": defaultdict(list),
    }
    for account in accounts:
        if account.kind != "customer":
            continue
        known = _known_wallet(account)
        for kind, reference in (("peers", known[0] if known else 0.0), ("peers_revenue", account.revenue_cents)):
            if reference > 0:
                for key in _group_keys(account):
                    if key is not None:
                        wallets[kind][key].append(float(reference))

    quantiles = {
        kind: {
            key: float(np.quantile(values, config.peer_quantile))  # once per group
            for key, values in groups.items()
            if len(values) >= config.min_peers
        }
        for kind, groups in wallets.items()
    }

    found_for: dict[tuple[str | None, str | None], tuple[float, str] | None] = {}  # by (segment, size band)

    def peers(account: Account) -> tuple[float, str] | None:
        group = (account.segment, account.size_band)
        if group not in found_for:
            found_for[group] = next(
                (
                    (quantiles[kind][key], f"{kind}:{name}")
                    for kind in ("peers", "peers_revenue")
                    for key, name in zip(_group_keys(account), _GROUPS, strict=True)
                    if key is not None and key in quantiles[kind]
                ),
                None,
            )
        return found_for[group]

    out = []
    for account in accounts:
        found = _known_wallet(account)
        lost = found is None and account.kind == "customer" and account.revenue_cents <= 0
        if found is None and not lost:
            found = peers(account)
        if found is None:
            wallet = None
            source = "no_revenue" if lost else "none"
        else:
            wallet, source = found
            if source != "entered":
                wallet *= 1 + (account.sector_growth_pct or 0.0) / 100
                wallet *= config.policy_caps.get(account.supplier_policy or "single", 1.0)
        wallet_cents = None if wallet is None else round(wallet)
        potential = max(0, (wallet_cents or 0) - max(account.revenue_cents, 0))
        out.append(
            Potential(
                account.account_id,
                account.kind,
                account.revenue_cents,
                wallet_cents,
                potential if wallet_cents is not None else 0,
                source,
            )
        )
    return out


def _group_keys(account: Account) -> list[tuple[str | None, ...] | None]:
    """The keys of the account's comparable groups (segment+size, segment,
    portfolio), None for a group it cannot belong to (unknown segment or size
    band: accounts without one are not comparable to each other)."""
    return [
        ("segment+size", account.segment, account.size_band) if account.segment and account.size_band else None,
        ("segment", account.segment) if account.segment else None,
        ("portfolio",),
    ]


def source_label(source: str) -> str:
    """The English label of a potential source (the code itself if unknown)."""
    return SOURCE_LABELS.get(source, source)


def source_counts(potentials: Iterable[tuple[str, str]]) -> dict[str, dict[str, int]]:
    """How many customers and prospects have each potential source:
    ``{"customers": {source: n}, "prospects": {source: n}}`` from
    ``(kind, source)`` pairs (kind ``customer`` or ``prospect``); sources in
    the order of ``SOURCE_LABELS``, those with no account left out."""
    counts: dict[str, Counter[str]] = {"customers": Counter(), "prospects": Counter()}
    for kind, source in potentials:
        counts["customers" if kind == "customer" else "prospects"][source] += 1
    order = {s: k for k, s in enumerate(SOURCE_LABELS)}
    return {
        kind: dict(sorted(c.items(), key=lambda item: (order.get(item[0], len(order)), item[0])))
        for kind, c in counts.items()
    }
