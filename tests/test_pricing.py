"""Paying for accelerator-hours: committed-use contracts and owned hardware (Cottier et al. 2024)."""

import math

import numpy as np
import pytest

import planner

HOURS_PER_YEAR = 8766


def test_owned_hour_cost_written_out():
    # An H100 at $33,750 (DGX H100 at $270,000 for 8), Cottier et al.'s server overhead 1.64,
    # 19% interconnect and a life of 1 / (0.14 ln 10) years; 700 W at 1.37 server draw, PUE 1.2,
    # $0.0771 per kWh.
    life = 1 / (0.14 * math.log(10))
    hardware = 33750 * 1.64 / (1 - 0.19) / (life * HOURS_PER_YEAR)
    energy = 700 * (10.2 / 8 / 0.7 * 0.75) * 1.2 / 1000 * 0.0771
    assert planner.owned_hour_cost(33750, "H100") == pytest.approx(hardware + energy, rel=1e-12)
    assert hardware == pytest.approx(2.51, abs=0.005) and energy == pytest.approx(0.0885, abs=0.0005)
    # Idle hours are paid for by the busy ones: half as busy, twice the hardware per busy hour.
    assert planner.owned_hour_cost(33750, "H100", utilisation=0.5) == pytest.approx(2 * hardware + energy, rel=1e-12)
    # A whole server's price per accelerator, straight-line over five years, no interconnect.
    assert planner.owned_hour_cost(40000, "A100", 5, 1, 1, 0) == pytest.approx(
        40000 / (5 * HOURS_PER_YEAR) + 400 * 1.366 * 1.2 / 1000 * 0.0771, rel=1e-3)


def test_owned_hour_cost_broadcasts_and_needs_a_power():
    prices = planner.owned_hour_cost([20000, 30000, 40000], "H100", utilisation=[[1.0], [0.5]])
    assert prices.shape == (2, 3) and np.all(np.diff(prices, axis=1) > 0) and np.all(prices[1] > prices[0])
    with pytest.raises(planner.PlannerError, match="power_w is needed when gpu is given as a number"):
        planner.owned_hour_cost(30000, 500e12)
    with pytest.raises(planner.PlannerError, match="TPU v5e.*no published board power"):
        planner.owned_hour_cost(30000, "TPU v5e")
    assert planner.owned_hour_cost(30000, "TPU v5e", power_w=200) > 0
    with pytest.raises(planner.PlannerError, match="utilisation must be a fraction"):
        planner.owned_hour_cost(30000, utilisation=1.5)
    with pytest.raises(planner.PlannerError, match="interconnect_fraction"):
        planner.owned_hour_cost(30000, interconnect_fraction=1.0)


def test_committed_hour_price():
    # Cottier et al.'s price data: AWS p4d A100, $4.10 on demand and $2.40 with a 1-year commitment.
    assert planner.committed_hour_price(4.10, 1 - 2.40 / 4.10) == pytest.approx(2.40, rel=1e-12)
    # Used half the term, the term is still paid: twice the rate per hour used.
    assert planner.committed_hour_price(4.10, 0.41, 1, 0.5) == pytest.approx(2 * 4.10 * 0.59, rel=1e-12)
    # Past the term it renews in whole terms: 18 months of a 1-year contract pay for 2 years.
    assert planner.committed_hour_price(4.10, 0.41, 1, 1.5) == pytest.approx(4.10 * 0.59 * 2 / 1.5, rel=1e-12)
    # Exactly three terms are three terms, not four.
    assert planner.committed_hour_price(2.0, 0.5, 1 / 3, 1.0) == pytest.approx(1.0, rel=1e-12)
    with pytest.raises(planner.PlannerError, match="discount must be a fraction between 0 and 1"):
        planner.committed_hour_price(4.10, 1.0)
    grid = planner.committed_hour_price(4.10, [0.3, 0.6], 1, [[0.25], [1.0]])
    assert grid.shape == (2, 2) and grid[0, 0] == pytest.approx(4 * 4.10 * 0.7)


def test_prices_feed_the_cost_functions():
    owned = planner.owned_hour_cost(33750, "H100", utilisation=0.8)
    r = planner.inference_tradeoff_cost(2.0, 1e13, 2e12, train_price=owned,
                                        serve_price=planner.committed_hour_price(3.0, 0.4, 1))
    assert r.train_cost == pytest.approx(planner.compute_cost(6 * r.params * r.tokens, owned), rel=1e-12)
