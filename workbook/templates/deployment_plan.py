"""The deployment plan: training plus a lifetime of serving, four model designs side by side."""

from __future__ import annotations

from workbook.templates.spec import (  # noqa: F401
    BILLIONS, CHECK, BYTES_PER_GB, CHOICE, Chart, Col, COUNT_TOLERANCE, FLOPS, GPU_MEMORY_IN,
    GPU_MEMORY_OUT, GPU_PEAK_OUT, GPU_SOURCES, Grid, GridCol, GridRow, HARDWARE_SHEET, INFER_FLOPS_PER, INT, In, LAW_IN, LAW_SOURCES, LOSS, ONE, Out, PCT,
    PER_BILLION, PER_MILLION, PER_TRILLION, SAVING, SCI, SECONDS_PER_HOUR, Section, Sheet, TOKENS,
    TRAIN_BYTES_IN, TRAIN_FLOPS_PER, Table, Template, USD, USD_M, constants, law_spread,
)

SUMMARY = ('="Train the cost-optimal "&TEXT(CostOpt_Params/Per_Billion,"0.0")&" B-parameter model on "'
           '&TEXT(CostOpt_Tokens/Per_Trillion,"0.00")&" T tokens: $"&TEXT(CostOpt_Total_Cost/Per_Million,"0.00")'
           '&" M over "&TEXT(Days_In_Service,"#,##0")&" days of service, "&TEXT(CostOpt_Savings,"0.0%")'
           '&" less than the compute-optimal "&TEXT(Opt_Params/Per_Billion,"0.0")&" B model."')

DESIGNS = (GridCol("Opt", "Compute-optimal"), GridCol("FlopOpt", "FLOP-optimal (inference-aware)"),
           GridCol("CostOpt", "Cost-optimal (inference-aware)"), GridCol("Own", "Your model"))
_COST_ARGS = "GPU,Price_Per_GPU_Hour,Train_MFU,Prefill_MFU,Decode_MFU"


def _spread_design(field: str) -> str:
    """One field of a law-spread row's cost-optimal design: the row's target under the row's
    law, or words for a target below that law's floor (a condition tested, not an error hidden)."""
    return (f'=IF({{target}}>{{floor}},INFERENCE_TRADEOFF_COST({{target}},Lifetime_Input_Tokens,'
            f'Lifetime_Output_Tokens,{{law}},"{field}",{_COST_ARGS}),"below the floor")')


SIZE_MULTIPLES = (0.5, 0.6, 0.7, 0.85, 1, 1.2, 1.4, 2, 2.8, 4)  # of the cost-optimal size: the U of total cost
VOLUME_MULTIPLES = (0.01, 0.03, 0.1, 0.3, 1, 3, 10, 30, 100)

