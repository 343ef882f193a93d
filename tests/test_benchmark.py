"""Benchmark sigmoids and sizes read off scores: against scipy's least squares, curves written
out again, models of known compute held out of the shipped runs of Gadre et al. 2024, and
synthetic tasks whose truth is known."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import least_squares

import planner

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
# Gadre et al. 2024's 17-task split (their scaling/constants.py, SUBSET).
SUBSET = ("bigbench_operators", "pubmed_qa_labeled", "hellaswag_zeroshot", "boolq", "arc_easy", "coqa",
          "bigbench_dyck_languages", "lambada_openai", "bigbench_novel_concepts", "winograd",
          "bigbench_cs_algorithms", "commonsense_qa", "bigbench_qa_wikidata", "hellaswag", "copa", "squad", "piqa")


@pytest.fixture(scope="module")
def runs():
    with open(DATA / "gadre2024_overtraining_runs.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    with open(DATA / "gadre2024_tasks.csv", newline="") as f:
        chance = {r["task"]: float(r["random_baseline_percent"]) / 100 for r in csv.DictReader(f)}
    compute = np.array([6 * float(r["params"]) * float(r["tokens"]) for r in rows])
    return rows, chance, compute


def _curve(t, chance, ceiling, mid, slope):
    return chance + (ceiling - chance) / (1 + np.exp(-slope * (t - mid)))


def test_a_noiseless_sigmoid_is_recovered():
    x = np.logspace(18, 24, 15)
    y = _curve(np.log10(x), 0.25, 0.82, 21.3, 1.7)
    fit = planner.fit_benchmark(x, y, 0.25)
    assert fit == pytest.approx([0.25, 0.82, 21.3, 1.7, 1.0], rel=1e-7)
    # Against a loss the score falls as x rises: the slope is negative.
    loss = np.linspace(2.2, 4.0, 12)
    fit = planner.fit_benchmark(loss, _curve(loss, 0.0, 0.7, 3.1, -4.0), 0.0, False)
    assert fit == pytest.approx([0.0, 0.7, 3.1, -4.0, 0.0], rel=1e-7)
    assert np.array_equal(planner.fit_benchmark(loss, _curve(loss, 0.0, 0.7, 3.1, -4.0), 0.0, 0), fit)  # 0: FALSE


@pytest.mark.parametrize("task", ["hellaswag_zeroshot", "arc_easy", "piqa", "jeopardy", "lambada_openai"])
def test_the_fit_is_the_least_squares_scipy_finds(runs, task):
    rows, chance, compute = runs
    y = np.array([float(r[f"acc_{task}"]) for r in rows])
    fit = planner.fit_benchmark(compute, y, chance[task])
    t = np.log10(compute)

    def residuals(p):
        return _curve(t, chance[task], *p) - y

    best = min((least_squares(residuals, [c0, m0, s0], bounds=([chance[task], -np.inf, -np.inf], [1, np.inf, np.inf]))
                for c0 in (0.6, 0.9) for m0 in np.quantile(t, [0.25, 0.5, 0.75]) for s0 in (0.5, 2.0)),
               key=lambda r: r.cost)
    ours = np.sum((planner.benchmark_score(compute, fit) - y) ** 2)
    assert ours <= 2 * best.cost * (1 + 1e-9)
    assert fit[1:4] == pytest.approx(best.x, rel=1e-4)


def test_score_and_compute_for_score_invert_each_other_and_broadcast():
    fit = [0.25, 0.8, 21.0, 1.2, 1.0]
    x = np.logspace(19, 23, 9)
    scores = planner.benchmark_score(x, fit)
    assert scores == pytest.approx(_curve(np.log10(x), 0.25, 0.8, 21.0, 1.2), rel=1e-12)
    assert planner.compute_for_score(scores, fit) == pytest.approx(x, rel=1e-9)
    assert planner.compute_for_score(0.525, fit) == pytest.approx(1e21, rel=1e-12)  # halfway: the midpoint
    for bad in (0.25, 0.8, 0.9):  # at chance, at and above the ceiling: never reached
        with pytest.raises(planner.PlannerError, match="score"):
            planner.compute_for_score(bad, fit)
    with pytest.raises(planner.PlannerError, match="fit must"):
        planner.benchmark_score(1e21, [0.25, 0.2, 21.0, 1.2, 1.0])


def test_the_bootstrap_interval_brackets_the_fit_and_narrows_for_the_average_of_tasks(runs):
    """One task's noise makes its forecast wide; the average over the 17 tasks is far tighter
    (Owen 2024: aggregate scores are the predictable ones)."""
    rows, chance, compute = runs
    widths = []
    for task in SUBSET:
        y = np.array([float(r[f"acc_{task}"]) for r in rows])
        target = chance[task] + 0.5 * (np.max(y) - chance[task])
        try:
            block = planner.fit_benchmark_ci(compute, y, chance[task], target, resamples=200)
        except planner.PlannerError as exc:  # a task whose fit never reaches the target says so
            assert "never reach" in str(exc) or "below the target" in str(exc)
            continue
        est, low, high = block[:, 5]
        assert low <= est <= high
        widths.append(np.log10(high / low))
        # Row 1 is the fit itself; the reading is COMPUTE_FOR_SCORE of it.
        assert block[0, :5] == pytest.approx(planner.fit_benchmark(compute, y, chance[task]), rel=1e-12)
        assert est == pytest.approx(planner.compute_for_score(target, block[0, :5]), rel=1e-9)
    scores = np.array([[float(r[f"acc_{t}"]) for t in SUBSET] for r in rows]).mean(axis=1)
    floor = np.mean([chance[t] for t in SUBSET])
    block = planner.fit_benchmark_ci(compute, scores, floor, floor + 0.5 * (scores.max() - floor), resamples=200)
    assert len(widths) >= 10
    assert np.log10(block[2, 5] / block[1, 5]) < np.median(widths)
    # Reproducible for a seed, and another seed moves only the bounds.
    again = planner.fit_benchmark_ci(compute, scores, floor, floor + 0.5 * (scores.max() - floor), resamples=200)
    other = planner.fit_benchmark_ci(compute, scores, floor, floor + 0.5 * (scores.max() - floor), resamples=200,
                                     seed=7)
    assert np.array_equal(again, block) and other[0, 5] == block[0, 5] and other[1, 5] != block[1, 5]


def test_a_target_above_the_ceiling_has_no_forecast():
    x = np.logspace(18, 24, 15)
    y = _curve(np.log10(x), 0.25, 0.6, 21.0, 1.5)
    with pytest.raises(planner.PlannerError, match="never reaches"):
        planner.fit_benchmark_ci(x, y, 0.25, 0.7, resamples=100)


def _synthetic(rng, truth, n_tasks=8):
    """Known models and one of compute `truth` on tasks of known sigmoids, with 1.5 points of noise."""
    x = np.logspace(19, 23, 14)
    chance = rng.choice([0.0, 0.25, 0.5], n_tasks)
    ceiling = chance + (1 - chance) * rng.uniform(0.5, 0.9, n_tasks)
    mid, slope = rng.uniform(20, 22, n_tasks), rng.uniform(0.8, 1.6, n_tasks)
    curve = lambda c: _curve(np.log10(c)[:, None], chance, ceiling, mid, slope)  # noqa: E731
    noise = lambda k: rng.normal(0, 0.015, (k, n_tasks))  # noqa: E731
    return x, curve(x) + noise(x.size), chance, (curve(np.array([truth])) + noise(1))[0]


def test_size_from_scores_is_calibrated_on_tasks_of_known_sigmoids():
    rng = np.random.default_rng(3)
    inside, close = 0, 0
    trials = 40
    for _ in range(trials):
        truth = 10 ** rng.uniform(20.3, 21.7)
        x, scores, chance, model = _synthetic(rng, truth)
        est, low, high, ratio, p, tasks = planner.size_from_scores(x, scores, chance, model, resamples=100)
        inside += low <= truth <= high
        close += abs(np.log10(est / truth)) < 0.25
        assert low < est < high and tasks >= 4
    # An 80% interval holds the truth about 80% of the time; the estimate is rarely far off.
    assert 0.65 <= inside / trials <= 0.97 and close / trials >= 0.8


def test_size_from_scores_says_when_the_tasks_disagree():
    rng = np.random.default_rng(11)
    x, scores, chance, model = _synthetic(rng, 1e21)
    agree = planner.size_from_scores(x, scores, chance, model, resamples=100)
    # Half the tasks scored as by a model a hundred times larger (trained on the test, say).
    x2, scores2, chance2, big = _synthetic(np.random.default_rng(11), 1e23)
    mixed = np.where(np.arange(chance.size) % 2 == 0, model, big)
    disagree = planner.size_from_scores(x, scores, chance, mixed, resamples=100)
    assert agree[4] > 0.05 and disagree[4] < 0.01 and disagree[3] > 3 * max(agree[3], 1.0)
    assert (disagree[2] / disagree[1]) > (agree[2] / agree[1])  # its interval widens with the excess


def test_size_from_scores_reads_held_out_gadre_models_within_a_factor_of_two(runs):
    """Each compute-optimal model (20 tokens per parameter) of the shipped runs, held out of the
    others, on the 17 tasks: inside the known range, its compute is read within a factor of 2,
    or the tasks' disagreement says the reading is not to be trusted."""
    rows, chance, compute = runs
    tpp = np.array([float(r["tokens_per_param"]) for r in rows])
    scores = np.array([[float(r[f"acc_{t}"]) for t in SUBSET] for r in rows])
    floors = np.array([chance[t] for t in SUBSET])
    family = np.flatnonzero(tpp == 20)
    interior = [i for i in family if compute[family].min() < compute[i] < compute[family].max()]
    assert len(interior) == 12
    covered = read_well = 0
    for i in interior:
        known = family[family != i]
        est, low, high, _, p, _ = planner.size_from_scores(compute[known], scores[known], floors, scores[i],
                                                           resamples=100)
        assert 0.5 < est / compute[i] < 2 or p < 0.01, (rows[i]["name"], est, compute[i], p)
        covered += low <= compute[i] <= high
        read_well += 0.5 < est / compute[i] < 2
    assert covered >= len(interior) // 2 and read_well >= len(interior) - 2


@pytest.mark.parametrize("kwargs, pattern", [
    (dict(chance=[0.25]), "chance and model_scores one per task"),
    (dict(model_scores=[0.3, 0.4]), "one per task"),
    (dict(x=[1e20, 2e20, 3e20]), "a row per model"),
])
def test_size_from_scores_bad_shapes(kwargs, pattern):
    x, scores, chance, model = _synthetic(np.random.default_rng(0), 1e21, n_tasks=3)
    args = dict(x=x, scores=scores, chance=chance, model_scores=model)
    args.update(kwargs)
    with pytest.raises(planner.PlannerError, match=pattern):
        planner.size_from_scores(**args)
