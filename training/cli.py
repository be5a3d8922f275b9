"""The `lumos data` and `lumos train` commands: annotations, training conversations, fine-tuning."""

import argparse
import json
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from common.jsonl import read_jsonl
from training.records import MODULES, Conversation, Record, read_conversations, read_records, write_jsonl

TOP_REASONS = 10


def _print(payload: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(payload, indent=2) + "\n")


def _rows(path: Path, limit: int | None) -> list[dict[str, Any]]:
    rows = [row for _, row in read_jsonl(path)]
    return rows[:limit] if limit else rows


def _reason(err: Exception) -> str:
    """Group failure messages by their wording, numbers and names aside."""
    words = str(err).split(":")[-1].split()
    return " ".join(w for w in words if not any(ch.isdigit() for ch in w))[:80]


def cmd_convert(args: argparse.Namespace) -> int:
    """Convert GSM8K worked solutions into annotated tasks, optionally keeping only those that execute."""
    from training import check, gsm8k

    rows = _rows(Path(args.data), args.limit)
    failures: Counter[str] = Counter()
    counts = Counter(rows=len(rows))
    if args.method == "llm":
        from models.registry import LlamaModels
        from training import annotate

        model = LlamaModels().chat(
            args.model, role="annotator", prompt_format="chat", max_tokens=annotate.MAX_TOKENS
        )

    def annotations() -> Iterator[Record]:
        from tqdm import tqdm

        for row in tqdm(rows, desc=f"convert ({args.method})", unit="ex", disable=not args.progress):
            try:
                if args.method == "llm":
                    record = annotate.convert(row, model, source=f"llm:{args.model}")
                else:
                    record = gsm8k.convert(row)
            except ValueError as err:  # ConversionError, AnnotationError, ParseError
                failures[f"convert: {_reason(err)}"] += 1
                continue
            counts["converted"] += 1
            if args.check:
                try:
                    record = check.check(record)
                except check.CheckError as err:
                    failures[f"check: {_reason(err)}"] += 1
                    continue
                counts["checked"] += 1
            yield record

    written = write_jsonl(Path(args.out), annotations())
    summary: dict[str, Any] = {"data": args.data, "method": args.method, "out": args.out, **counts}
    summary |= {"written": written, "failures": dict(failures.most_common(TOP_REASONS))}
    _print(summary)
    return 0


def cmd_render(args: argparse.Namespace) -> int:
    """Write one module's training conversations (planner, grounder, CoT, integrated) for annotated tasks."""
    from training.conversations import to_conversation

    records = read_records(Path(args.records))
    conversations = (to_conversation(r, args.module, args.formulation) for r in records)
    written = write_jsonl(Path(args.out), conversations)
    _print(
        {
            "records": args.records,
            "module": args.module,
            "formulation": args.formulation if args.module in ("plan", "ground") else None,
            "out": args.out,
            "written": written,
        }
    )
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    """Fine-tune a Lumos module on training conversations and export it as a LoRA adapter GGUF."""
    try:
        from training.export import ExportError
        from training.sft import ResumeError, TrainConfig, train
    except ImportError as err:
        sys.stderr.write(
            f"lumos: error: training needs the `train` extra ({err}); pip install -e '.[train]'\n"
        )
        return 2
    conversations: list[Conversation] = []
    for path in args.data:
        conversations += read_conversations(Path(path))
    config = TrainConfig(
        base=args.base,
        out=Path(args.out),
        name=args.name or Path(args.data[0]).stem,
        epochs=args.epochs,
        max_steps=args.max_steps,
        learning_rate=args.lr,
        batch_size=args.batch_size,
        grad_accum=args.grad_accum,
        max_seq_length=args.max_seq_length,
        lora_r=args.lora_r,
        lora_alpha=args.lora_alpha,
        lora_layers=args.lora_layers,
        limit=args.limit,
        seed=args.seed,
        precision=args.precision,
        pack=args.pack,
        save_every=args.save_every,
        stop_at=args.stop_at,
        merged=args.merged,
        outtype=args.outtype,
    )
    try:
        result = train(config, conversations, resume=args.resume)
    except (ExportError, ResumeError) as err:
        sys.stderr.write(f"lumos: error: {err}\n")
        return 2
    if result.steps < result.total_steps:
        _print(
            {
                "stopped_at": result.steps,
                "total_steps": result.total_steps,
                "checkpoints": str(Path(args.out) / "checkpoints"),
                "continue": "the same command with --resume",
            }
        )
        return 0
    module = f"{args.base}+{result.adapter}" if result.adapter else str(result.merged)
    _print(
        {
            "adapter": str(result.adapter) if result.adapter else None,
            "merged": str(result.merged) if result.merged else None,
            "loss_png": str(result.loss_png),
            "log": str(result.log),
            "examples": result.examples,
            "seen": result.seen,
            "steps": result.steps,
            "resumed_from": result.resumed_from,
            "final_loss": result.final_loss,
            "use": f"--planner/--grounder {module} --profile lumos --rendering train",
        }
    )
    return 0


