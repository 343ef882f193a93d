"""Serving and utilisation: how fast a model generates, how long a prompt takes, and what
fraction of the accelerators' peak a measured training run achieved.

A roofline: each decode step reads every weight (and the KV cache) from memory once and does
2N FLOPs per generated token, so it takes the longer of the two times (Williams et al. 2009,
"Roofline"; for language models as in Pope et al. 2022, "Efficiently Scaling Transformer
Inference", section 2). A prompt (prefill) is processed in parallel and is compute-bound.
"""

from __future__ import annotations

import numpy as np

from . import _args, hardware, models
from .catalog import ACTIVE_PARAMS, Arg, field_choice, formula
from .cost import MFU
from .memory import HEAD_DIM, KV_HEADS, _gpu_memory_gb, kv_cache_gb, preset_or_given
from .shape import LAYERS, flops_per_token

__all__ = ["decode_tokens_per_second", "prefill_seconds", "max_batch", "mfu_from_throughput", "serving_gpus"]

CATEGORY = "Serving & Utilisation"
GB = 1e9

TENSOR_PARALLEL = Arg("GPUs", "Accelerators one replica spreads the model over (tensor parallelism)",
                      rule="whole")
WEIGHT_BYTES = Arg("bytes", "Bytes per weight read at each step: 2 for bf16 (default), 1 for 8-bit, "
                            "0.5 for 4-bit")


@formula(CATEGORY, result="tokens/s", example='=DECODE_TOKENS_PER_SECOND(70E9, "H100", 16, 42.9)',
         params=Arg("parameters", "Model size N read at every step: all weights held (for "
                                  "mixture-of-experts, the total; FLOPs use the active ones)"),
         gpu=hardware.GPU,
         batch=Arg("sequences", "Sequences generated together, one token each per step", rule="whole"),
         kv_cache_gb=Arg("GB", "KV cache of the whole batch, read at every step (KV_CACHE_GB with "
                               "this batch); 0 for weights only", rule="nonnegative"),
         bytes_per_param=WEIGHT_BYTES,
         mfu=MFU,
         tensor_parallel=TENSOR_PARALLEL,
         active_params=Arg("parameters", "Active parameters per token, for the FLOPs; empty: params "
                                         "(a dense model)"),
         bandwidth=Arg("bytes/s", "Memory bandwidth of one accelerator; empty: the preset's "
                                  "(needed when gpu is a number)"))
def decode_tokens_per_second(params, gpu="H100", batch=1, kv_cache_gb=0, bytes_per_param=2, mfu=0.4,
                             tensor_parallel=1, active_params=None, bandwidth=None):
    """Tokens one replica generates per second: batch / the time of one decode step.

    The step takes the longer of the compute time, 2 x active parameters x batch FLOPs at
    peak x mfu over the replica's tensor_parallel accelerators, and the memory time, the
    weights (params x bytes_per_param) plus the KV cache read at the replica's bandwidth. At
    small batches the memory time dominates (a bf16 70 B model on one H100 reads 140 GB per
    step: about 24 tokens/s); batching shares the read until compute takes over. This is an
    upper bound: it ignores communication between the replica's accelerators and the
    kernels' own losses. Time per output token is batch / this.
    """
    n = _args.number(params, "params")
    b = _args.number(batch, "batch")
    kv = _args.number(kv_cache_gb, "kv_cache_gb")
    w = _args.number(bytes_per_param, "bytes_per_param")
    u = _args.number(mfu, "mfu")
    t = _args.number(tensor_parallel, "tensor_parallel")
    active = n if active_params is None else _args.number(active_params, "active_params")
    p = hardware.peak(gpu)
    bw = preset_or_given(gpu, bandwidth, "bandwidth", "memory_bandwidth", "memory bandwidth")
    _args.broadcast(params=n, batch=b, kv_cache_gb=kv, bytes_per_param=w, mfu=u, tensor_parallel=t,
                    active_params=active, gpu=p, bandwidth=bw)
    with np.errstate(all="ignore"):
        compute = 2.0 * active * b / (t * p * u)
        memory = (n * w + kv * GB) / (t * bw)
        rate = b / np.maximum(compute, memory)
    rate = _args.in_range(rate, "decode rate", "params", n)
    return _args.result(rate, params, batch, kv_cache_gb, bytes_per_param, mfu, tensor_parallel,
                        active_params, p, bw)


@formula(CATEGORY, result="seconds", example='=PREFILL_SECONDS(70E9, 2000, "H100")',
         params=ACTIVE_PARAMS,
         prompt_tokens=Arg("tokens", "Prompt tokens of one request"),
         gpu=hardware.GPU, mfu=MFU,
         batch=Arg("sequences", "Prompts processed together", rule="whole"),
         tensor_parallel=TENSOR_PARALLEL)