DEPLOYMENT_PLAN = Template(
    "deployment_plan.xlsx",
    "Deployment plan: training plus a lifetime of inference",
    answers=(
        "Which model should we train when it will also serve a known volume of requests? Side by "
        "side: the compute-optimal model for the quality target, the model with the fewest "
        "lifetime FLOPs (training + inference), the model with the lowest lifetime cost, and a "
        "model of your own choice, each with FLOPs, accelerator-hours and cost.",
        "From what inference volume does a smaller, longer-trained model pay for itself (the "
        "break-even volume), and how does the total cost grow with volume (table and chart)?",
        "Does each model fit in memory: training and serving memory against the accelerator's?",
    ),
    how=(
        "Sheet Plan: set the quality target, either as a loss or as 'as good as the "
        "compute-optimal model of N parameters' (the 'Quality target' switch chooses).",
        "Describe the demand: requests per day, input (prompt) and output (generated) tokens per "
        "request, days in service. Prompt tokens are processed in parallel (prefill MFU), output "
        "tokens one at a time (decode MFU, much lower).",
        "Pick the accelerator and price; type your own candidate's parameters and tokens in the "
        "'Your model' column.",
        "The volume table below multiplies the planned lifetime volume; edit its multiples.",
    ),
    sources=LAW_SOURCES + GPU_SOURCES + (
        "Inference-aware scaling: Sardana et al. 2024, \"Beyond Chinchilla-Optimal: Accounting for "
        "Inference in Language Model Scaling Laws\" (the FLOP- and cost-optimal models).",
        "Memory: mixed-precision Adam holds about 16 bytes per parameter (bf16 weights and "
        "gradients, fp32 master weights and two moments; Rajbhandari et al. 2020, ZeRO); serving "
        "in bf16 holds 2 bytes per parameter plus the KV cache. Activations are not included.",
    ),
    sheets=(
        Sheet("Plan", "Deployment plan", "Inputs in blue on yellow; everything else is computed. Details: "
              "sheet Details.", (
            Section("Summary", (
                Out("The plan in one line", SUMMARY, "", "General", "Summary", wide=True),
            )),
            Section("Inputs: quality target", (
                LAW_IN,
                In("Quality target given as", "Target_Mode", "Model size", "choice", CHOICE, "list:target_mode",
                   "Model size: as good as a compute-optimal model of that size; Loss: the loss below"),
                In("As good as a compute-optimal model of", "Target_Params", 70e9, "parameters", BILLIONS,
                   note="used when the target is a model size", ignored_when='Target_Mode="Loss"'),
                In("Target loss", "Target_Loss_Input", 2.0, "nats/token", LOSS,
                   note="used when the target is a loss; must be above the lowest loss below",
                   ignored_when='Target_Mode<>"Loss"'),
            )),
            Section("Inputs: demand over the deployment", (
                In("Requests per day", "Requests_Per_Day", 10e6, "requests/day", INT),
                In("Input (prompt) tokens per request", "Input_Tokens_Per_Request", 1000, "tokens", INT),
                In("Output (generated) tokens per request", "Output_Tokens_Per_Request", 250, "tokens", INT),
                In("Days in service", "Days_In_Service", 365, "days", INT),
            )),
            Section("Inputs: hardware and price", (
                In("Accelerator", "GPU", "H100 SXM", "preset", CHOICE, "list:gpu", "or a peak FLOP/s number"),
                In("Price per accelerator-hour", "Price_Per_GPU_Hour", 2.0, "USD/GPU-hour", USD),
                In("Training MFU", "Train_MFU", 0.4, "fraction", PCT, "fraction"),
                In("Prefill (input tokens) MFU", "Prefill_MFU", 0.4, "fraction", PCT, "fraction",
                   "prompts are processed in parallel, like training"),
                In("Decode (output tokens) MFU", "Decode_MFU", 0.1, "fraction", PCT, "fraction",
                   "generation is memory-bound: far below the training MFU"),
            )),
            Grid("Output: the designs compared", DESIGNS, (
                GridRow("Parameters", "Params", None, "parameters", BILLIONS, {
                    "Opt": '=INFERENCE_TRADEOFF(Target_Loss,0,Law,"params")',
                    "FlopOpt": '=INFERENCE_TRADEOFF(Target_Loss,Lifetime_Tokens,Law,"params")',
                    "CostOpt": f'=INFERENCE_TRADEOFF_COST(Target_Loss,Lifetime_Input_Tokens,'
                               f'Lifetime_Output_Tokens,Law,"params",{_COST_ARGS})',
                    "Own": 50e9}, key_row=True),
                GridRow("Training tokens", "Tokens", None, "tokens", TOKENS, {
                    "Opt": '=INFERENCE_TRADEOFF(Target_Loss,0,Law,"tokens")',
                    "FlopOpt": '=INFERENCE_TRADEOFF(Target_Loss,Lifetime_Tokens,Law,"tokens")',
                    "CostOpt": f'=INFERENCE_TRADEOFF_COST(Target_Loss,Lifetime_Input_Tokens,'
                               f'Lifetime_Output_Tokens,Law,"tokens",{_COST_ARGS})',
                    "Own": 2e12}, key_row=True),
                GridRow("Predicted loss", "Loss", "=SCALING_LOSS({p}_Params,{p}_Tokens,Law)", "nats/token", LOSS),
                GridRow("Meets the quality target", "Meets_Target",
                        '=IF({p}_Loss<=Target_Loss*(1+Loss_Tolerance),"yes","no")', "yes/no", alert="no"),
                GridRow("Total cost", "Total_Cost", "={p}_Train_Cost+{p}_Inference_Cost", "USD", USD_M,
                        key_row=True),
                GridRow("Cost saving against the compute-optimal model", "Savings", "=1-{p}_Total_Cost/Opt_Total_Cost",
                        "fraction", SAVING, {"Opt": None}),
                GridRow("Break-even in days of service", "Breakeven_Days",
                        '=IF(ISNUMBER({p}_Breakeven_Tokens),{p}_Breakeven_Tokens/(Requests_Per_Day*'
                        '(Input_Tokens_Per_Request+Output_Tokens_Per_Request)),"never")',
                        "days", ONE, {"Opt": None}, note="at the planned request rate"),
            )),
            Section("Checks", (
                Out("Accelerator found on sheet Hardware", "=ISNUMBER(GPU_Peak)", "TRUE/FALSE",
                    CHECK, "Check_Accelerator", note="FALSE: pick a name from the list or add it on Hardware"),
                Out("Target loss above the law's floor", "=Target_Loss>Law_E", "TRUE/FALSE", CHECK,
                    "Check_Target", note="FALSE: no model reaches it; raise the target loss"),
                Out("Serving memory inputs complete", "=CostOpt_Serve_GPUs>=1",
                    "TRUE/FALSE", CHECK, "Check_Serving", note="FALSE: the memory inputs are incomplete"),
            )),
        ), widths=(44, 20, 20, 20, 20, 16, 40), freeze="B4", one_page=True),
        Sheet("Details", "Deployment plan: details", "How the designs were computed, their memory, the "
              "other laws, other sizes and other volumes.", (
            Section("Inputs: memory", (
                TRAIN_BYTES_IN,
                In("Serving bytes per parameter", "Serve_Bytes_Per_Param", 2, "bytes", INT,
                   note="2: bf16 weights; 1: 8-bit"),
                In("KV cache per serving replica", "KV_Cache_GB", 20, "GB", ONE, "positive",
                   "KV_CACHE_GB(layers, kv_heads, head_dim, context, batch) computes it from a shape"),
                GPU_MEMORY_IN,
            )),
            constants(SECONDS_PER_HOUR, TRAIN_FLOPS_PER, INFER_FLOPS_PER, BYTES_PER_GB, PER_MILLION,
                      PER_BILLION, PER_TRILLION,
                      COUNT_TOLERANCE,
                      In("Tolerance for meeting the target loss", "Loss_Tolerance", 1e-9, "fraction", SCI,
                         "fraction", "a loss this close above the target counts as meeting it (rounding)")),
            Section("Calculations", (
                Out("Lowest loss the law allows (E)", "=INDEX(LAW_PARAMS(Law),1,1)", "nats/token", LOSS, "Law_E",
                    note="the irreducible loss: no model of any size reaches it"),
                Out("Smallest model that can reach it", "=SMALLEST_PARAMS(Target_Loss,Law)", "parameters",
                    BILLIONS, "Smallest_Target_Params", note="smaller models never do, however long they train"),
                Out("Target loss used", '=IF(Target_Mode="Loss",Target_Loss_Input,'
                    'SCALING_LOSS(Target_Params,CHINCHILLA_D(CHINCHILLA_COMPUTE(Target_Params,Law),Law),Law))',
                    "nats/token", LOSS, "Target_Loss", key=True,
                    note="a model size: the loss of the law's recommended model of that size"),
                Out("Lifetime input tokens", "=Requests_Per_Day*Input_Tokens_Per_Request*Days_In_Service",
                    "tokens", TOKENS, "Lifetime_Input_Tokens"),
                Out("Lifetime output tokens", "=Requests_Per_Day*Output_Tokens_Per_Request*Days_In_Service",
                    "tokens", TOKENS, "Lifetime_Output_Tokens"),
                Out("Lifetime inference tokens", "=Lifetime_Input_Tokens+Lifetime_Output_Tokens", "tokens",
                    TOKENS, "Lifetime_Tokens", key=True),
                GPU_PEAK_OUT,
                GPU_MEMORY_OUT,
            )),
            Grid("The designs in detail", DESIGNS, (
                "Model",
                GridRow("Tokens per parameter", "Tokens_Per_Param", "={p}_Tokens/{p}_Params",
                        "tokens/parameter", ONE),
                "Compute",
                GridRow("Training FLOPs", "Train_FLOPs", "=Train_FLOPs_Per_Param_Token*{p}_Params*{p}_Tokens", "FLOPs", FLOPS),
                GridRow("Inference FLOPs", "Inference_FLOPs", "=Inference_FLOPs_Per_Param_Token*{p}_Params*Lifetime_Tokens",
                        "FLOPs", FLOPS),
                GridRow("Total FLOPs", "Total_FLOPs", "={p}_Train_FLOPs+{p}_Inference_FLOPs", "FLOPs", FLOPS,
                        key_row=True),
                GridRow("Training accelerator-hours", "Train_GPU_Hours", "={p}_Train_FLOPs/(GPU_Peak*Train_MFU*Seconds_Per_Hour)",
                        "GPU-hours", INT),
                GridRow("Inference accelerator-hours", "Inference_GPU_Hours",
                        "=Inference_FLOPs_Per_Param_Token*{p}_Params*(Lifetime_Input_Tokens/Prefill_MFU"
                        "+Lifetime_Output_Tokens/Decode_MFU)/(GPU_Peak*Seconds_Per_Hour)",
                        "GPU-hours", INT, note="input tokens at the prefill MFU, output at the decode MFU"),
                GridRow("Total accelerator-hours", "Total_GPU_Hours", "={p}_Train_GPU_Hours+{p}_Inference_GPU_Hours",
                        "GPU-hours", INT),
                "Cost",
                GridRow("Training cost", "Train_Cost", "={p}_Train_GPU_Hours*Price_Per_GPU_Hour", "USD", USD_M),
                GridRow("Inference cost", "Inference_Cost", "={p}_Inference_GPU_Hours*Price_Per_GPU_Hour",
                        "USD", USD_M),
                GridRow("Inference cost per million tokens", "Cost_Per_M_Tokens",
                        "={p}_Inference_Cost/Lifetime_Tokens*Per_Million", "USD/M tokens", "#,##0.000"),
                GridRow("FLOPs saving against the compute-optimal model", "FLOPs_Savings",
                        "=1-{p}_Total_FLOPs/Opt_Total_FLOPs", "fraction", SAVING, {"Opt": None}),
                GridRow("Break-even lifetime volume", "Breakeven_Tokens",
                        '=IF({p}_Cost_Per_M_Tokens<Opt_Cost_Per_M_Tokens,MAX(0,({p}_Train_Cost-Opt_Train_Cost)'
                        '/(Opt_Cost_Per_M_Tokens-{p}_Cost_Per_M_Tokens)*Per_Million),"never")',
                        "tokens", TOKENS, {"Opt": None},
                        note="inference volume beyond which this model costs less in total than the "
                             "compute-optimal one"),
                "Memory",
                GridRow("Training memory (weights, gradients, Adam)", "Train_Memory_GB",
                        "={p}_Params*Train_Bytes_Per_Param/Bytes_Per_GB", "GB", INT,
                        note="activations not included"),
                GridRow("Accelerators to hold the training state", "Train_Memory_GPUs",
                        "=ROUNDUP({p}_Train_Memory_GB/GPU_Memory_GB*(1-Count_Tolerance),0)", "GPUs", INT),
                GridRow("Serving memory per replica", "Serve_Memory_GB",
                        "={p}_Params*Serve_Bytes_Per_Param/Bytes_Per_GB+KV_Cache_GB", "GB", ONE),
                GridRow("Accelerators per serving replica", "Serve_GPUs",
                        "=ROUNDUP({p}_Serve_Memory_GB/GPU_Memory_GB*(1-Count_Tolerance),0)", "GPUs", INT),
            )),
            law_spread(
                "The cost-optimal design under each scaling-law preset (why they differ: About)",
                Col("target", "Target loss under the law", "nats/token", LOSS,
                    '=IF(Target_Mode="Loss",Target_Loss_Input,SCALING_LOSS(Target_Params,'
                    'CHINCHILLA_D(CHINCHILLA_COMPUTE(Target_Params,{law}),{law}),{law}))'),
                Col("floor", "Lowest loss the law allows (E)", "nats/token", LOSS, "=INDEX(LAW_PARAMS({law}),1,1)"),
                Col("params", "Parameters", "parameters", BILLIONS, _spread_design("params")),
                Col("tokens", "Training tokens", "tokens", TOKENS, _spread_design("tokens")),
                Col("cost", "Total cost", "USD", USD_M, _spread_design("total_cost")),
                Col("saving", "Saving against that law's compute-optimal model", "fraction", SAVING,
                    _spread_design("savings")),
            ),
            Table("sizes", (
                Col("mult", "Size against the cost-optimal", "x", "0.00", values=SIZE_MULTIPLES,
                    name="Size_Multiples"),
                Col("params", "Parameters", "parameters", BILLIONS, "={mult}*CostOpt_Params"),
                Col("tokens", "Training tokens to reach the target", "tokens", TOKENS,
                    '=IF({params}>Smallest_Target_Params,TOKENS_FOR_LOSS({params},Target_Loss,Law),"unreachable")'),
                Col("train", "Training cost", "USD", USD_M,
                    '=IF(ISNUMBER({tokens}),Train_FLOPs_Per_Param_Token*{params}*{tokens}/(GPU_Peak*Train_MFU*'
                    'Seconds_Per_Hour)*Price_Per_GPU_Hour,"")'),
                Col("serve", "Inference cost", "USD", USD_M,
                    "=Inference_FLOPs_Per_Param_Token*{params}*(Lifetime_Input_Tokens/Prefill_MFU+"
                    "Lifetime_Output_Tokens/Decode_MFU)/(GPU_Peak*Seconds_Per_Hour)*Price_Per_GPU_Hour"),
                Col("total", "Total cost", "USD", USD_M, '=IF(ISNUMBER({train}),{train}+{serve},"")'),
            ), len(SIZE_MULTIPLES), title="Total cost against model size, every size trained to the target"),
            Table("design_marks", (
                Col("params", "Parameters", "parameters", BILLIONS,
                    per_row=(("=Opt_Params", 1), ("=CostOpt_Params", 1), ("=Own_Params", 1))),
                Col("total", "Total cost", "USD", USD_M,
                    per_row=(("=Opt_Total_Cost", 1), ("=CostOpt_Total_Cost", 1), ("=Own_Total_Cost", 1))),
            ), 3, title="Compute-optimal, cost-optimal and your model, marked on the chart below"),
            Chart("sizes", "Total cost against model size at the planned volume", "params",
                  (("total", "Total cost, each size trained to the target"),), "Parameters (log scale)",
                  "Total cost (USD, log scale)", log_y=True, x_fmt=SCI, y_fmt='#,##0.0,,"M"',
                  marks=(("design_marks", "params", "total", "Compute-optimal", 0),
                         ("design_marks", "params", "total", "Cost-optimal", 1),
                         ("design_marks", "params", "total", "Your model", 2))),
            Table("volume", (
                Col("mult", "Volume multiple", "x planned", "0.0#", values=VOLUME_MULTIPLES, name="Volume_Multiples"),
                Col("tokens", "Lifetime inference tokens", "tokens", TOKENS, "={mult}*Lifetime_Tokens"),
                Col("opt", "Compute-optimal model", "USD", USD_M, "=Opt_Train_Cost+{mult}*Opt_Inference_Cost"),
                Col("costopt", "Cost-optimal model for the plan", "USD", USD_M,
                    "=CostOpt_Train_Cost+{mult}*CostOpt_Inference_Cost"),
                Col("own", "Your model", "USD", USD_M, "=Own_Train_Cost+{mult}*Own_Inference_Cost"),
                Col("best", "Cost-optimal model for each volume", "USD", USD_M,
                    f'=INFERENCE_TRADEOFF_COST(Target_Loss,{{mult}}*Lifetime_Input_Tokens,'
                    f'{{mult}}*Lifetime_Output_Tokens,Law,"total_cost",{_COST_ARGS})'),
            ), len(VOLUME_MULTIPLES)),
            Chart("volume", "Total cost against lifetime inference volume", "tokens",
                  (("opt", "Compute-optimal model"), ("costopt", "Cost-optimal model for the plan"),
                   ("own", "Your model"), ("best", "Cost-optimal model for each volume")),
                  "Lifetime inference tokens (log scale)", "Total cost, USD (log scale)", log_y=True,
                  x_fmt=SCI, y_fmt='"$"#,##0'),
        ), widths=(44, 20, 20, 20, 20, 16, 40), freeze="B4"),
        HARDWARE_SHEET,
    ),
)

TEMPLATE = DEPLOYMENT_PLAN
