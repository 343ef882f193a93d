"""Model shape presets: the published configurations of public models.

Every shape function (PARAMS_FROM_SHAPE, ACTIVE_PARAMS_FROM_SHAPE, FLOPS_PER_TOKEN,
KV_CACHE_GB, ACTIVATION_MEMORY_GB, MAX_BATCH, MFU_FROM_THROUGHPUT, SERVING_GPUS) takes a
preset's name in place of its `layers` number: the shape arguments left empty are then the
preset's, and those given win. MODEL_SPEC returns one figure of a preset.

Each figure is the model's released configuration (the `config.json` published with the
weights, whose field names are quoted below) or, for GPT-3, its paper's table; `params` is
the published total parameter count (the weights' own count as released, every tensor
included), so PARAMS_FROM_SHAPE plus the normalisation gains it leaves out must equal it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from . import _args
from .catalog import Arg, formula
from .errors import TYPE, PlannerError

__all__ = ["ModelShape", "MODEL_PRESETS", "MODEL_NAMES", "MODEL_FIELDS", "model_spec"]


@dataclass(frozen=True)
class ModelShape:
    """One public model's published shape."""

    name: str
    layers: int  # num_hidden_layers
    d_model: int  # hidden_size
    heads: int  # num_attention_heads
    kv_heads: int  # num_key_value_heads (grouped-query attention when fewer than heads)
    ffn: int  # intermediate_size: the feed-forward width (of one expert, for mixture-of-experts)
    vocab: int  # vocab_size
    context: int  # max_position_embeddings: the context length it was trained for
    params: int  # the published total parameter count
    gated: bool = True  # SwiGLU feed-forward (three matrices)
    tied: bool = False  # tie_word_embeddings
    experts: int = 0  # num_local_experts; 0 for a dense model
    active_experts: int = 0  # num_experts_per_tok
    aliases: tuple[str, ...] = ()
    source: str = ""

    @property
    def head_dim(self) -> int:
        return self.d_model // self.heads

    @property
    def active_params(self) -> int:
        """The published total less the feed-forward weights of the experts a token does not use."""
        unused = self.experts - self.active_experts if self.experts else 0
        return self.params - self.layers * unused * (3 if self.gated else 2) * self.d_model * self.ffn


_HF = "Hugging Face model card and config.json, huggingface.co/"
_LLAMA2 = "; Touvron et al. 2023, \"Llama 2\", Table 1"
_LLAMA3 = "; Llama Team 2024, \"The Llama 3 Herd of Models\", Table 3"

_PRESETS: tuple[ModelShape, ...] = (
    # Llama 2: SwiGLU, untied embeddings, 32,000-token vocabulary, 4,096-token context; the
    # 70B model uses grouped-query attention with 8 key/value heads.
    ModelShape("Llama 2 7B", 32, 4096, 32, 32, 11008, 32000, 4096, 6_738_415_616,
               source=_HF + "meta-llama/Llama-2-7b-hf" + _LLAMA2),
    ModelShape("Llama 2 13B", 40, 5120, 40, 40, 13824, 32000, 4096, 13_015_864_320,
               source=_HF + "meta-llama/Llama-2-13b-hf" + _LLAMA2),
    ModelShape("Llama 2 70B", 80, 8192, 64, 8, 28672, 32000, 4096, 68_976_648_192,
               source=_HF + "meta-llama/Llama-2-70b-hf" + _LLAMA2),
    # Llama 3: a 128,256-token vocabulary and grouped-query attention at every size; 3.1 has
    # the same shapes with a 131,072-token context (Llama 3: 8,192).
    ModelShape("Llama 3 8B", 32, 4096, 32, 8, 14336, 128256, 8192, 8_030_261_248,
               source=_HF + "meta-llama/Meta-Llama-3-8B" + _LLAMA3),
    ModelShape("Llama 3 70B", 80, 8192, 64, 8, 28672, 128256, 8192, 70_553_706_496,
               source=_HF + "meta-llama/Meta-Llama-3-70B" + _LLAMA3),
    ModelShape("Llama 3.1 8B", 32, 4096, 32, 8, 14336, 128256, 131072, 8_030_261_248,
               source=_HF + "meta-llama/Llama-3.1-8B" + _LLAMA3),
    ModelShape("Llama 3.1 70B", 80, 8192, 64, 8, 28672, 128256, 131072, 70_553_706_496,
               source=_HF + "meta-llama/Llama-3.1-70B" + _LLAMA3),
    ModelShape("Llama 3.1 405B", 126, 16384, 128, 8, 53248, 128256, 131072, 405_853_388_800,
               source=_HF + "meta-llama/Llama-3.1-405B" + _LLAMA3),
    # Mistral 7B v0.1: Jiang et al. 2023, "Mistral 7B", Table 1 (sliding-window attention
    # over 4,096 tokens of a 32,768-token context).
    ModelShape("Mistral 7B", 32, 4096, 32, 8, 14336, 32000, 32768, 7_241_732_096,
               aliases=("mistral7bv01",),
               source=_HF + "mistralai/Mistral-7B-v0.1; Jiang et al. 2023, \"Mistral 7B\", Table 1"),
    # Mixtral 8x7B: eight SwiGLU experts per layer, two used per token (Jiang et al. 2024,
    # "Mixtral of Experts", Table 1: 47B total, 13B active parameters).
    ModelShape("Mixtral 8x7B", 32, 4096, 32, 8, 14336, 32000, 32768, 46_702_792_704,
               experts=8, active_experts=2, aliases=("mixtral8x7bv01",),
               source=_HF + "mistralai/Mixtral-8x7B-v0.1; Jiang et al. 2024, \"Mixtral of "
                            "Experts\", Table 1"),
    # GPT-3 175B: Brown et al. 2020, "Language Models are Few-Shot Learners", Table 2.1
    # (n_layers 96, d_model 12,288, n_heads 96, d_head 128, context 2,048, 175.0B
    # parameters; a 4 x d_model feed-forward, section 2.1); GPT-2's 50,257-token BPE
    # vocabulary with tied embeddings. Its count is published to 0.1B only.
    ModelShape("GPT-3 175B", 96, 12288, 96, 96, 4 * 12288, 50257, 2048, 175_000_000_000,
               gated=False, tied=True, aliases=("gpt3", "davinci"),
               source="Brown et al. 2020, \"Language Models are Few-Shot Learners\", Table 2.1"),
)

