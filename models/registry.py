"""Process-level registry of loaded GGUF models, and the provider the graph nodes ask for chat models.

Loading a GGUF is the expensive part, so each (file, settings, slot) is loaded once per process and
shared. Roles (planner, grounder, QA) get separate ``Llama`` contexts by default: a context keeps
the KV cache of its last prompt, so a planner and a grounder sharing one would evict each other's
prefix every turn. The weights themselves are memory-mapped, so separate contexts over one file
share them. ``LlamaModels(prefix_reuse=False)`` forgets the cache before every call instead (for
measuring what the reuse saves; ``benchmarks/agent_vs_llama.py``).
"""

import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

from langchain_core.language_models import BaseChatModel

from models.adapters import resolve_spec
from models.chat import ChatLlamaCpp, LoadedModel, PromptFormat
from models.server import ChatLlamaServer, is_server
from models.window import context_window

_LOADED: dict[tuple[str, str, int, int, str], LoadedModel] = {}
_LOADING = threading.Lock()


class ModelProvider(Protocol):
    """Turns a model spec (a preset name, a .gguf path, a llama-server URL) into a chat model for a role."""

    def chat(self, spec: str, *, role: str, prompt_format: PromptFormat, max_tokens: int) -> BaseChatModel:
        """Return a chat model for ``spec`` to be used in ``role``."""
        ...


def llama_settings(spec: str, *, n_ctx: int | None = None, n_threads: int | None = None) -> dict[str, Any]:
    """Return the ``llama_cpp.Llama`` keyword arguments every model of this project is loaded with.

    A ``base+adapter.gguf`` spec adds the LoRA adapter, checked against its base first. llama.cpp then
    reads the base into memory instead of mapping it (llama-cpp-python turns mmap off with an
    adapter), so each role's context holds its own copy of the base's weights. Without ``n_ctx`` the
    window is sized from the model and the machine (``models/window.py``).
    """
    # llama.cpp's default is half the cores; LUMOS_THREADS caps it when other work shares the machine
    threads = n_threads or int(os.environ.get("LUMOS_THREADS") or 0) or os.cpu_count() or 1
    base, lora = resolve_spec(spec)
    return ({"lora_path": str(lora)} if lora else {}) | {
        "model_path": str(base),
        "n_ctx": n_ctx or context_window(base),
        "n_threads": threads,
        "n_threads_batch": threads,
        "seed": 0,
        "verbose": bool(os.environ.get("LUMOS_LLAMA_VERBOSE")),
    }


def load(
    spec: str, *, n_ctx: int | None = None, n_threads: int | None = None, slot: str = "shared"
) -> LoadedModel:
    """Load (once per process) the GGUF named by ``spec`` into its own context for ``slot``."""
    settings = llama_settings(spec, n_ctx=n_ctx, n_threads=n_threads)
    path, n_ctx = Path(settings["model_path"]), settings["n_ctx"]
    key = (str(path.resolve()), settings.get("lora_path", ""), n_ctx, settings["n_threads"], slot)
    with _LOADING:
        if key not in _LOADED:
            from llama_cpp import Llama  # deferred: importing this module must stay free

            try:
                with _quiet_stderr(not settings["verbose"] and "lora_path" in settings):
                    llama: Any = Llama(**settings)
            except ValueError as err:  # llama.cpp says only "Failed to load model from file"
                raise ValueError(
                    f"llama.cpp could not load {path} ({err}). Its GGUF layout is well-formed, so the "
                    "model's architecture or a tensor type is likely one this llama.cpp build does not "
                    "support; run with LUMOS_LLAMA_VERBOSE=1 to see llama.cpp's own log"
                ) from err
            _LOADED[key] = LoadedModel(llama=llama, path=path, n_ctx=n_ctx)
        return _LOADED[key]


@contextmanager
def _quiet_stderr(quiet: bool) -> Iterator[None]:
    """Silence file descriptor 2 while llama.cpp applies an adapter.

    llama-cpp-python hushes llama.cpp's log while loading the base but not while it applies an
    adapter, which prints a fallback notice per adapted tensor (dozens of lines on every load).
    """
    if not quiet:
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as sink:
            os.dup2(sink.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def loaded_models() -> list[LoadedModel]:
    """Return the models loaded so far in this process."""
    return list(_LOADED.values())


class LlamaModels:
    """The default provider: GGUF files run in-process by llama.cpp, loaded on first use.

    A spec that is a URL names a running llama-server instead (``models/server.py``): nothing is
    loaded here, and calls to it are not serialised, so several runs share its slots at once.
    """

    def __init__(
        self,
        *,
        n_ctx: int | None = None,  # None: sized from each model and the machine (models/window.py)
        n_threads: int | None = None,
        separate_roles: bool = True,
        prefix_reuse: bool = True,
    ):
        self.n_ctx = n_ctx
        self.n_threads = n_threads
        self.separate_roles = separate_roles
        self.prefix_reuse = prefix_reuse

    def chat(self, spec: str, *, role: str, prompt_format: PromptFormat, max_tokens: int) -> BaseChatModel:
        """Return a greedy chat model over ``spec``, in its own context per role unless shared."""
        if is_server(spec):
            return ChatLlamaServer(url=spec, prompt_format=prompt_format, max_tokens=max_tokens)
        slot = role if self.separate_roles else "shared"
        model = load(spec, n_ctx=self.n_ctx, n_threads=self.n_threads, slot=slot)
        return ChatLlamaCpp(
            model=model, prompt_format=prompt_format, max_tokens=max_tokens, prefix_reuse=self.prefix_reuse
        )
