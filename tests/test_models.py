"""Model shape presets and mixture-of-experts counts, against the published configurations."""

import numpy as np
import pytest

import planner
from workbook.addin.cells import CellError, evaluate

# Published total parameter counts: the released weights' own count, as each model card on
# Hugging Face states it (safetensors metadata of meta-llama/Llama-2-7b-hf etc.).
PUBLISHED = {
    "Llama 2 7B": 6_738_415_616,
    "Llama 2 13B": 13_015_864_320,
    "Llama 2 70B": 68_976_648_192,
    "Llama 3 8B": 8_030_261_248,
    "Llama 3 70B": 70_553_706_496,
    "Llama 3.1 8B": 8_030_261_248,
    "Llama 3.1 70B": 70_553_706_496,
    "Llama 3.1 405B": 405_853_388_800,
    "Mistral 7B": 7_241_732_096,
    "Mixtral 8x7B": 46_702_792_704,
}


def norm_gains(name):
    """RMSNorm gains the shape count leaves out: two per layer and a final one, d_model each."""
    return (2 * planner.model_spec(name, "layers") + 1) * planner.model_spec(name, "d_model")


@pytest.mark.parametrize("name", PUBLISHED)
def test_shape_gives_the_exact_published_count(name):
    assert planner.model_spec(name, "params") == PUBLISHED[name]
    assert planner.params_from_shape(name) + norm_gains(name) == PUBLISHED[name]


def test_gpt3_matches_its_paper_to_its_printed_precision():
    # Brown et al. 2020, Table 2.1: 175.0B; biases, norms and 2,048 position embeddings are
    # left out of the shape count, about 0.2% here.
    assert planner.params_from_shape("GPT-3 175B") == pytest.approx(175.0e9, rel=0.003)
    assert planner.model_spec("gpt3", "head_dim") == 128


def test_mixtral_active_count():
    # Jiang et al. 2024: 47B parameters, 13B active per token; the exact active count is the
    # total less six of eight SwiGLU experts in each of 32 layers.
    unused = 32 * 6 * 3 * 4096 * 14336
    active = planner.active_params_from_shape("Mixtral 8x7B")
    assert active + norm_gains("Mixtral 8x7B") == PUBLISHED["Mixtral 8x7B"] - unused
    assert planner.model_spec("Mixtral 8x7B", "active_params") == PUBLISHED["Mixtral 8x7B"] - unused
    assert active == pytest.approx(12.9e9, rel=0.005)
    # A dense model's active count is its total.
    assert planner.active_params_from_shape("Llama 2 7B") == planner.params_from_shape("Llama 2 7B")


def test_expert_counts_broadcast():
    per_token = planner.active_params_from_shape(32, 4096, 32000, 14336, True, False, 32, 8, 8, [1, 2, 4])
    expert = 32 * 3 * 4096 * 14336  # one SwiGLU expert in each of 32 layers
    assert per_token.shape == (3,) and np.array_equal(np.diff(per_token), [expert, 2 * expert])
    total = planner.params_from_shape(32, 4096, 32000, 14336, True, False, 32, 8, [8, 16], [[2], [4]])
    assert total.shape == (2, 2) and np.all(total[0] == total[1])  # the total holds every expert


def test_shared_experts_against_an_independent_count():
    # DeepSeekMoE-style: 64 routed experts of width 1408, 6 used per token, 2 always used.
    L, d, v, f, e, k, s = 28, 2048, 102400, 1408, 64, 6, 2
    attention, expert, router = 4 * d * d, 3 * d * f, e * d
    args = dict(layers=L, d_model=d, vocab_size=v, ffn_hidden=f, gated_ffn=True, tied_embeddings=False,
                experts=e, active_experts=k, shared_experts=s)
    assert planner.params_from_shape(**args) == L * (attention + (e + s) * expert + router) + 2 * v * d
    assert planner.active_params_from_shape(**args) == L * (attention + (k + s) * expert + router) + 2 * v * d


@pytest.mark.parametrize("spelling", ["meta-llama/Llama-2-7b-hf", "llama-2-7b-chat", "LLAMA 2 7B", "Llama2-7B"])
def test_names_match_as_published(spelling):
    assert planner.params_from_shape(spelling) == planner.params_from_shape("Llama 2 7B")


def test_repository_names_of_llama_3():
    assert planner.model_spec("meta-llama/Meta-Llama-3-8B-Instruct", "vocab") == 128256
    assert planner.model_spec("Llama-3.1-405B", "layers") == 126
    assert planner.model_spec("Meta-Llama-3.1-70B", "context") == 131072


