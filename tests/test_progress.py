"""Algorithmic progress (Ho et al. 2024), capability density (Xiao et al. 2024) and the compute
multiplier, against their definitions written out."""

from __future__ import annotations

import numpy as np
import pytest

import planner


def test_algorithmic_progress_halves_the_compute_every_8_months_within_5_to_14():
    # Ho et al. 2024: 8 months (95% interval 5 to 14 months).
    assert planner.algorithmic_progress(8 / 12, field="estimate") == pytest.approx(2.0, rel=1e-12)
    one = planner.algorithmic_progress(1)
    assert (one.estimate, one.low, one.high) == pytest.approx((2 ** 1.5, 2 ** (12 / 14), 2 ** (12 / 5)), rel=1e-12)
    assert planner.algorithmic_progress(0).estimate == 1.0
    years = np.array([0.5, 1, 2, 3])
    got = planner.algorithmic_progress(years, [[6], [12]], "estimate")
    assert got.shape == (2, 4) and got[1, 2] == pytest.approx(4.0) and got[0, 3] == pytest.approx(64.0)
    with pytest.raises(planner.PlannerError, match="years must be zero or positive"):
        planner.algorithmic_progress(-1)


def test_a_compute_multiplier_is_effective_compute_for_the_loss_and_its_inverse():
    k = planner.algorithmic_progress(1, field="estimate")
    for law in ("epoch", "chinchilla", "kaplan"):
        assert planner.chinchilla_loss(1e24, law, k) == pytest.approx(planner.chinchilla_loss(k * 1e24, law), rel=1e-12)
        target = planner.chinchilla_loss(3e23, law)
        assert planner.compute_for_loss(target, law, k) == pytest.approx(3e23 / k, rel=1e-9)
    # A better recipe needs fewer FLOPs for the same loss; the default is today's recipe.
    assert planner.compute_for_loss(2.0, "epoch", 2.0) < planner.compute_for_loss(2.0) == \
        planner.compute_for_loss(2.0, "epoch", 1.0)
    with pytest.raises(planner.PlannerError, match="compute_multiplier must be positive"):
        planner.chinchilla_loss(1e24, "epoch", 0)


def test_density_halves_the_parameters_a_capability_needs_every_doubling_time():
    assert planner.density_params(70e9, 100) == pytest.approx(35e9, rel=1e-12)
    assert planner.density_params(70e9, 365) == pytest.approx(70e9 / 2 ** 3.65, rel=1e-12)
    # The journal version's 3.5 months (about 106.5 days) as the doubling time.
    assert planner.density_params(70e9, 365, 3.5 * 365.25 / 12) > planner.density_params(70e9, 365)
    assert planner.density_params([70e9, 8e9], 0).tolist() == [70e9, 8e9]


def test_capability_density_is_one_for_the_laws_own_compute_optimal_model():
    for law in ("epoch", "chinchilla"):
        c = 1e23
        n, loss = planner.chinchilla_n(c, law), planner.chinchilla_loss(c, law)
        assert planner.capability_density(n, loss, law) == pytest.approx(1.0, rel=1e-9)
        # Half the parameters at the same loss (over-trained to it): twice the density.
        assert planner.capability_density(n / 2, loss, law) == pytest.approx(2.0, rel=1e-9)
    with pytest.raises(planner.PlannerError, match="loss 1.5 is below the irreducible loss"):
        planner.capability_density(8e9, 1.5)