def prefill_seconds(params, prompt_tokens, gpu="H100", mfu=0.4, batch=1, tensor_parallel=1):
    """Seconds to process the prompts before the first output token (compute-bound).

    2 x params x prompt_tokens x batch FLOPs at peak x mfu over tensor_parallel accelerators:
    the time to first token, before queueing and the first decode step.
    """
    n = _args.number(params, "params")
    s = _args.number(prompt_tokens, "prompt_tokens")
    u = _args.number(mfu, "mfu")
    b = _args.number(batch, "batch")
    t = _args.number(tensor_parallel, "tensor_parallel")
    p = hardware.peak(gpu)
    _args.broadcast(params=n, prompt_tokens=s, mfu=u, batch=b, tensor_parallel=t, gpu=p)
    with np.errstate(all="ignore"):
        seconds = 2.0 * n * s * b / (t * p * u)
    seconds = _args.in_range(seconds, "prefill time", "prompt_tokens", s)
    return _args.result(seconds, params, prompt_tokens, mfu, batch, tensor_parallel, p)


@formula(CATEGORY, result="sequences", example='=MAX_BATCH(70E9, 80, 8, 128, 4096, "H100", 2, 2)',
         params=Arg("parameters", "Total parameters held in memory (for mixture-of-experts, all "
                                  "experts); empty: the named model's"),
         layers=LAYERS, kv_heads=KV_HEADS, head_dim=HEAD_DIM,
         context=Arg("tokens", "Tokens cached per sequence (prompt plus generated); empty: the named "
                               "model's full context"),
         gpu=hardware.GPU,
         bytes_per_param=WEIGHT_BYTES,
         tensor_parallel=TENSOR_PARALLEL,
         memory_gb=Arg("GB", "Memory of one accelerator; empty: the preset's figure (needed when gpu "
                             "is a number)"),
         bytes_per_value=Arg("bytes", "Bytes per cached number: 2 for bf16 (default), 1 for fp8"))
def max_batch(params=None, layers=None, kv_heads=None, head_dim=None, context=None, gpu="H100", bytes_per_param=2,
              tensor_parallel=1, memory_gb=None, bytes_per_value=2):
    """The most sequences one replica can serve at once: what its memory holds beside the weights.

    floor((tensor_parallel x memory - params x bytes_per_param / 1e9) / KV cache of one
    sequence), the cache as KV_CACHE_GB gives it for `context` tokens. Activations and
    framework buffers are not included, so leave headroom. A replica whose memory does not
    hold the weights at all is an error saying to raise the tensor-parallel degree.
    """
    given = models.fill(layers, params=params, kv_heads=kv_heads, head_dim=head_dim, context=context)
    n = _args.number(given.pop("params"), "params")
    w = _args.number(bytes_per_param, "bytes_per_param")
    t = _args.number(tensor_parallel, "tensor_parallel")
    mem = _gpu_memory_gb(gpu, memory_gb)
    shape = {name: _args.number(v, name) for name, v in (*given.items(), ("bytes_per_value", bytes_per_value))}
    _args.broadcast(params=n, **shape, bytes_per_param=w, tensor_parallel=t, memory_gb=mem)
    per_sequence = kv_cache_gb(shape["layers"], shape["kv_heads"], shape["head_dim"], shape["context"], 1,
                               bytes_per_value)
    with np.errstate(all="ignore"):
        room = t * mem - n * w / GB
        if np.any(room <= 0):  # the weights alone overflow the replica
            raise _args.fail("params", "do not fit the replica's memory at bytes_per_param bytes each; "
                             "spread the model over more accelerators (tensor_parallel) or store it in "
                             "fewer bytes", n,
                             np.broadcast_to(room <= 0, np.broadcast_shapes(np.shape(n), np.shape(room))))
        fit = np.floor(room / per_sequence * (1.0 + _args.WHOLE_TOLERANCE))
    fit = _args.in_range(fit, "batch", "context", shape["context"], positive=False)
    return _args.count(fit, n, *shape.values(), bytes_per_param, tensor_parallel,
                       mem if memory_gb is not None else 0)


@formula(CATEGORY, result="fraction", example='=MFU_FROM_THROUGHPUT(238.3E3, 540.35E9, 118, 12288, 2048, 6144, "TPU v4")',
         tokens_per_second=Arg("tokens/s", "Measured training throughput of the whole run"),
         params=Arg("parameters", ACTIVE_PARAMS.doc + "; empty: the named model's active count"),
         layers=LAYERS,
         d_model=Arg("width", "Attention width (heads x head size); empty: the named model's", rule="whole"),
         context=Arg("tokens", "Sequence length in training; empty: the named model's context"),
         gpus=Arg("GPUs", "Accelerators the run used"),
         gpu=hardware.GPU)
