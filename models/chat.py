"""A LangChain chat model over an in-process ``llama_cpp.Llama`` (GGUF weights).

Two prompt formats: ``chat`` uses the GGUF's own chat template (general instruct models);
``lumos-eval``/``lumos-train`` render the Lumos ``<|user|>``/``<|assistant|>`` completion prompt
byte-exact (fine-tuned Lumos checkpoints). Decoding is greedy unless a temperature is set.

A ``grammar=`` call option (a GBNF string) constrains decoding: greedy calls check the greedy
candidates only (``models/greedy_grammar.py``), sampled calls use llama.cpp's grammar sampler,
which checks the whole vocabulary at every token. Every reply reports, besides the
token ``usage_metadata``, how much of its prompt llama.cpp actually evaluated: a context keeps the
KV cache of its last prompt and only evaluates the part after the longest common prefix.
"""

import math
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Literal

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.messages.ai import UsageMetadata
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import ConfigDict

from models.deadline import remaining
from models.greedy_grammar import GreedyGrammar, InvalidGrammarError
from models.template import LumosRendering, render_lumos

PromptFormat = Literal["chat", "lumos-eval", "lumos-train"]
_ROLES = {"human": "user", "ai": "assistant", "system": "system"}


class ContextOverflowError(ValueError):
    """The prompt does not fit in the model's context window."""


class LoadedModel:
    """A loaded ``Llama`` and the lock that serialises every call to it (it is not thread-safe).

    ``evals`` records ``(tokens, n_past, seconds)`` for each ``Llama.eval`` of the call in progress:
    ``Llama.generate`` evaluates the prompt's uncached suffix first, then one token per step, so the
    first entry is the call's prefill and its ``n_past`` the prefix it reused.
    """

    def __init__(self, llama: Any, path: Path, n_ctx: int) -> None:
        self.llama = llama
        self.path = path
        self.n_ctx = n_ctx
        self.lock = threading.Lock()
        self.evals: list[tuple[int, int, float]] = []
        self._grammars: dict[str, Any] = {}
        evaluate = llama.eval

        def counted_eval(tokens: Sequence[int]) -> None:
            n_past, start = llama.n_tokens, time.perf_counter()
            evaluate(tokens)
            self.evals.append((len(tokens), n_past, time.perf_counter() - start))

        llama.eval = counted_eval

    def grammar(self, gbnf: str) -> Any:
        """Return a ``LlamaGrammar`` for ``gbnf`` (cached), after checking that llama.cpp parses it.

        llama.cpp builds the grammar sampler on every call and would crash on a grammar it cannot
        parse, so each new grammar is compiled once against the vocabulary first.
        """
        if gbnf not in self._grammars:
            import llama_cpp

            sampler = llama_cpp.llama_sampler_init_grammar(self.llama._model.vocab, gbnf.encode(), b"root")
            if not sampler:
                raise InvalidGrammarError(f"llama.cpp cannot parse the grammar:\n{gbnf}")
            llama_cpp.llama_sampler_free(sampler)
            self._grammars[gbnf] = llama_cpp.LlamaGrammar.from_string(gbnf, verbose=False)
        return self._grammars[gbnf]

    def call_stats(self, seconds: float) -> dict[str, Any]:
        """Return the prefix-reuse and timing figures of the call that just ran (``evals``)."""
        prefill, reused, prefill_seconds = self.evals[0] if self.evals else (0, 0, 0.0)
        return {
            "prompt_tokens_evaluated": prefill,  # prefill: the prompt minus the reused KV prefix
            "prompt_tokens_reused": reused,
            "prefill_seconds": prefill_seconds,
            "model_seconds": seconds,  # the whole call under the lock: render, prefill, decode
        }


class DeadlineStop:
    """A logits processor that leaves only end-of-text possible once the deadline has passed."""

    def __init__(self, at: float, eos: int) -> None:
        self.at, self.eos = at, eos

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        """Return the scores, all but end-of-text's set to -inf once past the deadline."""
        if time.monotonic() >= self.at:
            keep = scores[self.eos]
            scores[:] = -math.inf
            scores[self.eos] = max(keep, 0.0)
        return scores


def to_turns(messages: Sequence[BaseMessage]) -> list[tuple[str, str]]:
    """Return ``(role, text)`` pairs for LangChain messages."""
    turns = []
    for message in messages:
        if message.type not in _ROLES:
            raise ValueError(f"unsupported message type {message.type!r} for a llama.cpp model")
        turns.append((_ROLES[message.type], str(message.text)))
    return turns


