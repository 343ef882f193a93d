"""Transformer shape: parameter counts and FLOPs per token.

A parameter count from a scaling law has to become a shape (layers, width, vocabulary),
and a shape has a parameter count and a cost per token. The model is a decoder-only
transformer: per layer, attention projections Q, K, V, O and a feed-forward block; token
embeddings at the input and an output projection to the vocabulary (the same matrix when
the embeddings are tied).

Counted: every weight matrix. Not counted: normalisation gains and biases (LayerNorm or
RMSNorm, biased or bias-free linear layers differ by architecture; together they are
O(layers * d_model), under 0.01% of a billion-parameter model, e.g. 266,240 of Llama 2 7B's
6,738,415,616) and learned position embeddings (context * d_model; 0.01% of GPT-3).

Mixture-of-experts: with `experts` routed experts per layer, of which `active_experts` serve
each token, and `shared_experts` that serve every token (DeepSeekMoE's), each expert a
feed-forward block of width ffn_hidden, plus a router of experts x d_model per layer.
`params_from_shape` counts every expert (the TOTAL, which memory holds);
`active_params_from_shape` only those one token passes through (the ACTIVE count, which
FLOPs and the scaling laws use). For a dense model the two are equal.

A model preset's name (see `planner.models`) works in place of `layers`, e.g.
PARAMS_FROM_SHAPE("Llama 2 7B"); shape arguments given as well override the preset's.
"""

from __future__ import annotations

import numpy as np

from . import _args, models
from .catalog import ACTIVE_PARAMS, Arg, formula
from .errors import TYPE, PlannerError

__all__ = ["params_from_shape", "active_params_from_shape", "flops_per_token"]

CATEGORY = "Data, Shape & Memory"
LAYERS = Arg("layers or model", "Number of transformer layers (blocks), or a model preset's name "
                                "(" + ", ".join(models.MODEL_NAMES) + "): its shape then fills "
                                "the shape arguments left empty", kind="model", rule="whole")


def _shape_args(total: bool) -> dict:
    return dict(
        layers=LAYERS,
        d_model=Arg("width", "Model width d_model (hidden size); empty: the named model's", rule="whole"),
        vocab_size=Arg("tokens", "Vocabulary size; empty: the named model's", rule="whole"),
        ffn_hidden=Arg("width", "Feed-forward hidden width (of one expert, for mixture-of-experts); "
                                "empty means the named model's, or 4 * d_model, the ratio of the "
                                "original Transformer and GPT-3", rule="whole"),
        gated_ffn=Arg("", "TRUE for a gated feed-forward block with three matrices (SwiGLU, GeGLU "
                          "as in Llama); empty: the named model's, or FALSE (two)", kind="flag"),
        tied_embeddings=Arg("", "TRUE if the output projection reuses the input embedding matrix "
                                "(GPT-2, GPT-3); FALSE (Llama) counts the vocabulary matrix twice; "
                                "empty: the named model's, or TRUE", kind="flag"),
        heads=Arg("heads", "Attention (query) heads; must divide d_model. Empty means the named "
                           "model's, or plain multi-head attention (the count then does not "
                           "depend on it)", rule="whole"),
        kv_heads=Arg("heads", "Key/value heads for grouped-query attention; must divide heads. "
                              "Empty means the named model's, or as many as heads; 1 is "
                              "multi-query attention", rule="whole"),
        experts=Arg("experts", "Routed experts per layer of a mixture-of-experts model; empty or 0: "
                               "the named model's, or dense" + (" (all are counted)" if total else ""),
                    rule="count"),
        active_experts=Arg("experts", "Routed experts each token uses (2 in Mixtral); needed with "
                                      "experts" + ("" if total else " (only these are counted)"),
                           rule="whole"),
        shared_experts=Arg("experts", "Experts every token uses besides the routed ones "
                                      "(DeepSeekMoE); 0 (default) for none", rule="count"))


