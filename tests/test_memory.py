import math

import numpy as np
import pytest

import planner

# Mixed-precision Adam, byte by byte (Rajbhandari et al. 2020, ZeRO, section 3.1).
ADAM_BYTES = 2 + 2 + 4 + 4 + 4  # bf16 weights, bf16 grads, fp32 master, Adam m, Adam v


def test_training_memory_is_sixteen_bytes_per_parameter():
    assert planner.train_memory_gb(70e9) == 70e9 * ADAM_BYTES / 1e9  # 1,120 GB
    assert planner.train_memory_gb(7e9, 12) == 7e9 * 12 / 1e9
    assert np.array_equal(planner.train_memory_gb([1e9, 1e10]), [1e9 * ADAM_BYTES / 1e9, 1e10 * ADAM_BYTES / 1e9])


def test_gpus_for_memory_uses_the_presets_memory():
    for gpu in ("H100", "A100 40GB", "MI300X", "TPU v5e"):
        memory = planner.gpu_spec(gpu, "memory_gb")
        assert planner.gpus_for_memory(70e9, gpu) == np.ceil(70e9 * ADAM_BYTES / 1e9 / memory)
    assert planner.gpus_for_memory(70e9, "H100") == math.ceil(70e9 * ADAM_BYTES / 1e9 / 80)  # 1,120 GB on 80 GB


def test_gpus_for_memory_counts_whole_gpus_and_an_exact_fit_does_not_round_up():
    assert planner.gpus_for_memory(5e9, "H100") == 1  # exactly 80 GB
    assert planner.gpus_for_memory(5e9 + 1e6, "H100") == 2
    assert planner.gpus_for_memory(1e3, "H100") == 1


def test_gpus_for_memory_takes_a_memory_figure_and_inference_bytes():
    assert planner.gpus_for_memory(70e9, memory_gb=141) == math.ceil(1120 / 141)  # 1,120 GB / 141 GB
    assert planner.gpus_for_memory(70e9, "H100", 2) == math.ceil(140 / 80)  # bf16 weights: 140 GB
    # 14, 140 and 810 GB of bf16 weights on 80 GB parts; a peak FLOP/s number as gpu is
    # accepted beside the memory figure, as everywhere a number as gpu is a peak.
    counts = planner.gpus_for_memory([7e9, 70e9, 405e9], 989.4e12, 2, memory_gb=80)
    assert np.array_equal(counts, [math.ceil(g / 80) for g in (14, 140, 810)])
    assert counts.dtype.kind == "i" and type(planner.gpus_for_memory(7e9)) is int


def test_kv_cache_of_llama2_70b():
    # 80 layers, 8 key/value heads of 128, bf16: 2 * 80 * 8 * 128 * 2 bytes per token.
    per_token = 2 * 80 * 8 * 128 * 2
    assert planner.kv_cache_gb(80, 8, 128, 4096) == per_token * 4096 / 1e9
    assert planner.kv_cache_gb(80, 8, 128, 4096, 16) == per_token * 4096 * 16 / 1e9
    # Without grouped-query attention (64 heads) the cache is 8 times larger.
    assert planner.kv_cache_gb(80, 64, 128, 4096) == pytest.approx(8 * planner.kv_cache_gb(80, 8, 128, 4096))
    assert planner.kv_cache_gb(80, 8, 128, 4096, 1, 1) == per_token * 4096 / 2 / 1e9  # fp8


def test_inference_memory_adds_weights_and_cache():
    cache = planner.kv_cache_gb(80, 8, 128, 4096, 16)
    assert planner.inference_memory_gb(70e9) == 70e9 * 2 / 1e9  # bf16 weights by default
    assert planner.inference_memory_gb(70e9, 2, cache) == pytest.approx(70e9 * 2 / 1e9 + cache, rel=1e-15)
    assert planner.inference_memory_gb(70e9, 0.5) == 70e9 * 0.5 / 1e9  # 4-bit weights
    assert np.array_equal(planner.inference_memory_gb(70e9, [2, 1], [0, 10]), [70e9 * 2 / 1e9, 70e9 / 1e9 + 10])


