"""Cell sources of the bundled notebooks: ("md" | "code", source)."""

QUICKSTART = [
    ("md", """# convoi_nb quickstart

Create Convoi web calls from a notebook. Without `CONVOI_API_KEY` and `CONVOI_BASE_URL` this runs on the
**embedded sandbox**, a local server that implements the same API with simulated calls, durations and costs.
Set both variables (before `connect()`) to talk to the real service with the same code."""),
    ("code", """import convoi_nb

client = convoi_nb.connect()
client"""),
    ("md", """**Switching to the real service** changes nothing below: set `CONVOI_API_KEY` and `CONVOI_BASE_URL` in the
environment before starting Jupyter (or pass `convoi_nb.connect(api_key=..., base_url=...)`). The key never
appears in outputs; `repr(client)` shows `***`."""),
    ("md", "## Agents on the account\nEach agent has defaults that `agent_overrides` can change for one call."),
    ("code", """agents = client.list_agents()
for agent in agents:
    print(f"{agent.id}  {agent.name:18} llm={agent.llm['model']:12} voice={agent.tts['voice_id']}")
agent = agents[0]"""),
    ("md", "## A minimal web call\nThe card shows the LiveKit room and a **masked** participant token."),
    ("code", """call = client.create_web_call(agent.id)
call"""),
    ("md", """## A call with overrides and metadata
Plain dicts or the typed models both work; input is validated before anything is sent."""),
    ("code", """from convoi_nb import AgentOverrides, LLMSettings

call = client.create_web_call(
    agent.id,
    participant_name="Ada",
    agent_overrides=AgentOverrides(
        first_message="Hi, this is a test call. How can I help?",
        llm=LLMSettings(model="gpt-4o", temperature=0.3),
        tts={"voice_id": "alloy", "speed": 1.1},
    ),
    metadata={"source": "quickstart", "user_ref": "u_42"},
)
call"""),
    ("md", "A mistake is caught on the client, naming the field and the rule:"),
    ("code", """try:
    client.create_web_call(agent.id, agent_overrides={"llm": {"temperature": 2.5}})
except convoi_nb.ValidationError as exc:
    print(exc)"""),
    ("md", """## Watch duration and cost grow
The browser would join with `call.livekit.url` and `call.livekit.token`; in the sandbox a simulated participant
joins for you, and time runs fast (a three-minute call ends in about a second)."""),
    ("code", """import time

while True:
    current = client.get_call(call.id)
    print(f"{current.status:12} {current.duration_seconds:7.1f} s  {current.cost.amount:.4f} {current.cost.currency}")
    if current.is_terminal:
        break
    time.sleep(0.25)"""),
    ("md", """## Retry safely with an idempotency key
Every create carries an `Idempotency-Key`; the client reuses it on its own retries. Pass your own key to make
*your* retries safe too: the same key within 24 hours returns the original call."""),
    ("code", """import uuid

key = uuid.uuid4()
first = client.create_web_call(agent.id, metadata={"order": "A-1"}, idempotency_key=key)
again = client.create_web_call(agent.id, metadata={"order": "A-1"}, idempotency_key=key)
print(first.id == again.id, "replayed:", again.request_info.replayed)"""),
    ("md", """## Calls as a DataFrame
`calls_frame()` lists calls (every page) into typed columns, one `metadata.<key>` column per metadata key, with the
LiveKit token masked."""),
    ("code", """frame = client.calls_frame(metadata={"source": "quickstart"})
frame[["id", "status", "created_at", "duration_seconds", "cost_amount", "metadata.user_ref", "livekit_token"]]"""),
    ("code", """frame.dtypes.head(8)"""),
    ("md", """## Async code
`await convoi_nb.aconnect()` makes the same choice as `connect()` (here: the same embedded sandbox) and returns an
`AsyncConvoiClient` with the same methods, each awaited. A notebook cell can `await` at top level."""),
    ("code", """async with await convoi_nb.aconnect() as aclient:
    first_agent = (await aclient.list_agents())[0]
    async_call = await aclient.create_web_call(first_agent.id, metadata={"source": "quickstart-async"})
async_call.id, async_call.status"""),
]

