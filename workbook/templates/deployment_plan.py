"""The deployment plan: training plus a lifetime of serving, four model designs side by side."""

from __future__ import annotations

from workbook.templates.spec import (  # noqa: F401
    DAYS_PER_MONTH, Computed,
    BILLIONS, CHECK, BYTES_PER_GB, CHOICE, Chart, Col, COUNT_TOLERANCE, FLOPS, GPU_MEMORY_IN,
    GPU_MEMORY_OUT, GPU_PEAK_OUT, GPU_SOURCES, Grid, GridCol, GridRow, HOURS_PER_DAY, MS_PER_SECOND, TBS,
    TEXT, TFLOPS_S, TWO, HARDWARE_SHEET, INFER_FLOPS_PER, INT, In, LAW_IN, LAW_SOURCES, LOSS, ONE, Out, PCT,
    PER_BILLION, PER_MILLION, PER_TRILLION, SAVING, SCI, SECONDS_PER_HOUR, Section, Sheet, TOKENS,
    TRAIN_BYTES_IN, TRAIN_FLOPS_PER, Table, Template, USD, USD_M, constants, law_spread,
)

SUMMARY = ('="Train the cost-optimal "&TEXT(CostOpt_Params/Per_Billion,"0.0")&" B-parameter model on "'
           '&TEXT(CostOpt_Tokens/Per_Trillion,"0.00")&" T tokens and serve it on "&TEXT(CostOpt_Fleet_GPUs,"#,##0")'
           '&" x "&Serve_GPU&": $"&TEXT(CostOpt_TCO/Per_Million,"0.00")&" M over "&TEXT(Days_In_Service,"#,##0")'
           '&" days of service ($"&TEXT(CostOpt_All_In_Per_M,"0.00")&" per million tokens), "'
           '&TEXT(CostOpt_TCO_Savings,"0.0%")&" less than the compute-optimal "&TEXT(Opt_Params/Per_Billion,"0.0")'
           '&" B model, which it pays back against in month "&Payback_Month&"."')

# The tornado's inputs, each with its low and high multiple of the plan's value and the cost
# of ownership of the cost-optimal design ({m}: the multiple) and its cost per million tokens
# ({tco}: that cost) when only that input moves. The traffic and the peak change the fleet
# (whole replicas); the days change the days of full traffic (the ramp stays).
_FLEET_AT = ("CostOpt_Serve_GPUs*MAX(1,ROUNDUP(Requests_Per_Second*{traffic}*Peak_To_Average*{peak}"
             "/Peak_Utilisation_Target*CostOpt_Busy_S*(1-Count_Tolerance),0))")
_DAYS_AT = ("IF(Ramp_Days<=Days_In_Service*{m},Days_In_Service*{m}-Ramp_Days*Ramp_Mean_Share,"
            "Days_In_Service*{m}*Days_In_Service*{m}/Ramp_Days*Ramp_Mean_Share)")
_SERVING = "Hours_Per_Day*Serve_Price_Per_GPU_Hour"
_PER_M = "={tco}/Lifetime_Tokens*Per_Million"
DRIVERS = (
    ("Training MFU", 0.75, 1.25, "=CostOpt_Train_Cost/{m}+CostOpt_Fleet_Cost", _PER_M),
    ("Training price per accelerator-hour", 0.75, 1.25, "=CostOpt_Train_Cost*{m}+CostOpt_Fleet_Cost", _PER_M),
    ("Serving price per accelerator-hour", 0.75, 1.25, "=CostOpt_Train_Cost+CostOpt_Fleet_Cost*{m}", _PER_M),
    ("Requests per day", 0.5, 2, "=CostOpt_Train_Cost+" + _FLEET_AT.format(traffic="{m}", peak="1")
     + "*Traffic_Days*" + _SERVING, "={tco}/(Lifetime_Tokens*{m})*Per_Million"),
    ("Busiest hour over the average", 0.75, 1.5, "=CostOpt_Train_Cost+" + _FLEET_AT.format(traffic="1", peak="{m}")
     + "*Traffic_Days*" + _SERVING, _PER_M),
    ("Days in service", 0.5, 2, "=CostOpt_Train_Cost+CostOpt_Fleet_GPUs*" + _DAYS_AT + "*" + _SERVING,
     "={tco}/(Lifetime_Tokens*" + _DAYS_AT + "/Traffic_Days)*Per_Million"),
    # The law moves the design itself: the cheapest and the dearest preset's cost-optimal
    # design for the same target (Details), as a multiple of the chosen law's.
    ("Scaling law (the presets on Details)", Computed("=MIN(Spread_Total_Cost)/CostOpt_Total_Cost"),
     Computed("=MAX(Spread_Total_Cost)/CostOpt_Total_Cost"), "=CostOpt_TCO*{m}", _PER_M),
)

# Scenarios: the inputs of the tornado moved together, the cost-optimal design held fixed.
# Downside is everything that raises the cost per token; Upside everything that lowers it.
SCENARIO_INPUTS = (  # (key, header, its multiples' name, Base, Downside, Upside)
    ("mfu", "Training MFU", "Scenario_Train_MFU", 1, 0.75, 1.25),
    ("train_price", "Training price", "Scenario_Train_Price", 1, 1.25, 0.75),
    ("serve_price", "Serving price", "Scenario_Serve_Price", 1, 1.25, 0.75),
    ("traffic", "Requests per day", "Scenario_Requests", 1, 0.5, 2),
    ("peak", "Busiest hour", "Scenario_Peak", 1, 1.5, 0.75),
    ("days", "Days in service", "Scenario_Days", 1, 0.5, 2),
)
SCENARIOS = ("Base", "Downside", "Upside")
_SCENARIO_DAYS = _DAYS_AT.format(m="{days}")
_SCENARIO_TCO = ("=CostOpt_Train_Cost*{train_price}/{mfu}+{fleet}*" + _SCENARIO_DAYS + "*" + _SERVING
                 + "*{serve_price}")
