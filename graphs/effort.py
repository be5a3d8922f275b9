"""One knob for users: ``effort`` (fast, balanced, best) picks a measured configuration.

A configuration is a formulation plus the settings it runs with (plan reasoning, programs,
cross-checking). Each ``(domain, preset)`` maps every effort to the configuration that was measured
on that domain's dev slices with that preset (``docs/runs``; ``python -m benchmarks.tradeoffs``
prints the figures), by one rule:

* ``fast``: the fastest measured configuration;
* ``balanced``: the most accurate one that costs at most twice ``fast``'s seconds per task;
* ``best``: the most accurate one, whatever it costs.

Settings a caller gives explicitly always win over the effort's; ``effort=None`` runs the settings
exactly as given (the research path, where every lever is a flag). A model that is not a preset
(a .gguf path, a llama-server URL) takes the mapping of the default preset.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, get_args

from models.catalogue import DEFAULT_PRESET
from nodes.context import Effort, canonical_domain

EFFORTS: tuple[str, ...] = get_args(Effort)
DEFAULT_EFFORT: Effort = "balanced"


@dataclass(frozen=True)
class Configuration:
    """A formulation and the settings it runs with, and the figure that chose it."""

    formulation: str
    settings: Mapping[str, Any] = field(default_factory=dict)
    measured: str = ""  # e.g. "GSM8K dev 39% at 11.6 s/task"

    def flags(self) -> str:
        """Return the configuration as `lumos run` flags."""
        words = [f"--formulation {self.formulation}"]
        for name, value in self.settings.items():
            flag = "--" + name.replace("_", "-")
            words.append(flag if value is True else f"{flag} {value}")
        return " ".join(words)


ONETIME = Configuration("onetime")
ITERATIVE = Configuration("iterative")
CROSSCHECKED = Configuration(
    "onetime",
    {
        "plan_reasoning": "steps",
        "plan_retries": 3,
        "keep_reasoning": True,
        "crosscheck_fallback": "reasoning",
    },
)
SMALL, LARGE = "qwen2.5-coder-0.5b", "qwen2.5-coder-1.5b"

# (domain, preset) -> effort -> configuration; the figures are in README "Agent quality"
MAPPING: dict[tuple[str, str], dict[str, Configuration]] = {
    ("maths", SMALL): {"fast": ONETIME, "balanced": ONETIME, "best": CROSSCHECKED},
    ("maths", LARGE): {"fast": ONETIME, "balanced": ONETIME, "best": CROSSCHECKED},
    ("complex_qa", SMALL): {"fast": ITERATIVE, "balanced": ITERATIVE, "best": ITERATIVE},
    ("complex_qa", LARGE): {"fast": ONETIME, "balanced": ONETIME, "best": ITERATIVE},
    ("web", SMALL): {"fast": ONETIME, "balanced": ITERATIVE, "best": ITERATIVE},
    ("web", LARGE): {"fast": ONETIME, "balanced": ONETIME, "best": ONETIME},
    ("sql", SMALL): {"fast": ONETIME, "balanced": ITERATIVE, "best": ITERATIVE},
    ("sql", LARGE): {"fast": ONETIME, "balanced": ONETIME, "best": ONETIME},
}
# every setting some configuration sets: where a caller leaves one unset, the effort decides it
EFFORT_SETTINGS = frozenset(name for table in MAPPING.values() for c in table.values() for name in c.settings)


def configuration(effort: str, domain: str = "maths", model: str = DEFAULT_PRESET) -> Configuration:
    """Return the measured configuration of ``effort`` for a domain and planner model."""
    if effort not in EFFORTS:
        raise ValueError(f"unknown effort {effort!r}; choose one of {', '.join(EFFORTS)}")
    domain = canonical_domain(domain)
    table = MAPPING.get((domain, model)) or MAPPING.get((domain, DEFAULT_PRESET))
    if table is None:
        known = ", ".join(sorted({d for d, _ in MAPPING}))
        raise ValueError(f"no measured configurations for the {domain} domain (known: {known})")
    return table[effort]
