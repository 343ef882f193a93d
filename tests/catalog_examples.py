"""Every catalog entry's own example, as spreadsheet arguments, for the Excel-layer tests.

An example such as `=INFERENCE_MEMORY_GB(70E9, 2, KV_CACHE_GB(80, 8, 128, 4096, 16))` is
read with Python's own parser (its syntax is a subset of Python's once TRUE/FALSE and cell
ranges are named). Cell ranges (`A2:A241`, the fitting examples) are filled with columns of
synthetic training runs from the Chinchilla law, chosen by the argument's name.
"""

from __future__ import annotations

import ast
import re

import numpy as np

import planner

_RANGE = re.compile(r"\$?[A-Z]{1,3}\$?\d+:\$?[A-Z]{1,3}\$?\d+")


def _runs():
    """24 synthetic training runs on the Chinchilla law with +-1% deterministic noise."""
    law = planner.PRESETS["chinchilla"]
    n = np.repeat(np.logspace(7.5, 10, 8), 3)
    d = n * np.tile([5.0, 20.0, 80.0], 8)
    noise = 1 + 0.01 * np.sin(np.arange(n.size) * 1.7)
    return {"params": n, "tokens": d, "losses": law.loss(n, d) * noise,
            "x": 6 * n * d, "y": law.optimal_loss(6 * n * d) * noise}


DATA = _runs()


def _isoflop_runs():
    """Runs on IsoFLOP profiles (Approach 2's data): 7 sizes around the optimum of each of
    four budgets, on the Chinchilla law."""
    law = planner.PRESETS["chinchilla"]
    n, d = [], []
    for c in (1e18, 1e19, 1e20, 1e21):
        for size in law.optimal_n(c) * np.logspace(-0.6, 0.6, 7):
            n.append(size)
            d.append(c / (6 * size))
    n, d = np.array(n), np.array(d)
    return {"params": n, "tokens": d, "losses": law.loss(n, d)}


def _error_law_data():
    """Models' losses and the errors of an error law (Gadre et al. 2024's form), and that law."""
    law = np.array([0.85, 2.2, 0.7])  # epsilon, k, gamma
    losses = np.linspace(2.5, 4.5, 6)
    return {"losses": losses, "errors": law[0] - law[1] * np.exp(-law[2] * losses), "error_law": law}


def _benchmark_data():
    """Scores of 12 models on three tasks, sigmoids of log compute with +-1 point of
    deterministic noise; the first task's fit; a 13th model's scores."""
    x = np.logspace(18, 23.5, 12)
    chance = np.array([0.25, 0.5, 0.0])

    def scores(c, wobble):
        t = np.log10(c)[:, None]
        return chance + (np.array([0.85, 0.9, 0.6]) - chance) / (1 + np.exp(-np.array([1.2, 0.9, 1.5]) * (
            t - np.array([21.0, 21.5, 22.0])))) + wobble

    block = scores(x, 0.01 * np.sin(np.arange(36).reshape(12, 3) * 1.3))
    first = {"x": x, "scores": block[:, 0]}
    return {**first, "fit": planner.fit_benchmark(first["x"], first["scores"], 0.25),
            "block": block, "chance": chance, "model_scores": scores(np.array([3e21]), 0.0)[0]}


_BENCH = _benchmark_data()
_SIZE = {"x": _BENCH["x"], "scores": _BENCH["block"], "chance": _BENCH["chance"],
         "model_scores": _BENCH["model_scores"]}

# Range data for the examples of functions that need runs of another design.
DATA_FOR = {"fit_isoflop": _isoflop_runs(), "fit_error_law": _error_law_data(),
            "downstream_error": _error_law_data(), "loss_for_error": _error_law_data(),
            "fit_benchmark": _BENCH, "benchmark_score": _BENCH, "compute_for_score": _BENCH,
            "fit_benchmark_ci": _BENCH, "size_from_scores": _SIZE,
            # The 4-digit addition curve of Caballero et al. 2022's Figure 4 (their script's data).
            "fit_bnsl": {"x": np.array([160, 192, 256, 320, 384, 448, 480, 512, 544, 576, 608, 640, 672, 736.0]),
                         "y": np.array([2.13809046, 2.11813418, 2.08955508, 2.06988398, 2.05404987, 2.03837089,
                                        2.02814281, 2.00496872, 1.95576149, 1.86313841, 1.70891537, 1.50637664,
                                        1.29754721, 0.96559684])}}


def column(values) -> list[list[float]]:
    """A column range as a spreadsheet passes it: one row per cell (a block: its rows)."""
    if np.ndim(values) == 2:
        return np.asarray(values, dtype=float).tolist()
    return [[float(v)] for v in values]


def _parse(entry):
    text = _RANGE.sub("RANGE", entry.example.lstrip("="))
    return ast.parse(text, mode="eval").body


def _value(node, entry, position, call):
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_value(node.operand, entry, position, call)
    if isinstance(node, ast.Name) and node.id in ("TRUE", "FALSE"):
        return node.id == "TRUE"
    if isinstance(node, ast.Name) and node.id == "RANGE":
        name = entry.params[position].name
        data = DATA_FOR.get(entry.name, DATA)
        if name not in data:
            raise AssertionError(f"{entry.excel_name}: no test data for a range argument {name!r}")
        return column(data[name])
    if isinstance(node, ast.Call):
        inner = planner.CATALOG[node.func.id.lower()]
        return call(inner, [_value(a, inner, i, call) for i, a in enumerate(node.args)])
    raise AssertionError(f"{entry.excel_name}: example {entry.example!r} uses unsupported syntax")


# Bootstrap examples ask for 1,000 resamples; the tests pass the same argument, smaller.
_TEST_SIZES = {"resamples": 40}


def example_args(entry, call) -> list:
    """The example's top-level arguments; nested formulas are computed with `call(entry, args)`."""
    node = _parse(entry)
    assert isinstance(node, ast.Call) and node.func.id == entry.excel_name, entry.example
    args = [_value(a, entry, i, call) for i, a in enumerate(node.args)]
    return [_TEST_SIZES.get(p.name, a) for p, a in zip(entry.params, args)]


def planner_call(entry, args):
    """The planner function called directly, with ranges as flat lists (the independent value)."""
    def plain(v):
        if isinstance(v, list) and v and isinstance(v[0], list) and len(v[0]) > 1:
            return v  # a block keeps its rows
        if isinstance(v, list):
            return [x for row in v for x in row]
        return v
    # An empty argument means the default, so it is left out.
    return entry.func(**{p.name: plain(a) for p, a in zip(entry.params, args) if a is not None})


def as_grid(entry, value):
    """A planner result laid out as the spreadsheet shows it (see workbook/excel.py)."""
    if isinstance(value, dict):
        labels = list(entry.fields) or list(value)
        return [labels, [float(value[k]) for k in labels]]
    arr = np.asarray(value, dtype=float)
    if arr.ndim == 0:
        return float(arr)
    if arr.ndim == 1:
        return [arr.tolist()]
    return arr.tolist()
