"""Memory needed to train and serve a model, and how many accelerators hold it.

GB means 10^9 bytes throughout, as vendors label accelerator memory. (A GiB is 2^30 =
1.074e9 bytes; an "80 GB" H100 actually holds 80 GiB = 85.9e9 bytes, so comparing GB needs
with the labelled GB sizes leaves about 7% headroom.)

Parameter counts here are TOTAL parameters: a mixture-of-experts model holds every expert
in memory although each token uses only a few.
"""

from __future__ import annotations

import numpy as np

from . import _args, hardware, models
from .catalog import Arg, formula
from .errors import TYPE, PlannerError
from .shape import LAYERS

__all__ = ["train_memory_gb", "activation_memory_gb", "gpus_for_memory", "kv_cache_gb",
           "inference_memory_gb"]

CATEGORY = "Data, Shape & Memory"
GB = 1e9  # bytes

TOTAL_PARAMS = Arg("parameters", "Total parameters held in memory (for mixture-of-experts: "
                                 "all experts, not only the active ones)")
KV_HEADS = Arg("heads", "Key/value heads (fewer than query heads with grouped-query attention); "
                        "empty: the named model's", rule="whole")
HEAD_DIM = Arg("width", "Size of one attention head (d_model / heads); empty: the named model's",
               rule="whole")
TRAIN_BYTES = Arg("bytes", "Bytes per parameter for weights, gradients and optimizer state: "
                           "16 for mixed-precision Adam (2 bf16 weights + 2 bf16 gradients + "
                           "4 fp32 master weights + 4 Adam m + 4 Adam v)")

# Optimizer state per parameter in bytes, kept in fp32 beside a copy of the weights in fp32
# ("master weights") when the weights themselves are 16-bit:
# - adamw: momentum and variance, 4 + 4 (Rajbhandari et al. 2020, "ZeRO", section 3.1: with the
#   fp32 master weights, K = 12 bytes per parameter);
# - adafactor: the second moment factored into row and column sums, next to nothing per
#   parameter, and no momentum (Shazeer & Stern 2018, "Adafactor", sections 3 and 5, beta1 = 0);
# - sgd-momentum: one momentum buffer, 4;
# - muon: one momentum buffer, 4 (Jordan et al. 2024, "Muon"; its orthogonalisation keeps no state).
OPTIMIZER_STATE = {"adamw": 8.0, "adafactor": 0.0, "sgd-momentum": 4.0, "muon": 4.0}
MASTER_WEIGHTS = 4.0  # an fp32 copy of 16-bit weights, which the optimizer updates


@formula(CATEGORY, result="GB", example="=TRAIN_MEMORY_GB(70E9)",
         params=TOTAL_PARAMS,
         bytes_per_param=Arg("bytes", "All training state per parameter, if you know it (16 for "
                                      "mixed-precision Adam); empty: weights + gradients + the "
                                      "optimizer's state, from the arguments after it"),
         optimizer=Arg("", "Optimizer: 'adamw' (default; momentum and variance), 'adafactor' "
                           "(factored second moment, no momentum), 'sgd-momentum' or 'muon' (one "
                           "momentum buffer each)", kind="text", choices=tuple(OPTIMIZER_STATE)),
         weight_bytes=Arg("bytes", "Bytes per weight: 2 for bf16 (default; an fp32 master copy is "
                                   "then kept for the optimizer), 4 for fp32"),
         grad_bytes=Arg("bytes", "Bytes per gradient: 2 for bf16 (default), 4 for fp32"),
         zero_stage=Arg("stage", "ZeRO stage (Rajbhandari et al. 2020): 0 none (default), 1 shards "
                                 "the optimizer state over the data-parallel accelerators, 2 also "
                                 "the gradients, 3 also the weights (as FSDP does)", rule="count",
                        bounds=(0, 3)),
         data_parallel=Arg("GPUs", "Data-parallel degree: the replicas ZeRO shards over", rule="whole"),
         tensor_parallel=Arg("GPUs", "Tensor-parallel degree: accelerators sharing each layer", rule="whole"),
         pipeline_parallel=Arg("GPUs", "Pipeline-parallel degree: stages the layers are split into",
                               rule="whole"),
         per_gpu=Arg("", "FALSE (default): the whole training state; TRUE: what one accelerator "
                         "holds after ZeRO, tensor and pipeline parallelism", kind="flag"))