@pytest.mark.parametrize("call, message", [
    (lambda: planner.train_memory_gb(-1), "params must be positive; got -1"),
    (lambda: planner.train_memory_gb(7e9, 0), "bytes_per_param must be positive; got 0"),
    (lambda: planner.gpus_for_memory(7e9, "Z100"), "gpu 'Z100' is not a known accelerator"),
    (lambda: planner.gpus_for_memory(7e9, 989.4e12), "memory_gb is needed when gpu is given as a number"),
    (lambda: planner.gpus_for_memory(7e9, 0), "gpu must be positive; got 0"),
    (lambda: planner.gpus_for_memory(7e9, "H100", 16, 0), "memory_gb must be positive; got 0 GB"),
    (lambda: planner.gpus_for_memory(7e9, True), "gpu must be an accelerator name"),
    (lambda: planner.kv_cache_gb(80, 8.5, 128, 4096), "kv_heads must be a positive whole number; got 8.5 heads"),
    (lambda: planner.kv_cache_gb(80, 8, 128, 4096, batch=-2), "batch must be positive; got -2"),
    (lambda: planner.kv_cache_gb(80, 8, 128, "long"), "context must be a number"),
    (lambda: planner.inference_memory_gb(7e9, 2, -1), "kv_cache_gb must be zero or positive; got -1"),
])
def test_bad_input_names_argument_rule_and_value(call, message):
    with pytest.raises(planner.PlannerError, match=message):
        call()


# --- activation memory (Korthikanti et al. 2022) -----------------------------------------------

GPT3 = dict(layers=96, d_model=12288, heads=96, context=2048)  # their GPT-3 175B


def korthikanti_bytes_per_layer(s, b, h, a, t, sp, recompute):
    """Their Table 2, written out case by case (bytes per layer, 16-bit activations)."""
    if recompute == "full":
        return 2 * s * b * h / (t if sp else 1)
    if recompute == "selective":
        return s * b * h * 34 / t if sp else s * b * h * (10 + 24 / t)
    return s * b * h * (34 + 5 * a * s / h) / t if sp else s * b * h * (10 + 24 / t + 5 * a * s / (h * t))


@pytest.mark.parametrize("recompute", ["none", "selective", "full"])
@pytest.mark.parametrize("t, sp", [(1, True), (1, False), (8, True), (8, False)])
def test_activation_memory_follows_korthikanti_table_2(recompute, t, sp):
    s, b, h, a, n_layers = 4096, 2, 8192, 64, 80
    expected = n_layers * korthikanti_bytes_per_layer(s, b, h, a, t, sp, recompute) / 1e9
    got = planner.activation_memory_gb(n_layers, h, a, s, b, recompute, t, sp)
    assert got == pytest.approx(expected, rel=1e-12)


def test_selective_recomputation_saves_seventy_percent_for_gpt3():
    """Korthikanti et al. 2022, section 4.2: for GPT-3, 5as/h = 80 against 34 for the rest of
    the layer, so recomputing the attention part saves about 70% of activation memory."""
    assert 5 * GPT3["heads"] * GPT3["context"] / GPT3["d_model"] == 80
    full = planner.activation_memory_gb(**GPT3, tensor_parallel=8)
    selective = planner.activation_memory_gb(**GPT3, recompute="selective", tensor_parallel=8)
    assert round(1 - selective / full, 2) == 0.70
    # Without tensor parallelism, one layer of one 2,048-token sequence: 2.87 GB.
    assert planner.activation_memory_gb(1, 12288, 96, 2048) == pytest.approx(
        2048 * 12288 * (34 + 80) / 1e9, rel=1e-12)