def test_every_shape_function_takes_the_name():
    assert planner.params_from_shape("Llama 2 70B") == planner.params_from_shape(
        80, 8192, 32000, 28672, True, False, 64, 8)
    assert planner.kv_cache_gb("Llama 3 70B", context=4096, batch=16) == planner.kv_cache_gb(80, 8, 128, 4096, 16)
    assert planner.kv_cache_gb("Llama 3 70B") == planner.kv_cache_gb(80, 8, 128, 8192)
    assert planner.activation_memory_gb("Llama 2 70B", recompute="selective", tensor_parallel=8) == \
        planner.activation_memory_gb(80, 8192, 64, 4096, 1, "selective", 8)
    total = PUBLISHED["Llama 3 70B"]
    assert planner.max_batch(layers="Llama 3 70B", context=4096, tensor_parallel=2) == \
        planner.max_batch(total, 80, 8, 128, 4096, tensor_parallel=2)
    active = planner.model_spec("Mixtral 8x7B", "active_params")
    assert planner.flops_per_token(layers="Mixtral 8x7B") == planner.flops_per_token(active, 32, 4096, 32768)
    assert planner.mfu_from_throughput(1e5, layers="Llama 2 70B", gpus=512) == \
        planner.mfu_from_throughput(1e5, PUBLISHED["Llama 2 70B"], 80, 8192, 4096, 512)


def test_given_arguments_override_the_preset():
    base = planner.params_from_shape("Llama 2 7B")
    assert planner.params_from_shape("Llama 2 7B", vocab_size=64000) == base + 2 * 32000 * 4096
    assert planner.kv_cache_gb("Llama 2 7B", kv_heads=8, context=4096) == planner.kv_cache_gb(32, 8, 128, 4096)


@pytest.mark.parametrize("call, message", [
    (lambda: planner.params_from_shape("Llama 9"), "layers 'Llama 9' is not a known model; known: Llama 2 7B"),
    (lambda: planner.model_spec("Llama 2 7B", "depth"), "field must be one of layers"),
    (lambda: planner.kv_cache_gb(80, 8, 128), r"context is required \(or name a model in layers\)"),
    (lambda: planner.params_from_shape(32, 4096, 32000, experts=8), "active_experts is needed with experts"),
    (lambda: planner.params_from_shape(32, 4096, 32000, experts=8, active_experts=9),
     "active_experts must not exceed experts; got 9"),
    (lambda: planner.params_from_shape(32, 4096, 32000, experts=8, active_experts=1.5),
     "active_experts must be a positive whole number"),
])
def test_bad_shapes_are_planner_errors(call, message):
    with pytest.raises(planner.PlannerError, match=message):
        call()


def test_in_cells_a_name_or_a_column_of_names():
    assert evaluate("PARAMS_FROM_SHAPE", ["Mistral 7B"]) == planner.params_from_shape("Mistral 7B")
    column = evaluate("MODEL_SPEC", [[["Llama 2 70B"], ["Mixtral 8x7B"]], "kv_heads"])
    assert column == [[8.0], [8.0]]
    names = evaluate("KV_CACHE_GB", [[["Llama 2 7B"], ["Llama 3 8B"]], None, None, 4096])
    assert names == [[planner.kv_cache_gb("Llama 2 7B", context=4096)], [planner.kv_cache_gb("Llama 3 8B", context=4096)]]
    # Numbers in the same argument still broadcast.
    assert evaluate("KV_CACHE_GB", [[[32], [80]], 8, 128, 4096]) == [[planner.kv_cache_gb(32, 8, 128, 4096)],
                                                                      [planner.kv_cache_gb(80, 8, 128, 4096)]]
    bad = evaluate("PARAMS_FROM_SHAPE", ["Llama 9"])
    assert isinstance(bad, CellError) and bad.code == "#VALUE!" and "not a known model" in bad.reason


def test_mixture_of_experts_memory_uses_the_total_and_flops_the_active():
    total = planner.params_from_shape("Mixtral 8x7B")
    active = planner.active_params_from_shape("Mixtral 8x7B")
    assert total / active == pytest.approx(3.63, abs=0.01)
    assert planner.inference_memory_gb(total) == pytest.approx(2 * total / 1e9)
    assert planner.flops_per_token(active, 32, 4096, 1, training=False) == pytest.approx(
        2 * active + 2 * 32 * 4096)
