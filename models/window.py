"""How many tokens a model's context window holds: sized from the model and the machine, not fixed.

A window costs memory, not time: llama.cpp allocates the key/value cache for the whole window when
a model loads, while prefill and decoding only touch the positions a prompt fills. So the window
is as large as the model was trained for, capped where its cache would take more than a share of
the memory this machine has free, and at ``MAX_AUTO_WINDOW`` (a prompt that long would take minutes
to read on a CPU). ``LUMOS_CTX`` sets it outright.
"""

import os
from pathlib import Path

from models.gguf_check import Layout, check_gguf

MAX_AUTO_WINDOW = 16384
MIN_WINDOW = 2048
MEMORY_SHARE = 8  # one role's cache may take 1/8 of the free memory (two roles, a browser, the rest)
FALLBACK_WINDOW = 4096  # a file whose metadata does not say (no context length or attention shape)


def available_memory() -> int:
    """Return the bytes of memory this machine has free for new allocations."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")


def _number(layout: Layout, suffix: str) -> int | None:
    """Return the integer metadata whose key ends with ``suffix`` (keys are prefixed by architecture)."""
    return next((value for key, value in layout.numbers.items() if key.endswith(suffix)), None)


def cache_bytes_per_token(layout: Layout) -> int | None:
    """Return the f16 key/value cache bytes one token takes, or None when the metadata does not say."""
    blocks, width = _number(layout, ".block_count"), _number(layout, ".embedding_length")
    heads, kv_heads = _number(layout, ".attention.head_count"), _number(layout, ".attention.head_count_kv")
    if not (blocks and width and heads):
        return None
    return 2 * blocks * (kv_heads or heads) * (width // heads) * 2  # keys and values, 2 bytes each


def trained_context(layout: Layout) -> int | None:
    """Return the context length the model was trained for, as its GGUF metadata says."""
    return _number(layout, ".context_length")


def context_window(path: str | Path, *, free_bytes: int | None = None) -> int:
    """Return the window to load a model with: ``LUMOS_CTX``, else sized from the model and memory."""
    if given := os.environ.get("LUMOS_CTX"):
        try:
            return max(256, int(given))
        except ValueError:
            raise ValueError(f"LUMOS_CTX must be a number of tokens, not {given!r}") from None
    layout = check_gguf(path)
    trained, per_token = trained_context(layout), cache_bytes_per_token(layout)
    if not trained or not per_token:
        return FALLBACK_WINDOW
    free = available_memory() if free_bytes is None else free_bytes
    fits = free // MEMORY_SHARE // per_token
    window = min(trained, MAX_AUTO_WINDOW, fits)
    return max(MIN_WINDOW, window // 256 * 256)
