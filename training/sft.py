"""Supervised fine-tuning of a planning or grounding module with LoRA, merged and exported to GGUF.

Loss is on the assistant turns only (their content, EOS and newline), as Lumos computes it
(lumos-reference §6.1); the base is a Hugging Face model folder or a GGUF that transformers can
load (a preset name works). Lumos's EOS ``</s>`` becomes one special token: the models layer sends
it between turns with the training rendering, and llama.cpp stops when the module emits it. Needs
the ``train`` extra; everything heavy is imported inside the functions.

Longer than 300 lines because one training run reads top to bottom here: encoding and masking,
the LoRA loop, merging, and the GGUF export that the models layer then loads.
"""

import json
import logging
import math
import os
import random
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from training.conversations import EOS, training_pieces
from training.records import Conversation

log = logging.getLogger(__name__)
OutType = Literal["f16", "f32", "q8_0"]
Precision = Literal["auto", "bf16", "fp32"]
IGNORE = -100  # label of tokens without loss


@dataclass(frozen=True, kw_only=True)
class TrainConfig:
    """Settings of one fine-tuning run; the defaults follow Lumos where LoRA allows."""

    base: str  # preset name, path to a .gguf, or a Hugging Face model folder
    out: Path  # run folder: <name>.gguf, loss.png, train_log.json, merged/ (HF bases)
    name: str = "module"  # file name of the exported GGUF
    epochs: float = 2.0  # Lumos: 2
    max_steps: int = -1  # overrides epochs when positive
    learning_rate: float = 2e-4  # LoRA; Lumos's full fine-tune used 2e-5
    batch_size: int = 8
    grad_accum: int = 1
    max_seq_length: int = 1024  # Lumos: 1024
    warmup_ratio: float = 0.03  # Lumos: 0.03, linear decay
    lora_r: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.05
    lora_layers: int | None = None  # adapt only the top N blocks: backpropagation stops there (CPU speed)
    limit: int | None = None  # train on the first N conversations (after shuffling)
    seed: int = 0
    precision: Precision = "auto"  # bf16 autocast on GPUs and CPUs with bf16 instructions
    outtype: OutType = "f16"
    extra: dict[str, Any] = field(default_factory=dict)  # passed to transformers.TrainingArguments


@dataclass
class Base:
    """A loaded base model, its tokenizer, and where it came from."""

    model: Any
    tokenizer: Any
    gguf: Path | None  # the GGUF it was read from, else None (a Hugging Face folder)
    bos_id: int | None  # prepended to every example when the model's tokenizer adds BOS
    eos_id: int  # the base model's own end-of-turn token


def _gguf_field(path: Path, key: str) -> Any:
    from gguf import GGUFReader

    field_ = GGUFReader(path).fields.get(key)
    return field_.contents() if field_ is not None else None


