"""The over-training explorer: one budget spent at 1 to 10,000 tokens per parameter."""

from __future__ import annotations

from workbook.templates.spec import (  # noqa: F401
    BILLIONS, CHECK, Chart, Col, FLOPS, INT, In, LAW_IN, LAW_SOURCES, LOSS, ONE, Out, PCT, SCI,
    PER_BILLION, Section, Sheet, TOKENS, TRAIN_FLOPS_PER, TWO, Table, Template, constants, law_spread,
)

SUMMARY = ('="At "&TEXT(Budget,"0.00E+00")&" FLOPs the compute-optimal model has "'
           '&TEXT(Opt_Params/Per_Billion,"0.0")&" B parameters trained on "&TEXT(Opt_Tokens_Per_Param,"0")'
           '&" tokens each (loss "&TEXT(Opt_Loss,"0.000")&" under the "&Law&" law); the table shows what "'
           '&"spending the same budget at other ratios costs in loss and gains in inference."')

RATIOS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000)

OVERTRAINING_EXPLORER = Template(
    "overtraining_explorer.xlsx",
    "Over-training explorer: one budget, many tokens-per-parameter ratios",
    answers=(
        "What happens when a fixed training budget is spent on a smaller model trained on more "
        "tokens (or a larger one on fewer)? For ratios from 1 to 10,000 tokens per parameter: the "
        "model, its loss, the loss penalty against the compute-optimal split, the compute a "
        "smaller model needs to match the optimal loss, and the inference FLOPs it saves per token.",
    ),
    how=(
        "Sheet Explorer: set the budget and the law; edit the ratio column to try other ratios.",
        "Compute overhead: how many times the budget a model of that size needs to reach the "
        "compute-optimal loss (1.0 at the optimum); 'unreachable' when it never can (it is smaller "
        "than the smallest model shown above the table). The chart stops at the clip constant.",
        "Inference cost per token against the optimum: how many times the compute-optimal model's "
        "inference FLOPs per token each model costs (0.25x: a quarter; 4x: four times).",
    ),
    sources=LAW_SOURCES + (
        "Over-training: Gadre et al. 2024, \"Language models scale reliably with over-training and "
        "on downstream tasks\" (loss at a fixed tokens-per-parameter ratio).",
        "Compute overhead: de Vries 2023, \"Go smol or go home\" (the extra compute a smaller model "
        "needs to reach a compute-optimal model's loss).",
    ),
    sheets=(
        Sheet("Explorer", "Over-training explorer", "Inputs in blue on yellow; everything else is computed.", (
            Section("Summary", (
                Out("The budget in one line", SUMMARY, "", "General", "Summary", wide=True),
            )),
            Section("Inputs", (
                In("Training budget", "Budget", 1e24, "FLOPs", FLOPS),
                LAW_IN,
            )),
            Section("Output: the compute-optimal split", (
                Out("Compute-optimal parameters", "=CHINCHILLA_N(Budget,Law)", "parameters", BILLIONS,
                    "Opt_Params", key=True),
                Out("Compute-optimal tokens", "=CHINCHILLA_D(Budget,Law)", "tokens", TOKENS, "Opt_Tokens"),
                Out("Compute-optimal tokens per parameter", "=Opt_Tokens/Opt_Params", "tokens/parameter", ONE,
                    "Opt_Tokens_Per_Param", key=True),
                Out("Compute-optimal loss", "=CHINCHILLA_LOSS(Budget,Law)", "nats/token", LOSS, "Opt_Loss",
                    key=True),
                Out("Smallest model that can reach that loss", "=SMALLEST_PARAMS(Opt_Loss,Law)", "parameters",
                    BILLIONS, "Smallest_Params", note="smaller models never match it, however long they train"),
            )),
            Section("Checks", (
                Out("Every ratio is positive", '=COUNTIF(Ratios,"<=0")=0', "TRUE/FALSE", CHECK, "Check_Ratios",
                    note="FALSE: a ratio of 0 or less has no model"),
                Out("The ratios span the compute-optimal one", "=AND(MIN(Ratios)<=Opt_Tokens_Per_Param,"
                    "MAX(Ratios)>=Opt_Tokens_Per_Param)", "TRUE/FALSE", CHECK, "Check_Span",
                    note="FALSE: add ratios around the optimum to see both sides"),
            )),
            Table("ratios", (
                Col("ratio", "Tokens per parameter", "tokens/param", INT, values=RATIOS, name="Ratios"),
                Col("params", "Parameters", "parameters", BILLIONS, "=SQRT(Budget/(Train_FLOPs_Per_Param_Token*{ratio}))"),
                Col("tokens", "Training tokens", "tokens", TOKENS, "={ratio}*{params}"),
                Col("loss", "Loss", "nats/token", LOSS, "=OVERTRAIN_LOSS(Budget,{ratio},Law)"),
                Col("penalty", "Penalty against the optimum", "nats/token", LOSS,
                    "=OVERTRAIN_PENALTY(Budget,{ratio},Law)"),
                Col("penalty_pct", "Penalty", "% of optimal loss", "0.00%", "={penalty}/Opt_Loss"),
                Col("overhead", "Compute overhead to match the optimum", "x budget", "#,##0.00",
                    '=IF({params}>Smallest_Params,OVERTRAIN_OVERHEAD(Budget,{params},Law),"unreachable")'),
                Col("inf_flops", "Inference FLOPs per token", "FLOPs/token", SCI, "=INFERENCE_FLOPS({params},1)"),
                Col("inf_ratio", "Inference cost per token against the optimum", "x optimum", '0.00"x"',
                    "={params}/Opt_Params"),
                Col("shown", "Overhead as charted", "x budget", "#,##0.00",
                    "=IF({params}>Smallest_Params,MIN(OVERTRAIN_OVERHEAD(Budget,{params},Law),Overhead_Clip),"
                    "Overhead_Clip)"),
            ), len(RATIOS)),
        ), widths=(40, 18, 16, 16, 16, 17, 18, 16, 16), one_page=True),
        Sheet("Details", "Over-training explorer: details", "The other laws and the charts of the table on "
              "sheet Explorer.", (
            constants(TRAIN_FLOPS_PER, PER_BILLION,
                      In("Highest overhead the chart shows", "Overhead_Clip", 5, "x budget", "#,##0",
                         "at_least_one", "larger overheads, and models that never match, show at this line")),
            law_spread(
                "The compute-optimal split of this budget under each preset (why they differ: About)",
                Col("params", "Parameters", "parameters", BILLIONS, "=CHINCHILLA_N(Budget,{law})"),
                Col("tpp", "Tokens per parameter", "tokens/parameter", ONE,
                    "=CHINCHILLA_D(Budget,{law})/{params}"),
                Col("vs", "Size against the chosen law's", "x", TWO, "={params}/Opt_Params"),
            ),
            Chart("ratios", "Loss penalty against tokens per parameter", "ratio",
                  (("penalty", "Penalty (nats/token)"),), "Tokens per parameter (log scale)",
                  "Loss above the optimum (nats/token)", y_fmt="0.000"),
            Table("optimum_mark", (
                Col("ratio", "Compute-optimal tokens per parameter", "tokens/param", ONE,
                    per_row=(("=Opt_Tokens_Per_Param", 1),)),
                Col("overhead", "Its overhead", "x budget", "#,##0.00", per_row=(("=1", 1),)),
            ), 1, title="The optimum, marked on the overhead chart"),
            Chart("ratios", "Compute overhead against tokens per parameter (clipped at the constant above)",
                  "ratio", (("shown", "Compute overhead (x budget)"),), "Tokens per parameter (log scale)",
                  "x budget (top: that much or more, or never)", y_fmt="#,##0.0",
                  marks=(("optimum_mark", "ratio", "overhead", "Compute-optimal"),)),
        ), widths=(40, 18, 16, 16, 16, 17, 18, 16, 16)),
    ),
)

TEMPLATE = OVERTRAINING_EXPLORER
