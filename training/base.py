"""The base model a module is trained from: weights and tokenizer for transformers, and where they came from.

A preset or a ``.gguf`` is dequantized to float by transformers (about a minute for the 0.5B on 2
cores); a Hugging Face folder loads as it is. The base's own EOS token closes every assistant turn
(``training.conversations``): an adapter cannot add a token to its base's vocabulary, and llama.cpp
stops when the module emits it. Needs the ``train`` extra; everything heavy is imported inside.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass
class Base:
    """A loaded base model, its tokenizer, and where it came from."""

    model: Any
    tokenizer: Any
    gguf: Path | None  # the GGUF it was read from, else None (a Hugging Face folder)
    name: str  # the preset name or file name, recorded in adapters
    bos_id: int | None  # prepended to every example when the model's tokenizer adds BOS
    eos_id: int  # the base model's end-of-sequence token, which closes assistant turns

    @property
    def eos(self) -> str:
        """Return the EOS token's text, as the train rendering spells it."""
        return str(self.tokenizer.convert_ids_to_tokens(self.eos_id))


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
        bos = tokenizer.bos_token_id if adds_bos else None
        return Base(training(model), tokenizer, None, folder.name, bos, int(eos))
    from models.presets import PRESETS, resolve

    path = resolve(spec)
    tokenizer = AutoTokenizer.from_pretrained(path.parent, gguf_file=path.name)
    model = AutoModelForCausalLM.from_pretrained(path.parent, gguf_file=path.name, dtype=torch.float32)
    # llama.cpp tokenizes with the GGUF's own flags, not with what transformers rebuilt from them
    adds_bos = bool(_gguf_field(path, "tokenizer.ggml.add_bos_token"))
    bos = _gguf_field(path, "tokenizer.ggml.bos_token_id")
    eos = _gguf_field(path, "tokenizer.ggml.eos_token_id")
    name = spec if spec in PRESETS else path.name
    return Base(
        training(model), tokenizer, path, name, int(bos) if adds_bos and bos is not None else None, int(eos)
    )


def training(model: Any) -> Any:
    """Return the model set up for training: no KV cache.

    Besides being useless in training, a cache makes transformers skip its packed-sequence check,
    and attention would then cross from one packed conversation into the next.
    """
    model.config.use_cache = False
    return model