def mfu_from_throughput(tokens_per_second, params=None, layers=None, d_model=None, context=None, gpus=None,
                        gpu="H100"):
    """Model FLOPs utilisation of a measured training run, as PaLM's Appendix B defines it.

    tokens_per_second x (6N + 12 x layers x d_model x context) / (gpus x peak FLOP/s)
    (Chowdhery et al. 2022, Appendix B: the FLOPs the model needs, not those the hardware
    did, so recomputation does not count). PaLM 540B at 238.3K tokens/s on 6144 TPU v4 gives
    their 46.2%. Use it to calibrate the MFU inputs of a plan from your own runs.
    """
    r = _args.number(tokens_per_second, "tokens_per_second")
    given = models.fill(layers, params=params, active_params=params, d_model=d_model, context=context, gpus=gpus)
    g = _args.number(given["gpus"], "gpus")
    p = hardware.peak(gpu)
    shape = {name: _args.number(given[key], name) for name, key in
             (("params", "active_params"), ("layers", "layers"), ("d_model", "d_model"), ("context", "context"))}
    _args.broadcast(tokens_per_second=r, **shape, gpus=g, gpu=p)
    per_token = flops_per_token(shape["params"], shape["layers"], shape["d_model"], shape["context"], True, "palm")
    with np.errstate(all="ignore"):
        mfu = r * per_token / (g * p)
    mfu = _args.in_range(mfu, "MFU", "tokens_per_second", r)
    return _args.result(mfu, r, *shape.values(), g, p)


SERVING_FIELDS = ("gpus", "replicas", "batch", "utilisation", "ms_per_token", "first_token_s",
                  "tokens_per_second")
SERVING_UNITS = ("GPUs", "replicas", "sequences", "fraction", "ms", "s", "tokens/s per replica")
SECONDS_PER_DAY = 86400.0


@formula(CATEGORY, result="GPUs (see field)", returns="record", fields=SERVING_FIELDS,
         field_units=SERVING_UNITS,
         example='=SERVING_GPUS(10E6, 1000, 300, 70.6E9, "H100", 2, 50, 80, 8, 128, 2, "gpus")',
         requests_per_day=Arg("requests/day", "Average requests a day"),
         input_tokens=Arg("tokens", "Prompt tokens per request (average)"),
         output_tokens=Arg("tokens", "Generated tokens per request (average)"),
         params=Arg("parameters", "Total parameters held in memory; empty: the named model's"),
         gpu=hardware.GPU,
         peak_to_average=Arg("ratio", "Busiest hour's traffic over the day's average: the fleet is "
                                      "sized for the peak. 2 (default) is a planning assumption for "
                                      "daytime-heavy traffic; use your own traffic's ratio",
                             rule="at_least_one"),
         latency_target_ms=Arg("ms", "Longest time per output token a user may see (the decode step); "
                                     "50 ms (default) is 20 tokens/s, faster than people read"),
         layers=LAYERS, kv_heads=KV_HEADS, head_dim=HEAD_DIM,
         tensor_parallel=TENSOR_PARALLEL,
         bytes_per_param=WEIGHT_BYTES,
         bytes_per_value=Arg("bytes", "Bytes per cached key/value number: 2 for bf16 (default), 1 for fp8"),
         mfu=Arg("fraction", "Utilisation of the peak FLOP/s while computing, prompts and decoding "
                             "alike (0.4 default)", rule="fraction"),
         active_params=Arg("parameters", "Active parameters per token, for the FLOPs; empty: the named "
                                         "model's, or params (a dense model)"),
         memory_gb=Arg("GB", "Memory of one accelerator; empty: the preset's"),
         bandwidth=Arg("bytes/s", "Memory bandwidth of one accelerator; empty: the preset's"),
         utilisation_target=Arg("fraction", "The busiest the fleet may be at the peak, in (0, 1]: 1 "
                                            "(default) fills it; 0.8 keeps a fifth spare for bursts "
                                            "within the busiest hour", rule="fraction"),
         field=field_choice(SERVING_FIELDS))