class ChatLlamaCpp(BaseChatModel):
    """Chat model backed by a shared, locked ``llama_cpp.Llama``."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    model: LoadedModel
    prompt_format: PromptFormat = "chat"
    temperature: float = 0.0  # greedy, as Lumos decodes
    max_tokens: int = 512
    seed: int = 0
    prefix_reuse: bool = True  # False: forget the context's KV cache before each call (benchmarks)

    @property
    def _llm_type(self) -> str:
        return "llama-cpp-local"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_path": str(self.model.path), "prompt_format": self.prompt_format}

    def _sampling(self, stop: list[str] | None, kwargs: dict[str, Any]) -> dict[str, Any]:
        grammar = kwargs.pop("grammar", None)
        params: dict[str, Any] = {
            "max_tokens": kwargs.pop("max_tokens", self.max_tokens),
            "temperature": kwargs.pop("temperature", self.temperature),
            "seed": kwargs.pop("seed", self.seed),
            "stop": stop or [],
        }
        if params["temperature"] == 0:
            params["top_k"] = 1  # make greedy explicit, whatever the sampler defaults
        params.update(kwargs)
        processors: list[Any] = []
        if isinstance(grammar, str) and params["temperature"] == 0:
            processors.append(GreedyGrammar(self.model.llama, grammar))
        elif grammar is not None:
            params["grammar"] = self.model.grammar(grammar) if isinstance(grammar, str) else grammar
        # The run's wall-clock budget: past it, only end-of-text can be generated. Not under
        # llama.cpp's grammar sampler, which may refuse that token; those calls end at max_tokens.
        if (left := remaining()) is not None and "grammar" not in params:
            processors.append(DeadlineStop(time.monotonic() + left, self.model.llama.token_eos()))
        if processors:
            params["logits_processor"] = processors
        return params

    def _lumos_tokens(self, messages: Sequence[BaseMessage]) -> list[int]:
        rendering: LumosRendering = "train" if self.prompt_format == "lumos-train" else "eval"
        llama = self.model.llama
        eos = llama.detokenize([llama.token_eos()], special=True).decode(errors="replace")
        text = render_lumos(to_turns(messages), rendering, eos)
        # train: BOS and the model's EOS token; eval: Lumos tokenized without special tokens
        return list(self.model.llama.tokenize(text.encode(), add_bos=rendering == "train", special=True))

    def _check_fits(self, n_prompt: int) -> None:
        if n_prompt >= self.model.n_ctx:
            raise ContextOverflowError(
                f"the prompt has {n_prompt} tokens but the model's context window is {self.model.n_ctx}"
            )

    def _call(self, messages: Sequence[BaseMessage], params: dict[str, Any], stream: bool) -> Any:
        llama = self.model.llama
        self.model.evals.clear()
        if not self.prefix_reuse:
            llama.reset()  # n_tokens = 0: nothing of the previous prompt is reused
        try:
            if self.prompt_format == "chat":
                chat = [{"role": role, "content": text} for role, text in to_turns(messages)]
                return llama.create_chat_completion(messages=chat, stream=stream, **params)
            tokens = self._lumos_tokens(messages)
            self._check_fits(len(tokens))
            return llama.create_completion(prompt=tokens, stream=stream, **params)
        except ValueError as err:
            if "exceed context window" in str(err):
                raise ContextOverflowError(str(err)) from err
            raise

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        params = self._sampling(stop, kwargs)
        with self.model.lock:
            start = time.perf_counter()
            out = self._call(messages, params, stream=False)
            stats = self.model.call_stats(time.perf_counter() - start)
        choice = out["choices"][0]
        text = choice["message"]["content"] if self.prompt_format == "chat" else choice["text"]
        usage = out.get("usage") or {}
        message = AIMessage(
            content=text or "",
            usage_metadata=UsageMetadata(
                input_tokens=usage.get("prompt_tokens", 0),
                output_tokens=usage.get("completion_tokens", 0),
                total_tokens=usage.get("total_tokens", 0),
            ),
            response_metadata={
                "finish_reason": choice.get("finish_reason"),
                "model_path": str(self.model.path),
                **stats,
            },
        )
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        params = self._sampling(stop, kwargs)
        with self.model.lock:  # held for the whole generation: the KV cache is shared state
            start = time.perf_counter()
            for part in self._call(messages, params, stream=True):
                choice = part["choices"][0]
                if self.prompt_format == "chat":
                    piece = (choice.get("delta") or {}).get("content") or ""
                else:
                    piece = choice.get("text") or ""
                finish = choice.get("finish_reason")
                if piece or finish:
                    metadata: dict[str, Any] = {"finish_reason": finish} if finish else {}
                    if finish:
                        metadata |= self.model.call_stats(time.perf_counter() - start)
                    yield ChatGenerationChunk(
                        message=AIMessageChunk(content=piece, response_metadata=metadata)
                    )