def train_memory_gb(params, bytes_per_param=None, optimizer="adamw", weight_bytes=2, grad_bytes=2,
                    zero_stage=0, data_parallel=1, tensor_parallel=1, pipeline_parallel=1, per_gpu=False):
    """Memory for the weights, gradients and optimizer state of a training run, in GB.

    params x (weight_bytes + grad_bytes + optimizer state) / 1e9: mixed-precision AdamW, the
    default, is 2 + 2 + (4 fp32 master weights + 4 momentum + 4 variance) = 16 bytes per
    parameter (Rajbhandari et al. 2020, "ZeRO", section 3.1). With per_gpu, one accelerator's
    share: tensor and pipeline parallelism split everything over t x p accelerators, and ZeRO
    stage 1, 2 or 3 further splits the optimizer state, then the gradients, then the weights
    over the data-parallel degree (ZeRO, section 5.1: 4 + 12/Nd, 2 + 14/Nd and 16/Nd bytes
    per parameter for Adam). Activations (ACTIVATION_MEMORY_GB), framework buffers and
    fragmentation are NOT included.
    """
    n = _args.number(params, "params")
    wb = _args.number(weight_bytes, "weight_bytes")
    gb_ = _args.number(grad_bytes, "grad_bytes")
    stage = _args.number(zero_stage, "zero_stage")
    dp = _args.number(data_parallel, "data_parallel")
    tp = _args.number(tensor_parallel, "tensor_parallel")
    pp = _args.number(pipeline_parallel, "pipeline_parallel")
    share = _args.flag(per_gpu, "per_gpu", False)
    state = OPTIMIZER_STATE[_args.choice(optimizer, "optimizer", tuple(OPTIMIZER_STATE))]
    _args.broadcast(params=n, weight_bytes=wb, grad_bytes=gb_, zero_stage=stage, data_parallel=dp,
                    tensor_parallel=tp, pipeline_parallel=pp, per_gpu=share)
    with np.errstate(all="ignore"):
        opt = state + np.where(wb < 4.0, MASTER_WEIGHTS, 0.0)
        if bytes_per_param is not None:  # the whole state given as one figure: it cannot be sharded by part
            total = _args.number(bytes_per_param, "bytes_per_param")
            if np.any(share & (stage > 0)):
                raise PlannerError("bytes_per_param gives the training state as one figure, which ZeRO "
                                   "cannot shard part by part; leave it empty and give weight_bytes, "
                                   "grad_bytes and the optimizer", argument="bytes_per_param", kind=TYPE)
            parts = total
        else:
            # Weights, gradients and optimizer state, each divided by Nd once ZeRO reaches its stage.
            parts = (wb / np.where(share & (stage >= 3), dp, 1.0) + gb_ / np.where(share & (stage >= 2), dp, 1.0)
                     + opt / np.where(share & (stage >= 1), dp, 1.0))
        gb = n * parts / np.where(share, tp * pp, 1.0) / GB
    gb = _args.in_range(gb, "memory", "params", n)
    return _args.result(gb, params, bytes_per_param, weight_bytes, grad_bytes, zero_stage, data_parallel,
                        tensor_parallel, pipeline_parallel, per_gpu)


RECOMPUTE = ("none", "selective", "full")


@formula(CATEGORY, result="GB", example='=ACTIVATION_MEMORY_GB(80, 8192, 64, 4096, 1, "selective", 8)',
         layers=LAYERS,
         d_model=Arg("width", "Model width d_model (hidden size h); empty: the named model's", rule="whole"),
         heads=Arg("heads", "Attention heads a; empty: the named model's", rule="whole"),
         context=Arg("tokens", "Sequence length s of a training sample; empty: the named model's "
                               "trained context", rule="whole"),
         micro_batch=Arg("sequences", "Micro-batch size b: sequences one accelerator processes at once",
                         rule="whole"),
         recompute=Arg("", "Activation recomputation: 'none' (default, store everything), "
                           "'selective' (recompute the attention scores, softmax and dropout, "
                           "the part that grows with s^2) or 'full' (store only each layer's input)",
                       kind="text", choices=RECOMPUTE),
         tensor_parallel=Arg("GPUs", "Tensor-parallel degree t (accelerators sharing each layer)",
                             rule="whole"),
         sequence_parallel=Arg("", "TRUE (default): sequence parallelism splits what tensor "
                                   "parallelism leaves whole (layer norms, dropout) over the t "
                                   "accelerators too; FALSE: plain tensor parallelism", kind="flag"))
