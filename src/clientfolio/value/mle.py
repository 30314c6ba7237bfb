"""Helpers shared by the maximum-likelihood fits of the value models (BG/NBD,
MBG/NBD, Gamma-Gamma): input arrays, the Hessian by central differences of an
analytic gradient, the covariance when it exists, and the fit's message."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from clientfolio.errors import ClientfolioError

__all__ = ["fit_message", "float_array", "hessian", "inverse_if_positive_definite"]

FloatArray = npt.NDArray[np.float64]


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


def fit_message(optimiser: str, at_bound: bool, singular: bool) -> str:
    """The optimiser's message followed by notes on a bound reached and a singular Hessian."""
    notes = [optimiser]
    if at_bound:
        notes.append("a parameter reached its bound")
    if singular:
        notes.append("Hessian not positive definite: the data do not determine the parameters, no covariance")
    return "; ".join(notes)
