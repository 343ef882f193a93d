"""Serving rates and measured utilisation, against the roofline written out again and
against the figures PaLM's Appendix B publishes."""

import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import planner

H100_PEAK, H100_BANDWIDTH = 989.4e12, 3.35e12  # NVIDIA H100 SXM datasheet: dense bf16, HBM3


def test_the_presets_figures_are_the_datasheets():
    assert planner.gpu_spec("H100", "bf16_flops") == H100_PEAK
    assert planner.gpu_spec("H100", "memory_bandwidth") == H100_BANDWIDTH


def test_a_small_batch_is_bound_by_reading_the_weights():
    # Llama 2 70B in bf16 on one H100: 140 GB read per step at 3.35 TB/s.
    step = 70e9 * 2 / H100_BANDWIDTH
    assert planner.decode_tokens_per_second(70e9) == pytest.approx(1 / step, rel=1e-12)
    # A KV cache adds to every read; eight accelerators read eight times as fast.
    assert planner.decode_tokens_per_second(70e9, "H100", 4, 40) == pytest.approx(
        4 / ((140e9 + 40e9) / H100_BANDWIDTH), rel=1e-12)
    assert planner.decode_tokens_per_second(70e9, tensor_parallel=8) == pytest.approx(8 / step, rel=1e-12)


def test_a_large_batch_is_bound_by_compute():
    batch, mfu = 4096, 0.4
    compute = 2 * 70e9 * batch / (H100_PEAK * mfu)
    assert compute > 70e9 * 2 / H100_BANDWIDTH
    assert planner.decode_tokens_per_second(70e9, "H100", batch) == pytest.approx(batch / compute, rel=1e-12)
    # Mixture-of-experts: the FLOPs follow the active parameters, the reads all of them.
    moe = planner.decode_tokens_per_second(47e9, "H100", batch, active_params=13e9)
    assert moe == pytest.approx(batch / max(2 * 13e9 * batch / (H100_PEAK * mfu), 47e9 * 2 / H100_BANDWIDTH))


def test_the_rate_grows_with_the_batch_until_compute_takes_over():
    batches = np.array([1, 4, 16, 64, 256, 1024, 4096])
    rates = planner.decode_tokens_per_second(70e9, "H100", batches)
    assert np.all(np.diff(rates) >= 0) and rates[3] > rates[0]
    # Memory-bound, each sequence keeps its speed; compute-bound, the total stops growing.
    per_sequence = rates / batches
    assert per_sequence[0] == pytest.approx(per_sequence[2]) and per_sequence[-1] < per_sequence[0]
    assert rates[-1] == pytest.approx(rates[-2]) == pytest.approx(H100_PEAK * 0.4 / (2 * 70e9))


def test_a_number_as_gpu_needs_its_bandwidth():
    with pytest.raises(planner.PlannerError, match="bandwidth is needed"):
        planner.decode_tokens_per_second(7e9, 500e12)
    assert planner.decode_tokens_per_second(7e9, 500e12, bandwidth=1e12) == pytest.approx(1e12 / 14e9)


def test_prefill_is_compute_bound():
    assert planner.prefill_seconds(70e9, 2000) == pytest.approx(2 * 70e9 * 2000 / (H100_PEAK * 0.4))
    assert planner.prefill_seconds(70e9, 2000, "H100", 0.5, 8, 8) == pytest.approx(
        2 * 70e9 * 2000 * 8 / (8 * H100_PEAK * 0.5))


def test_mfu_from_throughput_reproduces_palm_appendix_b():
    """Chowdhery et al. 2022, section 4 and Appendix B: PaLM 540B (118 layers, 48 heads of 256,
    sequence 2048, 540.35 B parameters) trained at 238.3K tokens/s on 6144 TPU v4 chips of
    275 TFLOP/s: 46.2% MFU with the attention term; Megatron-Turing NLG 530B (105 layers,
    d_model 20480) at 65.43K tokens/s on 2240 A100s of 312 TFLOP/s: 30.2%."""
    def printed(x):  # the paper cuts its percentages to one decimal (29.77% is printed 29.7%)
        return int(x * 1000) / 10

    palm = planner.mfu_from_throughput(238.3e3, 540.35e9, 118, 48 * 256, 2048, 6144, "TPU v4")
    assert printed(palm) == 46.2
    mtnlg = planner.mfu_from_throughput(65.43e3, 530e9, 105, 20480, 2048, 2240, "A100")
    assert printed(mtnlg) == 30.2
    # Without the attention term their figures are 45.7% and 29.7%: the 6N part alone.
    assert printed(238.3e3 * 6 * 540.35e9 / (6144 * 275e12)) == 45.7
    assert printed(65.43e3 * 6 * 530e9 / (2240 * 312e12)) == 29.7


