"""Serving and utilisation: how fast a model generates, how long a prompt takes, and what
fraction of the accelerators' peak a measured training run achieved.

A roofline: each decode step reads every weight (and the KV cache) from memory once and does
2N FLOPs per generated token, so it takes the longer of the two times (Williams et al. 2009,
"Roofline"; for language models as in Pope et al. 2022, "Efficiently Scaling Transformer
Inference", section 2). A prompt (prefill) is processed in parallel and is compute-bound.
"""

from __future__ import annotations

import numpy as np

from . import _args, hardware
from .catalog import ACTIVE_PARAMS, Arg, formula
from .cost import MFU
from .memory import _gpu_memory_gb, kv_cache_gb, preset_or_given
from .shape import LAYERS, flops_per_token

__all__ = ["decode_tokens_per_second", "prefill_seconds", "max_batch", "mfu_from_throughput"]

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
         params=Arg("parameters", "Total parameters held in memory (for mixture-of-experts, all experts)"),
         layers=LAYERS,
         kv_heads=Arg("heads", "Key/value heads (fewer than query heads with grouped-query attention)",
                      rule="whole"),
         head_dim=Arg("width", "Size of one attention head (d_model / heads)", rule="whole"),
         context=Arg("tokens", "Tokens cached per sequence (prompt plus generated)"),
         gpu=hardware.GPU,
         bytes_per_param=WEIGHT_BYTES,
         tensor_parallel=TENSOR_PARALLEL,
         memory_gb=Arg("GB", "Memory of one accelerator; empty: the preset's figure (needed when gpu "
                             "is a number)"),
         bytes_per_value=Arg("bytes", "Bytes per cached number: 2 for bf16 (default), 1 for fp8"))
def max_batch(params, layers, kv_heads, head_dim, context, gpu="H100", bytes_per_param=2,
              tensor_parallel=1, memory_gb=None, bytes_per_value=2):
    """The most sequences one replica can serve at once: what its memory holds beside the weights.

    floor((tensor_parallel x memory - params x bytes_per_param / 1e9) / KV cache of one
    sequence), the cache as KV_CACHE_GB gives it for `context` tokens. Activations and
    framework buffers are not included, so leave headroom. A replica whose memory does not
    hold the weights at all is an error saying to raise the tensor-parallel degree.
    """
    n = _args.number(params, "params")
    w = _args.number(bytes_per_param, "bytes_per_param")
    t = _args.number(tensor_parallel, "tensor_parallel")
    mem = _gpu_memory_gb(gpu, memory_gb)
    shape = {name: _args.number(v, name) for name, v in (("layers", layers), ("kv_heads", kv_heads),
             ("head_dim", head_dim), ("context", context), ("bytes_per_value", bytes_per_value))}
    _args.broadcast(params=n, **shape, bytes_per_param=w, tensor_parallel=t, memory_gb=mem)
    per_sequence = kv_cache_gb(layers, kv_heads, head_dim, context, 1, bytes_per_value)
    with np.errstate(all="ignore"):
        room = t * mem - n * w / GB
        if np.any(room <= 0):  # the weights alone overflow the replica
            raise _args.fail("params", "do not fit the replica's memory at bytes_per_param bytes each; "
                             "spread the model over more accelerators (tensor_parallel) or store it in "
                             "fewer bytes", n,
                             np.broadcast_to(room <= 0, np.broadcast_shapes(np.shape(n), np.shape(room))))
        fit = np.floor(room / per_sequence * (1.0 + _args.WHOLE_TOLERANCE))
    fit = _args.in_range(fit, "batch", "context", shape["context"], positive=False)
    return _args.count(fit, params, layers, kv_heads, head_dim, context, bytes_per_param, tensor_parallel,
                       mem if memory_gb is not None else 0, bytes_per_value)


@formula(CATEGORY, result="fraction", example='=MFU_FROM_THROUGHPUT(238.3E3, 540.35E9, 118, 12288, 2048, 6144, "TPU v4")',
         tokens_per_second=Arg("tokens/s", "Measured training throughput of the whole run"),
         params=ACTIVE_PARAMS, layers=LAYERS,
         d_model=Arg("width", "Attention width (heads x head size)", rule="whole"),
         context=Arg("tokens", "Sequence length in training"),
         gpus=Arg("GPUs", "Accelerators the run used"),
         gpu=hardware.GPU)
def mfu_from_throughput(tokens_per_second, params, layers, d_model, context, gpus, gpu="H100"):
    """Model FLOPs utilisation of a measured training run, as PaLM's Appendix B defines it.

    tokens_per_second x (6N + 12 x layers x d_model x context) / (gpus x peak FLOP/s)
    (Chowdhery et al. 2022, Appendix B: the FLOPs the model needs, not those the hardware
    did, so recomputation does not count). PaLM 540B at 238.3K tokens/s on 6144 TPU v4 gives
    their 46.2%. Use it to calibrate the MFU inputs of a plan from your own runs.
    """
    r = _args.number(tokens_per_second, "tokens_per_second")
    g = _args.number(gpus, "gpus")
    p = hardware.peak(gpu)
    shape = {name: _args.number(v, name) for name, v in
             (("params", params), ("layers", layers), ("d_model", d_model), ("context", context))}
    _args.broadcast(tokens_per_second=r, **shape, gpus=g, gpu=p)
    per_token = flops_per_token(params, layers, d_model, context, True, "palm")
    with np.errstate(all="ignore"):
        mfu = r * per_token / (g * p)
    mfu = _args.in_range(mfu, "MFU", "tokens_per_second", r)
    return _args.result(mfu, tokens_per_second, params, layers, d_model, context, gpus, p)
