"""Compare evaluation runs side by side: a markdown table and a bar chart, ready for a README."""

import json
from pathlib import Path
from typing import Any

from domains import DOMAINS
from evaluation import benchmarks
from evaluation.benchmarks import BENCHMARKS
from graphs.settings import defaults
from nodes.context import canonical_domain
from nodes.domain import Domain

FORMULATION_LABEL = {
    "iterative": "Lumos-I",
    "onetime": "Lumos-O",
    "integrated": "Integrated",
    "cot": "CoT",
    "direct": "Direct",
}
BENCHMARK_LABEL = {
    "gsm8k": "GSM8K",
    "svamp": "SVAMP",
    "strategyqa": "StrategyQA",
    "hotpotqa": "HotpotQA",
    "intercode-sql": "InterCode-SQL",
    "miniwob": "MiniWoB++",
}
REBUILT_MARK = "†"  # marks runs whose summary carries a provenance note instead of a trace
METRIC_LABEL = {
    "accuracy_strict": "strict",
    "accuracy_numeric": "numeric",
    "accuracy": "acc",
    "em": "EM",
    "f1": "F1",
    "llm_accuracy": "LLM acc",
    "success": "success",
    "reward": "reward",
    "decayed_reward": "decayed reward",
}


def load(paths: list[Path]) -> list[dict[str, Any]]:
    """Return the summaries of runs given as ``x.summary.json`` or as the trace ``x.jsonl`` beside it."""
    summaries = []
    for path in paths:
        if not path.name.endswith(".summary.json"):
            path = path.with_suffix(".summary.json")
        if not path.exists():
            raise FileNotFoundError(f"{path}: no run summary (`lumos eval` writes it beside the trace)")
        summaries.append(json.loads(path.read_text(encoding="utf-8")))
    return summaries


def pct(value: float | None) -> str:
    """Format a rate as a percentage with one decimal, or a dash."""
    return "–" if value is None else f"{100 * value:.1f}"


# settings a benchmark or the model column already says, or that do not change what runs
_NOT_A_VARIANT = {"domain", "planner", "grounder", "qa_model", "corpus", "yes_no", "knowledge", "review_plan"}
_DEFAULTS = defaults()  # the wrappers' settings too: older runs recorded votes, plan_retries, ...


def settings(summary: dict[str, Any]) -> str:
    """Return the run's agent settings that differ from the defaults, e.g. ``votes 5, shots 6``."""
    config = summary.get("config", {})
    changed = []
    for name, default in _DEFAULTS.items():
        value = config.get(name, default)
        if name == "shots" and value is not None:  # unset shows the domain's own count (4; web 6)
            domain = DOMAINS.get(canonical_domain(str(config.get("domain"))))
            default = (domain or Domain).shots
        if name in _NOT_A_VARIANT or value == default:
            continue
        if isinstance(value, bool):
            changed.append(name.replace("_", "-") if value else f"no {name.replace('_', '-')}")
        else:
            shown = Path(value).name if name == "exemplars" else value
            changed.append(f"{name.replace('_', ' ')} {shown}")
    return ", ".join(changed)


def label(summary: dict[str, Any]) -> str:
    """Return a run's formulation as the paper names it, with its non-default settings."""
    return _row_name(summary["formulation"], settings(summary))


def _row_name(formulation: str, variant: str) -> str:
    return FORMULATION_LABEL.get(formulation, formulation) + (f" ({variant})" if variant else "")


def _key(summary: dict[str, Any]) -> tuple[str, str, str]:
    return str(summary["model"]), str(summary["formulation"]), settings(summary)


def _order(summaries: list[dict[str, Any]]) -> tuple[list[str], list[tuple[str, str, str]]]:
    """Return the benchmarks present (canonical order) and the (model, formulation, settings) rows."""
    present: list[str] = [b for b in BENCHMARKS if any(s["benchmark"] == b for s in summaries)]
    rank = {f: k for k, f in enumerate(FORMULATION_LABEL)}
    models = list(dict.fromkeys(s["model"] for s in summaries))
    rows: list[tuple[str, str, str]] = sorted(
        {_key(s) for s in summaries},
        key=lambda r: (models.index(r[0]), rank.get(r[1], len(rank)), r[1], r[2]),
    )
    return present, rows


def _metrics(benchmark: str) -> tuple[str, ...]:
    return benchmarks.METRICS[benchmarks.as_benchmark(benchmark)]


