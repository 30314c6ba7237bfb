"""The bootstrap's refits, kept for the next valuation of the same portfolio.

The interval of a valuation refits the models on resamples of the customers
who bought (``clv._bootstrap``), and each refit values every customer.  Who
looks does not change those refits: a sales rep's valuation is fitted on the
whole portfolio's histories (``value.run``) and only sums its own customers.
The web app values every need-to-know scope after each import, so it refitted
the same resamples once per scope (at 20,000 customers, 15 CPU-seconds each).

A ``Refits`` (the web app's ``FigureCache`` holds one, and passes it down
``gather`` -> ``value_source`` -> ``value_portfolio`` -> ``fit_values``) keeps,
per portfolio (``refit_key``: a digest of the models' inputs, the point fit
the refits start from and the settings), each resample's value per customer
before margin, and the point fit itself (the models and, per customer, the
discounted purchases times the expected spend, the probability of being alive
and the expected purchases: ``clv._PointFit``); the next scope multiplies them
by its own margins (those of its customers, 0 for the others), neither fitting
nor refitting.  A command that values once passes none and
keeps nothing.  The same numbers as a new bootstrap, bit for bit: a kept
total and a computed one are the same sum.  Bounded: ``MAX_FLOATS`` numbers
in all (8-byte floats): refits drop the least recently used entries to find
room, point fits and reads are kept only in the room left; a
portfolio whose refits alone exceed it is not kept (beyond 20,000 customers
the resamples are fewer, ``bootstrap_samples``: up to 2,000,000 numbers, 16 MB,
for 100,000 customers)."""

from __future__ import annotations

import copy
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from typing import TypeVar

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel

__all__ = ["MAX_FLOATS", "Refits", "refit_key"]

MAX_FLOATS = 8_000_000
"""The numbers a ``Refits`` keeps in all by default: 64 MB (at 100,000 customers: the
bootstrap's refits 2,000,000, the point fits 2,300,000, the whole portfolio's histories
1,800,000, the scopes' past fits about 1,000,000)."""

T = TypeVar("T")

Values = Sequence[npt.NDArray[np.float64] | None]
"""Each resample's value per customer before margin, in the resamples' order
(None: a refit that failed)."""


def refit_key(arrays: Sequence[npt.NDArray[np.generic]], *settings: object) -> str:
    """A digest of ``arrays`` (their types, shapes and bytes) and ``settings``
    (pydantic models by their JSON, anything else by its ``repr``)."""
    digest = hashlib.blake2b(digest_size=20)
    for array in arrays:
        digest.update(f"{array.dtype.str}{array.shape}".encode())
        digest.update(np.ascontiguousarray(array).tobytes())
    for item in settings:
        text = item.model_dump_json() if isinstance(item, BaseModel) else repr(item)
        digest.update(text.encode())
    return digest.hexdigest()


class _Kept:
    """The least recently used entries of a ``Refits`` and of its views, with the numbers they hold."""

    def __init__(self, max_floats: int) -> None:
        self.max_floats = max_floats
        self.entries: OrderedDict[str, tuple[object, int]] = OrderedDict()  # refits, a point fit, histories
        self.floats = 0
        self.lock = threading.Lock()


class Refits:
    """A bounded store of bootstrap refits by ``refit_key``, safe across threads.

    ``of_data(version)`` is a view of the same store for one version of the data
    (the web app's ``FigureCache`` passes one per computation): what is read from
    the store for every scope alike (``read_once``: the whole portfolio's
    histories the models are fitted on) is then kept under that version too."""

    def __init__(self, max_floats: int = MAX_FLOATS) -> None:
        self._kept = _Kept(max_floats)
        self.data: Hashable | None = None
        """The version of the data this view reads for (``of_data``); None: nothing read is kept."""

    @property
    def max_floats(self) -> int:
        return self._kept.max_floats

    def of_data(self, version: Hashable) -> Refits:
        """This store, for reads of the data as of ``version`` (a value that changes with the data)."""
        view = copy.copy(self)
        view.data = version
        return view

    def read_once(self, key: Hashable, read: Callable[[], T], floats: Callable[[T], int]) -> T:
        """``read()``, kept under ``key`` and this view's data version for the
        next scope (of ``floats(result)`` numbers, when there is room for them,
        as ``put_point``); read each time without a version."""
        if self.data is None:
            return read()
        full = refit_key([], "read", self.data, key)
        kept = self._take(full)
        if kept is not None:
            return kept  # type: ignore[return-value]  # what ``read`` returned under this key
        found = read()
        self._keep(full, found, floats(found), evict=False)
        return found

    def get(self, key: str) -> Values | None:
        """The refits kept under ``key`` (now the most recently used), or None."""
        kept = self._take(key)
        return kept if isinstance(kept, tuple) else None

    def get_point(self, key: str) -> object | None:
        """The point fit kept under ``key`` by ``put_point`` (now the most recently used), or None."""
        return self._take(key)

    def fits(self, floats: int) -> bool:
        """Whether refits of ``floats`` numbers in all may be kept."""
        return floats <= self.max_floats

    def put(self, key: str, values: Values) -> None:
        """Keep ``values`` under ``key``, dropping the least recently used to stay within bounds."""
        self._keep(key, tuple(values), sum(v.size for v in values if v is not None), evict=True)

    def put_point(self, key: str, fit: object, floats: int) -> None:
        """Keep ``fit``, a point fit of the models holding about ``floats`` numbers
        (``value.clv``: the models and what follows from them before margin), under
        ``key`` when there is room for it: a point fit or a read never drops another
        entry (the refits they would drop cost a whole bootstrap to make again; beyond
        100,000 customers the refits alone may fill the store)."""
        self._keep(key, fit, floats, evict=False)

    def _take(self, key: str) -> object | None:
        kept = self._kept
        with kept.lock:
            entry = kept.entries.get(key)
            if entry is None:
                return None
            kept.entries.move_to_end(key)
            return entry[0]

    def _keep(self, key: str, value: object, floats: int, *, evict: bool) -> None:
        if not self.fits(floats):
            return
        kept = self._kept
        with kept.lock:
            if key in kept.entries or (not evict and kept.floats + floats > kept.max_floats):
                return
            while kept.entries and kept.floats + floats > kept.max_floats:
                kept.floats -= kept.entries.popitem(last=False)[1][1]
            kept.entries[key] = (value, floats)
            kept.floats += floats

    def __len__(self) -> int:
        return len(self._kept.entries)
