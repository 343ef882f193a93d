import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import planner


def weight_matrices(layers, d, vocab, ffn, gated, tied, heads, kv_heads):
    """The weight matrices of a decoder-only checkpoint, listed one by one as (rows, cols)."""
    head = d // heads
    per_layer = [(d, d), (kv_heads * head, d), (kv_heads * head, d), (d, d)]  # q, k, v, o
    per_layer += [(ffn, d)] * (2 if gated else 1) + [(d, ffn)]  # gate, up / up, down
    mats = per_layer * layers + [(vocab, d)] + ([] if tied else [(vocab, d)])
    return sum(r * c for r, c in mats)


def test_llama2_7b():
    # Touvron et al. 2023 (Llama 2), Table 1 and the released config: 32 layers, d_model 4096,
    # 32 heads, SwiGLU FFN 11,008, vocabulary 32,000, untied embeddings; "7B" (6.74 B).
    got = planner.params_from_shape(32, 4096, 32000, 11008, True, False)
    assert got == weight_matrices(32, 4096, 32000, 11008, True, False, 32, 32)
    assert got == pytest.approx(6.74e9, rel=1e-3)


def test_gpt3_175b():
    # Brown et al. 2020, Table 2.1: 96 layers, d_model 12,288, 96 heads, FFN 4 * d_model,
    # 50,257-token vocabulary with tied embeddings; 175.0 B parameters.
    got = planner.params_from_shape(96, 12288, 50257)
    assert got == weight_matrices(96, 12288, 50257, 4 * 12288, False, True, 96, 96)
    assert got == pytest.approx(175e9, rel=5e-3)


def test_llama2_70b_with_grouped_query_attention():
    # Llama 2 70B (Touvron et al. 2023, Table 1 and the released config): 80 layers, d_model
    # 8192, 64 query heads sharing 8 key/value heads, SwiGLU FFN 28,672, vocabulary 32,000,
    # untied; about 69 B weights (the released checkpoint's count).
    got = planner.params_from_shape(80, 8192, 32000, 28672, True, False, 64, 8)
    assert got == weight_matrices(80, 8192, 32000, 28672, True, False, 64, 8)
    assert got == pytest.approx(69e9, rel=5e-3)
    full_kv = planner.params_from_shape(80, 8192, 32000, 28672, True, False, 64, 64)
    # K and V shrink from d^2 to d^2/8 each in every layer.
    assert full_kv - got == 80 * 2 * (8192 ** 2) * (1 - 1 / 8)


def test_defaults_mean_plain_multi_head_attention_and_a_4x_ffn():
    plain = planner.params_from_shape(12, 768, 50257)
    assert plain == planner.params_from_shape(12, 768, 50257, 4 * 768, False, True, 12, 12)
    assert plain == planner.params_from_shape(12, 768, 50257, None, None, None, 12, None)
    assert plain == 12 * 12 * 768 ** 2 + 50257 * 768


def test_flags_accept_logicals_ones_and_zeros_and_arrays():
    untied = planner.params_from_shape(32, 4096, 32000, 11008, 1, 0)
    assert untied == planner.params_from_shape(32, 4096, 32000, 11008, True, False)
    both = planner.params_from_shape(32, 4096, 32000, 11008, True, [True, False])
    assert both[1] - both[0] == 32000 * 4096


def test_shapes_broadcast():
    got = planner.params_from_shape([32, 80], [4096, 8192], 32000, [11008, 28672], True, False,
                                    [32, 64], [32, 8])
    assert got.shape == (2,)
    assert got[1] == planner.params_from_shape(80, 8192, 32000, 28672, True, False, 64, 8)


@settings(max_examples=100, deadline=None)
@given(layers=st.integers(1, 200), heads=st.sampled_from([1, 2, 4, 8, 16, 32, 64]),
       head_dim=st.sampled_from([32, 64, 128]), group=st.sampled_from([1, 2, 4, 8]),
       vocab=st.integers(1000, 300000), gated=st.booleans(), tied=st.booleans())