def activation_memory_gb(layers, d_model=None, heads=None, context=None, micro_batch=1, recompute="none",
                         tensor_parallel=1, sequence_parallel=True):
    """Activation memory one accelerator holds for the backward pass, in GB.

    Korthikanti et al. 2022, "Reducing Activation Recomputation in Large Transformer Models",
    bytes per layer with 16-bit activations: s b h (34 + 5 a s / h) storing everything (eq. 1);
    with tensor parallelism s b h (10 + 24/t + 5 a s / (h t)) (eq. 2), and with sequence
    parallelism as well s b h (34 + 5 a s / h) / t (eq. 4); selective recomputation drops the
    5 a s / h term (eq. 6: s b h 34 / t with sequence parallelism, s b h (10 + 24/t) without);
    full recomputation keeps each layer's input, 2 s b h (split over t with sequence
    parallelism). Times the number of layers: with pipeline parallelism and the 1F1B schedule
    the first stage holds L/p layers for p micro-batches in flight, the same total (section
    4.2.3). Embeddings, the output layer and framework buffers are not included.
    """
    shape = models.fill(layers, d_model=d_model, heads=heads, context=context)
    n_layers = _args.number(shape["layers"], "layers")
    h = _args.number(shape["d_model"], "d_model")
    a = _args.number(shape["heads"], "heads")
    s = _args.number(shape["context"], "context")
    b = _args.number(micro_batch, "micro_batch")
    how = _args.choice(recompute, "recompute", RECOMPUTE)
    t = _args.number(tensor_parallel, "tensor_parallel")
    sp = _args.flag(sequence_parallel, "sequence_parallel", True)
    _args.broadcast(layers=n_layers, d_model=h, heads=a, context=s, micro_batch=b, tensor_parallel=t,
                    sequence_parallel=sp)
    with np.errstate(all="ignore"):
        sbh = s * b * h
        attention = 5.0 * a * s / h  # the scores, softmax and dropout: grows with s^2
        if how == "full":
            per_layer = 2.0 * sbh / np.where(sp, t, 1.0)
        else:
            kept = 0.0 if how == "selective" else attention
            per_layer = np.where(sp, sbh * (34.0 + kept) / t, sbh * (10.0 + 24.0 / t + kept / t))
        gb = n_layers * per_layer / GB
    gb = _args.in_range(gb, "activation memory", "context", s)
    return _args.result(gb, n_layers, h, a, s, micro_batch, tensor_parallel, sequence_parallel)


def preset_or_given(gpu, given, name: str, field: str, what: str):
    """One figure of an accelerator: `given` (argument `name`) when given, else the preset's
    `field`. A number as `gpu` is a peak FLOP/s figure, as everywhere, and says nothing of
    `what`, so then the figure must be given."""
    if given is not None:
        if gpu is not None and not isinstance(gpu, str | hardware.Accelerator):
            hardware.resolve_gpu(gpu)  # still a valid accelerator argument
        return _args.number(given, name)
    acc = hardware.resolve_gpu(gpu)
    if not isinstance(acc, hardware.Accelerator):
        raise PlannerError(f"{name} is needed when gpu is given as a number (a peak FLOP/s "
                           f"figure says nothing of {what})", argument=name, kind=TYPE)
    return np.asarray(float(getattr(acc, field)))


def _gpu_memory_gb(gpu, memory_gb):
    """Memory per accelerator in GB: `memory_gb` when given, else the preset's figure."""
    return preset_or_given(gpu, memory_gb, "memory_gb", "memory_gb", "memory")


@formula(CATEGORY, result="GPUs", example='=GPUS_FOR_MEMORY(70E9, "H100")',
         params=TOTAL_PARAMS, gpu=hardware.GPU, bytes_per_param=TRAIN_BYTES,
         memory_gb=Arg("GB", "Memory of one accelerator; empty: the preset's figure (needed when "
                             "gpu is a number)"),
         activation_gb=Arg("GB", "Activations each accelerator also holds (ACTIVATION_MEMORY_GB); "
                                 "0 (default) for the training state alone", rule="nonnegative"))
