"""Public models: published sizes and token counts against what each law calls optimal."""

from __future__ import annotations

from workbook.templates.spec import (  # noqa: F401
    BILLIONS, CHECK, Chart, Col, FLOPS, In, LAW_SOURCES, LOSS, ONE, Out, SCI, Section, Sheet, TEXT,
    TOKENS, TRAIN_FLOPS_PER, TWO, Table, Template, constants, law_spread,
)

# (model, parameters, training tokens, source of both figures)
PUBLIC_MODELS = (
    ("GPT-3 175B", 175e9, 300e9, "Brown et al. 2020, \"Language Models are Few-Shot Learners\", Table 2.1 and section 2.2"),
    ("Gopher 280B", 280e9, 300e9, "Rae et al. 2021, \"Scaling Language Models: Methods, Analysis & Insights from Training Gopher\", Table 1 and section 3; Hoffmann et al. 2022, Table 1"),
    ("Chinchilla 70B", 70e9, 1.4e12, "Hoffmann et al. 2022, \"Training Compute-Optimal Large Language Models\", Table 1"),
    ("LaMDA 137B", 137e9, 168e9, "Hoffmann et al. 2022, Table 1 (from Thoppilan et al. 2022). Note: "
     "6ND with these 168 B tokens is 1.38E+23 FLOPs, 39% of the 3.55E+23 FLOPs the LaMDA paper "
     "reports for its pre-training (Thoppilan et al. 2022, section 10); Hoffmann et al. count the "
     "tokens differently"),
    ("Jurassic-1 178B", 178e9, 300e9, "Hoffmann et al. 2022, Table 1 (from Lieber et al. 2021)"),
    ("MT-NLG 530B", 530e9, 270e9, "Hoffmann et al. 2022, Table 1 (from Smith et al. 2022)"),
    ("PaLM 540B", 540e9, 780e9, "Chowdhery et al. 2022, \"PaLM: Scaling Language Modeling with Pathways\", Table 1 and section 3"),
    ("OPT-175B", 175e9, 180e9, "Zhang et al. 2022, \"OPT: Open Pre-trained Transformer Language Models\", section 2"),
    ("BLOOM 176B", 176e9, 366e9, "BigScience 2022, \"BLOOM: A 176B-Parameter Open-Access Multilingual Language Model\", section 3"),
    ("LLaMA 7B", 6.7e9, 1.0e12, "Touvron et al. 2023, \"LLaMA: Open and Efficient Foundation Language Models\", Table 2"),
    ("LLaMA 13B", 13.0e9, 1.0e12, "Touvron et al. 2023, \"LLaMA\", Table 2"),
    ("LLaMA 33B", 32.5e9, 1.4e12, "Touvron et al. 2023, \"LLaMA\", Table 2"),
    ("LLaMA 65B", 65.2e9, 1.4e12, "Touvron et al. 2023, \"LLaMA\", Table 2"),
    ("Llama 2 7B", 7e9, 2.0e12, "Touvron et al. 2023, \"Llama 2: Open Foundation and Fine-Tuned Chat Models\", Table 1"),
    ("Llama 2 13B", 13e9, 2.0e12, "Touvron et al. 2023, \"Llama 2\", Table 1"),
    ("Llama 2 70B", 70e9, 2.0e12, "Touvron et al. 2023, \"Llama 2\", Table 1"),
    ("Llama 3 8B", 8e9, 15e12, "Meta 2024, \"Introducing Meta Llama 3\" (over 15T tokens); Llama 3 Herd paper, Dubey et al. 2024"),
    ("Llama 3 70B", 70e9, 15e12, "Meta 2024, \"Introducing Meta Llama 3\" (over 15T tokens)"),
    ("Llama 3.1 405B", 405e9, 15.6e12, "Dubey et al. 2024, \"The Llama 3 Herd of Models\", section 3 (15.6T tokens)"),
    ("Falcon 180B", 180e9, 3.5e12, "Almazrouei et al. 2023, \"The Falcon Series of Open Language Models\", abstract"),
    ("Pythia 12B", 12e9, 300e9, "Biderman et al. 2023, \"Pythia: A Suite for Analyzing Large Language Models\", section 2 (nominal size; 300B tokens of the Pile)"),
)

SUMMARY = ('="Of the "&TEXT(COUNT(Models_Params),"0")&" models listed, "&TEXT(COUNTIF(Models_Size_Ratio,">1"),"0")'
           '&" are larger than compute-optimal for their own training compute under the epoch law; "'
           '&Spread_Model&" is "&TEXT(Spread_Params/INDEX(Spread_Optimal_Params,1),"0.00")&" times the compute-optimal size for its compute."')

