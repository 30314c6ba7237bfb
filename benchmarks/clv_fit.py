"""Speed of the customer value models (BG/NBD + Gamma-Gamma) on simulated customers.

    python benchmarks/clv_fit.py [--customers 100000] [--repeat 3] [--seed 2005]

Draws ``--customers`` purchase histories from known parameters (the published
CDNOW ones, in weeks: BG/NBD r=0.243, alpha=4.414, a=0.793, b=2.426; Gamma-Gamma
p=6.25, q=3.74, v=15.44) with ``simulate_bgnbd`` / ``simulate_gamma_gamma``
(numpy, seeded), customers acquired uniformly over two years (T from 0 to 104
weeks), then times, best of ``--repeat``:

fit_bgnbd        maximum likelihood on all customers
fit_gamma_gamma  maximum likelihood on the repeat buyers
p_alive          for all customers
clv (3 years)    ``customer_lifetime_value``: 3 years, 36 monthly steps, 10 %/year
valuation        ``clv.fit_values``: what ``clientfolio value`` fits: both purchase
                 models (BG/NBD, MBG/NBD), the spend model's diagnostics (q's
                 profile likelihood included), the CLVs and the bootstrap interval
                 (100 resamples up to 20,000 customers, 20 at 100,000)

on two versions of the same customers: times as drawn (continuous: every
history is distinct, the worst case) and times rounded down to whole days (as
computed from transaction dates, so histories repeat and are merged).  Goal:
both fits on 100,000 customers in under 5 s.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from clientfolio.value.bgnbd import BetaGeoParams, fit_bgnbd, p_alive, simulate_bgnbd
from clientfolio.value.clv import ClvConfig, ModelInputs, fit_values
from clientfolio.value.gamma_gamma import GammaGammaParams, fit_gamma_gamma, simulate_gamma_gamma
from clientfolio.value.lifetime import customer_lifetime_value
from clientfolio.value.spend import SpendHistories

TRUE_BGNBD = BetaGeoParams(r=0.243, alpha=4.414, a=0.793, b=2.426)
TRUE_GG = GammaGammaParams(p=6.25, q=3.74, v=15.44)
HORIZON_WEEKS, WEEKS_PER_YEAR, DISCOUNT_RATE = 156.0, 52.0, 0.10  # 3 years at 10 % a year
GOAL_SECONDS = 5.0


def simulate(customers: int, seed: int) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    T = rng.uniform(0.0, 104.0, customers)
    frequency, recency = simulate_bgnbd(TRUE_BGNBD, T, rng)
    monetary = simulate_gamma_gamma(TRUE_GG, frequency, rng)
    first = simulate_gamma_gamma(TRUE_GG, np.ones_like(frequency), rng)  # every customer's first purchase
    return frequency, recency, T, monetary, first


def model_inputs(
    frequency: np.ndarray, recency: np.ndarray, T: np.ndarray, monetary: np.ndarray, first: np.ndarray
) -> ModelInputs:
    """The valuation's inputs (days, cents), each purchase taken at the customer's mean."""
    n = frequency + 1
    mean = (first + frequency * monetary) / n
    spend = SpendHistories(
        frequency,
        monetary * 100,
        first * 100,
        np.maximum(first, monetary) * 100,
        n,
        n * np.log(mean * 100),
        n * np.log(mean * 100) ** 2,
        np.full(frequency.size, "S", dtype=np.str_),
    )
    return ModelInputs(frequency, recency * 7, T * 7, spend)


def in_whole_days(recency: np.ndarray, T: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return np.floor(recency * 7) / 7, np.floor(T * 7) / 7


def best_of(repeat: int, work: Callable[[], Any]) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - start)
    return min(times), result


def run(
    frequency: np.ndarray, recency: np.ndarray, T: np.ndarray, monetary: np.ndarray, first: np.ndarray, repeat: int
) -> dict[str, Any]:
    seconds: dict[str, float] = {}
    seconds["fit_bgnbd"], bg = best_of(repeat, lambda: fit_bgnbd(frequency, recency, T))
    seconds["fit_gamma_gamma"], gg = best_of(repeat, lambda: fit_gamma_gamma(frequency, monetary))
    seconds["p_alive"], _ = best_of(repeat, lambda: p_alive(bg.params, frequency, recency, T))
    seconds["clv (3 years)"], clv = best_of(
        repeat,
        lambda: customer_lifetime_value(
            bg.params,
            gg.params,
            frequency,
            recency,
            T,
            monetary,
            1.0,
            horizon_periods=HORIZON_WEEKS,
            periods_per_year=WEEKS_PER_YEAR,
            discount_rate=DISCOUNT_RATE,
        ),
    )
    inputs = model_inputs(frequency, recency, T, monetary, first)
    seconds["valuation"], fitted = best_of(repeat, lambda: fit_values(inputs, 1.0, ClvConfig()))
    return {"seconds": seconds, "bg": bg, "gg": gg, "clv": clv, "fitted": fitted}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=2005)
    args = parser.parse_args()
    frequency, recency, T, monetary, first = simulate(args.customers, args.seed)
    print(
        f"{args.customers:,} customers, {np.count_nonzero(frequency):,} repeat buyers, "
        f"{int(frequency.sum()):,} repeat purchases; best of {args.repeat}"
    )
    day_recency, day_T = in_whole_days(recency, T)
    results = {
        "continuous times": run(frequency, recency, T, monetary, first, args.repeat),
        "whole days": run(frequency, day_recency, day_T, monetary, first, args.repeat),
    }

    steps = list(next(iter(results.values()))["seconds"])
    print(f"\n{'step':<18}" + "".join(f"{label:>18}" for label in results))
    for step in steps:
        print(f"{step:<18}" + "".join(f"{r['seconds'][step]:>16.3f} s" for r in results.values()))
    for label, r in results.items():
        bg, gg, fitted = r["bg"], r["gg"], r["fitted"]
        low, point, high = fitted.interval
        print(
            f"\n{label}: BG/NBD r={bg.params.r:.3f} alpha={bg.params.alpha:.3f} a={bg.params.a:.3f} "
            f"b={bg.params.b:.3f} (true {TRUE_BGNBD.r}, {TRUE_BGNBD.alpha}, {TRUE_BGNBD.a}, {TRUE_BGNBD.b}), "
            f"converged={bg.converged}"
        )
        print(
            f"{' ' * len(label)}  Gamma-Gamma p={gg.params.p:.3f} q={gg.params.q:.3f} v={gg.params.v:.3f} "
            f"(true {TRUE_GG.p}, {TRUE_GG.q}, {TRUE_GG.v}), converged={gg.converged}"
        )
        print(
            f"{' ' * len(label)}  valuation: {fitted.purchase_model}, {fitted.spend.name} spend, equity "
            f"{point / 100:,.0f} (90 %: {low / 100:,.0f} - {high / 100:,.0f}, {fitted.resamples} resamples)"
        )
        fits = r["seconds"]["fit_bgnbd"] + r["seconds"]["fit_gamma_gamma"]
        verdict = "met" if fits < GOAL_SECONDS else "NOT met"
        print(f"{' ' * len(label)}  both fits {fits:.2f} s: goal (< {GOAL_SECONDS:.0f} s) {verdict}")


if __name__ == "__main__":
    main()
