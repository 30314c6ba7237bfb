"""Crossed ABC: revenue x potential, and the four customer categories
(*matrice ABC croisée*, DOMAIN.md section 3).

Customers are classed A/B/C on revenue (the ABC of section 2) and A'/B'/C' on
potential, with the same rule as the ABC: ranked by value descending (ties by
id), A' while the accounts ahead make less than ``a`` of the total positive
potential, B' below ``b``, C' after, and C' whatever the rank for a potential of
zero.  Prospects are ranked with the customers on the potential scale (one
scale, so that a big prospect shows as big) and form the row ``P``.

Each (revenue, potential) cell maps to a category (``CategoryConfig.cells``):

=======  ==============  ==================  ==================
revenue  A'              B'                  C'
=======  ==============  ==================  ==================
A        VIP             VIP                 fonds de commerce
B        développement   fonds de commerce   gestion économique
C        développement   gestion économique  gestion économique
=======  ==============  ==================  ==================

VIP: big now and still room to grow; *fonds de commerce* (core business): big
now, little room; *potentiel de développement*: small now, much room; *gestion
économique*: serve at low cost.  Prospects get no category.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field, field_validator

from clientfolio.errors import RuleError
from clientfolio.i18n import N_

if TYPE_CHECKING:  # numpy where the classes are computed: the rules are read without it (``clientfolio settings``)
    import numpy as np
    import numpy.typing as npt

__all__ = [
    "CATEGORIES",
    "CATEGORY_NAMES",
    "CategoryConfig",
    "category",
    "category_name",
    "pareto_class_array",
    "pareto_classes",
]

CATEGORIES = ("vip", "core", "development", "economy")
CATEGORY_NAMES: dict[str, str] = {
    "vip": N_("VIP"),
    "core": N_("Core business"),
    "development": N_("Growth potential"),
    "economy": N_("Low-cost service"),
}
"""The English name of each category: a message of the catalogs (French in
``i18n/fr/value.po``: *fonds de commerce*, *potentiel de développement*,
*gestion économique*), shown as ``gettext_for(lang)(CATEGORY_NAMES[code])``
(``category_name``); never show the codes themselves."""


def category_name(code: str) -> str:
    """The English name of the category ``code`` (the code itself when unknown),
    to be translated where shown."""
    return CATEGORY_NAMES.get(code, code)


_DEFAULT_CELLS = {
    "AA": "vip",
    "AB": "vip",
    "AC": "core",
    "BA": "development",
    "BB": "core",
    "BC": "economy",
    "CA": "development",
    "CB": "economy",
    "CC": "economy",
}


class CategoryConfig(BaseModel):
    """The potential classes' thresholds and the category of each crossed cell."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    a: float = Field(0.80, gt=0, le=1, description="Cumulative share of potential of the A' accounts.")
    b: float = Field(0.95, gt=0, le=1, description="Cumulative share of potential at the end of B'.")
    cells: dict[str, str] = Field(
        default_factory=lambda: dict(_DEFAULT_CELLS),
        description='Category of each cell: revenue class then potential class ("AB": A on '
        "revenue, B' on potential) -> vip, core, development or economy.",
    )

    @field_validator("cells")
    @classmethod
    def _complete(cls, cells: dict[str, str]) -> dict[str, str]:
        wanted = {r + p for r in "ABC" for p in "ABC"}
        if set(cells) != wanted or not set(cells.values()) <= set(CATEGORIES):
            raise RuleError(
                "cells must map each of {cells} to one of {categories}",
                cells=", ".join(sorted(wanted)),
                categories=", ".join(CATEGORIES),
            )
        return cells


def pareto_classes(ids: Sequence[str], values: Sequence[float], a: float, b: float) -> list[str]:
    """A/B/C of each value by the ABC rule (``analytics.abc``), in the order given."""
    import numpy as np

    return [
        str(c) for c in pareto_class_array(np.asarray(ids, dtype=object), np.asarray(values, dtype=np.float64), a, b)
    ]


def pareto_class_array(
    ids: npt.NDArray[np.object_], values: npt.NDArray[np.float64], a: float, b: float
) -> npt.NDArray[np.str_]:
    """``pareto_classes`` on arrays (``values`` as floats: whole cents are exact)."""
    import numpy as np

    if not ids.size:
        return np.array([], dtype="<U1")
    order = np.lexsort((ids.astype(np.str_), -values))  # largest first, ties by id
    positive = np.maximum(values[order], 0.0)
    total = positive.sum()
    ahead = np.concatenate(([0.0], np.cumsum(positive)[:-1]))  # the sum of the larger values, added in turn
    share_before = ahead / total if total > 0 else np.zeros_like(ahead)
    ranked = np.where(positive > 0, np.where(share_before < a, "A", np.where(share_before < b, "B", "C")), "C")
    out = np.empty(ids.size, dtype="<U1")
    out[order] = ranked
    return out


def category(revenue_class: str | None, potential_class: str, config: CategoryConfig) -> str | None:
    """The category of a customer (``revenue_class`` A, B or C) or None for a
    prospect (``revenue_class`` None)."""
    if revenue_class is None:
        return None
    return config.cells[revenue_class + potential_class]