_SCENARIO_PER_M = "={tco}/(Lifetime_Tokens*{traffic}*" + _SCENARIO_DAYS + "/Traffic_Days)*Per_Million"
_CHOSEN = "INDEX({},MATCH(Scenario,Scenario_Names,0))"

SCHEDULE_MONTHS = 36
PAYBACK = ('=IF(COUNTIF(Schedule_Ahead,1)=0,"not within the schedule",'
           'INDEX(Schedule_Months,MATCH(1,Schedule_Ahead,0)))')

DESIGNS = (GridCol("Opt", "Compute-optimal"), GridCol("FlopOpt", "FLOP-optimal (inference-aware)"),
           GridCol("CostOpt", "Cost-optimal (inference-aware)"), GridCol("Own", "Your model"))
# Training on GPU at Price_Per_GPU_Hour, serving on Serve_GPU at Serve_Price_Per_GPU_Hour.
DESIGN_TITLES = tuple((d.prefix, d.title.split(" (")[0]) for d in DESIGNS)
# The series the Decision sheet charts again from sheets Schedule and Sensitivity.
_SPEND_SERIES = tuple((f"{p.lower()}_cum", title) for p, title in DESIGN_TITLES)
_TCO_BARS = (("bar_low", "Input low"), ("bar_high", "Input high"))
_COST_ARGS = "GPU,Price_Per_GPU_Hour,Train_MFU,Prefill_MFU,Decode_MFU,,,Serve_GPU,Serve_Price_Per_GPU_Hour"


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
        "How many accelerators does each design need to serve the traffic at its peak within a latency "
        "target, how busy are they, and what does it all cost to own: training plus the serving fleet, "
        "per million tokens, and against buying the same tokens from an API?",
    ),
    how=(
        "Sheet Plan: set the quality target, either as a loss or as 'as good as the "
        "compute-optimal model of N parameters', or give a dollar budget for the best model it buys "
        "(the 'Quality target' switch chooses).",
        "Describe the demand: requests per day, input (prompt) and output (generated) tokens per "
        "request, days in service. Prompt tokens are processed in parallel (prefill MFU), output "
        "tokens one at a time (decode MFU, much lower).",
        "Pick the training and the serving accelerator and their prices (a contract's or owned "
        "hardware's price: COMMITTED_HOUR_PRICE, OWNED_HOUR_COST); type your own candidate's "
        "parameters and tokens in the 'Your model' column.",
        "Sheet Details: the utilisations, the traffic's peak, the latency target and the headroom the "
        "fleet is sized for, the days to train in or the accelerators you have, and the served model's shape for its KV cache (Llama 3 70B's by default).",
        "The volume table (sheet Details) multiplies the planned lifetime volume; edit its multiples.",
        "Sheet Decision: the page for a budget committee, with a scenario selector (Base, Downside, "
        "Upside: the multiples on sheet Sensitivity). "
        "Sheet Sensitivity: the cost-optimal design's cost when one input at a time moves to its low "
        "or high multiple (edit them), or the scaling law to another preset, as tornado charts. Sheet Schedule: each design's spend month "
        "by month, training then serving as the traffic ramps up, and the month the cost-optimal "
        "design pays back against the compute-optimal one.",
    ),
    sources=LAW_SOURCES + GPU_SOURCES + (
        "Inference-aware scaling: Sardana et al. 2024, \"Beyond Chinchilla-Optimal: Accounting for "
        "Inference in Language Model Scaling Laws\" (the FLOP- and cost-optimal models).",
        "Memory: mixed-precision Adam holds about 16 bytes per parameter (bf16 weights and "
        "gradients, fp32 master weights and two moments; Rajbhandari et al. 2020, ZeRO); serving "
        "in bf16 holds 2 bytes per parameter plus the KV cache. Activations are not included.",
        "Serving fleet: a roofline (Pope et al. 2022, \"Efficiently Scaling Transformer Inference\"), as "
        "SERVING_GPUS computes it: the largest batch that fits the replica's memory and keeps each decode "
        "step within the latency target; each request holds its replica for its prefill and its share of "
        "the decode steps; whole replicas for the peak.",
        "API prices: OpenAI's list price of GPT-4o (gpt-4o-2024-08-06), $2.50 per million input and "
        "$10.00 per million output tokens, from its pricing page in August 2024.",
    ),
    sheets=(
        Sheet("Plan", "Deployment plan", "Inputs in blue on yellow; everything else is computed. Details: "
              "sheet Details.", (
            Section("Summary", (
                Out("The plan in one line", SUMMARY, "", "General", "Summary", wide=True),
            )),
            Section("Inputs: quality target or budget", (
                LAW_IN,
                In("Quality target given as", "Target_Mode", "Model size", "choice", CHOICE, "list:target_mode",
                   "Model size or Loss: the target below; Dollar budget: the best model the budget buys"),
                In("As good as a compute-optimal model of", "Target_Params", 70e9, "parameters", BILLIONS,
                   note="used when the target is a model size", ignored_when='Target_Mode<>"Model size"'),
                In("Target loss", "Target_Loss_Input", 2.0, "nats/token", LOSS,
                   note="used when the target is a loss; must be above the lowest loss below",
                   ignored_when='Target_Mode<>"Loss"'),
                In("Dollar budget for training and serving", "Dollar_Budget", 5e6, "USD", USD_M,
                   note="training plus the lifetime tokens at the utilisations on Details",
                   ignored_when='Target_Mode<>"Dollar budget"'),
            )),
            Section("Inputs: demand over the deployment", (
                In("Requests per day", "Requests_Per_Day", 10e6, "requests/day", INT),
                In("Input (prompt) tokens per request", "Input_Tokens_Per_Request", 1000, "tokens", INT),
                In("Output (generated) tokens per request", "Output_Tokens_Per_Request", 250, "tokens", INT),
                In("Days in service", "Days_In_Service", 365, "days", INT),
            )),
            Section("Inputs: training and serving hardware", (
                In("Training accelerator", "GPU", "H100 SXM", "preset", CHOICE, "list:gpu", "or a peak FLOP/s number"),
                In("Training price per accelerator-hour", "Price_Per_GPU_Hour", 2.0, "USD/GPU-hour", USD,
                   note="COMMITTED_HOUR_PRICE or OWNED_HOUR_COST for a contract or owned hardware"),
                In("Serving accelerator", "Serve_GPU", "H100 SXM", "preset", CHOICE, "list:gpu",
                   "a preset on sheet Hardware"),
                In("Serving price per accelerator-hour", "Serve_Price_Per_GPU_Hour", 2.0, "USD/GPU-hour", USD),
                In("API price of input tokens", "API_Input_Price", 2.5, "USD/M tokens", USD,
                   note="to buy the tokens instead; GPT-4o's list price from August 2024"),
                In("API price of output tokens", "API_Output_Price", 10, "USD/M tokens", USD,
                   note="GPT-4o's list price from August 2024; type your vendor's"),
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
                GridRow("Training cluster", "Train_Cluster_GPUs", "=MAX(IF(ISBLANK(Train_GPUs_Available),"
                        "{p}_Train_Deadline_GPUs,Train_GPUs_Available),{p}_Train_Memory_GPUs)",
                        "GPUs", INT, note="for the days to train in (or yours), and what the training state needs"),
                GridRow("Serving fleet for the peak", "Fleet_GPUs", "={p}_Replicas*{p}_Serve_GPUs", "GPUs", INT,
                        key_row=True, note="whole replicas, within the latency target"),
                GridRow("Its average utilisation", "Fleet_Utilisation",
                        "=Requests_Per_Second*{p}_Busy_S/{p}_Replicas", "fraction", PCT),
                GridRow("Total cost of ownership", "TCO", "={p}_Train_Cost+{p}_Fleet_Cost", "USD", USD_M,
                        key_row=True, note="training plus the fleet over the days in service"),
                GridRow("Its saving against the compute-optimal model", "TCO_Savings", "=1-{p}_TCO/Opt_TCO",
                        "fraction", SAVING, {"Opt": None}),
                GridRow("All-in cost per million tokens served", "All_In_Per_M", "={p}_TCO/Lifetime_Tokens*Per_Million",
                        "USD/M tokens", "#,##0.000", note="training spread over the lifetime tokens"),
                GridRow("Saving against buying the tokens from the API", "API_Saving", "=1-{p}_TCO/API_Cost",
                        "fraction", SAVING),
            )),
            Section("Checks", (
                Out("Both accelerators found on sheet Hardware", "=AND(ISNUMBER(GPU_Peak),ISNUMBER(Serve_Peak))",
                    "TRUE/FALSE", CHECK, "Check_Accelerator",
                    note="FALSE: pick a name from the list or add it on Hardware"),
                Out("Target loss above the law's floor", "=Target_Loss>Law_E", "TRUE/FALSE", CHECK,
                    "Check_Target", note="FALSE: no model reaches it; raise the target loss"),
                Out("Cost of ownership within the dollar budget", '=OR(Target_Mode<>"Dollar budget",'
                    'CostOpt_TCO<=Dollar_Budget)', "TRUE/FALSE", CHECK, "Check_Budget",
                    note="FALSE: the peak's fleet costs more than the budget assumed; lower it or the decode MFU"),
                Out("Fleets fit memory and the latency target", "=AND(CostOpt_Serve_GPUs>=1,"
                    "MIN(Opt_Batch,FlopOpt_Batch,CostOpt_Batch,Own_Batch)>=1)", "TRUE/FALSE", CHECK, "Check_Latency",
                    note="FALSE: complete the memory inputs, allow more time per token, or more accelerators"),
            )),
        ), widths=(44, 20, 20, 20, 20, 16, 40), freeze="B4", one_page=True),
        Sheet("Decision", "Deployment plan: the decision", "For a budget committee, on one page: the plan, what it "
              "costs to own with its ranges, the fleet, the schedule and what moves the cost. Inputs: sheets Plan "
              "and Details.", (
            Section("Summary", (
                Out("The plan in one line", "=Summary", "", "General", "Decision_Summary", wide=True),
            )),
            Section("Inputs: the scenario shown", (
                In("Scenario", "Scenario", "Base", "choice", CHOICE, "list:scenario",
                   "Downside, Upside: the inputs moved together (Sensitivity)"),
            )),
            Section("Output: the cost-optimal design", (
                Out("Parameters", "=CostOpt_Params", "parameters", BILLIONS, "Decision_Params", key=True),
                Out("Training tokens", "=CostOpt_Tokens", "tokens", TOKENS, "Decision_Tokens"),
                Out("Training cluster", "=CostOpt_Train_Cluster_GPUs", "GPUs", INT, "Decision_Train_GPUs"),
                Out("Days it trains", "=CostOpt_Train_Wall_Days", "days", ONE, "Decision_Train_Days"),
                Out("Serving fleet for the peak", "=" + _CHOSEN.format("Scenario_Fleet"), "GPUs", INT,
                    "Decision_Fleet", key=True, note="in the scenario shown"),
                Out("Total cost of ownership", "=" + _CHOSEN.format("Scenario_TCO"), "USD", USD_M, "Decision_TCO",
                    key=True, note="in the scenario shown: training plus the fleet over the service"),
                Out("Its lowest, one input at its low or high", "=MIN(Tornado_TCO_Low,Tornado_TCO_High)", "USD",
                    USD_M, "Decision_TCO_Lowest", note="the base's inputs, one moved (sheet Sensitivity)"),
                Out("Its highest, one input at its low or high", "=MAX(Tornado_TCO_Low,Tornado_TCO_High)", "USD",
                    USD_M, "Decision_TCO_Highest"),
                Out("All-in cost per million tokens served", "=" + _CHOSEN.format("Scenario_Per_M"), "USD/M tokens",
                    "#,##0.000", "Decision_Per_M", key=True, note="in the scenario shown"),
                Out("Its lowest, one input at its low or high", "=MIN(Tornado_Per_M_Low,Tornado_Per_M_High)",
                    "USD/M tokens", "#,##0.000", "Decision_Per_M_Lowest"),
                Out("Its highest, one input at its low or high", "=MAX(Tornado_Per_M_Low,Tornado_Per_M_High)",
                    "USD/M tokens", "#,##0.000", "Decision_Per_M_Highest"),
                Out("Saving against the compute-optimal model", "=CostOpt_TCO_Savings", "fraction", SAVING,
                    "Decision_Saving", note="base scenario"),
                Out("Saving against buying the tokens from the API", "=CostOpt_API_Saving", "fraction", SAVING,
                    "Decision_API_Saving", note="base scenario"),
                Out("Month it pays back", "=Payback_Month", "month", INT,
                    "Decision_Payback", note="against the compute-optimal model; base scenario (sheet Schedule)"),
            )),
            Chart("schedule", "Cumulative spend (base)", "month",
                  _SPEND_SERIES, "Month", "USD spent so far",
                  log_x=False, x_fmt=INT, y_fmt='#,##0.0,,"M"', markers=False,
                  marks=(("payback_mark", "month", "spend", "Payback"),), size=(11.4, 8)),
            Chart("tornado", "Cost of ownership: what moves it", "driver",
                  _TCO_BARS, "", "USD against the plan's",
                  y_fmt='#,##0.0,,"M"', kind="tornado", size=(14, 8), beside=True),
        ), widths=(44, 18, 16, 60), one_page=True),
        Sheet("Details", "Deployment plan: details", "How the designs were computed, their memory, the "
              "other laws, other sizes and other volumes.", (
            Section("Inputs: utilisation and traffic shape", (
                In("Days to ramp up to the planned traffic", "Ramp_Days", 90, "days", INT, "nonnegative",
                   "traffic grows evenly from nothing; 0: full traffic from the first day"),
                In("Days to train in", "Train_Days", 60, "days", INT,
                   note="the training deadline: it sizes each design's training cluster"),
                In("Training accelerators you have (blank: what the deadline needs)", "Train_GPUs_Available", None,
                   "GPUs", INT, "whole", "a cluster of your own trains each design on it (more if its state "
                   "needs more); the check below says whether it meets the deadline"),
                In("Training MFU", "Train_MFU", 0.4, "fraction", PCT, "fraction"),
                In("Prefill (input tokens) MFU", "Prefill_MFU", 0.4, "fraction", PCT, "fraction",
                   "prompts are processed in parallel, like training"),
                In("Decode (output tokens) MFU", "Decode_MFU", 0.1, "fraction", PCT, "fraction",
                   "the average the cost-optimal design assumes; the fleet below computes its own"),
                In("Busiest hour's traffic over the average", "Peak_To_Average", 2, "ratio", TWO, "at_least_one",
                   "the fleet serves the peak; 2 is a planning assumption, use your traffic's"),
                In("Longest time per output token", "Latency_Target_MS", 50, "ms", INT,
                   note="50 ms is 20 tokens/s per user, faster than people read"),
                In("The busiest the fleet may be at the peak", "Peak_Utilisation_Target", 1, "fraction", PCT,
                   "fraction", "1: the peak fills the fleet; 0.8 keeps a fifth spare for bursts within the hour"),
                Out("The accelerators you have meet the deadline", '=OR(ISBLANK(Train_GPUs_Available),'
                    'MAX(Opt_Train_Wall_Days,FlopOpt_Train_Wall_Days,CostOpt_Train_Wall_Days,Own_Train_Wall_Days)'
                    '<=Train_Days)', "TRUE/FALSE", CHECK, "Check_Train_Cluster",
                    note="FALSE: some design trains longer than the days to train in (row Days it trains)"),
            )),
            Section("Inputs: memory and the served model's shape", (
                TRAIN_BYTES_IN,
                In("Serving bytes per parameter", "Serve_Bytes_Per_Param", 2, "bytes", INT,
                   note="2: bf16 weights; 1: 8-bit"),
                In("KV cache per serving replica", "KV_Cache_GB", 20, "GB", ONE, "positive",
                   "KV_CACHE_GB(layers, kv_heads, head_dim, context, batch) computes it from a shape"),
                GPU_MEMORY_IN,
                In("Served model: layers", "Serve_Layers", 80, "layers", INT, "whole",
                   'for the KV cache; Llama 3 70B\'s by default (MODEL_SPEC gives a public model\'s)'),
                In("Served model: key/value heads", "Serve_KV_Heads", 8, "heads", INT, "whole"),
                In("Served model: head size", "Serve_Head_Dim", 128, "width", INT, "whole"),
                In("Bytes per cached key/value number", "Serve_KV_Bytes", 2, "bytes", INT,
                   note="2: bf16; 1: fp8"),
            )),
            constants(SECONDS_PER_HOUR, HOURS_PER_DAY, MS_PER_SECOND,
                      In("Cached tensors per layer", "KV_Tensors", 2, "tensors", INT, "whole",
                         "a key and a value per token and head"),
                      DAYS_PER_MONTH,
                      In("Mean traffic share over an even ramp", "Ramp_Mean_Share", 0.5, "fraction", TWO, "fraction"), TRAIN_FLOPS_PER, INFER_FLOPS_PER, BYTES_PER_GB, PER_MILLION,
                      PER_BILLION, PER_TRILLION,
                      COUNT_TOLERANCE,
                      In("Tolerance for meeting the target loss", "Loss_Tolerance", 1e-9, "fraction", SCI,
                         "fraction", "a loss this close above the target counts as meeting it (rounding)")),
            Section("Calculations", (
                Out("Lowest loss the law allows (E)", "=INDEX(LAW_PARAMS(Law),1,1)", "nats/token", LOSS, "Law_E",
                    note="the irreducible loss: no model of any size reaches it"),
                Out("Smallest model that can reach it", "=SMALLEST_PARAMS(Target_Loss,Law)", "parameters",
                    BILLIONS, "Smallest_Target_Params", note="smaller models never do, however long they train"),
                Out("Target loss used", '=IF(Target_Mode="Loss",Target_Loss_Input,IF(Target_Mode="Dollar budget",'
                    f'INFERENCE_TRADEOFF_BUDGET(Dollar_Budget,Lifetime_Input_Tokens,Lifetime_Output_Tokens,Law,"loss",'
                    f'{_COST_ARGS}),SCALING_LOSS(Target_Params,CHINCHILLA_D(CHINCHILLA_COMPUTE(Target_Params,Law),'
                    'Law),Law)))',
                    "nats/token", LOSS, "Target_Loss", key=True,
                    note="a model size: the loss of the law's recommended model of that size; a budget: the "
                         "lowest loss it buys"),
                Out("Days of full traffic the service carries", "=IF(Ramp_Days<=Days_In_Service,Days_In_Service-"
                    "Ramp_Days*Ramp_Mean_Share,Days_In_Service*Days_In_Service/Ramp_Days*Ramp_Mean_Share)", "days", ONE,
                    "Traffic_Days", note="the days in service less half the ramp"),
                Out("Lifetime input tokens", "=Requests_Per_Day*Input_Tokens_Per_Request*Traffic_Days",
                    "tokens", TOKENS, "Lifetime_Input_Tokens"),
                Out("Lifetime output tokens", "=Requests_Per_Day*Output_Tokens_Per_Request*Traffic_Days",
                    "tokens", TOKENS, "Lifetime_Output_Tokens"),
                Out("Lifetime inference tokens", "=Lifetime_Input_Tokens+Lifetime_Output_Tokens", "tokens",
                    TOKENS, "Lifetime_Tokens", key=True),
                GPU_PEAK_OUT,
                GPU_MEMORY_OUT,
                Out("Serving accelerator peak (dense bf16)", "=INDEX(HW_Peak_FLOPs,MATCH(Serve_GPU,HW_Name,0))",
                    "TFLOP/s", TFLOPS_S, "Serve_Peak", note="from sheet Hardware"),
                Out("Serving accelerator memory", "=INDEX(HW_Memory_GB,MATCH(Serve_GPU,HW_Name,0))", "GB", INT,
                    "Serve_GPU_Memory_GB", note="from sheet Hardware"),
                Out("Serving accelerator bandwidth", "=INDEX(HW_Bandwidth,MATCH(Serve_GPU,HW_Name,0))", "TB/s",
                    TBS, "Serve_Bandwidth", note="from sheet Hardware"),
                Out("KV cache of one sequence", "=KV_Tensors*Serve_Layers*Serve_KV_Heads*Serve_Head_Dim*"
                    "(Input_Tokens_Per_Request+Output_Tokens_Per_Request)*Serve_KV_Bytes/Bytes_Per_GB", "GB", TWO,
                    "KV_Per_Sequence_GB", note="keys and values of the prompt and the output"),
                Out("Requests per second on average", "=Requests_Per_Day/(Hours_Per_Day*Seconds_Per_Hour)",
                    "requests/s", ONE, "Requests_Per_Second"),
                Out("Buying the lifetime tokens from the API", "=(Lifetime_Input_Tokens*API_Input_Price+"
                    "Lifetime_Output_Tokens*API_Output_Price)/Per_Million", "USD", USD_M, "API_Cost"),
                Out("The API's price of one request", "=(Input_Tokens_Per_Request*API_Input_Price+"
                    "Output_Tokens_Per_Request*API_Output_Price)/Per_Million", "USD", "0.0000",
                    "API_Cost_Per_Request"),
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
                        "+Lifetime_Output_Tokens/Decode_MFU)/(Serve_Peak*Seconds_Per_Hour)",
                        "GPU-hours", INT, note="input tokens at the prefill MFU, output at the decode MFU"),
                GridRow("Total accelerator-hours", "Total_GPU_Hours", "={p}_Train_GPU_Hours+{p}_Inference_GPU_Hours",
                        "GPU-hours", INT),
                "Cost",
                GridRow("Training cost", "Train_Cost", "={p}_Train_GPU_Hours*Price_Per_GPU_Hour", "USD", USD_M),
                GridRow("Inference cost", "Inference_Cost", "={p}_Inference_GPU_Hours*Serve_Price_Per_GPU_Hour",
                        "USD", USD_M),
                GridRow("Inference cost per million tokens", "Cost_Per_M_Tokens",
                        "={p}_Inference_Cost/Lifetime_Tokens*Per_Million", "USD/M tokens", "#,##0.000"),
                GridRow("Lifetime cost, inference at the MFU assumed", "Total_Cost",
                        "={p}_Train_Cost+{p}_Inference_Cost", "USD", USD_M, key_row=True,
                        note="what the cost-optimal design minimises"),
                GridRow("Cost saving against the compute-optimal model", "Savings", "=1-{p}_Total_Cost/Opt_Total_Cost",
                        "fraction", SAVING, {"Opt": None}),
                GridRow("FLOPs saving against the compute-optimal model", "FLOPs_Savings",
                        "=1-{p}_Total_FLOPs/Opt_Total_FLOPs", "fraction", SAVING, {"Opt": None}),
                GridRow("Break-even lifetime volume", "Breakeven_Tokens",
                        '=IF({p}_Cost_Per_M_Tokens<Opt_Cost_Per_M_Tokens,MAX(0,({p}_Train_Cost-Opt_Train_Cost)'
                        '/(Opt_Cost_Per_M_Tokens-{p}_Cost_Per_M_Tokens)*Per_Million),"never")',
                        "tokens", TOKENS, {"Opt": None},
                        note="inference volume beyond which this model costs less in total than the "
                             "compute-optimal one"),
                GridRow("Break-even in days of service", "Breakeven_Days",
                        '=IF(ISNUMBER({p}_Breakeven_Tokens),{p}_Breakeven_Tokens/(Requests_Per_Day*'
                        '(Input_Tokens_Per_Request+Output_Tokens_Per_Request)),"never")',
                        "days", ONE, {"Opt": None}, note="at the planned request rate"),
                "Memory",
                GridRow("Training memory (weights, gradients, Adam)", "Train_Memory_GB",
                        "={p}_Params*Train_Bytes_Per_Param/Bytes_Per_GB", "GB", INT,
                        note="activations not included"),
                GridRow("Accelerators to hold the training state", "Train_Memory_GPUs",
                        "=ROUNDUP({p}_Train_Memory_GB/GPU_Memory_GB*(1-Count_Tolerance),0)", "GPUs", INT),
                "Training cluster",
                GridRow("Accelerators to train in the days given", "Train_Deadline_GPUs",
                        "=ROUNDUP({p}_Train_GPU_Hours/(Train_Days*Hours_Per_Day)*(1-Count_Tolerance),0)", "GPUs", INT),
                GridRow("Days it trains", "Train_Wall_Days", "={p}_Train_GPU_Hours/({p}_Train_Cluster_GPUs*Hours_Per_Day)",
                        "days", ONE),
                GridRow("Serving memory per replica", "Serve_Memory_GB",
                        "={p}_Params*Serve_Bytes_Per_Param/Bytes_Per_GB+KV_Cache_GB", "GB", ONE),
                GridRow("Accelerators per serving replica", "Serve_GPUs",
                        "=ROUNDUP({p}_Serve_Memory_GB/Serve_GPU_Memory_GB*(1-Count_Tolerance),0)", "GPUs", INT),
                "Serving fleet (a roofline, as SERVING_GPUS computes it)",
                GridRow("Largest batch the replica's memory holds", "Batch_Memory",
                        "=ROUNDDOWN(({p}_Serve_GPUs*Serve_GPU_Memory_GB-{p}_Params*Serve_Bytes_Per_Param/Bytes_Per_GB)"
                        "/KV_Per_Sequence_GB*(1+Count_Tolerance),0)", "sequences", INT),
                GridRow("Largest batch whose compute meets the target", "Batch_Compute",
                        "=ROUNDDOWN(Latency_Target_MS/Ms_Per_Second*{p}_Serve_GPUs*Serve_Peak*Prefill_MFU"
                        "/(Inference_FLOPs_Per_Param_Token*{p}_Params)*(1+Count_Tolerance),0)", "sequences", INT,
                        note="at the prefill MFU, the compute-bound rate"),
                GridRow("Largest batch whose memory reads meet the target", "Batch_Reads",
                        "=ROUNDDOWN((Latency_Target_MS/Ms_Per_Second-{p}_Params*Serve_Bytes_Per_Param/({p}_Serve_GPUs"
                        "*Serve_Bandwidth))*{p}_Serve_GPUs*Serve_Bandwidth/(KV_Per_Sequence_GB*Bytes_Per_GB)"
                        "*(1+Count_Tolerance),0)", "sequences", INT, note="weights and the KV cache read each step"),
                GridRow("Batch per replica", "Batch", "=MIN({p}_Batch_Memory,{p}_Batch_Compute,{p}_Batch_Reads)",
                        "sequences", INT, note="below 1: the target cannot be met (see Checks)"),
                GridRow("Time per output token", "Step_S",
                        "=MAX(Inference_FLOPs_Per_Param_Token*{p}_Params*{p}_Batch/({p}_Serve_GPUs*Serve_Peak*Prefill_MFU),"
                        "({p}_Params*Serve_Bytes_Per_Param+{p}_Batch*KV_Per_Sequence_GB*Bytes_Per_GB)/({p}_Serve_GPUs"
                        "*Serve_Bandwidth))*Ms_Per_Second", "ms", ONE),
                GridRow("Time to first token", "Prefill_S",
                        "=Inference_FLOPs_Per_Param_Token*{p}_Params*Input_Tokens_Per_Request/({p}_Serve_GPUs"
                        "*Serve_Peak*Prefill_MFU)", "s", "0.000", note="the prompt, compute-bound"),
                GridRow("Replica time per request", "Busy_S",
                        "={p}_Prefill_S+Output_Tokens_Per_Request*{p}_Step_S/Ms_Per_Second/{p}_Batch", "s", "0.000",
                        note="its prefill and its share of the batch's decode steps"),
                GridRow("Replicas for the peak", "Replicas",
                        "=MAX(1,ROUNDUP(Requests_Per_Second*Peak_To_Average/Peak_Utilisation_Target*{p}_Busy_S"
                        "*(1-Count_Tolerance),0))",
                        "replicas", INT),
                GridRow("Serving fleet cost over the days in service", "Fleet_Cost",
                        "={p}_Fleet_GPUs*Traffic_Days*Hours_Per_Day*Serve_Price_Per_GPU_Hour", "USD", USD_M,
                        note="every provisioned hour, busy or not; the fleet grows with the ramp"),
                GridRow("All-in cost per million input tokens", "All_In_Input_Per_M",
                        "=({p}_Train_Cost*Lifetime_Input_Tokens/Lifetime_Tokens+{p}_Fleet_Cost*{p}_Prefill_S/{p}_Busy_S)"
                        "/Lifetime_Input_Tokens*Per_Million", "USD/M tokens", "#,##0.000",
                        note="training by token count, the fleet by replica time"),
                GridRow("All-in cost per million output tokens", "All_In_Output_Per_M",
                        "=({p}_Train_Cost*Lifetime_Output_Tokens/Lifetime_Tokens+{p}_Fleet_Cost*(1-{p}_Prefill_S"
                        "/{p}_Busy_S))/Lifetime_Output_Tokens*Per_Million", "USD/M tokens", "#,##0.000"),
                GridRow("Serving fleet cost per request", "Fleet_Per_Request",
                        "={p}_Fleet_Cost/(Requests_Per_Day*Traffic_Days)", "USD", "0.0000"),
                GridRow("Requests per day from which it beats the API", "API_Breakeven",
                        '=IF(API_Cost_Per_Request>{p}_Fleet_Per_Request,{p}_Train_Cost/(Traffic_Days*'
                        '(API_Cost_Per_Request-{p}_Fleet_Per_Request)),"never")', "requests/day", INT,
                        note="never: each request costs more to serve than to buy"),
            )),
            law_spread(
                "The cost-optimal design under each scaling-law preset (why they differ: About)",
                Col("target", "Target loss under the law", "nats/token", LOSS,
                    '=IF(Target_Mode="Loss",Target_Loss_Input,IF(Target_Mode="Dollar budget",'
                    'INFERENCE_TRADEOFF_BUDGET(Dollar_Budget,Lifetime_Input_Tokens,Lifetime_Output_Tokens,{law},"loss",'
                    + _COST_ARGS + '),SCALING_LOSS(Target_Params,CHINCHILLA_D(CHINCHILLA_COMPUTE(Target_Params,{law}),'
                    '{law}),{law})))'),
                Col("floor", "Lowest loss the law allows (E)", "nats/token", LOSS, "=INDEX(LAW_PARAMS({law}),1,1)"),
                Col("params", "Parameters", "parameters", BILLIONS, _spread_design("params")),
                Col("tokens", "Training tokens", "tokens", TOKENS, _spread_design("tokens")),
                Col("cost", "Total cost", "USD", USD_M, _spread_design("total_cost"), name="Spread_Total_Cost"),
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
        Sheet("Sensitivity", "Deployment plan: what moves its cost", "The cost-optimal design held fixed, one "
              "input at a time set low and high: its total cost of ownership and its all-in cost per million "
              "tokens.", (
            Table("tornado", (
                Col("driver", "Input varied", "", TEXT, values=tuple(d[0] for d in DRIVERS), rule="none",
                    name="Tornado_Driver"),
                Col("low", "Low", "x base", TWO, values=tuple(d[1] for d in DRIVERS), name="Tornado_Low"),
                Col("high", "High", "x base", TWO, values=tuple(d[2] for d in DRIVERS), name="Tornado_High"),
                Col("tco_low", "Cost of ownership, low", "USD", USD_M, per_row=tuple((d[3].format(m="{low}"), 1)
                                                                                  for d in DRIVERS), name="Tornado_TCO_Low"),
                Col("tco_high", "Cost of ownership, high", "USD", USD_M, per_row=tuple((d[3].format(m="{high}"), 1)
                                                                                    for d in DRIVERS), name="Tornado_TCO_High"),
                Col("per_m_low", "Per million tokens, low", "USD/M tokens", "#,##0.000",
                    per_row=tuple((d[4].format(tco="{tco_low}", m="{low}"), 1) for d in DRIVERS),
                    name="Tornado_Per_M_Low"),
                Col("per_m_high", "Per million tokens, high", "USD/M tokens", "#,##0.000",
                    per_row=tuple((d[4].format(tco="{tco_high}", m="{high}"), 1) for d in DRIVERS),
                    name="Tornado_Per_M_High"),
                Col("bar_low", "Low against the base", "USD", USD_M, "={tco_low}-CostOpt_TCO"),
                Col("bar_high", "High against the base", "USD", USD_M, "={tco_high}-CostOpt_TCO"),
                Col("per_m_bar_low", "Low against the base, per million", "USD/M tokens", "#,##0.000",
                    "={per_m_low}-CostOpt_All_In_Per_M"),
                Col("per_m_bar_high", "High against the base, per million", "USD/M tokens", "#,##0.000",
                    "={per_m_high}-CostOpt_All_In_Per_M"),
            ), len(DRIVERS), title="One input at a time, low and high (edit the multiples)"),
            Chart("tornado", "Total cost of ownership: what moves it", "driver",
                  _TCO_BARS, "Input moved (table above)",
                  "USD against the plan's",
                  y_fmt='#,##0.0,,"M"', kind="tornado"),
            Chart("tornado", "All-in cost per million tokens: what moves it", "driver",
                  (("per_m_bar_low", "Input low"), ("per_m_bar_high", "Input high")), "Input moved (table above)",
                  "USD per million tokens against the plan's", y_fmt="0.000", kind="tornado"),
            Table("scenarios", (
                Col("name", "Scenario", "", TEXT, values=SCENARIOS, rule="list:scenario", name="Scenario_Names"),
                *(Col(key, header, "x base", TWO, values=(base, down, up), name=name)
                  for key, header, name, base, down, up in SCENARIO_INPUTS),
                Col("fleet", "Serving fleet", "GPUs", INT, "=" + _FLEET_AT.format(traffic="{traffic}", peak="{peak}"),
                    name="Scenario_Fleet"),
                Col("tco", "Cost of ownership", "USD", USD_M, _SCENARIO_TCO, name="Scenario_TCO"),
                Col("per_m", "Per million tokens", "USD/M tokens", "#,##0.000", _SCENARIO_PER_M,
                    name="Scenario_Per_M"),
            ), len(SCENARIOS), title="Scenarios: the inputs moved together, the cost-optimal design held fixed. "
                                     "Downside raises the cost per token, Upside lowers it (its traffic is larger, "
                                     "so it costs more in all); sheet Decision shows the one chosen"),
        ), widths=(30, 8, 8, 13, 13, 13, 13, 13, 13, 13, 13)),
        Sheet("Schedule", "Deployment plan: month by month", "Cumulative spend of each design: its training, "
              "then its serving fleet as the traffic ramps up.", (
            Section("Output: when the cost-optimal design pays back", (
                Out("Month from which the cost-optimal design has cost less", PAYBACK, "month", INT, "Payback_Month",
                    key=True, note="against the compute-optimal model, counted from the start of training"),
                Out("The schedule covers the whole plan", "=MAX(Schedule_End)>=MAX(Opt_Train_Wall_Days,"
                    "FlopOpt_Train_Wall_Days,CostOpt_Train_Wall_Days,Own_Train_Wall_Days)+Days_In_Service",
                    "TRUE/FALSE", CHECK, "Check_Schedule", note="FALSE: the months below end before the service does"),
            )),
            Table("schedule", (
                Col("month", "Month", "month", INT, values=tuple(range(1, SCHEDULE_MONTHS + 1)), name="Schedule_Months"),
                Col("end", "Days from the start, at its end", "days", INT, "={month}*Days_Per_Month",
                    name="Schedule_End"),
                *(col for p, title in DESIGN_TITLES for col in (
                    Col(f"{p.lower()}_x", f"{title}: days in service", "days", INT,
                        f"=MIN(MAX(0,{{end}}-{p}_Train_Wall_Days),Days_In_Service)"),
                    Col(f"{p.lower()}_cum", f"{title}: spent so far", "USD", USD_M,
                        f"={p}_Train_Cost*MIN(1,{{end}}/{p}_Train_Wall_Days)+{p}_Fleet_GPUs*Hours_Per_Day"
                        f"*Serve_Price_Per_GPU_Hour*IF({{{p.lower()}_x}}<=Ramp_Days,IF(Ramp_Days>0,{{{p.lower()}_x}}"
                        f"*{{{p.lower()}_x}}/Ramp_Days*Ramp_Mean_Share,0),{{{p.lower()}_x}}-Ramp_Days*Ramp_Mean_Share)",
                        name=f"Schedule_{p}"))),
                Col("ahead", "Cost-optimal ahead, both trained", "1 = yes", INT,
                    "=IF(AND({end}>=MAX(Opt_Train_Wall_Days,CostOpt_Train_Wall_Days),{costopt_cum}<={opt_cum}),1,0)",
                    name="Schedule_Ahead"),
            ), SCHEDULE_MONTHS),
            Table("payback_mark", (
                Col("month", "Payback month", "month", INT, per_row=(("=IF(ISNUMBER(Payback_Month),Payback_Month,NA())", 1),)),
                Col("spend", "The cost-optimal design's spend by then", "USD", USD_M,
                    per_row=(("=IF(ISNUMBER(Payback_Month),INDEX(Schedule_CostOpt,Payback_Month),NA())", 1),)),
            ), 1, title="The payback month, marked on the chart below"),
            Chart("schedule", "Cumulative spend: training, then serving", "month",
                  _SPEND_SERIES, "Month", "USD spent so far",
                  log_x=False, x_fmt=INT, y_fmt='#,##0.0,,"M"', markers=False,
                  marks=(("payback_mark", "month", "spend", "Payback of the cost-optimal design"),)),
        ), widths=(8, 14, 12, 14, 12, 14, 12, 14, 12, 14, 12)),
        HARDWARE_SHEET,
    ),
)

TEMPLATE = DEPLOYMENT_PLAN