MODEL_PRESETS: dict[str, ModelShape] = {m.name: m for m in _PRESETS}
MODEL_NAMES: tuple[str, ...] = tuple(MODEL_PRESETS)
MODEL_FIELDS: tuple[str, ...] = ("layers", "d_model", "heads", "kv_heads", "head_dim", "ffn", "vocab",
                                 "experts", "active_experts", "context", "params", "active_params")

# Names match ignoring case and punctuation, a repository's owner ("meta-llama/"), the
# "Meta-" of "Meta-Llama-3-8B" and a release suffix ("-hf", "-Instruct").
_SUFFIX = re.compile(r"(hf|instruct|chat|base)+$")


def _key(name: str) -> str:
    key = re.sub(r"[^a-z0-9]", "", name.rsplit("/", 1)[-1].lower())
    return _SUFFIX.sub("", key.removeprefix("meta") if key.startswith("metallama") else key)


_LOOKUP: dict[str, ModelShape] = {}
for _m in _PRESETS:
    for _alias in (_m.name, *_m.aliases):
        assert _key(_alias) not in _LOOKUP, f"duplicate model alias {_alias!r}"
        _LOOKUP[_key(_alias)] = _m


def resolve_model(name, argument: str = "layers") -> ModelShape:
    """The preset a model name means, or a PlannerError listing the known ones."""
    model = _LOOKUP.get(_key(name)) if isinstance(name, str) else None
    if model is None:
        raise PlannerError(f"{argument} {_args.show(name)} is not a known model; known: "
                           f"{', '.join(MODEL_NAMES)}; or give the number of layers", argument=argument,
                           kind=TYPE)
    return model


# Shape arguments whose names differ from the preset's attribute names.
_ATTRIBUTE = {"vocab_size": "vocab", "ffn_hidden": "ffn", "gated_ffn": "gated",
              "tied_embeddings": "tied", "head_dim": "head_dim"}


def fill(layers, *, optional=(), **given) -> dict:
    """The shape arguments of a call whose `layers` may be a model name, by argument name.

    With a name, every argument given as None becomes the preset's figure (`params` is its
    total count, `active_params` the count one token uses) and `layers` the preset's. Any
    argument still None and not `optional` is a PlannerError saying it is required.
    """
    if isinstance(layers, str):
        model = resolve_model(layers)
        out = {"layers": model.layers} | {k: (getattr(model, _ATTRIBUTE.get(k, k)) if v is None else v)
                                          for k, v in given.items()}
    else:
        out = {"layers": layers} | given
    for name, value in out.items():
        if value is None and name not in optional:
            raise PlannerError(f"{name} is required (or name a model in layers)", argument=name, kind=TYPE)
    return out


@formula("Data, Shape & Memory", result="see field", example='=MODEL_SPEC("Llama 3 70B", "kv_heads")',
         name=Arg("", "A public model: " + ", ".join(MODEL_NAMES) + " (case and punctuation "
                      "ignored, so 'llama-3-70b' works)", kind="text", choices=MODEL_NAMES),
         field=Arg("", "Which figure: layers, d_model (width), heads, kv_heads (key/value heads), "
                       "head_dim, ffn (feed-forward width, of one expert for mixture-of-experts), "
                       "vocab, experts (0 for dense), active_experts (per token), context (trained "
                       "context length, tokens), params (published total parameters) or "
                       "active_params (those one token uses: params less the unused experts)",
                   kind="text", choices=MODEL_FIELDS))
def model_spec(name, field="params"):
    """One published figure of a public model's shape: layers, width, heads, vocabulary, experts.

    From the model's released configuration (its config.json) or, for GPT-3, its paper's
    Table 2.1; each preset's `source` names it. Any shape function takes the name in place of
    its layers number, e.g. =PARAMS_FROM_SHAPE("Llama 2 7B").
    """
    field = _args.choice(field, "field", MODEL_FIELDS)
    model = resolve_model(name, "name")
    return float(np.float64(getattr(model, field)))