WIDGETS = [
    ("md", """# The widget tour

Everything the API offers, without typing JSON. Runs on the embedded sandbox unless `CONVOI_API_KEY` and
`CONVOI_BASE_URL` are set. Tokens are masked; the API key never reaches the page."""),
    ("code", """import convoi_nb
from convoi_nb.models import AgentOverrides
from convoi_nb.widgets import CallLauncher, ExperimentPanel, OverridesForm, VariantBuilder

client = convoi_nb.connect()
agents = client.list_agents()"""),
    ("md", """## OverridesForm
Each field shows the agent's default as a placeholder and is sent only when set (↺ returns it to "inherit",
sliders are sent only when ticked). The preview shows exactly the `agent_overrides` that will be sent; invalid
input is flagged next to its field."""),
    ("code", """form = OverridesForm(agents[0])
form"""),
    ("md", "`.value` is an `AgentOverrides`; setting it fills the form:"),
    ("code", """form.value = AgentOverrides(llm={"model": "gpt-4o", "temperature": 0.3}, tts={"speed": 1.15})
form.value.to_body()"""),
    ("md", """## CallLauncher
Pick an agent, add metadata and overrides, press **Create call**. The card refreshes status, duration and cost
while the call runs; *Show code* gives the same request as Python and curl."""),
    ("code", """launcher = CallLauncher(client)
launcher"""),
    ("md", """Every call created from the launcher is collected: the launcher's own table (under the card) updates by
itself, and `launcher.frame()` fetches each call's current state when you run it:"""),
    ("code", """launcher.frame()"""),
    ("md", """## VariantBuilder
Named variants, one form each; the *Grid* tab generates every combination of the values you list per axis."""),
    ("code", """builder = VariantBuilder(agents[0])
builder.add("gpt-4o")
builder.entries[1].form.value = AgentOverrides(llm={"model": "gpt-4o"})
builder"""),
    ("code", """[(variant.name, variant.body) for variant in builder.value]"""),
    ("md", """## ExperimentPanel
Variants × replicates with a progress bar, a live table, then the summary with confidence intervals and plots.
*Resume* continues an interrupted experiment without duplicating calls."""),
    ("code", """panel = ExperimentPanel(client)
panel"""),
]