def test_activation_memory_broadcasts_and_refuses_unknown_recomputation():
    got = planner.activation_memory_gb([[80], [96]], 8192, 64, [2048, 4096, 8192])
    assert got.shape == (2, 3) and np.all(np.diff(got, axis=1) > 0)
    with pytest.raises(planner.PlannerError, match="recompute"):
        planner.activation_memory_gb(80, 8192, 64, 4096, 1, "some")


# --- training state: optimizers, precision, ZeRO and model parallelism ---------------------------

def test_zero_reproduces_its_figure_one():
    """Rajbhandari et al. 2020, Figure 1: a 7.5 B-parameter model with Adam on 64 data-parallel
    GPUs holds 120 GB per GPU, 31.4 GB with optimizer-state sharding (ZeRO-1), 16.6 GB adding
    gradients (ZeRO-2) and 1.9 GB adding the parameters (ZeRO-3)."""
    per_gpu = [planner.train_memory_gb(7.5e9, zero_stage=k, data_parallel=64, per_gpu=True) for k in range(4)]
    assert [round(x, 1) for x in per_gpu] == [120.0, 31.4, 16.6, 1.9]
    # The same, written out: (2 + 2 + 12) Psi, then 4 + 12/Nd, 2 + 14/Nd, 16/Nd bytes per parameter.
    psi, nd = 7.5e9, 64
    assert per_gpu == pytest.approx([16 * psi / 1e9, (4 + 12 / nd) * psi / 1e9, (2 + 14 / nd) * psi / 1e9,
                                     16 / nd * psi / 1e9], rel=1e-12)


@pytest.mark.parametrize("optimizer, state", [("adamw", 8), ("adafactor", 0), ("sgd-momentum", 4), ("muon", 4)])
def test_optimizers_and_precisions(optimizer, state):
    n = 1e9
    # 16-bit weights keep an fp32 master copy (4 bytes) beside the optimizer's own state.
    assert planner.train_memory_gb(n, optimizer=optimizer) == pytest.approx(n * (2 + 2 + 4 + state) / 1e9)
    assert planner.train_memory_gb(n, optimizer=optimizer, weight_bytes=4, grad_bytes=4) == pytest.approx(
        n * (4 + 4 + state) / 1e9)


def test_model_parallelism_divides_each_accelerators_share():
    n = 70e9
    whole = planner.train_memory_gb(n)
    assert planner.train_memory_gb(n, per_gpu=True) == whole  # one accelerator, nothing sharded
    share = planner.train_memory_gb(n, zero_stage=1, data_parallel=16, tensor_parallel=8,
                                    pipeline_parallel=4, per_gpu=True)
    assert share == pytest.approx(n * (2 + 2 + 12 / 16) / (8 * 4) / 1e9, rel=1e-12)
    with pytest.raises(planner.PlannerError, match="ZeRO cannot shard"):
        planner.train_memory_gb(n, 16, zero_stage=2, data_parallel=8, per_gpu=True)
    with pytest.raises(planner.PlannerError, match="zero_stage"):
        planner.train_memory_gb(n, zero_stage=4)


def test_activations_take_their_share_of_each_accelerator():
    # 1,120 GB of state on 80 GB H100s: 14 of them alone, 23 when each also holds 30 GB of activations.
    assert planner.gpus_for_memory(70e9, "H100") == 14
    assert planner.gpus_for_memory(70e9, "H100", activation_gb=30) == math.ceil(1120 / 50) == 23
    act = planner.activation_memory_gb(80, 8192, 64, 4096, 1, "selective", 8)
    assert planner.gpus_for_memory(70e9, "H100", activation_gb=act) == math.ceil(1120 / (80 - act))
    with pytest.raises(planner.PlannerError, match="activations alone fill the accelerator") as err:
        planner.gpus_for_memory(70e9, "H100", activation_gb=[10, 90])
    assert err.value.argument == "activation_gb" and err.value.elements.tolist() == [False, True]