def gpus_for_memory(params, gpu="H100", bytes_per_param=16, memory_gb=None, activation_gb=0):
    """The fewest whole accelerators whose memory together holds the model state.

    ceil(params * bytes_per_param / 1e9 / memory per accelerator in GB), with the state
    sharded evenly across them (ZeRO stage 3 / FSDP). The default 16 bytes per parameter is
    mixed-precision Adam training; use 2 for bf16 inference weights. Activations and the KV
    cache are not included unless `activation_gb` gives the activations each accelerator holds
    as well: the state then shares what they leave, ceil(state / (memory - activation_gb)).
    Without them this is a lower bound. The memory per accelerator is the preset's
    unless `memory_gb` gives it. An exact fit is not rounded up: ratios within one part in
    1e9 of a whole number (float rounding) count as that number, as GPUS_FOR_DEADLINE does.
    The count is a whole number (an int for scalar inputs).
    """
    n = _args.number(params, "params")
    b = _args.number(bytes_per_param, "bytes_per_param")
    mem = _gpu_memory_gb(gpu, memory_gb)
    act = _args.number(activation_gb, "activation_gb")
    _args.broadcast(params=n, bytes_per_param=b, memory_gb=mem, activation_gb=act)
    room = mem - act
    if np.any(room <= 0):
        raise _args.fail("activation_gb", "leaves no memory for the model state: the activations alone "
                         "fill the accelerator (recompute them, or use a smaller micro-batch)", act,
                         np.broadcast_to(room <= 0, np.broadcast_shapes(np.shape(act), np.shape(mem))), unit="GB")
    with np.errstate(all="ignore"):
        ratio = n * b / GB / room
        # An exact fit (e.g. 70e9 params * 16 B on 80 GB) must not round up on float noise,
        # however the parameter count was computed.
        count = np.ceil(ratio * (1.0 - _args.WHOLE_TOLERANCE))
    count = _args.in_range(count, "number of accelerators", "params", n)
    return _args.count(count, params, mem if memory_gb is not None else 0, bytes_per_param, activation_gb)


@formula(CATEGORY, result="GB", example="=KV_CACHE_GB(80, 8, 128, 4096, 16)",
         layers=LAYERS,
         kv_heads=KV_HEADS, head_dim=HEAD_DIM,
         context=Arg("tokens", "Tokens cached per sequence (prompt plus generated tokens); empty: "
                               "the named model's full context"),
         batch=Arg("sequences", "Sequences held at once (1: a single conversation)"),
         bytes_per_value=Arg("bytes", "Bytes per cached number: 2 for bf16/fp16 (the default, "
                                      "the precision models are usually served in), 1 for fp8"))
def kv_cache_gb(layers, kv_heads=None, head_dim=None, context=None, batch=1, bytes_per_value=2):
    """Memory of the attention key/value cache during generation, in GB.

    2 (keys and values) * layers * kv_heads * head_dim * context * batch * bytes_per_value
    / 1e9. Grouped-query attention shrinks it by heads / kv_heads.
    """
    shape = models.fill(layers, kv_heads=kv_heads, head_dim=head_dim, context=context)
    n_layers = _args.number(shape["layers"], "layers")
    kv = _args.number(shape["kv_heads"], "kv_heads")
    hd = _args.number(shape["head_dim"], "head_dim")
    ctx = _args.number(shape["context"], "context")
    seqs = _args.number(batch, "batch")
    b = _args.number(bytes_per_value, "bytes_per_value")
    _args.broadcast(layers=n_layers, kv_heads=kv, head_dim=hd, context=ctx, batch=seqs,
                    bytes_per_value=b)
    with np.errstate(all="ignore"):
        gb = 2.0 * n_layers * kv * hd * ctx * seqs * b / GB
    gb = _args.in_range(gb, "KV cache", "context", ctx)
    return _args.result(gb, n_layers, kv, hd, ctx, batch, bytes_per_value)


@formula(CATEGORY, result="GB", example="=INFERENCE_MEMORY_GB(70E9, 2, KV_CACHE_GB(80, 8, 128, 4096, 16))",
         params=TOTAL_PARAMS,
         bytes_per_param=Arg("bytes", "Bytes per weight: 2 for bf16/fp16 (the default, as "
                                      "models are released), 1 for fp8/int8, 0.5 for 4-bit"),
         kv_cache_gb=Arg("GB", "KV cache to hold as well (see KV_CACHE_GB); 0 for weights only",
                         rule="nonnegative"))
def inference_memory_gb(params, bytes_per_param=2, kv_cache_gb=0):
    """Memory to serve a model: its weights plus the KV cache, in GB.

    params * bytes_per_param / 1e9 + kv_cache_gb. Activations of the running batch and
    framework overhead are not included.
    """
    n = _args.number(params, "params")
    b = _args.number(bytes_per_param, "bytes_per_param")
    kv = _args.number(kv_cache_gb, "kv_cache_gb")
    _args.broadcast(params=n, bytes_per_param=b, kv_cache_gb=kv)
    with np.errstate(all="ignore"):
        gb = n * b / GB + kv
    gb = _args.in_range(gb, "memory", "params", n)
    return _args.result(gb, params, bytes_per_param, kv_cache_gb)
