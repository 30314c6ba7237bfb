"""BG/NBD and Gamma-Gamma on the CDNOW sample against the lifetimes package
(0.11.3, run outside the project on the arrays of ``cdnow_calibration()``:
``BetaGeoFitter().fit(frequency, recency, T)``, ``GammaGammaFitter().fit`` on the
repeat buyers, then ``conditional_probability_alive``,
``conditional_expected_number_of_purchases_up_to_time(39, ...)`` and
``conditional_expected_average_profit`` for customers 4, 18, 21, 50 and 1760).
The MBG/NBD's references are in ``test_mbgnbd.py``.  The CDNOW master cohort
(23,570 customers) is not in the repository: the sample only."""

from __future__ import annotations

import numpy as np

from clientfolio.value.bgnbd import BetaGeoParams, expected_purchases, fit_bgnbd, p_alive
from clientfolio.value.gamma_gamma import GammaGammaParams, expected_spend, fit_gamma_gamma
from tests.value.cdnow import cdnow_calibration

LIFETIMES_BG = BetaGeoParams(r=0.2425945434210674, alpha=4.413602716077387, a=0.7929218333479614, b=2.4259057287220926)
LIFETIMES_GG = GammaGammaParams(p=6.249572277632188, q=3.744224674758896, v=15.443521018374733)
CUSTOMERS = (4, 18, 21, 50, 1760)
P_ALIVE = [0.7266202977882532, 1.0, 0.21239102434937462, 1.0, 0.9692212746052555]
EXPECTED_39 = [1.2259944296717131, 0.19654878485028326, 0.2034188276053057, 0.19479364221265122, 20.05525015077943]
SPEND = [24.6539187132367, 35.17037133045401, 18.910018475342625, 35.17037133045401, 26.394263503100003]


def _selected() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    data = cdnow_calibration()
    rows = [int(np.flatnonzero(data.customer_id == c)[0]) for c in CUSTOMERS]
    return data.frequency[rows], data.recency[rows], data.T[rows], data.monetary_value[rows]


def test_fits_agree_with_lifetimes() -> None:
    data = cdnow_calibration()
    bg = fit_bgnbd(data.frequency, data.recency, data.T)
    np.testing.assert_allclose(bg.params.as_array(), LIFETIMES_BG.as_array(), rtol=1e-5)
    gg = fit_gamma_gamma(data.frequency, data.monetary_value)
    np.testing.assert_allclose(gg.params.as_array(), LIFETIMES_GG.as_array(), rtol=1e-5)


def test_p_alive_purchases_and_spend_agree_with_lifetimes() -> None:
    x, t_x, T, mbar = _selected()
    np.testing.assert_allclose(p_alive(LIFETIMES_BG, x, t_x, T), P_ALIVE, rtol=1e-9)
    np.testing.assert_allclose(expected_purchases(LIFETIMES_BG, 39, x, t_x, T), EXPECTED_39, rtol=1e-9)
    np.testing.assert_allclose(expected_spend(LIFETIMES_GG, x, mbar), SPEND, rtol=1e-9)
    assert P_ALIVE[1] == 1.0 == p_alive(LIFETIMES_BG, x, t_x, T)[1]  # BG/NBD: a one-time buyer is "alive"
    assert p_alive(BetaGeoParams(0.5248, 6.1831, 0.8914, 1.6140, modified=True), x, t_x, T)[1] < 1
