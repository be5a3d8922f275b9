"""Batches without padding (a batch's conversations packed into one row), and the training callbacks.

On a CPU every padded position costs as much as a real one, so a batch of conversations is laid
end to end in a single row whose ``position_ids`` restart at each conversation. transformers reads
those restarts as separate sequences and masks attention across them (its packed-sequence
detection, the same one ``DataCollatorWithFlattening`` relies on), so each conversation sees only
itself, as in a padded batch, and its labels are untouched: loss stays on the assistant turns.
"""

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

IGNORE = -100  # label of tokens without loss


@dataclass
class TokenCount:
    """Tokens the collator has handed to the model, read by the progress bar."""

    tokens: int = 0
    target_tokens: int = 0


@dataclass
class PackedCollator:
    """Concatenate a batch of encoded conversations into one unpadded row with restarting positions.

    With ``target_logits``, the batch also names the positions whose next token is a target
    (``logits_to_keep``), so the model computes vocabulary logits only there and ``packed_loss``
    scores them: the same loss, without the output layer's work on prompt tokens (most of a
    grounder's tokens).
    """

    target_logits: bool = True
    counter: TokenCount = field(default_factory=TokenCount)

    def __call__(self, examples: Sequence[dict[str, list[int]]]) -> dict[str, Any]:
        """Return ``input_ids``, ``labels`` and ``position_ids`` of shape ``(1, total tokens)``."""
        import torch

        ids: list[int] = []
        labels: list[int] = []
        positions: list[int] = []
        for example in examples:
            ids += example["input_ids"]
            # a conversation's first token is never a target, so no loss crosses a boundary
            labels += [IGNORE, *example["labels"][1:]]
            positions += range(len(example["input_ids"]))
        self.counter.tokens += len(ids)
        self.counter.target_tokens += sum(label != IGNORE for label in labels)
        batch = {
            "input_ids": torch.tensor([ids]),
            "labels": torch.tensor([labels]),
            "position_ids": torch.tensor([positions]),
        }
        if self.target_logits:
            batch["logits_to_keep"] = torch.tensor(
                [i for i, label in enumerate(labels[1:]) if label != IGNORE]
            )
        return batch


def packed_loss(outputs: Any, labels: Any, num_items_in_batch: Any = None) -> Any:
    """Return the causal LM loss of a packed row whose logits were kept at target positions only.

    Summed over the targets and divided by ``num_items_in_batch`` when the trainer passes it (its
    count across accumulated batches), else averaged: what transformers' own causal LM loss does.
    """
    import torch

    following = labels[0, 1:]
    targets = following[following != IGNORE]
    total = torch.nn.functional.cross_entropy(outputs.logits[0].float(), targets, reduction="sum")
    return total / (num_items_in_batch if num_items_in_batch is not None else len(targets))


@dataclass
class PaddedCollator:
    """Right-pad a batch of encoded conversations (the layout packing replaces; kept for comparison)."""

    pad_id: int
    counter: TokenCount = field(default_factory=TokenCount)

    def __call__(self, examples: Sequence[dict[str, list[int]]]) -> dict[str, Any]:
        """Return ``input_ids``, ``labels`` and ``attention_mask`` of shape ``(batch, widest)``."""
        import torch

        width = max(len(e["input_ids"]) for e in examples)
        rows = [(e["input_ids"], e["labels"], width - len(e["input_ids"])) for e in examples]
        self.counter.tokens += width * len(rows)
        self.counter.target_tokens += sum(sum(label != IGNORE for label in e["labels"]) for e in examples)
        return {
            "input_ids": torch.tensor([ids + [self.pad_id] * pad for ids, _, pad in rows]),
            "labels": torch.tensor([labels + [IGNORE] * pad for _, labels, pad in rows]),
            "attention_mask": torch.tensor([[1] * len(ids) + [0] * pad for ids, _, pad in rows]),
        }


def progress_callback(counter: TokenCount) -> Any:
    """Return a transformers callback drawing one bar over the optimizer steps, with tokens/s and ETA."""
    from tqdm import tqdm
    from transformers import TrainerCallback

    class TokenProgress(TrainerCallback):
        """Steps done and left (tqdm's ETA), loss, and tokens per second since this process started."""

        bar: Any = None
        start_tokens = 0
        start_time = 0.0

        def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            self.bar = tqdm(total=state.max_steps, initial=state.global_step, desc="train", unit="step")
            self.start_tokens, self.start_time = counter.tokens, time.monotonic()

        def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            seconds = max(time.monotonic() - self.start_time, 1e-9)
            self.bar.set_postfix_str(f"{(counter.tokens - self.start_tokens) / seconds:.0f} tok/s")
            self.bar.update(state.global_step - self.bar.n)

        def on_log(self, args: Any, state: Any, control: Any, logs: Any = None, **kwargs: Any) -> None:
            if logs and "loss" in logs and self.bar is not None:
                seconds = max(time.monotonic() - self.start_time, 1e-9)
                rate = (counter.tokens - self.start_tokens) / seconds
                self.bar.set_postfix_str(f"loss {logs['loss']:.3f}, {rate:.0f} tok/s")

        def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            if self.bar is not None:
                self.bar.close()

    return TokenProgress()


def stop_callback(step: int) -> Any:
    """Return a transformers callback that saves a checkpoint and ends training once ``step`` is reached."""
    from transformers import TrainerCallback

    class StopAt(TrainerCallback):
        def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            if state.global_step >= step:
                control.should_save = True
                control.should_training_stop = True

    return StopAt()
