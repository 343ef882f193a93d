"""Bootstrap fits remembered on disk across runs: read back instead of recomputed, and never a failure."""

import numpy as np
import pytest

import planner
from planner import diskcache, fitting


def runs():
    n = np.repeat(np.logspace(7, 9, 5), 4)
    d = n * np.tile([5.0, 20.0, 80.0, 320.0], 5)
    rng = np.random.default_rng(3)
    loss = (1.8 + 400 / n ** 0.34 + 410 / d ** 0.28) * np.exp(rng.normal(0, 0.003, n.size))
    return n, d, loss


@pytest.fixture
def counted(monkeypatch, tmp_path):
    """The cache in a fresh directory, and a count of the resampling runs actually done."""
    monkeypatch.setenv("PLANNER_CACHE_DIR", str(tmp_path))
    done = []
    real = fitting._resample_fits
    monkeypatch.setattr(fitting, "_resample_fits", lambda *a: done.append(1) or real(*a))
    fitting.clear_cache()
    yield tmp_path, done
    fitting.clear_cache()


def test_a_second_run_reads_the_bootstrap_from_disk(counted):
    where, done = counted
    first = planner.fit_scaling_law_ci(*runs(), 0.8, 50, 1)
    assert len(done) == 1 and len(list(where.glob("bootstrap-*.npz"))) == 1
    fitting.clear_cache()  # as a new process would start
    again = planner.fit_scaling_law_ci(*runs(), 0.8, 50, 1)
    assert len(done) == 1 and np.array_equal(first, again)
    samples = planner.fit_scaling_law_samples(*runs(), 50, 1)  # the same resamples
    assert len(done) == 1 and samples.shape == (50, 5)


def test_other_data_or_options_are_fitted_afresh(counted):
    where, done = counted
    n, d, loss = runs()
    planner.fit_scaling_law_ci(n, d, loss, 0.8, 50, 1)
    planner.fit_scaling_law_ci(n, d, loss, 0.8, 50, 2)  # another seed
    planner.fit_scaling_law_ci(n, d, loss * 1.001, 0.8, 50, 1)  # other losses
    assert len(done) == 3 and len(list(where.glob("bootstrap-*.npz"))) == 3
    # Another level reuses the resamples: only the percentiles change.
    planner.fit_scaling_law_ci(n, d, loss, 0.9, 50, 1)
    assert len(done) == 3


def test_a_damaged_or_planted_entry_is_recomputed(counted):
    where, done = counted
    first = planner.fit_scaling_law_ci(*runs(), 0.8, 50, 1)
    (entry,) = where.glob("bootstrap-*.npz")
    entry.write_bytes(b"not a numpy file")
    fitting.clear_cache()
    assert np.array_equal(planner.fit_scaling_law_ci(*runs(), 0.8, 50, 1), first) and len(done) == 2
    # An entry of the wrong shape (or a pickle, which is never loaded) is not trusted either.
    np.savez(entry, values=np.zeros((3, 5)))
    fitting.clear_cache()
    assert np.array_equal(planner.fit_scaling_law_ci(*runs(), 0.8, 50, 1), first) and len(done) == 3