def load_base(spec: str) -> Base:
    """Load a base model (float32) and tokenizer from a Hugging Face folder, a .gguf or a preset."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder = Path(spec).expanduser()
    if folder.is_dir():
        tokenizer = AutoTokenizer.from_pretrained(folder)
        model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32)
        probe = tokenizer("a").input_ids
        adds_bos = tokenizer.bos_token_id is not None and probe[:1] == [tokenizer.bos_token_id]
        eos: Any = tokenizer.eos_token_id if tokenizer.eos_token_id is not None else model.config.eos_token_id
        return Base(model, tokenizer, None, tokenizer.bos_token_id if adds_bos else None, int(eos))
    from models.presets import resolve

    path = resolve(spec)
    tokenizer = AutoTokenizer.from_pretrained(path.parent, gguf_file=path.name)
    model = AutoModelForCausalLM.from_pretrained(path.parent, gguf_file=path.name, dtype=torch.float32)
    # llama.cpp tokenizes with the GGUF's own flags, not with what transformers rebuilt from them
    adds_bos = bool(_gguf_field(path, "tokenizer.ggml.add_bos_token"))
    bos = _gguf_field(path, "tokenizer.ggml.bos_token_id")
    eos = _gguf_field(path, "tokenizer.ggml.eos_token_id")
    return Base(model, tokenizer, path, int(bos) if adds_bos and bos is not None else None, int(eos))


def add_eos_token(base: Base) -> tuple[int, bool]:
    """Make ``</s>`` one special token; return its id and whether it was added to the vocabulary.

    A new token starts as a copy of the base model's end-of-turn embedding (for tied embeddings
    that is its output row too), so the model ends its turns with it from the first step.
    """
    import torch

    tokenizer, model = base.tokenizer, base.model
    existing = tokenizer.convert_tokens_to_ids(EOS)
    if isinstance(existing, int) and existing != tokenizer.unk_token_id:
        return existing, False
    tokenizer.add_special_tokens(
        {"additional_special_tokens": [EOS]}, replace_additional_special_tokens=False
    )
    eos_id = int(tokenizer.convert_tokens_to_ids(EOS))
    model.resize_token_embeddings(len(tokenizer), mean_resizing=False)
    with torch.no_grad():
        model.get_input_embeddings().weight[eos_id] = model.get_input_embeddings().weight[base.eos_id]
        output = model.get_output_embeddings()
        if output is not None and output.weight is not model.get_input_embeddings().weight:
            output.weight[eos_id] = output.weight[base.eos_id]
    return eos_id, True


def encode(
    conversation: Conversation, tokenizer: Any, *, eos_id: int, bos_id: int | None, max_length: int
) -> dict[str, list[int]] | None:
    """Return input ids and labels (IGNORE outside assistant turns), or None when no target fits."""
    text, spans, position = "", [], 0
    for piece, target in training_pieces(conversation["messages"]):
        if target:
            spans.append((position, position + len(piece)))
        text += piece
        position += len(piece)
    encoded = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    ids, labels = [], []
    for token, (start, _) in zip(encoded["input_ids"], encoded["offset_mapping"], strict=True):
        ids.append(token)
        labels.append(token if any(a <= start < b for a, b in spans) else IGNORE)
    if EOS in text and eos_id not in ids:
        raise ValueError(f"{EOS} was not tokenized as one token; the tokenizer lacks it")
    if bos_id is not None:
        ids, labels = [bos_id, *ids], [IGNORE, *labels]
    ids, labels = ids[:max_length], labels[:max_length]
    if all(label == IGNORE for label in labels):
        return None  # Lumos drops examples whose targets were truncated away
    return {"input_ids": ids, "labels": labels}


def collate(pad_id: int) -> Callable[[Sequence[dict[str, list[int]]]], dict[str, Any]]:
    """Return a collator that right-pads a batch of encoded examples."""
    import torch

    def batch(examples: Sequence[dict[str, list[int]]]) -> dict[str, Any]:
        width = max(len(e["input_ids"]) for e in examples)
        rows = [(e["input_ids"], e["labels"], width - len(e["input_ids"])) for e in examples]
        return {
            "input_ids": torch.tensor([ids + [pad_id] * pad for ids, _, pad in rows]),
            "labels": torch.tensor([labels + [IGNORE] * pad for _, labels, pad in rows]),
            "attention_mask": torch.tensor([[1] * len(ids) + [0] * pad for ids, _, pad in rows]),
        }

    return batch


def _cpu_has_bf16() -> bool:
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def use_bf16(precision: Precision) -> bool:
    """Return whether to train with bf16 autocast (fp32 master weights)."""
    import torch

    if precision != "auto":
        return precision == "bf16"
    if torch.cuda.is_available():
        return bool(torch.cuda.is_bf16_supported())
    return _cpu_has_bf16()


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

    gguf: Path
    loss_png: Path
    log: Path
    examples: int  # conversations encoded (targets within max_seq_length)
    seen: int  # examples the optimizer went through (repeats across epochs counted)
    steps: int
    final_loss: float | None


def train(config: TrainConfig, conversations: list[Conversation]) -> TrainResult:
    """Fine-tune the base on the conversations with LoRA, merge, and export a GGUF the models layer loads."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import Trainer, TrainingArguments

    from training.export import export_gguf

    config.out.mkdir(parents=True, exist_ok=True)
    random.Random(config.seed).shuffle(conversations := list(conversations))
    conversations = conversations[: config.limit] if config.limit else conversations
    torch.manual_seed(config.seed)

    base = load_base(config.base)
    eos_id, added = add_eos_token(base)
    pad_id = base.tokenizer.pad_token_id if base.tokenizer.pad_token_id is not None else base.eos_id
    encoded = []
    for conversation in conversations:
        example = encode(
            conversation, base.tokenizer, eos_id=eos_id, bos_id=base.bos_id, max_length=config.max_seq_length
        )
        if example is not None:
            encoded.append(example)
    if not encoded:
        raise ValueError("no training example has a target token within max_seq_length")
    tokens = sum(len(e["input_ids"]) for e in encoded)
    log.info("%d of %d conversations encoded, %d tokens", len(encoded), len(conversations), tokens)

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
    model = get_peft_model(
        base.model,
        LoraConfig(
            r=config.lora_r,
            lora_alpha=config.lora_alpha,
            lora_dropout=config.lora_dropout,
            target_modules=linear,
            layers_to_transform=top,
            layers_pattern="layers" if top is not None else None,
            task_type="CAUSAL_LM",
        ),
    )
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
        save_strategy="no",
        report_to=[],
        seed=config.seed,
        bf16=bf16,
        use_cpu=not torch.cuda.is_available(),
        group_by_length=True,  # less padding: batches of similar length
        remove_unused_columns=False,
        dataloader_num_workers=0,
        disable_tqdm=False,
        **config.extra,
    )
    trainer = Trainer(model=model, args=arguments, train_dataset=encoded, data_collator=collate(pad_id))
    trainer.train()
    history = trainer.state.log_history

    merged: Any = model.merge_and_unload()
    gguf = export_gguf(
        merged,
        base.tokenizer,
        out=config.out / f"{config.name}.gguf",
        base_gguf=base.gguf,
        eos_id=eos_id,
        added_eos=EOS if added else None,
        outtype=config.outtype,
    )
    loss_png = config.out / "loss.png"
    plot_losses(history, loss_png)
    losses = [h["loss"] for h in history if "loss" in h]
    log_path = config.out / "train_log.json"
    summary = {
        "config": {k: str(v) if isinstance(v, Path) else v for k, v in asdict(config).items()},
        "examples": len(encoded),
        "tokens": tokens,
        "target_tokens": sum(sum(label != IGNORE for label in e["labels"]) for e in encoded),
        "steps": trainer.state.global_step,
        "seen": (seen := trainer.state.global_step * config.batch_size * config.grad_accum),
        "bf16": bf16,
        "device": "cuda" if torch.cuda.is_available() else f"cpu ({os.cpu_count()} cores)",
        "gguf": str(gguf),
        "history": history,
    }
    log_path.write_text(json.dumps(summary, indent=2))
    final = sum(losses[-5:]) / len(losses[-5:]) if losses else math.nan
    final_loss = final if math.isfinite(final) else None
    return TrainResult(gguf, loss_png, log_path, len(encoded), seen, trainer.state.global_step, final_loss)
