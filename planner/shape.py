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

Mixture-of-experts: `params_from_shape` counts one dense feed-forward block per layer, i.e.
the parameters ACTIVE for a token when the FFN width is that of the experts one token
uses; the total held in memory adds the other experts' FFNs. `flops_per_token` takes active
parameters.
"""

from __future__ import annotations

import numpy as np

from . import _args
from .catalog import ACTIVE_PARAMS, Arg, formula
from .errors import TYPE, PlannerError

__all__ = ["params_from_shape", "flops_per_token"]

CATEGORY = "Data, Shape & Memory"
LAYERS = Arg("layers", "Number of transformer layers (blocks)", rule="whole")


@formula(CATEGORY, result="parameters", example="=PARAMS_FROM_SHAPE(32, 4096, 32000, 11008, TRUE, FALSE)",
         layers=LAYERS,
         d_model=Arg("width", "Model width d_model (hidden size)", rule="whole"),
         vocab_size=Arg("tokens", "Vocabulary size", rule="whole"),
         ffn_hidden=Arg("width", "Feed-forward hidden width; empty means 4 * d_model, the "
                                 "ratio of the original Transformer and GPT-3 (for a "
                                 "mixture-of-experts model: the width one token uses)", rule="whole"),
         gated_ffn=Arg("", "TRUE for a gated feed-forward block with three matrices "
                           "(SwiGLU, GeGLU as in Llama); FALSE (default) for two", kind="flag"),
         tied_embeddings=Arg("", "TRUE (default, as in GPT-2 and GPT-3) if the output "
                                 "projection reuses the input embedding matrix; FALSE (Llama) "
                                 "counts the vocabulary matrix twice",
                             kind="flag"),
         heads=Arg("heads", "Attention (query) heads; must divide d_model. Empty means plain "
                            "multi-head attention (the count then does not depend on it)", rule="whole"),
         kv_heads=Arg("heads", "Key/value heads for grouped-query attention; must divide heads. "
                               "Empty means as many as heads; 1 is multi-query attention", rule="whole"))
def params_from_shape(layers, d_model, vocab_size, ffn_hidden=None, gated_ffn=False,
                      tied_embeddings=True, heads=None, kv_heads=None):
    """Parameter count of a decoder-only transformer from its shape.

    Per layer: attention Q and O (d_model^2 each), K and V (d_model^2 * kv_heads/heads
    each, smaller with grouped-query attention), and 2 (3 if gated) feed-forward matrices
    of d_model * ffn_hidden; plus vocab_size * d_model embeddings, once if tied and twice if
    not. Norm gains, biases and position embeddings are left out (under 0.01% of large
    models). For a mixture-of-experts model this is the active count per token when
    ffn_hidden is the width of the experts one token uses.
    """
    n_layers = _args.number(layers, "layers")
    d = _args.number(d_model, "d_model")
    vocab = _args.number(vocab_size, "vocab_size")
    ffn = 4.0 * d if ffn_hidden is None else _args.number(ffn_hidden, "ffn_hidden")
    gated = _args.flag(gated_ffn, "gated_ffn", False)
    tied = _args.flag(tied_embeddings, "tied_embeddings", True)
    shaped = dict(layers=n_layers, d_model=d, vocab_size=vocab, ffn_hidden=ffn, gated_ffn=gated,
                  tied_embeddings=tied)
    _args.broadcast(**shaped)
    kv = None if kv_heads is None else _args.number(kv_heads, "kv_heads")
    if heads is None:
        if kv is not None:
            raise PlannerError("kv_heads needs heads: give the number of query heads too", argument="heads", kind=TYPE)
        kv_share = 1.0
    else:
        h = _args.number(heads, "heads")
        _args.broadcast(**shaped, heads=h)
        _args.check(np.mod(d, h) == 0, "heads", "must divide d_model (a whole head size)", h)
        kv = h if kv is None else kv
        _args.broadcast(**shaped, heads=h, kv_heads=kv)
        _args.check(kv <= h, "kv_heads", "must not exceed heads", kv)
        _args.check(np.mod(h, kv) == 0, "kv_heads", "must divide heads", kv)
        kv_share = kv / h
    with np.errstate(all="ignore"):
        attention = (2.0 + 2.0 * kv_share) * d * d
        feed_forward = np.where(gated, 3.0, 2.0) * d * ffn
        embeddings = np.where(tied, 1.0, 2.0) * vocab * d
        total = n_layers * (attention + feed_forward) + embeddings
    total = _args.in_range(total, "parameter count", "d_model", d)
    return _args.result(total, layers, d_model, vocab_size, ffn_hidden, gated_ffn,
                        tied_embeddings, heads, kv_heads)


@formula(CATEGORY, result="FLOPs/token", example="=FLOPS_PER_TOKEN(6.7E9, 32, 4096, 4096)",
         params=ACTIVE_PARAMS, layers=LAYERS,
         d_model=Arg("width", "Attention width (d_model; heads * head size)", rule="whole"),
         context=Arg("tokens", "Tokens each token attends to: the sequence length in "
                               "training; in generation the average position (prompt plus "
                               "half the output)"),
         training=Arg("", "TRUE (default): forward and backward pass, 3x the forward; "
                          "FALSE: forward pass only (inference)", kind="flag"),
         convention=Arg("", "How attention is counted: 'kaplan' (default; Kaplan et al. 2020, "
                            "Table 1: 2 x layers x context x d_model in the forward pass) or "
                            "'palm' (Chowdhery et al. 2022, Appendix B, as Hoffmann et al. 2022 "
                            "also count it: 4 x layers x context x d_model forward, 12 in training)",
                        kind="text", choices=("kaplan", "palm")))
def flops_per_token(params, layers, d_model, context, training=True, convention="kaplan"):
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
    n = _args.number(params, "params")
    n_layers = _args.number(layers, "layers")
    d = _args.number(d_model, "d_model")
    ctx = _args.number(context, "context")
    train = _args.flag(training, "training", True)
    attention = {"kaplan": 1.0, "palm": 2.0}[_args.choice(convention, "convention", ("kaplan", "palm"))]
    _args.broadcast(params=n, layers=n_layers, d_model=d, context=ctx, training=train)
    with np.errstate(all="ignore"):
        flops = np.where(train, 6.0, 2.0) * (n + attention * n_layers * ctx * d)
    flops = _args.in_range(flops, "FLOPs per token", "params", n)
    return _args.result(flops, params, layers, d_model, context, training)