def test_max_batch_is_what_memory_holds_beside_the_weights():
    # Llama 2 70B (80 layers, 8 KV heads of 128) in bf16 on two H100s: 160 GB less 140 GB of
    # weights leaves 20 GB for caches of 1.34 GB per 4,096-token sequence.
    per_sequence = 2 * 80 * 8 * 128 * 4096 * 2 / 1e9
    assert planner.max_batch(70e9, 80, 8, 128, 4096, "H100", 2, 2) == int((160 - 140) // per_sequence) == 14
    grid = planner.max_batch(70e9, 80, 8, 128, [2048, 4096, 8192], "H100", 2, [[2], [4]])
    assert grid.shape == (2, 3) and np.all(np.diff(grid, axis=1) < 0) and np.all(grid[1] > grid[0])
    # The batch it gives fits, one more does not.
    b = planner.max_batch(70e9, 80, 8, 128, 4096, "H100", 2, 2)
    assert planner.inference_memory_gb(70e9, 2, planner.kv_cache_gb(80, 8, 128, 4096, b)) <= 160
    assert planner.inference_memory_gb(70e9, 2, planner.kv_cache_gb(80, 8, 128, 4096, b + 1)) > 160
    with pytest.raises(planner.PlannerError, match="do not fit the replica's memory") as err:
        planner.max_batch(70e9, 80, 8, 128, 4096)  # 140 GB of weights on one 80 GB accelerator
    assert err.value.argument == "params" and "tensor_parallel" in str(err.value)


# --- serving_gpus ---------------------------------------------------------------------

def _fleet_by_hand(rate, prompt, out, n, peak, target_s, layers, kv_heads, head_dim, t, mfu=0.4, w=2.0):
    """The fleet written out again: batch by memory and by the latency target, then replicas."""
    per_seq = 2 * layers * kv_heads * head_dim * (prompt + out) * 2  # bytes, bf16 cache
    by_room = np.floor((t * 80e9 - n * w) / per_seq)
    by_compute = target_s * t * H100_PEAK * mfu / (2 * n)
    by_reads = (target_s - n * w / (t * H100_BANDWIDTH)) * t * H100_BANDWIDTH / per_seq
    batch = np.floor(min(by_room, by_compute, by_reads))
    step = max(2 * n * batch / (t * H100_PEAK * mfu), (n * w + batch * per_seq) / (t * H100_BANDWIDTH))
    busy = 2 * n * prompt / (t * H100_PEAK * mfu) + out * step / batch
    replicas = np.ceil(rate / 86400 * busy * peak)
    return batch, step, replicas, rate / 86400 * busy / replicas


def test_serving_gpus_against_the_fleet_written_out():
    n = planner.model_spec("Llama 3 70B", "params")
    got = planner.serving_gpus(10e6, 1000, 300, layers="Llama 3 70B", tensor_parallel=2)
    batch, step, replicas, utilisation = _fleet_by_hand(10e6, 1000, 300, n, 2, 0.05, 80, 8, 128, 2)
    assert got.batch == batch and got.replicas == replicas and got.gpus == 2 * replicas == 158  # as the README says
    assert got.ms_per_token == pytest.approx(step * 1000, rel=1e-12)
    assert got.utilisation == pytest.approx(utilisation, rel=1e-12)
    assert got.first_token_s == pytest.approx(planner.prefill_seconds(n, 1000, tensor_parallel=2), rel=1e-12)
    # A tight target bounds the batch by the step time instead of by memory.
    tight = planner.serving_gpus(10e6, 1000, 300, layers="Llama 3 70B", tensor_parallel=2, latency_target_ms=22)
    batch, step, replicas, _ = _fleet_by_hand(10e6, 1000, 300, n, 2, 0.022, 80, 8, 128, 2)
    assert tight.batch == batch < got.batch and tight.ms_per_token <= 22 and tight.replicas == replicas


def test_serving_fleet_properties():
    kw = dict(layers="Llama 3 70B", tensor_parallel=4)
    peaks = np.array([1.0, 1.5, 2.0, 3.0, 5.0])
    fleets = planner.serving_gpus(5e6, 2000, 500, peak_to_average=peaks, **kw)
    assert np.all(np.diff(fleets.gpus) >= 0)  # a spikier load never needs fewer accelerators
    assert np.all(fleets.utilisation <= 1 / peaks + 1e-12)  # the headroom is idle on average
    targets = np.array([25.0, 30.0, 40.0, 60.0, 100.0])
    loose = planner.serving_gpus(5e6, 2000, 500, latency_target_ms=targets, **kw)
    assert np.all(np.diff(loose.batch) >= 0) and np.all(np.diff(loose.gpus) <= 0)
    assert np.all(loose.ms_per_token <= targets)
    more = planner.serving_gpus(np.array([1e5, 1e6, 1e7, 1e8]), 2000, 500, field="gpus", **kw)
    assert np.all(np.diff(more) >= 0) and more[0] == 4  # at least one replica


def test_a_utilisation_target_keeps_headroom_at_the_peak():
    kw = dict(layers="Llama 3 70B", tensor_parallel=2)
    full = planner.serving_gpus(10e6, 1000, 300, **kw)
    targets = np.array([1.0, 0.9, 0.8, 0.6, 0.5])
    kept = planner.serving_gpus(10e6, 1000, 300, utilisation_target=targets, **kw)
    # Written out: the replicas busy at the peak, over the share of the time they may be busy.
    busy = full.first_token_s + 300 * full.ms_per_token / 1000 / full.batch
    peak_demand = 10e6 / 86400 * 2 * busy
    assert kept.replicas.tolist() == [max(1, math.ceil(peak_demand / t - 1e-9)) for t in targets]
    assert kept.replicas[0] == full.replicas and np.all(np.diff(kept.gpus) >= 0)
    assert np.all(kept.utilisation <= targets / 2 + 1e-12)  # at most the target at twice the average
    assert np.all(kept.batch == full.batch)  # headroom adds replicas, not a smaller batch
    with pytest.raises(planner.PlannerError, match="utilisation_target"):
        planner.serving_gpus(10e6, 1000, 300, utilisation_target=0, **kw)


def test_serving_targets_that_cannot_be_met():
    with pytest.raises(planner.PlannerError, match="latency_target_ms cannot be met") as err:
        planner.serving_gpus(1e6, 1000, 300, layers="Llama 3 70B", tensor_parallel=2, latency_target_ms=20)
    assert err.value.argument == "latency_target_ms" and err.value.kind == "domain"
    with pytest.raises(planner.PlannerError, match="params do not fit") as err:
        planner.serving_gpus(1e6, 1000, 300, layers="Llama 3 70B")
    with pytest.raises(planner.PlannerError, match=r"layers is required \(or name a model in layers\)"):
        planner.serving_gpus(1e6, 1000, 300, 7e9)


# --- properties --------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(params=st.floats(1e8, 1e12), batch=st.integers(1, 4096), kv=st.floats(0, 500),
       bandwidth=st.floats(1e11, 1e13), more=st.floats(1.0, 10.0), tp=st.integers(1, 16))
def test_more_bandwidth_never_lowers_decode_throughput(params, batch, kv, bandwidth, more, tp):
    slow = planner.decode_tokens_per_second(params, 989.4e12, batch, kv, tensor_parallel=tp, bandwidth=bandwidth)
    fast = planner.decode_tokens_per_second(params, 989.4e12, batch, kv, tensor_parallel=tp,
                                            bandwidth=bandwidth * more)
    assert fast >= slow * (1 - 1e-12)


@settings(max_examples=60, deadline=None)
@given(context=st.integers(128, 100_000), longer=st.integers(0, 100_000), layers=st.integers(8, 128),
       kv_heads=st.sampled_from([1, 4, 8, 16, 32]), tp=st.sampled_from([2, 4, 8]))
def test_a_longer_context_never_raises_the_largest_batch(context, longer, layers, kv_heads, tp):
    args = dict(params=30e9, layers=layers, kv_heads=kv_heads, head_dim=128, gpu="H100", tensor_parallel=tp)
    assert planner.max_batch(context=context + longer, **args) <= planner.max_batch(context=context, **args)