COMPARE = [
    ("md", """# Which settings make a support call cheaper?

**The question.** Our support agent runs on `gpt-4o-mini` at normal speech speed. Would `gpt-4o`, faster speech,
or a prompt asking for short answers change what a call costs and how long it lasts, and by how much?

**How.** Same agent, five `agent_overrides` variants (two LLM models × two TTS speeds, plus a short-answers prompt),
several calls each; every call's cost and length is compared with the baseline, with intervals, and a winner is
named only when the data separate it. On the embedded sandbox the figures are **simulated** (a documented rate
card and seeded call lengths): the workflow is real, the numbers illustrative. With `CONVOI_API_KEY` and
`CONVOI_BASE_URL` set, the same cells measure the real service."""),
    ("code", """import math

import convoi_nb
from convoi_nb.experiments import Experiment, Variant

client = convoi_nb.connect()
agent = client.list_agents()[0]
print(f"{agent.name}: llm={agent.llm}, tts={agent.tts}")"""),
    ("md", """## The variants"""),
    ("code", """grid = Variant.grid(None, {"llm.model": ["gpt-4o-mini", "gpt-4o"], "tts.speed": [1.0, 1.2]})
short_prompt = Variant("model=gpt-4o-mini, speed=1.0, short answers", {
    "llm": {"model": "gpt-4o-mini"}, "tts": {"speed": 1.0},
    "system_prompt": "You are a support agent. Answer in one or two short sentences.",
})
variants = [*grid, short_prompt]
baseline = variants[0].name
[(variant.name, variant.body) for variant in variants]"""),
    ("md", """## The plan: how many calls, and what they will cost
A pilot of three calls per variant tells how much calls vary, and so how many are needed to see a 10 % difference
in mean cost or length (80 % power, corrected for comparing several variants). The pilot calls are the
experiment's first replicates: the main run keeps them."""),
    ("code", """experiment = Experiment("compare-override-variants", agent.id, variants, replicates=8,
                        metadata={"notebook": "02_compare_override_variants"})
plan = experiment.plan(client, pilot=3, detect=0.10)
print(f"to detect a 10 % difference: up to {plan['replicates'].max():.0f} calls per variant")
plan[["pilot_calls", "replicates_for_cost", "replicates_for_duration", "estimated_spend", "currency"]]"""),
    ("md", """We run eight calls per variant: fewer than the plan asks for, so expect the verdict to say what it cannot yet
tell apart. What those calls will cost, predicted from the pilot (a 90 % prediction interval for the calls still
to make; `bench/estimate_coverage.py` checks it against the sandbox), and a budget with room for its high end:"""),
    ("code", """estimate = experiment.estimate(client)
print(estimate)
budget = math.ceil(float(estimate.spent.amount) + estimate.cost.high + 0.5)
print(f"budget (max_cost): {budget} {estimate.currency}")"""),
    ("md", """## Run
Sixteen calls at a time, capped at the budget (no call is created once the spend so far plus the calls running
would pass it). Each (experiment, variant, replicate) has a fixed idempotency key, so re-running this cell
returns the same calls, and an interrupted run resumes where it stopped (results are kept in
`convoi_experiments.sqlite3` next to this notebook)."""),
    ("code", """results = experiment.run(client, concurrency=16, max_cost=budget)
print(results.budget)
results.wait(timeout=120)
print(f"spent {results.spend()}")"""),
    ("md", """## The answer
Each variant's change against the baseline in mean cost per call and mean call length, with 95 % intervals: an
interval that crosses the dashed zero line is a change this sample cannot tell from none. Below, every ended
call."""),
    ("code", """results.plot(baseline)"""),
    ("code", """verdict = results.verdict(baseline=baseline)
print(verdict)"""),
    ("md", """In figures (means of the calls that **ended**; failed or expired calls are counted, not averaged in):"""),
    ("code", """results.summary_table()"""),
    ("code", """results.compare_table(baseline)"""),
    ("md", """**Why "short answers" is not shorter here.** The sandbox does not read prompts: it lengthens a call with the
length of its system prompt (more context per turn) and with slower models and speech, as documented in the
README's sandbox section. So a longer prompt asking for short answers makes sandbox calls a little longer and
dearer. Whether short answers shorten real calls is exactly what this notebook measures on the real service.

## What to do next"""),
    ("code", """cost = verdict.finding("cost")
if cost.winner:
    print(f"{cost.winner} is the cheapest per call, separated from every other variant: "
          "listen to a few of its calls before adopting it (quality is not in these numbers).")
elif cost.leader is not None and math.isfinite(cost.replicates_needed):
    print(f"Not settled: {cost.leader} and {cost.runner_up} are the two cheapest but not separated. About "
          f"{cost.replicates_needed:.0f} calls per variant would tell them apart: set replicates to that and "
          "run again (the calls made so far are kept), with a budget from experiment.estimate(client).")
else:
    print("Not settled, and these calls do not say how many more would settle it: run more replicates.")
failing = results.summary().query("failure_rate > 0")
if len(failing):
    print("Calls that did not end (excluded from the averages): " +
          ", ".join(f"{v}: {r['failure_rate']:.0%}" for v, r in failing.iterrows()) + ".")"""),
    ("md", """Every call, joined with its variant and the overrides it sent, for your own analysis:"""),
    ("code", """frame = results.frame()
frame[["variant", "replicate", "status", "duration_seconds", "cost_amount", "cost_currency",
       "override.llm.model", "override.tts.speed"]].head(10)"""),
]

