"""Supervised fine-tuning of a Lumos module with LoRA, at CPU speed, exported as a llama.cpp adapter.

Loss is on the assistant turns only (their content, EOS and newline), as Lumos computes it
(lumos-reference §6.1). A batch's conversations are packed into one unpadded row
(``training/packing.py``); LoRA can be limited to the top blocks, which stops backpropagation there.
Checkpoints (adapter, optimizer, scheduler, data order) are written every ``save_every`` steps, and
``resume=True`` continues the run in the same folder from the last one. The result is a LoRA
adapter GGUF over the unchanged base (``training/adapter.py``), optionally also merged into a full
GGUF. Needs the ``train`` extra; everything heavy is imported inside the functions.

Longer than 300 lines because one training run reads top to bottom here: encoding and masking,
the LoRA model, the rules for starting and resuming a run folder, and the loop with its outputs.
"""

import hashlib
import json
import logging
import math
import os
import random
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from training.base import Base, load_base
from training.conversations import training_pieces
from training.packing import (
    IGNORE,
    PackedCollator,
    PaddedCollator,
    packed_loss,
    progress_callback,
    stop_callback,
)
from training.records import Conversation

log = logging.getLogger(__name__)
OutType = Literal["f16", "f32", "q8_0"]
Precision = Literal["auto", "bf16", "fp32"]
RUN_FILE = "run.json"  # the settings and data digest a resumed run must match


class ResumeError(ValueError):
    """A run folder cannot be started or continued as asked; the message says what to do."""


@dataclass(frozen=True, kw_only=True)
class TrainConfig:
    """Settings of one fine-tuning run; the defaults follow Lumos where LoRA and a CPU allow."""

    base: str  # preset name, path to a .gguf, or a Hugging Face model folder
    out: Path  # run folder: <name>.lora.gguf, loss.png, train_log.json, checkpoints/
    name: str = "module"  # file name stem of the exported adapter
    epochs: float = 2.0  # Lumos: 2
    max_steps: int = -1  # overrides epochs when positive
    learning_rate: float = 2e-4  # LoRA; Lumos's full fine-tune used 2e-5
    batch_size: int = 8  # conversations per step
    grad_accum: int = 1
    max_seq_length: int = 1024  # Lumos: 1024
    warmup_ratio: float = 0.03  # Lumos: 0.03, linear decay
    lora_r: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.05
    lora_layers: int | None = None  # adapt only the top N blocks: backpropagation stops there (CPU speed)
    limit: int | None = None  # train on the first N conversations (after shuffling)
    seed: int = 0
    precision: Precision = "auto"  # bf16 autocast on GPUs with bf16; fp32 on CPUs (measured faster here)
    pack: bool = True  # one unpadded row per batch, logits at targets only; False pads (train_speed compares)
    save_every: int = 25  # optimizer steps between checkpoints
    stop_at: int | None = None  # checkpoint and stop at this step, to continue later with resume=True
    merged: bool = False  # also export the LoRA merged into a full GGUF
    outtype: OutType = "f16"  # of the merged GGUF's trained tensors
    extra: dict[str, Any] = field(default_factory=dict)  # passed to transformers.TrainingArguments


def encode(
    conversation: Conversation, tokenizer: Any, *, eos: str, bos_id: int | None, max_length: int
) -> dict[str, list[int]] | None:
    """Return input ids and labels (IGNORE outside assistant turns), or None when no target fits."""
    text, spans, position = "", [], 0
    for piece, target in training_pieces(conversation["messages"], eos):
        if target:
            spans.append((position, position + len(piece)))
        text += piece
        position += len(piece)
    encoded = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    ids, labels = [], []
    for token, (start, _) in zip(encoded["input_ids"], encoded["offset_mapping"], strict=True):
        ids.append(token)
        labels.append(token if any(a <= start < b for a, b in spans) else IGNORE)
    eos_id = tokenizer.convert_tokens_to_ids(eos)
    if eos_id not in ids:
        raise ValueError(f"{eos} was not tokenized as one token; the tokenizer lacks it")
    if bos_id is not None:
        ids, labels = [bos_id, *ids], [IGNORE, *labels]
    ids, labels = ids[:max_length], labels[:max_length]
    if all(label == IGNORE for label in labels):
        return None  # Lumos drops examples whose targets were truncated away
    return {"input_ids": ids, "labels": labels}


def use_bf16(precision: Precision) -> bool:
    """Return whether to train with bf16 autocast (fp32 master weights).

    ``auto`` takes bf16 on GPUs that support it and fp32 on CPUs: on this project's machines (AVX-512
    with bf16 instructions) fp32 measured faster (``python -m benchmarks.train_speed``).
    """
    import torch

    if precision != "auto":
        return precision == "bf16"
    return bool(torch.cuda.is_available() and torch.cuda.is_bf16_supported())


