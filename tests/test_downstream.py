"""From loss to downstream error, and over-trained runs: Gadre et al. 2024 reproduced from its data.

The data is the shipped extraction of the paper's 104 models (../shared/data, from the
repository mlfoundations/scaling). The published figures are the relative errors that the
repository's scaling_explorer.ipynb prints for Figure 1 (RedPajama training, C4 eval loss,
the 17-task split): 0.7103% and 0.7320% for the loss of the 1.4B model at M = 640 and the
6.9B model at M = 20, and 3.6365% and 0.0464% for their top-1 error.
"""

import csv
from pathlib import Path

import numpy as np
import pytest

import planner
from workbook.addin.cells import CellError, evaluate

RUNS_CSV = Path(__file__).parents[1] / ".." / "shared" / "data" / "gadre2024_overtraining_runs.csv"
# The 17-task split (scaling/constants.py, SUBSET).
SUBSET = ("bigbench_operators", "pubmed_qa_labeled", "hellaswag_zeroshot", "boolq", "arc_easy", "coqa",
          "bigbench_dyck_languages", "lambada_openai", "bigbench_novel_concepts", "winograd",
          "bigbench_cs_algorithms", "commonsense_qa", "bigbench_qa_wikidata", "hellaswag", "copa", "squad",
          "piqa")
# The runs their fit_ds fits: four sizes at 20 tokens per parameter and the smallest at 320;
# the error law adds the 1.4B model at 20.
LOSS_RUNS = ("rpj-d=96_l=8_h=4-1.0", "rpj-d=512_l=8_h=4-1.0", "rpj-d=576_l=24_h=8-1.0",
             "rpj-d=1024_l=24_h=8-1.0", "rpj-d=96_l=8_h=4-16.0")
ERROR_RUNS = LOSS_RUNS + ("rpj-open_lm_1b-1.0",)


@pytest.fixture(scope="module")
def models():
    with open(RUNS_CSV) as f:
        rows = {r["name"]: r for r in csv.DictReader(f)}
    assert len(rows) == 104
    return rows


def columns(models, names):
    rows = [models[n] for n in names]
    n = np.array([float(r["params"]) for r in rows])
    d = np.array([float(r["tokens"]) for r in rows])
    loss = np.array([float(r["loss_c4"]) for r in rows])
    err = np.array([np.mean([1 - float(r[f"acc_{t}"]) for t in SUBSET]) for r in rows])
    return n, d, loss, err


def relative_error(predicted, observed):
    return round(100 * abs(predicted - observed) / observed, 4)


def test_reproduces_gadre_figure_1(models):
    n, d, loss, _ = columns(models, LOSS_RUNS)
    law = planner.fit_overtraining_law(n, d, loss)
    assert law[3] == law[4]  # one exponent for both terms
    _, _, loss_e, err_e = columns(models, ERROR_RUNS)
    error_law = planner.fit_error_law(loss_e, err_e)
    published = {"rpj-open_lm_1b-32.0": (0.7103, 3.6365), "rpj-open_lm_7b-1.0": (0.7320, 0.0464)}
    for name, (loss_pct, error_pct) in published.items():
        (tn,), (td,), (tl,), (te,) = columns(models, (name,))
        predicted = planner.scaling_loss(tn, td, law)
        assert relative_error(predicted, tl) == loss_pct, name
        assert relative_error(planner.downstream_error(predicted, error_law), te) == error_pct, name


def test_error_law_recovers_itself_and_inverts():
    truth = np.array([0.85, 2.2, 0.7])  # epsilon, k, gamma
    losses = np.linspace(2.3, 5.5, 9)
    errors = truth[0] - truth[1] * np.exp(-truth[2] * losses)
    fitted = planner.fit_error_law(losses, errors)
    assert fitted == pytest.approx(truth, rel=1e-6)
    assert planner.downstream_error(losses, fitted) == pytest.approx(errors, rel=1e-9)
    assert planner.loss_for_error(errors[1:-1], fitted) == pytest.approx(losses[1:-1], rel=1e-6)
    # A target accuracy becomes a budget: the loss for it, then the compute for that loss.
    budget = planner.compute_for_loss(planner.loss_for_error(0.45, fitted))
    assert planner.downstream_error(planner.chinchilla_loss(budget), fitted) == pytest.approx(0.45, rel=1e-9)


def test_overtraining_law_recovers_an_equal_exponent_law():
    n = np.array([1e7, 8e7, 1.5e8, 4e8, 1e7, 8e7])
    d = n * np.array([20, 20, 20, 20, 320, 320])
    truth = np.array([1.8, 170.0, 290.0, 0.27, 0.27])
    fitted = planner.fit_overtraining_law(n, d, planner.scaling_loss(n, d, truth))
    assert fitted == pytest.approx(truth, rel=1e-4)


@pytest.mark.parametrize("call, message", [
    (lambda: planner.loss_for_error(0.9, [0.85, 2.2, 0.7]), "error must be below the law's epsilon"),
    (lambda: planner.loss_for_error(0.01, [0.85, 0.5, 0.7]), "error must be above epsilon - k"),
    (lambda: planner.downstream_error(2.0, [0.85, 2.2]), "error_law must be three numbers"),
    (lambda: planner.downstream_error(2.0, ["a", 2.2, 0.7]), "error_law must be a number"),
    (lambda: planner.downstream_error(2.0, [0.85, -2.2, 0.7]), "k and gamma must be positive"),
    (lambda: planner.fit_error_law([3.0, 3.0], [0.5, 0.4]), "needs at least 3 complete rows"),
    (lambda: planner.fit_overtraining_law([1e7, 1e8, 1e9], [2e8, 2e9, 2e10], [4.0, 3.5, 3.1]),
     "needs at least 4 complete rows"),
])
def test_bad_input_is_a_planner_error(call, message):
    with pytest.raises(planner.PlannerError, match=message):
        call()


def test_in_cells():
    law = evaluate("FIT_ERROR_LAW", [[[2.5], [3.0], [3.5], [4.0], [4.5]],
                                     [[0.85 - 2.2 * np.exp(-0.7 * x)] for x in (2.5, 3.0, 3.5, 4.0, 4.5)]])
    assert np.allclose(law[0], [0.85, 2.2, 0.7], rtol=1e-6)
    assert evaluate("DOWNSTREAM_ERROR", [3.0, [law[0]]]) == pytest.approx(0.85 - 2.2 * np.exp(-2.1), rel=1e-6)
    bad = evaluate("LOSS_FOR_ERROR", [0.95, [[0.85, 2.2, 0.7]]])
    assert isinstance(bad, CellError) and bad.code == "#NUM!"