def _counts(layers, d_model, vocab_size, ffn_hidden, gated_ffn, tied_embeddings, heads, kv_heads,
            experts, active_experts, shared_experts):
    """(total, active) parameter counts and the arguments to broadcast the result against."""
    shape = models.fill(layers, d_model=d_model, vocab_size=vocab_size, ffn_hidden=ffn_hidden,
                        gated_ffn=gated_ffn, tied_embeddings=tied_embeddings, heads=heads,
                        kv_heads=kv_heads, experts=experts, active_experts=active_experts,
                        optional=("ffn_hidden", "gated_ffn", "tied_embeddings", "heads", "kv_heads",
                                  "experts", "active_experts"))
    n_layers = _args.number(shape["layers"], "layers")
    d = _args.number(shape["d_model"], "d_model")
    vocab = _args.number(shape["vocab_size"], "vocab_size")
    if shape["ffn_hidden"] is None:
        with np.errstate(over="ignore"):  # a d_model near the float limit: the count's range check says so
            ffn = 4.0 * d
    else:
        ffn = _args.number(shape["ffn_hidden"], "ffn_hidden")
    gated = _args.flag(shape["gated_ffn"], "gated_ffn", False)
    tied = _args.flag(shape["tied_embeddings"], "tied_embeddings", True)
    shaped = dict(layers=n_layers, d_model=d, vocab_size=vocab, ffn_hidden=ffn, gated_ffn=gated,
                  tied_embeddings=tied)
    _args.broadcast(**shaped)
    kv = None if shape["kv_heads"] is None else _args.number(shape["kv_heads"], "kv_heads")
    if shape["heads"] is None:
        if kv is not None:
            raise PlannerError("kv_heads needs heads: give the number of query heads too", argument="heads", kind=TYPE)
        kv_share = 1.0
    else:
        h = _args.number(shape["heads"], "heads")
        _args.broadcast(**shaped, heads=h)
        _args.check(np.mod(d, h) == 0, "heads", "must divide d_model (a whole head size)", h)
        kv = h if kv is None else kv
        _args.broadcast(**shaped, heads=h, kv_heads=kv)
        _args.check(kv <= h, "kv_heads", "must not exceed heads", kv)
        _args.check(np.mod(h, kv) == 0, "kv_heads", "must divide heads", kv)
        kv_share = kv / h
    routed = np.asarray(0.0) if shape["experts"] is None else _args.number(shape["experts"], "experts")
    shared = _args.number(shared_experts, "shared_experts")
    moe = routed > 0
    # A dense preset's 0 active experts is no one's input; a given count must be a count.
    used = shape["active_experts"] if active_experts is None else _args.number(active_experts, "active_experts")
    if np.any(moe) and (used is None or (np.ndim(used) == 0 and float(used) == 0)):
        raise PlannerError("active_experts is needed with experts: how many routed experts each token "
                           "uses", argument="active_experts", kind=TYPE)
    used = np.asarray(0.0) if used is None else _args.number(used, "active_experts", "count")
    _args.broadcast(**shaped, experts=routed, active_experts=used, shared_experts=shared)
    _args.check(~moe | (used <= routed), "active_experts", "must not exceed experts", used)
    with np.errstate(all="ignore"):
        attention = (2.0 + 2.0 * kv_share) * d * d
        one_ffn = np.where(gated, 3.0, 2.0) * d * ffn
        router = routed * d
        # A dense layer is one feed-forward block; a mixture-of-experts layer holds every
        # routed and shared expert and runs the active and shared ones.
        held = np.where(moe, routed + shared, 1.0 + shared)
        run = np.where(moe, used + shared, 1.0 + shared)
        embeddings = np.where(tied, 1.0, 2.0) * vocab * d
        total = n_layers * (attention + held * one_ffn + router) + embeddings
        active = n_layers * (attention + run * one_ffn + router) + embeddings
    total = _args.in_range(total, "parameter count", "d_model", d)
    active = _args.in_range(active, "parameter count", "d_model", d)
    inputs = (n_layers, d, vocab, ffn, gated, tied, kv if kv is not None else 1.0, routed, used, shared)
    return total, active, inputs


@formula(CATEGORY, result="parameters", example="=PARAMS_FROM_SHAPE(32, 4096, 32000, 11008, TRUE, FALSE)",
         **_shape_args(total=True))
def params_from_shape(layers, d_model=None, vocab_size=None, ffn_hidden=None, gated_ffn=None,
                      tied_embeddings=None, heads=None, kv_heads=None, experts=None, active_experts=None,
                      shared_experts=0):
    """Parameter count of a decoder-only transformer from its shape (all experts: the total).

    Per layer: attention Q and O (d_model^2 each), K and V (d_model^2 * kv_heads/heads
    each, smaller with grouped-query attention), and 2 (3 if gated) feed-forward matrices
    of d_model * ffn_hidden, once per expert held (and a router of experts * d_model) in a
    mixture-of-experts model; plus vocab_size * d_model embeddings, once if tied and twice if
    not. Norm gains, biases and position embeddings are left out (under 0.01% of large
    models). This is what memory holds; FLOPs and the laws take ACTIVE_PARAMS_FROM_SHAPE.
    """
    total, _, inputs = _counts(layers, d_model, vocab_size, ffn_hidden, gated_ffn, tied_embeddings,
                               heads, kv_heads, experts, active_experts, shared_experts)
    return _args.result(total, *inputs)


