"""Helpers shared by the maximum-likelihood fits of the value models (BG/NBD,
MBG/NBD, Gamma-Gamma): input arrays, the Hessian by central differences of an
analytic gradient, the covariance when it exists, whether a fit converged and its
message, and one BLAS thread while a fit runs."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, ParamSpec, TypeVar

import numpy as np
import numpy.typing as npt

from clientfolio.errors import ClientfolioError

if TYPE_CHECKING:
    from scipy.optimize import OptimizeResult
    from threadpoolctl import ThreadpoolController

__all__ = [
    "STATIONARY",
    "fit_end",
    "float_array",
    "hessian",
    "inverse_if_positive_definite",
    "one_blas_thread",
]

FloatArray = npt.NDArray[np.float64]
_P = ParamSpec("_P")
_R = TypeVar("_R")


@functools.cache
def _blas() -> ThreadpoolController:
    """The BLAS libraries of numpy and scipy (each wheel brings its own OpenBLAS),
    looked for once, after scipy's is loaded."""
    from scipy import optimize  # noqa: F401 - loads scipy's OpenBLAS, to be found below
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def one_blas_thread(function: Callable[_P, _R]) -> Callable[_P, _R]:
    """``function`` run with one BLAS thread.  A fit's linear algebra is small
    (vectors of the customers' size, 2 to 4 parameters): OpenBLAS's threads only
    hand each product over and spin, waiting.  Measured on 2 cores, the profile
    interval of q for 100,000 customers took 0.97 s with them, 0.05 s without.
    The limit is the process's (OpenBLAS has one): fits running at once in
    several threads each restore, on leaving, the count they found."""

    @functools.wraps(function)
    def with_one_thread(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        with _blas().limit(limits=1, user_api="blas"):
            return function(*args, **kwargs)

    return with_one_thread


def float_array(name: str, values: npt.ArrayLike) -> FloatArray:
    """``values`` as a 1-D float array; ClientfolioError (naming ``name``) when it
    is not one-dimensional or holds NaN or infinite values."""
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1:
        raise ClientfolioError(
            "{name} must be a one-dimensional array, got shape {shape}", name=name, shape=str(array.shape)
        )
    if not np.all(np.isfinite(array)):
        raise ClientfolioError("{name} contains NaN or infinite values", name=name)
    return array


def hessian(gradient_of: Callable[[FloatArray], FloatArray], point: FloatArray, step: float = 1e-4) -> FloatArray:
    """Central differences of an analytic gradient, symmetrised."""
    n = point.size
    hess = np.empty((n, n))
    for i in range(n):
        shift = np.zeros(n)
        shift[i] = step
        hess[i] = (gradient_of(point + shift) - gradient_of(point - shift)) / (2 * step)
    return (hess + hess.T) / 2


def inverse_if_positive_definite(hess: FloatArray) -> FloatArray | None:
    """Inverse of a symmetric matrix, or None when it has non-finite entries or is
    not (numerically) positive definite."""
    if not np.all(np.isfinite(hess)):
        return None
    eigenvalues = np.linalg.eigvalsh(hess)
    if eigenvalues.min() <= 1e-10 * max(eigenvalues.max(), 1.0):
        return None
    return np.asarray(np.linalg.inv(hess), dtype=np.float64)


STATIONARY = 1e-6
"""The largest gradient of the mean log-likelihood (per customer, per log-parameter) at which
a fit whose line search stopped is taken as at its maximum."""


def fit_end(result: OptimizeResult, *, at_bound: bool, singular: bool) -> tuple[bool, str]:
    """Whether a fit whose optimiser ended with ``result`` (L-BFGS-B minimising minus
    the mean log-likelihood, or the Newton steps) converged, and its message: the
    optimiser's, then notes on a bound reached and a singular Hessian.

    Converged: the optimiser's own test, or a line search that could not decrease
    further ("ABNORMAL") where the gradient is already below ``STATIONARY`` (at the
    maximum, the rounding of the sums stops the search before the tolerances: seen on
    AMD EPYC, where numpy adds in another order, 6e-8 per customer left); and no
    parameter at its bound."""
    settled, optimiser = bool(result.success), str(result.message)
    if not settled and optimiser.startswith("ABNORMAL"):
        gradient = float(np.max(np.abs(result.jac)))
        if gradient <= STATIONARY:
            settled, optimiser = (
                True,
                f"line search stopped at the precision of the arithmetic, gradient {gradient:.1e}",
            )
    notes = [optimiser]
    if at_bound:
        notes.append("a parameter reached its bound")
    if singular:
        notes.append("Hessian not positive definite: the data do not determine the parameters, no covariance")
    return settled and not at_bound, "; ".join(notes)
