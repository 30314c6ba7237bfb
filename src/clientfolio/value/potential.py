"""The potential of each customer and prospect (*CA potentiel*, DOMAIN.md section 3).

The **wallet** is "what revenue in a year if we were the sole supplier"; the
**potential** is what is left to win: ``max(0, wallet - current revenue)``.  The
wallet is, in this order:

1. **entered**: the figure the user entered (``potential`` column of the
   customers or prospects file), taken as it is: the user weighed the criteria;
2. **share**: the customer's revenue divided by our share of its purchases
   (``wallet_share_pct``, the competition criterion: 25 % means competitors
   sell it three times what we do);
3. **peers**: a quantile (``peer_quantile``, 75 % by default) of the known
   wallets of comparable customers (same segment and size band; when fewer than
   ``min_peers`` have one, same segment; then the whole portfolio).  A
   customer's known wallet is its entered or share-based one, else its revenue
   (what it proves it can buy).

Estimated wallets (2 and 3) are then adjusted by the other criteria: times
``1 + sector_growth_pct / 100`` (next year's purchases of a growing sector) and
times the customer's **supplier policy** cap (a customer that splits its
purchases between suppliers never gives one all of them: ``policy_caps``).  The
``source`` column says which rule gave the figure, so estimates show as such.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

__all__ = ["Account", "PotentialConfig", "Potential", "estimate_potentials"]


class PotentialConfig(BaseModel):
    """How potentials are estimated where users have not entered them."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    peer_quantile: float = Field(
        0.75, ge=0, le=1,
        description="Quantile of comparable customers' wallets taken as the estimate (0.75: the "
                    "upper quartile, what the better-served comparable customers buy).",
    )
    min_peers: int = Field(
        3, ge=1, description="Fewest comparable customers for a group to be used; else a wider group.",
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
    source: str  # entered, share, peers:segment+size, peers:segment, peers:portfolio, none

    @property
    def estimated(self) -> bool:
        return self.source != "entered"


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
    by_group: dict[tuple[str | None, str | None], list[float]] = defaultdict(list)
    by_segment: dict[str | None, list[float]] = defaultdict(list)
    everyone: list[float] = []
    for account in accounts:
        if account.kind != "customer":
            continue
        known = _known_wallet(account)
        reference = known[0] if known else float(account.revenue_cents)
        if reference > 0:
            by_group[(account.segment, account.size_band)].append(reference)
            by_segment[account.segment].append(reference)
            everyone.append(reference)

    def peers(account: Account) -> tuple[float, str] | None:
        for values, name in ((by_group.get((account.segment, account.size_band), []), "segment+size"),
                             (by_segment.get(account.segment, []), "segment"),
                             (everyone, "portfolio")):
            if len(values) >= config.min_peers:
                return float(np.quantile(values, config.peer_quantile)), f"peers:{name}"
        return None

    out = []
    for account in accounts:
        found = _known_wallet(account) or peers(account)
        if found is None:
            wallet = None
            source = "none"
        else:
            wallet, source = found
            if source != "entered":
                wallet *= 1 + (account.sector_growth_pct or 0.0) / 100
                wallet *= config.policy_caps.get(account.supplier_policy or "single", 1.0)
        wallet_cents = None if wallet is None else round(wallet)
        potential = max(0, (wallet_cents or 0) - max(account.revenue_cents, 0))
        out.append(Potential(account.account_id, account.kind, account.revenue_cents, wallet_cents,
                             potential if wallet_cents is not None else 0, source))
    return out
