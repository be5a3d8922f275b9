r"""The Lumos chat template (Tulu/open-instruct ``<|user|>``/``<|assistant|>``), in both renderings.

Lumos checkpoints were trained on one rendering and evaluated with another (lumos-reference §2.2,
§2.3); both are kept because each reproduces something real:

* ``train``: ``model/finetune.py::encode_with_messages_format``: BOS, every assistant turn closed by
  the model's EOS token and a newline; what the weights saw. That is ``</s>`` for Lumos's Llama-2
  checkpoints and the base's own EOS (``<|im_end|>`` for Qwen2.5) for modules trained here.
* ``eval``: ``eval/*/run_eval.py``: no BOS, earlier assistant turns followed by a blank line; what
  produced the paper's numbers.

Both end with ``<|assistant|>\n`` so the model writes the next assistant turn.
"""

from collections.abc import Sequence
from typing import Literal

LumosRendering = Literal["eval", "train"]
EOS = "</s>"


def render_lumos(turns: Sequence[tuple[str, str]], rendering: LumosRendering, eos: str = EOS) -> str:
    r"""Render user/assistant turns as a Lumos completion prompt ending in ``<|assistant|>\n``.

    ``eos`` is the model's end-of-sequence token text, which the train rendering closes turns with.
    """
    if turns and turns[0][0] == "system":
        raise ValueError("Lumos checkpoints were trained without a system prompt")
    if not turns or turns[-1][0] != "user":
        raise ValueError("a Lumos prompt must end with a user turn")
    close = f"{eos}\n" if rendering == "train" else "\n\n"
    text = ""
    for role, content in turns:
        if role == "user":
            text += "<|user|>\n" + content.strip() + "\n<|assistant|>\n"
        elif role == "assistant":
            text += content.strip() + close
        else:
            raise ValueError(f"unknown role {role!r} in a Lumos conversation")
    return text