def test_off_writes_nothing(monkeypatch, tmp_path):
    monkeypatch.setenv("PLANNER_CACHE_DIR", "off")
    assert diskcache.directory() is None
    diskcache.store("bootstrap", (b"x", 1), values=np.ones((1, 5)))
    assert diskcache.load("bootstrap", (b"x", 1)) is None
    monkeypatch.delenv("PLANNER_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert diskcache.directory() == tmp_path / "compute-planner"


def test_an_unwritable_directory_is_no_error(monkeypatch, tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("a file where the directory would go")
    monkeypatch.setenv("PLANNER_CACHE_DIR", str(blocked / "cache"))
    fitting.clear_cache()
    assert planner.fit_scaling_law_ci(*runs(), 0.8, 20, 1).shape == (3, 5)


def test_a_benchmark_bootstrap_is_remembered_too(monkeypatch, tmp_path):
    from planner import benchmark

    monkeypatch.setenv("PLANNER_CACHE_DIR", str(tmp_path))
    x = np.logspace(18, 24, 15)
    y = 0.25 + 0.55 / (1 + np.exp(-1.2 * (np.log10(x) - 21))) + 0.01 * np.sin(np.arange(15))
    done = []
    real = benchmark._fit_batch
    monkeypatch.setattr(benchmark, "_fit_batch", lambda *a, **k: done.append(k.get("start") is not None)
                        or real(*a, **k))
    resampled = lambda: [p for p in tmp_path.glob("benchmark-ci-*.npz") if "-table-" not in p.name]  # noqa: E731
    first = planner.fit_benchmark_ci(x, y, 0.25, 0.6, resamples=100)
    assert done.count(True) == 1 and len(resampled()) == 1
    # The whole table is remembered too (np.quantile's first call imports numpy.ma).
    whole = []
    real_table = benchmark._ci_table
    monkeypatch.setattr(benchmark, "_ci_table", lambda *a: whole.append(1) or real_table(*a))
    again = planner.fit_benchmark_ci(x, y, 0.25, 0.6, resamples=100)
    assert done.count(True) == 1 and np.array_equal(first, again) and not whole
    assert np.array_equal(planner.fit_benchmark_ci(x, y, 0.25, 0.7, resamples=100)[:, :5], first[:, :5]) and whole == [1]
    assert done.count(True) == 1  # another target: the same resamples read back
    planner.fit_benchmark_ci(x, y, 0.25, 0.6, resamples=100, seed=3)
    assert done.count(True) == 2
    for entry in tmp_path.glob("benchmark-ci-*.npz"):
        entry.write_bytes(b"damaged")
    assert np.array_equal(planner.fit_benchmark_ci(x, y, 0.25, 0.6, resamples=100), first)
    assert done.count(True) == 3  # recomputed, the same


def test_size_from_scores_remembers_its_resampled_sigmoids(monkeypatch, tmp_path):
    from planner import benchmark

    monkeypatch.setenv("PLANNER_CACHE_DIR", str(tmp_path))
    x = np.logspace(18, 24, 12)
    t = np.log10(x)[:, None]
    scores = 0.25 + 0.55 / (1 + np.exp(-np.array([1.0, 1.5, 0.8]) * (t - 21))) + 0.01 * np.cos(np.arange(36)).reshape(12, 3)
    chance, model = np.full(3, 0.25), np.array([0.5, 0.55, 0.45])
    done = []
    real = benchmark._fit_batch
    monkeypatch.setattr(benchmark, "_fit_batch", lambda *a, **k: done.append(k.get("start") is not None)
                        or real(*a, **k))
    first = planner.size_from_scores(x, scores, chance, model, resamples=50)
    assert done.count(True) == 1 and len(list(tmp_path.glob("benchmark-ci-*.npz"))) == 1
    again = planner.size_from_scores(x, scores, chance, model, resamples=50)
    assert done.count(True) == 1 and np.array_equal(first, again)
    planner.size_from_scores(x, scores, chance, model * 1.01, resamples=50)
    assert done.count(True) == 1  # another model's scores: the same known models' resamples
    planner.size_from_scores(x, scores, chance, model, resamples=50, seed=4)
    assert done.count(True) == 2
    # The whole result is remembered too (its time is mostly importing scipy.special).
    whole = []
    real_size = benchmark._size_from_scores
    monkeypatch.setattr(benchmark, "_size_from_scores", lambda *a: whole.append(1) or real_size(*a))
    assert np.array_equal(planner.size_from_scores(x, scores, chance, model, resamples=50), first) and not whole
    planner.size_from_scores(x, scores, chance, model * 0.99, resamples=50)
    assert whole == [1]


def _gadre_like():
    n = np.array([1.1e8, 4.1e8, 1.4e9, 6.9e9, 1.1e8, 4.1e8])
    d = n * np.array([20.0, 20.0, 20.0, 20.0, 320.0, 80.0])
    return n, d, 1.9 + 480 / n ** 0.33 + 480 / d ** 0.33


@pytest.mark.parametrize("fit, args, module, counted_name", [
    (planner.fit_scaling_law, runs, fitting, "_fit"),
    (planner.fit_overtraining_law, _gadre_like, None, "_curve_fit"),
    (planner.fit_error_law, lambda: (np.array([2.5, 3.0, 3.5, 4.0, 4.5]),
                                     np.array([0.4677, 0.5806, 0.6602, 0.7162, 0.7557])), None, "_curve_fit"),
    (planner.fit_bnsl, lambda: (np.array([160.0, 256, 384, 512, 640, 736, 900, 1100]),
                                np.array([9.0, 7.5, 6.1, 4.0, 1.9, 1.1, 0.7, 0.5])), None, "_fit"),
    (planner.fit_power_law, lambda: (np.array([1e18, 1e19, 1e20, 1e21, 1e22]), np.array([4.1, 3.6, 3.25, 3.0, 2.83])),
     fitting, "_power_law"),
    (planner.fit_benchmark, lambda: (np.logspace(19, 24, 9), 0.25 + 0.5 / (1 + np.exp(-1.3 * (np.linspace(19, 24, 9)
                                      - 21.7))) + 0.01 * np.cos(np.arange(9)), 0.25), None, "_fit_batch"),
])
def test_every_fit_is_remembered_across_runs(monkeypatch, tmp_path, fit, args, module, counted_name):
    """A fit of the same data in a new process is read back; new data is fitted afresh."""
    import importlib

    module = module or importlib.import_module(fit.__module__)
    monkeypatch.setenv("PLANNER_CACHE_DIR", str(tmp_path))
    done = []
    real = getattr(module, counted_name)
    monkeypatch.setattr(module, counted_name, lambda *a, **k: done.append(1) or real(*a, **k))
    fitting.clear_cache()
    data = args()
    first = fit(*data)
    calls = len(done)
    assert calls >= 1 and list(tmp_path.glob("*.npz"))
    fitting.clear_cache()  # as a new process would start
    again = fit(*data)
    assert len(done) == calls and np.array_equal(first, again)
    again[0] = -1.0  # the caller's copy
    assert np.array_equal(fit(*data), first)
    fit(data[0], data[1] * (1 + 1e-3 * np.arange(data[1].size)), *data[2:])
    assert len(done) > calls
    fitting.clear_cache()
