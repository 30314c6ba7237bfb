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
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:  # numpy where the potentials are computed: the rules are read without it (``clientfolio settings``)
    import numpy as np
    import numpy.typing as npt

__all__ = [
    "SOURCE_LABELS",
    "Account",
    "Accounts",
    "Potential",
    "PotentialConfig",
    "Potentials",
    "estimate_potential_columns",
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


@dataclass(frozen=True)
class Accounts:
    """Accounts as columns (one entry per account, customers and prospects in
    any order): what ``estimate_potential_columns`` takes.  ``kind``,
    ``segment``, ``size_band`` and ``supplier_policy`` are object arrays (None
    when unknown); ``revenue_cents`` int64; ``entered_cents``,
    ``wallet_share_pct`` and ``sector_growth_pct`` float64, NaN when unknown."""

    ids: npt.NDArray[np.object_]
    kind: npt.NDArray[np.object_]
    segment: npt.NDArray[np.object_]
    size_band: npt.NDArray[np.object_]
    revenue_cents: npt.NDArray[np.int64]
    entered_cents: npt.NDArray[np.float64]
    wallet_share_pct: npt.NDArray[np.float64]
    sector_growth_pct: npt.NDArray[np.float64]
    supplier_policy: npt.NDArray[np.object_]

    @classmethod
    def of(cls, accounts: Sequence[Account]) -> Accounts:
        import numpy as np

        def objects(name: str) -> npt.NDArray[np.object_]:
            return np.array([getattr(a, name) for a in accounts] or [], dtype=object)

        def floats(name: str) -> npt.NDArray[np.float64]:
            values = [getattr(a, name) for a in accounts]
            return np.array([np.nan if v is None else v for v in values], dtype=np.float64)

        return cls(
            objects("account_id"),
            objects("kind"),
            objects("segment"),
            objects("size_band"),
            np.array([a.revenue_cents for a in accounts], dtype=np.int64),
            floats("entered_cents"),
            floats("wallet_share_pct"),
            floats("sector_growth_pct"),
            objects("supplier_policy"),
        )


@dataclass(frozen=True)
class Potentials:
    """``estimate_potential_columns``' result, one entry per account:
    ``wallet_cents`` (float64 holding whole cents, NaN when none),
    ``potential_cents`` (int64) and ``source`` (object array of SOURCE_LABELS keys)."""

    wallet_cents: npt.NDArray[np.float64]
    potential_cents: npt.NDArray[np.int64]
    source: npt.NDArray[np.object_]


def estimate_potentials(accounts: Sequence[Account], config: PotentialConfig | None = None) -> list[Potential]:
    """The wallet and potential of every account, in the order given (see the
    module docstring for the rules)."""
    import numpy as np

    found = estimate_potential_columns(Accounts.of(accounts), config)
    return [
        Potential(
            a.account_id,
            a.kind,
            a.revenue_cents,
            None if np.isnan(wallet) else int(wallet),
            int(potential),
            str(source),
        )
        for a, wallet, potential, source in zip(
            accounts, found.wallet_cents, found.potential_cents, found.source, strict=True
        )
    ]


def estimate_potential_columns(accounts: Accounts, config: PotentialConfig | None = None) -> Potentials:
    """``estimate_potentials`` on columns (the valuation's hundreds of
    thousands of customers): the same rules, by array."""
    import numpy as np

    config = config or PotentialConfig()
    a = accounts
    revenue = a.revenue_cents.astype(np.float64)
    customer = a.kind == "customer"
    entered = ~np.isnan(a.entered_cents)
    with np.errstate(invalid="ignore", divide="ignore"):
        by_share = ~entered & (a.wallet_share_pct > 0) & (a.wallet_share_pct <= 100) & (a.revenue_cents > 0)
        known = np.where(entered, a.entered_cents, np.where(by_share, revenue * 100.0 / a.wallet_share_pct, np.nan))
    has_known = entered | by_share
    # the comparable groups of each account: (segment, size band) pairs, then segments
    pairs: dict[tuple[Any, Any], int] = {}
    pair_of = np.array(
        [pairs.setdefault((s, z), len(pairs)) for s, z in zip(a.segment, a.size_band, strict=True)], dtype=np.intp
    )
    references = {"peers": np.where(has_known, known, 0.0), "peers_revenue": revenue}
    quantiles: dict[str, dict[tuple[str | None, ...], float]] = {}
    for kind, reference in references.items():
        counted = customer & (reference > 0)
        groups: dict[tuple[str | None, ...], list[npt.NDArray[np.float64]]] = defaultdict(list)
        for (segment, size), code in pairs.items():
            members = counted & (pair_of == code)
            if not members.any():
                continue
            for key in _group_keys(Account("", "customer", segment, size)):
                if key is not None:
                    groups[key].append(reference[members])
        quantiles[kind] = {}
        for key, parts in groups.items():
            values = np.concatenate(parts)
            if values.size >= config.min_peers:
                quantiles[kind][key] = float(np.quantile(values, config.peer_quantile))  # once per group
    peer_value = np.full(len(pairs), np.nan)
    peer_source = np.full(len(pairs), None, dtype=object)
    for (segment, size), code in pairs.items():
        keys = _group_keys(Account("", "customer", segment, size))
        for kind in ("peers", "peers_revenue"):
            hit = next(
                (
                    (quantiles[kind][key], f"{kind}:{name}")
                    for key, name in zip(keys, _GROUPS, strict=True)
                    if key is not None and key in quantiles[kind]
                ),
                None,
            )
            if hit is not None:
                peer_value[code], peer_source[code] = hit
                break
    lost = ~has_known & customer & (a.revenue_cents <= 0)
    by_peers = ~has_known & ~lost & ~np.isnan(peer_value[pair_of])
    wallet = np.where(has_known, known, np.where(by_peers, peer_value[pair_of], np.nan))
    source = np.where(entered, "entered", np.where(by_share, "share", np.where(lost, "no_revenue", "none"))).astype(
        object
    )
    source[by_peers] = peer_source[pair_of][by_peers]
    estimated = ~entered & ~np.isnan(wallet)
    caps = np.array([config.policy_caps.get(p or "single", 1.0) for p in a.supplier_policy], dtype=np.float64)
    adjusted = wallet * (1 + np.nan_to_num(a.sector_growth_pct) / 100) * caps
    wallet = np.asarray(np.round(np.where(estimated, adjusted, wallet)), dtype=np.float64)
    potential = np.where(np.isnan(wallet), 0.0, np.maximum(0.0, np.nan_to_num(wallet) - np.maximum(revenue, 0.0)))
    return Potentials(wallet, potential.astype(np.int64), source)


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