def lora_model(base: Base, config: TrainConfig) -> Any:
    """Wrap the base with LoRA on every linear layer of the chosen blocks (none on embeddings or head)."""
    import torch
    from peft import LoraConfig, get_peft_model

    blocks = base.model.config.num_hidden_layers
    top = None if config.lora_layers is None else list(range(max(0, blocks - config.lora_layers), blocks))
    output = base.model.get_output_embeddings()
    linear = sorted(
        {
            name.rpartition(".")[2]
            for name, module in base.model.named_modules()
            if isinstance(module, torch.nn.Linear) and module is not output
        }
    )  # what peft's "all-linear" means, spelled out because layers_to_transform needs names
    settings = LoraConfig(
        r=config.lora_r,
        lora_alpha=config.lora_alpha,
        lora_dropout=config.lora_dropout,
        target_modules=linear,
        layers_to_transform=top,
        layers_pattern="layers" if top is not None else None,
        task_type="CAUSAL_LM",
    )
    return get_peft_model(base.model, settings)


def plot_losses(history: list[dict[str, Any]], path: Path) -> None:
    """Draw the training loss per step (and its running mean) to a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    points = [(h["step"], h["loss"]) for h in history if "loss" in h]
    steps, losses = [p[0] for p in points], [p[1] for p in points]
    window = max(1, len(losses) // 10)
    recent = [losses[max(0, i - window + 1) : i + 1] for i in range(len(losses))]
    smooth = [sum(r) / len(r) for r in recent]
    figure, axes = plt.subplots(figsize=(7, 4))
    axes.plot(steps, losses, alpha=0.4, label="loss")
    axes.plot(steps, smooth, label=f"mean of {window}")
    axes.set_xlabel("optimizer step")
    axes.set_ylabel("loss (assistant tokens)")
    axes.set_title(path.parent.name)
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


@dataclass
class TrainResult:
    """What a run produced."""

    adapter: Path | None  # the LoRA adapter GGUF (None for a Hugging Face base, or a run stopped early)
    merged: Path | None
    loss_png: Path
    log: Path
    examples: int  # conversations encoded (targets within max_seq_length)
    seen: int  # examples the optimizer went through (repeats across epochs counted)
    steps: int
    total_steps: int  # of the whole schedule: more than ``steps`` when the run stopped at ``stop_at``
    resumed_from: int  # the step the run continued from (0: a fresh run)
    final_loss: float | None


def _run_record(config: TrainConfig, conversations: list[Conversation]) -> dict[str, Any]:
    digest = hashlib.sha256(json.dumps(conversations, sort_keys=True).encode()).hexdigest()
    settings = {k: str(v) if isinstance(v, Path) else v for k, v in asdict(config).items()}
    for name in ("stop_at", "name"):  # where a session stops and what the file is called: not the run
        settings.pop(name)
    return {"config": settings, "data_sha256": digest}


def _start_or_resume(config: TrainConfig, record: dict[str, Any], resume: bool) -> str | None:
    """Check the run folder against this run; return the checkpoint to continue from, if any."""
    from transformers.trainer_utils import get_last_checkpoint

    saved_path = config.out / RUN_FILE
    checkpoints = config.out / "checkpoints"
    last = get_last_checkpoint(str(checkpoints)) if checkpoints.is_dir() else None
    if not resume:
        if last is not None:
            raise ResumeError(
                f"{config.out} holds checkpoints of an earlier run ({Path(last).name}); pass --resume to "
                "continue it, or choose another --out"
            )
        saved_path.write_text(json.dumps(record, indent=2))
        return None
    if last is None or not saved_path.exists():
        raise ResumeError(f"nothing to resume in {config.out}: no checkpoint has been saved there yet")
    saved = json.loads(saved_path.read_text())
    changed = [k for k, v in record["config"].items() if saved["config"].get(k) != v]
    if changed or saved["data_sha256"] != record["data_sha256"]:
        what = ", ".join(
            f"{k}: {saved['config'].get(k)!r} then, {record['config'][k]!r} now" for k in changed
        )
        raise ResumeError(
            f"cannot resume {config.out} with other settings or data ({what or 'the conversations differ'}); "
            "repeat the command that started it"
        )
    return str(last)


def train(config: TrainConfig, conversations: list[Conversation], *, resume: bool = False) -> TrainResult:
    """Fine-tune the base on the conversations with LoRA and export the adapter the models layer loads."""
    import torch
    from transformers import Trainer, TrainingArguments
    from transformers.trainer_callback import ProgressCallback

    from training.adapter import adapted_tensors, export_adapter
    from training.export import export_gguf

    config.out.mkdir(parents=True, exist_ok=True)
    random.Random(config.seed).shuffle(conversations := list(conversations))
    conversations = conversations[: config.limit] if config.limit else conversations
    record = _run_record(config, conversations)
    checkpoint = _start_or_resume(config, record, resume)
    torch.manual_seed(config.seed)

    base = load_base(config.base)
    encoded = []
    for conversation in conversations:
        example = encode(
            conversation, base.tokenizer, eos=base.eos, bos_id=base.bos_id, max_length=config.max_seq_length
        )
        if example is not None:
            encoded.append(example)
    if not encoded:
        raise ValueError("no training example has a target token within max_seq_length")
    tokens = sum(len(e["input_ids"]) for e in encoded)
    log.info("%d of %d conversations encoded, %d tokens", len(encoded), len(conversations), tokens)

    model = lora_model(base, config)
    pad_id = base.tokenizer.pad_token_id if base.tokenizer.pad_token_id is not None else base.eos_id
    collator = PackedCollator() if config.pack else PaddedCollator(pad_id)
    bf16 = use_bf16(config.precision)
    arguments = TrainingArguments(
        output_dir=str(config.out / "checkpoints"),
        per_device_train_batch_size=config.batch_size,
        gradient_accumulation_steps=config.grad_accum,
        num_train_epochs=config.epochs,
        max_steps=config.max_steps,
        learning_rate=config.learning_rate,
        lr_scheduler_type="linear",
        warmup_ratio=config.warmup_ratio,
        weight_decay=0.0,
        logging_steps=1,
        save_strategy="steps",
        save_steps=config.save_every,
        save_total_limit=2,
        report_to=[],
        seed=config.seed,
        bf16=bf16,
        use_cpu=not torch.cuda.is_available(),
        group_by_length=not config.pack,  # padding only: batches of similar length waste less
        remove_unused_columns=False,
        dataloader_num_workers=0,
        **config.extra,
    )
    trainer = Trainer(
        model=model,
        args=arguments,
        train_dataset=encoded,
        data_collator=collator,
        compute_loss_func=packed_loss if config.pack else None,
    )
    trainer.remove_callback(ProgressCallback)
    trainer.add_callback(progress_callback(collator.counter))
    if config.stop_at is not None:
        trainer.add_callback(stop_callback(config.stop_at))
    trainer.train(resume_from_checkpoint=checkpoint)
    history = trainer.state.log_history
    finished = trainer.state.global_step >= trainer.state.max_steps

    adapter, trained = None, frozenset[str]()
    if base.gguf is not None and finished:
        adapter = export_adapter(model, base, out=config.out / f"{config.name}.lora.gguf")
        trained = adapted_tensors(adapter)
    merged = None
    if finished and (config.merged or base.gguf is None):
        merged = export_gguf(
            model.merge_and_unload(),
            base.tokenizer,
            out=config.out / f"{config.name}.gguf",
            base_gguf=base.gguf,
            eos_id=base.eos_id,
            trained=trained,
            outtype=config.outtype,
        )
    loss_png = config.out / "loss.png"
    plot_losses(history, loss_png)
    losses = [h["loss"] for h in history if "loss" in h]
    log_path = config.out / "train_log.json"
    steps = trainer.state.global_step
    resumed_from = int(Path(checkpoint).name.rpartition("-")[2]) if checkpoint else 0
    summary = {
        "config": {k: str(v) if isinstance(v, Path) else v for k, v in asdict(config).items()},
        "data_sha256": record["data_sha256"],
        "base": {"name": base.name, "gguf": str(base.gguf) if base.gguf else None},
        "examples": len(encoded),
        # the same problems in every arm of a comparison: compare this digest across runs
        "ids_sha256": hashlib.sha256("\n".join(sorted(c["id"] for c in conversations)).encode()).hexdigest(),
        "tokens": tokens,
        "target_tokens": sum(sum(label != IGNORE for label in e["labels"]) for e in encoded),
        "steps": steps,
        "total_steps": trainer.state.max_steps,
        "seen": (seen := steps * config.batch_size * config.grad_accum),
        "resumed_from": resumed_from,
        "train_seconds": sum(h.get("train_runtime", 0.0) for h in history),
        "bf16": bf16,
        "device": "cuda" if torch.cuda.is_available() else f"cpu ({os.cpu_count()} cores)",
        "adapter": str(adapter) if adapter else None,
        "merged": str(merged) if merged else None,
        "history": history,
    }
    log_path.write_text(json.dumps(summary, indent=2))
    final = sum(losses[-5:]) / len(losses[-5:]) if losses else math.nan
    final_loss = final if math.isfinite(final) else None
    return TrainResult(
        adapter,
        merged,
        loss_png,
        log_path,
        len(encoded),
        seen,
        steps,
        trainer.state.max_steps,
        resumed_from,
        final_loss,
    )