PUBLIC_MODELS_TEMPLATE = Template(
    "public_models.xlsx",
    "Public models: sizes, training tokens, compute and predicted loss",
    answers=(
        "How were well-known language models trained? For each: parameters N, training tokens D, "
        "tokens per parameter, training FLOPs (6ND), the loss each scaling-law preset predicts, "
        "and how far it sits from the compute-optimal split of its own budget.",
        "A reference for sanity-checking a plan: where does your model sit among these?",
    ),
    how=(
        "Sheet Models: the blue columns are the published figures; add your own model in the "
        "empty rows at the bottom (name, parameters, tokens) and the computed columns follow.",
        "Predicted losses are in nats per token on each law's own data; compare them within a "
        "column (between models), not across columns (between laws).",
    ),
    sources=LAW_SOURCES + tuple(f"{m}: {src}." for m, _, _, src in PUBLIC_MODELS),
    sheets=(
        Sheet("Models", "Public models", "Published N and D in blue; everything else is computed.", (
            Section("Summary", (
                Out("The list in one line", SUMMARY, "", "General", "Summary", wide=True),
            )),
            Table("models", (
                Col("model", "Model", "", TEXT, values=tuple(m[0] for m in PUBLIC_MODELS) + ("",) * 4,
                    name="Models_Name", rule="none"),
                Col("params", "Parameters", "parameters", BILLIONS,
                    values=tuple(m[1] for m in PUBLIC_MODELS), name="Models_Params"),
                Col("tokens", "Training tokens", "tokens", TOKENS,
                    values=tuple(m[2] for m in PUBLIC_MODELS), name="Models_Tokens"),
                Col("tpp", "Tokens per parameter", "tokens/param", ONE,
                    '=IF({params}="","",{tokens}/{params})'),
                Col("flops", "Training FLOPs (6ND)", "FLOPs", FLOPS,
                    '=IF({params}="","",Train_FLOPs_Per_Param_Token*{params}*{tokens})', name="Models_FLOPs"),
                Col("l_chin", "Loss: chinchilla", "nats/token", LOSS,
                    '=IF({params}="","",SCALING_LOSS({params},{tokens},"chinchilla"))'),
                Col("l_epoch", "Loss: epoch", "nats/token", LOSS,
                    '=IF({params}="","",SCALING_LOSS({params},{tokens},"epoch"))'),
                Col("l_kaplan", "Loss: kaplan", "nats/token", LOSS,
                    '=IF({params}="","",SCALING_LOSS({params},{tokens},"kaplan"))'),
                Col("opt_n", "Compute-optimal parameters for its FLOPs (epoch)", "parameters", BILLIONS,
                    '=IF({params}="","",CHINCHILLA_N({flops},"epoch"))'),
                Col("size_ratio", "Size against the compute-optimal", "x optimal", TWO,
                    # A row added to a hand-off copy has no frozen optimum yet: blank, not #VALUE!.
                    '=IF(OR({params}="",{opt_n}=""),"",{params}/{opt_n})', name="Models_Size_Ratio"),
            ), len(PUBLIC_MODELS) + 4),
            Section("Checks", (
                Out("The chosen model is in the list", "=ISNUMBER(MATCH(Spread_Model,Models_Name,0))", "TRUE/FALSE",
                    CHECK, "Check_Model", note="FALSE: type a name exactly as in the Model column"),
                Out("Every model has both figures", "=COUNT(Models_Params)=COUNT(Models_Tokens)", "TRUE/FALSE",
                    CHECK, "Check_Figures", note="FALSE: a row has parameters without tokens, or tokens without"),
            )),
        ), widths=(16, 11, 11, 9, 14, 9, 9, 9, 13, 10), freeze="B6", one_page=True),
        Sheet("Details", "Public models: details", "Where each model's figures come from, one model under "
              "each law, and the models charted.", (
            Table("sources", (
                Col("model", "Model", "", TEXT, values=tuple(m[0] for m in PUBLIC_MODELS) + ("",) * 4,
                    name="Sources_Model", rule="none"),
                Col("source", "Source of N and D", "", TEXT, values=tuple(m[3] for m in PUBLIC_MODELS) + ("",) * 4,
                    name="Models_Source", rule="none", wrap=True),
            ), len(PUBLIC_MODELS) + 4, title="Sources of the published figures (add yours beside a model you add)"),
            constants(TRAIN_FLOPS_PER),
            Section("Input: one model to compare under each law", (
                In("Model", "Spread_Model", "Llama 2 70B", "name", TEXT, "none",
                   "a name from the Model column"),
            )),
            Section("Calculations", (
                Out("Its training FLOPs", "=INDEX(Models_FLOPs,MATCH(Spread_Model,Models_Name,0))", "FLOPs",
                    FLOPS, "Spread_FLOPs"),
                Out("Its parameters", "=INDEX(Models_Params,MATCH(Spread_Model,Models_Name,0))", "parameters",
                    BILLIONS, "Spread_Params"),
            )),
            law_spread(
                "The compute-optimal model for that budget under each preset (why they differ: About)",
                Col("params", "Parameters", "parameters", BILLIONS, "=CHINCHILLA_N(Spread_FLOPs,{law})",
                    name="Spread_Optimal_Params"),
                Col("tpp", "Tokens per parameter", "tokens/param", ONE,
                    "=CHINCHILLA_D(Spread_FLOPs,{law})/{params}"),
                Col("vs", "The model against it", "x optimal", TWO, "=Spread_Params/{params}"),
            ),
            Chart("models", "Training tokens against parameters", "params", (("tokens", "Public models"),),
                  "Parameters (log scale)", "Training tokens (log scale)", log_y=True,
                  x_fmt=SCI, y_fmt=SCI, lines=False),
        ), widths=(24, 64, 14, 14, 14, 14)),
    ),
)

TEMPLATE = PUBLIC_MODELS_TEMPLATE