COST_REVIEW = [
    ("md", """# Call cost review

The analyst's view: many calls, their costs by agent, by day and by where they came from, the most expensive
ones, and exports. With `CONVOI_API_KEY` and `CONVOI_BASE_URL` set this reads your real calls; otherwise it
backfills two weeks of **simulated** calls into a sandbox of its own, moving the sandbox's clock by hand."""),
    ("code", """import os
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

import convoi_nb
from convoi_nb.sandbox import ManualClock, Sandbox, default_seed

REAL_SERVICE = bool(os.environ.get("CONVOI_API_KEY") and os.environ.get("CONVOI_BASE_URL"))
if REAL_SERVICE:
    client = convoi_nb.connect()
else:
    start = (datetime.now(timezone.utc) - timedelta(days=14)).replace(hour=8, minute=0, second=0, microsecond=0)
    clock = ManualClock(start)
    sandbox = Sandbox(db_path=":memory:", clock=clock, seed=default_seed()).start()
    client = convoi_nb.ConvoiClient(api_key=sandbox.api_key, base_url=sandbox.url)
agents = client.list_agents()
client"""),
    ("md", "Backfill (sandbox only): a fixed mix of agents, sources and customer tiers; a third of calls try another model."),
    ("code", """if not REAL_SERVICE:
    mix = random.Random(7)
    sources = ["landing-page", "mobile-app", "partner-widget", "support-portal"]
    for day in range(14):
        for _ in range(mix.randint(6, 14)):
            overrides = {"llm": {"model": mix.choice(["gpt-4o", "gpt-4.1-mini"])}} if mix.random() < 0.33 else None
            client.create_web_call(mix.choice(agents).id, agent_overrides=overrides, metadata={
                "source": mix.choice(sources), "customer_tier": mix.choice(["free", "pro", "enterprise"])})
            clock.advance(mix.uniform(300, 5000))
        clock.set(start + timedelta(days=day + 1))
    clock.set(datetime.now(timezone.utc))  # let every call run to its end"""),
    ("md", "## All calls in one typed frame"),
    ("code", """frame = client.calls_frame()
frame["agent"] = frame["agent_id"].map({agent.id: agent.name for agent in agents}).fillna(frame["agent_id"])
spent = convoi_nb.money.total(zip(frame["cost_amount"], frame["cost_currency"]))  # exact, one currency
print(f"{len(frame)} calls from {frame['created_at'].min():%Y-%m-%d} to {frame['created_at'].max():%Y-%m-%d}, "
      f"total {spent.amount:.2f} {spent.currency}")
frame["status"].value_counts()"""),
    ("md", "## Cost by agent"),
    ("code", """def cost_table(group):
    table = frame.groupby(group, observed=True).agg(
        calls=("id", "count"), total_cost=("cost_amount", "sum"), mean_cost=("cost_amount", "mean"),
        minutes=("duration_seconds", lambda s: s.sum() / 60))
    table["cost_per_minute"] = table["total_cost"] / table["minutes"]
    return table.sort_values("total_cost", ascending=False).round(4)

cost_table("agent")"""),
    ("md", "## Cost by day"),
    ("code", """by_day = frame.set_index("created_at").resample("D")["cost_amount"].agg(["count", "sum"])
by_day.columns = ["calls", "total_cost"]
ax = by_day["total_cost"].plot.bar(figsize=(10, 3), title="cost per day (USD)")
ax.set_xticklabels([d.strftime("%b %d") for d in by_day.index], rotation=45)
by_day.round(3).tail(7)"""),
    ("md", "## Cost by metadata `source` (and tier)"),
    ("code", """cost_table("metadata.source")"""),
    ("code", """frame.pivot_table(index="metadata.source", columns="metadata.customer_tier", values="cost_amount",
                 aggfunc="sum", observed=True).round(3)"""),
    ("md", "## The most expensive calls"),
    ("code", """frame.nlargest(10, "cost_amount")[["id", "agent", "created_at", "status", "duration_seconds", "cost_amount",
                                     "metadata.source"]]"""),
    ("md", "## Export\nCSV for spreadsheets, Parquet to keep the dtypes (tokens stay masked in both)."),
    ("code", """exports = Path("exports")
exports.mkdir(exist_ok=True)
frame.to_csv(exports / "calls.csv", index=False)
frame.to_parquet(exports / "calls.parquet", index=False)
{path.name: f"{path.stat().st_size:,} bytes" for path in sorted(exports.iterdir())}"""),
]

NOTEBOOKS = {
    "01_quickstart.ipynb": QUICKSTART,
    "02_compare_override_variants.ipynb": COMPARE,
    "03_call_cost_review.ipynb": COST_REVIEW,
    "04_widgets.ipynb": WIDGETS,
}
