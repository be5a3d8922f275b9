"""Training throughput on this machine: tokens per second per configuration, side by side.

Loads the base once, then for each configuration (precision, LoRA blocks, batch layout: padded,
packed, or packed with vocabulary logits at target positions only, which is what ``lumos train`` does)
wraps it in a fresh LoRA, runs one warm-up step and ``--steps`` timed optimizer steps on the same
batches of real training conversations, and prints real (unpadded) tokens per second and the
ratio to the first configuration. What ``lumos train --precision auto`` picks on a CPU comes from
this table.

    python -m benchmarks.train_speed --data runs/training/all_plan.jsonl --base qwen2.5-coder-0.5b
"""

import argparse
import os
import time
from pathlib import Path
from typing import Any

from training.base import load_base
from training.packing import PackedCollator, PaddedCollator, packed_loss
from training.records import read_conversations
from training.sft import TrainConfig, encode, lora_model

CONFIGS = (  # (precision, LoRA on the top N blocks or None for all, batch layout); bf16 last: slow
    ("fp32", 8, "targets"),  # where a CPU lacks bf16 instructions, autocast emulates it
    ("fp32", 8, "packed"),
    ("fp32", 8, "padded"),
    ("fp32", 4, "targets"),
    ("fp32", None, "targets"),
    ("bf16", 8, "targets"),
)


def measure(base: Any, batches: list[list[dict[str, list[int]]]], precision: str, top: int | None,
            layout: str) -> tuple[float, float]:  # fmt: skip
    """Return (real tokens/s, seconds per step) of ``len(batches) - 1`` steps after one warm-up step."""
    import torch

    config = TrainConfig(base="", out=Path(), lora_layers=top)
    model = lora_model(base, config)
    model.train()
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)
    pad = base.tokenizer.pad_token_id if base.tokenizer.pad_token_id is not None else base.eos_id
    collate = PaddedCollator(pad) if layout == "padded" else PackedCollator(target_logits=layout == "targets")
    real, seconds = 0, 0.0
    for index, batch in enumerate(batches):
        inputs = collate(batch)
        start = time.perf_counter()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16"):
            if layout == "targets":
                labels = inputs.pop("labels")
                loss = packed_loss(model(**inputs), labels)
            else:
                loss = model(**inputs).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        if index:  # the first step warms up allocators and kernels
            seconds += time.perf_counter() - start
            real += sum(len(e["input_ids"]) for e in batch)
    model.unload()  # the base without LoRA layers, for the next configuration
    steps = len(batches) - 1
    return real / seconds, seconds / steps


def main() -> None:
    """Print tokens per second for each training configuration on the same batches."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", required=True, help="training conversations (lumos data render)")
    parser.add_argument("--base", default="qwen2.5-coder-0.5b")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--steps", type=int, default=3, help="timed steps per configuration")
    parser.add_argument(
        "--only", type=int, nargs="*", help="run only these configurations (1-based rows of the full table)"
    )
    args = parser.parse_args()

    import torch

    start = time.perf_counter()
    base = load_base(args.base)
    loaded = time.perf_counter() - start
    conversations = list(read_conversations(Path(args.data)))[: args.batch_size * (args.steps + 1)]
    examples = [
        encode(c, base.tokenizer, eos=base.eos, bos_id=base.bos_id, max_length=1024) for c in conversations
    ]
    kept = [e for e in examples if e is not None]
    batches = [kept[i : i + args.batch_size] for i in range(0, len(kept), args.batch_size)]
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), "unknown CPU")  # fmt: skip
    print(f"base {args.base} (loaded in {loaded:.0f} s), {args.data}, batches of {args.batch_size}, "
          f"{args.steps} timed steps; torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"{os.cpu_count()} cores, {cpu}")  # fmt: skip
    print("| precision | LoRA blocks | batches | tokens/s | s/step | vs first |")
    print("|---|---|---|---|---|---|")
    first = None
    chosen = [CONFIGS[i - 1] for i in args.only] if args.only else list(CONFIGS)
    for precision, top, layout in chosen:
        rate, per_step = measure(base, batches, precision, top, layout)
        first = first or rate
        blocks = f"top {top}" if top else "all"
        shown = {"targets": "packed, target logits", "packed": "packed, all logits", "padded": "padded"}[
            layout
        ]
        print(f"| {precision} | {blocks} | {shown} | {rate:.0f} | "
              f"{per_step:.1f} | {rate / first:.2f}x |", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