def test_count_equals_the_sum_of_the_weight_matrices(layers, heads, head_dim, group, vocab,
                                                     gated, tied):
    d = heads * head_dim
    kv = max(heads // group, 1)
    ffn = 8 * d // 3 if gated else 4 * d
    got = planner.params_from_shape(layers, d, vocab, ffn, gated, tied, heads, kv)
    assert got == weight_matrices(layers, d, vocab, ffn, gated, tied, heads, kv)
    assert got <= planner.params_from_shape(layers, d, vocab, ffn, gated, tied, heads, heads)


# --- FLOPs per token ------------------------------------------------------------------------

def test_flops_per_token_closed_form():
    n, layers, d, ctx = 6.74e9, 32, 4096, 4096
    assert planner.flops_per_token(n, layers, d, ctx) == 6 * n + 6 * layers * ctx * d
    assert planner.flops_per_token(n, layers, d, ctx, False) == 2 * n + 2 * layers * ctx * d
    both = planner.flops_per_token(n, layers, d, ctx, [True, False])
    assert both[0] == 3 * both[1]


def test_attention_term_is_small_when_width_exceeds_a_twelfth_of_the_context():
    # Kaplan et al. 2020, section 2.1: with N ~ 12 n_layer d_model^2, the context term
    # 2 n_layer n_ctx d_model is small next to 2N when d_model > n_ctx / 12.
    layers, d, ctx = 96, 12288, 2048
    n = planner.params_from_shape(layers, d, 50257)
    extra = planner.flops_per_token(n, layers, d, ctx) / (6 * n) - 1
    assert 0 < extra < ctx / (12 * d)


def test_flops_broadcast_over_context():
    ctx = np.array([1024, 8192, 131072])
    got = planner.flops_per_token(7e9, 32, 4096, ctx)
    assert np.array_equal(got, 6 * 7e9 + 6 * 32 * ctx * 4096)


# --- bad input ----------------------------------------------------------------------------

@pytest.mark.parametrize("call, message", [
    (lambda: planner.params_from_shape(32.5, 4096, 32000), "layers must be a positive whole number; got 32.5 layers"),
    (lambda: planner.params_from_shape(0, 4096, 32000), "layers must be a positive whole number; got 0 layers"),
    (lambda: planner.params_from_shape(32, 4096, -3), "vocab_size must be a positive whole number; got -3 tokens"),
    (lambda: planner.params_from_shape(32, 4096, 32000, heads=30), "heads must divide d_model.*got 30"),
    (lambda: planner.params_from_shape(32, 4096, 32000, heads=32, kv_heads=5), "kv_heads must divide heads; got 5"),
    (lambda: planner.params_from_shape(32, 4096, 32000, heads=8, kv_heads=16), "kv_heads must not exceed heads; got 16"),
    (lambda: planner.params_from_shape(32, 4096, 32000, kv_heads=8), "kv_heads needs heads"),
    (lambda: planner.params_from_shape(32, 4096, 32000, gated_ffn="yes"), "gated_ffn must be TRUE or FALSE"),
    (lambda: planner.params_from_shape(32, 4096, 32000, tied_embeddings=2), "tied_embeddings must be TRUE or FALSE"),
    (lambda: planner.params_from_shape(32, [4096, 4000.5], 32000), r"d_model must be a positive whole number; got 4000.5 \(element 1\)"),
    (lambda: planner.params_from_shape(1e300, 1e300, 10), "out of range"),
    (lambda: planner.flops_per_token(7e9, 32, 4096, 0), "context must be positive; got 0"),
    (lambda: planner.flops_per_token(7e9, 32, 4096, 4096, "no"), "training must be TRUE or FALSE"),
    (lambda: planner.flops_per_token(None, 32, 4096, 4096), r"params is required \(or name a model in layers\)"),
    (lambda: planner.flops_per_token(7e9, 32, 4096, 4096, 10**400), "training must be TRUE or FALSE"),
    (lambda: planner.params_from_shape(32, 4096, 32000, gated_ffn=np.array([1 + 1j])),
     "gated_ffn must be TRUE or FALSE"),
    (lambda: planner.params_from_shape([32, 40, 48], [4096, 5120], 32000),
     r"d_model \(shape \(2,\)\) does not match layers \(shape \(3,\)\)"),
    (lambda: planner.params_from_shape(32, 4096, 32000, heads=[32, 64], kv_heads=[8, 8, 8]),
     r"kv_heads \(shape \(3,\)\) does not match heads"),
    (lambda: planner.flops_per_token(7e9, 32, 4096, [1024, 2048], [True, False, True]),
     "training .* does not match params|training .* does not match context"),
])
def test_bad_input_names_argument_rule_and_value(call, message):
    with pytest.raises(planner.PlannerError, match=message):
        call()


def test_flops_per_token_in_palms_convention():
    """PaLM's Appendix B: 6N + 12 L H Q T training FLOPs per token (H Q = d_model, T the
    sequence length), here with PaLM 540B's shape (L=118, d_model=18432, T=2048; Chowdhery et
    al. 2022, Table 1), where attention is a small share of the work per token."""
    n, layers, d, t = 540.35e9, 118, 18432, 2048
    palm = planner.flops_per_token(n, layers, d, t, True, "palm")
    assert palm == 6 * n + 12 * layers * d * t
    assert planner.flops_per_token(n, layers, d, t, False, "PaLM") == 2 * n + 4 * layers * d * t
    assert planner.flops_per_token(n, layers, d, t) == 6 * n + 6 * layers * d * t  # Kaplan, the default
    # PaLM counts attention's two matrix products where Kaplan counts one: twice the term.
    assert palm - planner.flops_per_token(n, layers, d, t) == 6 * layers * d * t
    with pytest.raises(planner.PlannerError) as err:
        planner.flops_per_token(n, layers, d, t, True, "chinchilla")
    assert err.value.argument == "convention" and err.value.kind == "type"