def comparison(summaries: list[dict[str, Any]]) -> str:
    """Return one row per (model, formulation) and one column per benchmark, its metrics in percent."""
    present, rows = _order(summaries)
    runs = {(*_key(s), s["benchmark"]): s for s in summaries}  # a later run wins
    headers = []
    for b in present:
        shown = [m for m in _metrics(b) if any(m in s["metrics"] for s in summaries if s["benchmark"] == b)]
        sizes = sorted({s["examples"] for s in summaries if s["benchmark"] == b})
        size = "/".join(map(str, sizes))
        headers.append(
            (b, shown, f"{BENCHMARK_LABEL[b]} ({' / '.join(METRIC_LABEL[m] for m in shown)}), n={size}")
        )
    lines = [
        "| model | formulation | " + " | ".join(h for _, _, h in headers) + " |",
        "|---|---|" + "---|" * len(headers),
    ]
    for model, formulation, variant in rows:
        cells = []
        for b, shown, _ in headers:
            run = runs.get((model, formulation, variant, b))
            cells.append(" / ".join(pct(run["metrics"].get(m)) for m in shown) if run else "")
        name = _row_name(formulation, variant)
        lines.append(f"| {model} | {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def details(summaries: list[dict[str, Any]]) -> str:
    """Return one row per run: size, metrics, failure rates, cost, and the command that produced it."""
    lines = [
        "| benchmark | formulation | model | n | metrics (%) | well-formed | errors | s / ex "
        "| tokens in / out per ex | command |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    present, rows = _order(summaries)
    key = {r: k for k, r in enumerate(rows)}
    for s in sorted(summaries, key=lambda s: (present.index(s["benchmark"]), key[_key(s)])):
        scores = ", ".join(f"{METRIC_LABEL[m]} {pct(v)}" for m, v in s["metrics"].items())
        well_formed = "n/a" if s.get("well_formed") is None else pct(s["well_formed"])
        tokens = f"{s['prompt_tokens_per_example']:.0f} / {s['generated_tokens_per_example']:.0f}"
        size = f"{s['examples']} {REBUILT_MARK}" if s.get("provenance") else str(s["examples"])
        lines.append(
            f"| {BENCHMARK_LABEL[s['benchmark']]} | {label(s)} | {s['model']} | {size} | {scores} "
            f"| {well_formed} | {s['errors']} | {s['seconds_per_example']:.1f} | {tokens} "
            f"| `{s.get('command', '')}` |"
        )
    return "\n".join(lines) + "\n"


def by_group(summaries: list[dict[str, Any]]) -> str:
    """Return the primary metric per example group (InterCode's hardness) of the runs that have groups."""
    grouped = [s for s in summaries if s.get("by_group")]
    names = sorted({g for s in grouped for g in s["by_group"]}, key=lambda g: (GROUP_ORDER.get(g, 9), g))
    lines = [
        "| benchmark | model | formulation | " + " | ".join(names) + " |",
        "|---|---|---|" + "---|" * len(names),
    ]
    for s in grouped:
        primary = s["primary"]
        cells = [_group_cell(s["by_group"][g], primary) if g in s["by_group"] else "" for g in names]
        lines.append(
            f"| {BENCHMARK_LABEL[s['benchmark']]} | {s['model']} | {label(s)} | " + " | ".join(cells) + " |"
        )
    return f"By group ({', '.join(dict.fromkeys(METRIC_LABEL[s['primary']] for s in grouped))}):\n\n" + (
        "\n".join(lines) + "\n"
    )


def _group_cell(group: dict[str, Any], primary: str) -> str:
    cost = f", {group['steps']:.1f} steps, {group['seconds']:.0f} s" if "steps" in group else ""
    return f"{pct(group.get(primary))} (n={group['examples']}{cost})"


GROUP_ORDER = {"easy": 0, "medium": 1, "hard": 2, "extra": 3}  # Spider's hardness levels, in order


def markdown(summaries: list[dict[str, Any]], chart: str | None = None) -> str:
    """Return the comparison and detail tables (and a link to the chart) as one markdown document."""
    parts = [
        "Accuracy in percent, Lumos's metrics (lumos-reference §5.3): maths exact string match (strict) "
        "and numeric match, StrategyQA yes/no accuracy, HotpotQA SQuAD EM and F1; InterCode-SQL "
        "success rate (reward 1) and mean reward; MiniWoB++ success rate (raw reward 1), mean raw "
        "reward and mean time-decayed reward.\n",
        comparison(summaries),
    ]
    if any(s.get("by_group") for s in summaries):
        parts.append(by_group(summaries))
    if chart:
        parts.append(f"![results]({chart})\n")
    parts.append(details(summaries))
    # a summary kept without its trace says where its figures come from
    for provenance in dict.fromkeys(s["provenance"] for s in summaries if s.get("provenance")):
        parts.append(f"{REBUILT_MARK} {provenance}\n")
    return "\n".join(parts)


def chart(summaries: list[dict[str, Any]], path: Path) -> None:
    """Draw each run's Lumos metric as grouped bars, one group per benchmark, and save a PNG."""
    import matplotlib

    matplotlib.use("Agg")  # no display: write files only
    import matplotlib.pyplot as plt

    present, rows = _order(summaries)
    runs = {(*_key(s), s["benchmark"]): s for s in summaries}
    models = list(dict.fromkeys(model for model, _, _ in rows))
    colours = [plt.get_cmap("tab10")(k) for k in range(10)]
    width = 0.8 / max(len(rows), 1)
    fig, ax = plt.subplots(figsize=(max(6.0, 1.5 + 0.3 * len(rows) * len(present)), 4.0))
    for k, (model, formulation, variant) in enumerate(rows):
        xs, heights = [], []
        for x, b in enumerate(present):
            run = runs.get((model, formulation, variant, b))
            if run is not None:
                xs.append(x - 0.4 + width * (k + 0.5))
                heights.append(100 * run["metrics"].get(run["primary"], 0.0))
        bars = ax.bar(
            xs,
            heights,
            width,
            label=f"{_row_name(formulation, variant)} · {model}",
            color=colours[list(FORMULATION_LABEL).index(formulation) % len(colours)]
            if formulation in FORMULATION_LABEL
            else None,
            hatch="//" * models.index(model),
            edgecolor="white",
        )
        ax.bar_label(bars, fmt="%.0f", fontsize=7, padding=1)
    metric_names = [f"{BENCHMARK_LABEL[b]}\n({METRIC_LABEL[_metrics(b)[0]]})" for b in present]
    ax.set_xticks(range(len(present)), metric_names)
    ax.set_ylabel("% (Lumos metric)")
    ax.set_ylim(0, 100)
    ax.legend(
        fontsize=7, ncols=min(4, len(rows)), loc="upper center", bbox_to_anchor=(0.5, -0.16), frameon=False
    )
    ax.spines[["top", "right"]].set_visible(False)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=150, bbox_inches="tight")  # "tight" keeps the legend below the axes
    plt.close(fig)