def register(subparsers: Any) -> None:
    """Add the `data` and `train` commands to the `lumos` parser."""
    data = subparsers.add_parser("data", help="annotated tasks and training conversations")
    data_sub = data.add_subparsers(dest="data_command", required=True)

    convert = data_sub.add_parser("convert", help="annotate a dataset's worked solutions (GSM8K)")
    convert.add_argument("source", choices=("gsm8k",))
    convert.add_argument("--data", required=True, help="GSM8K JSONL (question, answer with <<expr=value>>)")
    convert.add_argument("--out", required=True, help="annotated tasks (JSONL)")
    convert.add_argument(
        "--check", action="store_true", help="keep only annotations whose actions reproduce the gold answer"
    )
    convert.add_argument(
        "--method",
        choices=("steps", "llm"),
        default="steps",
        help="steps: deterministic; llm: Lumos's conversion prompt",
    )
    convert.add_argument(
        "--model", default="qwen2.5-coder-1.5b", help="--method llm: chat model spec (preset or .gguf)"
    )
    convert.add_argument("--limit", type=int, default=None, help="convert the first N rows only")
    convert.add_argument("--progress", action="store_true", help="show a progress bar")
    convert.set_defaults(func=cmd_convert)

    render = data_sub.add_parser(
        "render", help="write training conversations: planner, grounder, or the CoT and integrated baselines"
    )
    render.add_argument(
        "--records", required=True, help="annotated tasks (JSONL), e.g. from `lumos data convert`"
    )
    render.add_argument(
        "--module",
        choices=MODULES,
        required=True,
        help="plan/ground: Lumos's modules; cot: the worked solution (GSM8K); integrated: plan and actions",
    )
    render.add_argument(
        "--formulation", choices=("iterative", "onetime"), default="onetime", help="plan and ground only"
    )
    render.add_argument(
        "--out", required=True, help="conversations (JSONL, the released Lumos dataset layout)"
    )
    render.set_defaults(func=cmd_render)

    tr = subparsers.add_parser("train", help="LoRA fine-tune a Lumos module; export a llama.cpp adapter GGUF")
    tr.add_argument(
        "--data",
        required=True,
        action="append",
        help="conversations (JSONL; ours or a released Lumos dataset); repeatable",
    )
    tr.add_argument(
        "--base", default="qwen2.5-coder-0.5b", help="preset name, .gguf path, or Hugging Face model folder"
    )
    tr.add_argument(
        "--out", required=True, help="run folder (NAME.lora.gguf, loss.png, train_log.json, checkpoints/)"
    )
    tr.add_argument("--name", help="adapter file name stem (default: the first data file's name)")
    tr.add_argument("--epochs", type=float, default=2.0)
    tr.add_argument(
        "--max-steps", type=int, default=-1, help="stop after N optimizer steps (overrides --epochs)"
    )
    tr.add_argument("--lr", type=float, default=2e-4)
    tr.add_argument("--batch-size", type=int, default=8)
    tr.add_argument("--grad-accum", type=int, default=1)
    tr.add_argument("--max-seq-length", type=int, default=1024)
    tr.add_argument("--lora-r", type=int, default=16)
    tr.add_argument("--lora-alpha", type=int, default=32)
    tr.add_argument("--lora-layers", type=int, default=None, help="adapt only the top N blocks (CPU speed)")
    tr.add_argument("--limit", type=int, default=None, help="train on N conversations (a seeded shuffle)")
    tr.add_argument("--seed", type=int, default=0)
    tr.add_argument(
        "--precision",
        choices=("auto", "bf16", "fp32"),
        default="auto",
        help="auto: bf16 autocast on GPUs that have it, fp32 on CPUs (measured: benchmarks/train_speed.py)",
    )
    tr.add_argument(
        "--no-pack",
        dest="pack",
        action="store_false",
        help="pad each batch instead of packing its conversations into one row",
    )
    tr.add_argument("--save-every", type=int, default=25, help="checkpoint every N optimizer steps")
    tr.add_argument(
        "--resume",
        action="store_true",
        help="continue the run in --out from its last checkpoint (the same command otherwise)",
    )
    tr.add_argument(
        "--stop-at", type=int, default=None, help="checkpoint and stop at step N (continue with --resume)"
    )
    tr.add_argument("--merged", action="store_true", help="also write the LoRA merged into a full GGUF")
    tr.add_argument(
        "--outtype", choices=("f16", "f32", "q8_0"), default="f16", help="--merged: the trained tensors' type"
    )
    tr.set_defaults(func=cmd_train)