@formula(CATEGORY, result="parameters", example='=ACTIVE_PARAMS_FROM_SHAPE("Mixtral 8x7B")',
         **_shape_args(total=False))
def active_params_from_shape(layers, d_model=None, vocab_size=None, ffn_hidden=None, gated_ffn=None,
                             tied_embeddings=None, heads=None, kv_heads=None, experts=None,
                             active_experts=None, shared_experts=0):
    """Parameters one token passes through: attention, embeddings, router and only the experts it uses.

    As PARAMS_FROM_SHAPE, with the active_experts (plus shared_experts) feed-forward blocks
    of each mixture-of-experts layer instead of all of them: the N of 2N FLOPs per token and
    of the scaling laws (Mixtral 8x7B: 12.9 B of its 46.7 B). Equal to PARAMS_FROM_SHAPE for
    a dense model.
    """
    _, active, inputs = _counts(layers, d_model, vocab_size, ffn_hidden, gated_ffn, tied_embeddings,
                                heads, kv_heads, experts, active_experts, shared_experts)
    return _args.result(active, *inputs)


@formula(CATEGORY, result="FLOPs/token", example="=FLOPS_PER_TOKEN(6.7E9, 32, 4096, 4096)",
         params=Arg("parameters", ACTIVE_PARAMS.doc + "; empty: the named model's active count"),
         layers=LAYERS,
         d_model=Arg("width", "Attention width (d_model; heads * head size); empty: the named "
                              "model's", rule="whole"),
         context=Arg("tokens", "Tokens each token attends to: the sequence length in "
                               "training; in generation the average position (prompt plus "
                               "half the output); empty: the named model's trained context"),
         training=Arg("", "TRUE (default): forward and backward pass, 3x the forward; "
                          "FALSE: forward pass only (inference)", kind="flag"),
         convention=Arg("", "How attention is counted: 'kaplan' (default; Kaplan et al. 2020, "
                            "Table 1: 2 x layers x context x d_model in the forward pass) or "
                            "'palm' (Chowdhery et al. 2022, Appendix B, as Hoffmann et al. 2022 "
                            "also count it: 4 x layers x context x d_model forward, 12 in training)",
                        kind="text", choices=("kaplan", "palm")))
def flops_per_token(params=None, layers=None, d_model=None, context=None, training=True, convention="kaplan"):
    """FLOPs per token of a transformer, including attention over the context.

    Kaplan's convention (the default): training 6N + 6 * layers * context * d_model; inference
    (training FALSE), the forward pass alone, 2N + 2 * layers * context * d_model (Kaplan et al.
    2020, Table 1: forward 2N + 2 n_layer n_ctx d_attn, backward twice the forward). PaLM's
    (Chowdhery et al. 2022, Appendix B: 6N + 12 L H Q T per token in training, H Q = d_model,
    T = context) counts both attention matrix products: twice Kaplan's attention term. The
    laws take N without embeddings (Kaplan) or with them (Hoffmann); counting them, as
    PARAMS_FROM_SHAPE does, adds the output projection's 2 * vocab * d_model per token, which
    is real work, and slightly overstates the rest.
    """
    shape = models.fill(layers, params=params, active_params=params, d_model=d_model, context=context)
    n = _args.number(shape["active_params"], "params")
    n_layers = _args.number(shape["layers"], "layers")
    d = _args.number(shape["d_model"], "d_model")
    ctx = _args.number(shape["context"], "context")
    train = _args.flag(training, "training", True)
    attention = {"kaplan": 1.0, "palm": 2.0}[_args.choice(convention, "convention", ("kaplan", "palm"))]
    _args.broadcast(params=n, layers=n_layers, d_model=d, context=ctx, training=train)
    with np.errstate(all="ignore"):
        flops = np.where(train, 6.0, 2.0) * (n + attention * n_layers * ctx * d)
    flops = _args.in_range(flops, "FLOPs per token", "params", n)
    return _args.result(flops, n, n_layers, d, ctx, training)
