"""What grammar-constrained decoding costs per generated token: the greedy path against llama.cpp's.

Replays the constrained requests recorded by ``benchmarks/agent_vs_llama.py`` on one context,
each three ways, interleaved so that load from other work hits all three alike: unconstrained,
constrained through ``models/greedy_grammar.py`` (what the agent does), and constrained through
llama.cpp's grammar sampler (which checks the whole vocabulary at every token). Prefix reuse is off,
so each call evaluates its whole prompt the same way; decode time is the call's time minus its
prefill.

    python -m benchmarks.grammar_cost runs/bench-agent-vs-llama.json --calls 20
"""

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from models import registry
from models.chat import ChatLlamaCpp

_MESSAGE = {"system": SystemMessage, "user": HumanMessage, "assistant": AIMessage}


def recorded_calls(results: dict[str, Any], limit: int) -> list[dict[str, Any]]:
    """Return up to ``limit`` constrained requests, alternating formulations and roles."""
    pools = [
        [c for run in results[f]["runs"].get("constrained", []) for c in run["calls"] if c["grammar"]]
        for f in ("iterative", "onetime")
        if f in results
    ]
    calls = [c for group in zip(*pools, strict=False) for c in group]
    return calls[:limit]


def main(argv: Sequence[str] | None = None) -> int:
    """Print milliseconds per generated token for each way, and whether the outputs agree."""
    ap = argparse.ArgumentParser(prog="python -m benchmarks.grammar_cost", description=__doc__.split("\n")[0])
    ap.add_argument("results", help="JSON of benchmarks/agent_vs_llama.py (with its constrained runs)")
    ap.add_argument("--calls", type=int, default=20)
    ap.add_argument("--threads", type=int, default=None)
    args = ap.parse_args(argv)
    results = json.loads(Path(args.results).read_text())
    model = registry.load(results["header"]["model"], n_threads=args.threads, slot="grammar-cost")
    chat = ChatLlamaCpp(model=model, prefix_reuse=False)
    decode = {"unconstrained": 0.0, "greedy grammar": 0.0, "llama.cpp grammar": 0.0}
    tokens = dict.fromkeys(decode, 0)
    agree = total = 0
    for call in recorded_calls(results, args.calls):
        messages: list[BaseMessage] = [_MESSAGE[m["role"]](content=m["content"]) for m in call["messages"]]
        ways = {
            "unconstrained": {},
            "greedy grammar": {"grammar": call["grammar"]},
            "llama.cpp grammar": {"grammar": model.grammar(call["grammar"])},
        }
        texts = {}
        for way, options in ways.items():
            reply = chat.invoke(messages, stop=call["stop"], **options)
            meta = reply.response_metadata
            decode[way] += meta["model_seconds"] - meta["prefill_seconds"]
            tokens[way] += reply.usage_metadata["output_tokens"] if reply.usage_metadata else 0
            texts[way] = reply.text
        total += 1
        agree += texts["greedy grammar"] == texts["llama.cpp grammar"]
    print(f"{total} recorded constrained calls, {results['header']['model']}, prefix reuse off")
    print("| decoding | ms per generated token | generated tokens |")
    print("|---|---|---|")
    for way in decode:
        print(f"| {way} | {1000 * decode[way] / max(tokens[way], 1):.1f} | {tokens[way]} |")
    print(f"greedy and llama.cpp grammar paths wrote the same text in {agree}/{total} calls")
    return 0


if __name__ == "__main__":
    sys.exit(main())