def serving_gpus(requests_per_day, input_tokens, output_tokens, params=None, gpu="H100", peak_to_average=2,
                 latency_target_ms=50, layers=None, kv_heads=None, head_dim=None, tensor_parallel=1,
                 field=None, bytes_per_param=2, bytes_per_value=2, mfu=0.4, active_params=None,
                 memory_gb=None, bandwidth=None, utilisation_target=1.0):
    """Accelerators to provision for a serving load at its peak, with the batch that meets a latency target.

    Each replica of tensor_parallel accelerators decodes the largest batch that both fits its
    memory beside the weights (MAX_BATCH, each sequence caching its prompt and output) and
    keeps one decode step within latency_target_ms (the roofline of DECODE_TOKENS_PER_SECOND:
    the longer of the compute time of 2 x active parameters per sequence and the time to read
    the weights and the batch's KV cache). A request occupies its replica for its prefill
    (2 x active x input tokens at the MFU, compute-bound) plus its share of the decode steps
    (output tokens x step time / batch). The fleet serves the peak, requests_per_day / 86,400
    x peak_to_average requests a second, in whole replicas busy at most utilisation_target of
    the time at that peak; utilisation is the average load over what is provisioned. Returns
    gpus, replicas, batch, utilisation, ms_per_token (the decode step), first_token_s (one
    prompt's prefill) and tokens_per_second (one replica's decode rate); with `field`, that one. An upper bound on what a replica does: no
    communication or scheduling overheads.
    """
    key = _args.choice(field, "field", SERVING_FIELDS, optional=True)
    rate = _args.number(requests_per_day, "requests_per_day")
    prompt = _args.number(input_tokens, "input_tokens")
    out = _args.number(output_tokens, "output_tokens")
    peak_ratio = _args.number(peak_to_average, "peak_to_average")
    target = _args.number(latency_target_ms, "latency_target_ms") / 1000.0
    given = models.fill(layers, params=params, active_params=active_params, kv_heads=kv_heads,
                        head_dim=head_dim, optional=("active_params",))
    n = _args.number(given["params"], "params")
    active = n if given["active_params"] is None else _args.number(given["active_params"], "active_params")
    shape = {name: _args.number(given[name], name) for name in ("layers", "kv_heads", "head_dim")}
    t = _args.number(tensor_parallel, "tensor_parallel")
    w = _args.number(bytes_per_param, "bytes_per_param")
    kv_bytes = _args.number(bytes_per_value, "bytes_per_value")
    u = _args.number(mfu, "mfu")
    headroom = _args.number(utilisation_target, "utilisation_target")
    p = hardware.peak(gpu)
    bw = preset_or_given(gpu, bandwidth, "bandwidth", "memory_bandwidth", "memory bandwidth")
    mem = _gpu_memory_gb(gpu, memory_gb)
    inputs = dict(requests_per_day=rate, input_tokens=prompt, output_tokens=out, params=n,
                  peak_to_average=peak_ratio, latency_target_ms=target, **shape, tensor_parallel=t,
                  bytes_per_param=w, bytes_per_value=kv_bytes, mfu=u, active_params=active, gpu=p,
                  bandwidth=bw, memory_gb=mem, utilisation_target=headroom)
    _args.broadcast(**inputs)
    context = prompt + out
    fits = max_batch(n, *shape.values(), context, gpu, w, t, mem, kv_bytes)
    per_sequence = kv_cache_gb(*shape.values(), context, 1, kv_bytes) * GB
    with np.errstate(all="ignore"):
        flops_rate = t * p * u  # FLOP/s of one replica while computing
        weights_read = n * w / (t * bw)  # seconds to read the weights once
        # The largest batch whose decode step stays within the target, by each bound.
        by_compute = target * flops_rate / (2.0 * active)
        by_memory = (target - weights_read) * t * bw / per_sequence
        batch = np.floor(np.minimum(np.minimum(by_compute, by_memory) * (1.0 + _args.WHOLE_TOLERANCE), fits))
    slow = batch < 1
    if np.any(slow):
        raise _args.fail("latency_target_ms", "cannot be met even one sequence at a time on this replica "
                         "(reading the weights alone takes longer); spread the model over more "
                         "accelerators (tensor_parallel), store it in fewer bytes, or allow more time",
                         target * 1000.0, np.broadcast_to(slow, np.broadcast_shapes(np.shape(target), np.shape(slow))),
                         unit="ms")
    with np.errstate(all="ignore"):
        step = np.maximum(2.0 * active * batch / flops_rate, weights_read + batch * per_sequence / (t * bw))
        prefill = 2.0 * active * prompt / flops_rate
        busy = prefill + out * step / batch  # replica-seconds per request
        demand = rate / SECONDS_PER_DAY * busy  # replicas busy on average
        replicas = np.maximum(np.ceil(demand * peak_ratio / headroom * (1.0 - _args.WHOLE_TOLERANCE)), 1.0)
        utilisation = demand / replicas
    replicas = _args.in_range(replicas, "number of replicas", "requests_per_day", rate)
    values = (replicas * t, replicas, batch, utilisation, step * 1000.0, prefill, batch / step)
    return _args.record(SERVING_FIELDS, values, key, *inputs.values(), units=SERVING_UNITS)
