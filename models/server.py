"""A LangChain chat model over llama.cpp's own HTTP server (``llama-server``), for models served elsewhere.

A model spec that is a URL (``http://127.0.0.1:8080``) names a running ``llama-server``; every role
(planner, grounder, QA) may name its own. The nodes see the same interface as the in-process
backend (``models/chat.py``): the same prompt formats, stop strings, greedy or seeded sampled
decoding, a GBNF ``grammar=`` per call, token streaming, usage counts and the prefix-reuse figures.

* ``chat`` prompts go to the OpenAI-compatible ``/v1/chat/completions``, which renders the GGUF's
  own chat template; the ``lumos`` formats are rendered here, byte-exact, tokenized by the server
  (``/tokenize``, with BOS only for the training rendering, as in-process) and completed raw
  (``/completion``), so the model sees exactly the tokens the in-process backend would give it.
* Every request asks the server to keep its prompt cache (``cache_prompt``) and lets it pick the
  slot (``id_slot: -1``): llama-server gives a request the idle slot whose cached prompt shares the
  most with it, so a role's requests, which share their long prefix, keep landing where it is cached.
* A server that cannot be reached, does not answer in time or answers with an error is a
  ``ServerError`` (a ``ContextOverflowError`` when the prompt does not fit), never a hang: every
  request has a connect and a read timeout, and the read timeout is cut to the run's deadline.
"""

import json
import time
from collections.abc import Iterator, Sequence
from typing import Any

import httpx
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.messages.ai import UsageMetadata
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

from models.chat import ContextOverflowError, PromptFormat, to_turns
from models.deadline import remaining
from models.template import EOS, render_lumos

SCHEMES = ("http://", "https://")
CONNECT_TIMEOUT_S = 10.0
READ_TIMEOUT_S = 600.0  # one whole generation; the run's deadline cuts it shorter


class ServerError(RuntimeError):
    """llama-server could not be reached, timed out, or answered with an error."""


def is_server(spec: str) -> bool:
    """Return whether a model spec names a llama-server by its URL rather than a GGUF."""
    return spec.startswith(SCHEMES)


class ChatLlamaServer(BaseChatModel):
    """Chat model backed by a running llama-server, over HTTP."""

    url: str
    prompt_format: PromptFormat = "chat"
    temperature: float = 0.0  # greedy, as Lumos decodes
    max_tokens: int = 512
    seed: int = 0

    @property
    def _llm_type(self) -> str:
        return "llama-server"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"url": self.url, "prompt_format": self.prompt_format}

    def _timeout(self) -> httpx.Timeout:
        left = remaining()
        read = READ_TIMEOUT_S if left is None else max(1.0, min(READ_TIMEOUT_S, left))
        return httpx.Timeout(read, connect=CONNECT_TIMEOUT_S)

    def _post(self, client: httpx.Client, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = client.post(self.url.rstrip("/") + path, json=body)
        self._check(response)
        result: dict[str, Any] = response.json()
        return result

    def _eos(self, client: httpx.Client) -> str:
        """Return the served model's EOS token text (``/props``): the train rendering closes turns with it."""
        response = client.get(self.url.rstrip("/") + "/props")
        self._check(response)
        return str(response.json().get("eos_token") or EOS)

    def _check(self, response: httpx.Response) -> None:
        if response.status_code < 400:
            return
        response.read()
        try:
            error = response.json().get("error", {})
            message = error.get("message", "") if isinstance(error, dict) else str(error)
        except ValueError:
            message = response.text[:500]
        if "context" in message and ("exceed" in message or "size" in message):
            raise ContextOverflowError(f"llama-server at {self.url}: {message}")
        raise ServerError(f"llama-server at {self.url} answered {response.status_code}: {message}")

    def _request(self, client: httpx.Client, messages: Sequence[BaseMessage], stop: list[str] | None,
                 kwargs: dict[str, Any]) -> tuple[str, dict[str, Any]]:  # fmt: skip
        """Return the endpoint and body of one generation."""
        grammar = kwargs.pop("grammar", None)
        temperature = kwargs.pop("temperature", self.temperature)
        max_tokens = kwargs.pop("max_tokens", self.max_tokens)
        body: dict[str, Any] = {
            "temperature": temperature,
            "seed": kwargs.pop("seed", self.seed),
            "stop": stop or [],
            "cache_prompt": True,
            "id_slot": -1,
        }
        if temperature == 0:
            body["top_k"] = 1  # greedy, whatever the server's sampler defaults
        if grammar is not None:
            body["grammar"] = grammar
        if self.prompt_format == "chat":
            chat = [{"role": role, "content": text} for role, text in to_turns(messages)]
            return "/v1/chat/completions", body | {"messages": chat, "max_tokens": max_tokens}
        train = self.prompt_format == "lumos-train"
        eos = self._eos(client) if train else EOS
        text = render_lumos(to_turns(messages), "train" if train else "eval", eos)
        # train: BOS and the model's EOS token; eval: Lumos tokenized without special tokens
        tokens = self._post(
            client, "/tokenize", {"content": text, "add_special": train, "parse_special": True}
        )
        return "/completion", body | {"prompt": tokens["tokens"], "n_predict": max_tokens}

    def _client(self) -> httpx.Client:
        return httpx.Client(timeout=self._timeout())

    def _failed(self, err: httpx.HTTPError) -> ServerError:
        if isinstance(err, httpx.TimeoutException):
            return ServerError(f"llama-server at {self.url} did not answer in time ({type(err).__name__})")
        return ServerError(f"cannot reach llama-server at {self.url}: {err}")

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        start = time.perf_counter()
        try:
            with self._client() as client:
                path, body = self._request(client, messages, stop, kwargs)
                out = self._post(client, path, body)
        except httpx.HTTPError as err:
            raise self._failed(err) from err
        message = AIMessage(
            content=_text(out, self.prompt_format == "chat"),
            usage_metadata=_usage(out),
            response_metadata=_stats(out, time.perf_counter() - start) | {"url": self.url},
        )
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        start, chat = time.perf_counter(), self.prompt_format == "chat"
        try:
            with self._client() as client:
                path, body = self._request(client, messages, stop, kwargs)
                body["stream"] = True
                with client.stream("POST", self.url.rstrip("/") + path, json=body) as response:
                    self._check(response)
                    for line in response.iter_lines():
                        if not line.startswith("data: ") or line == "data: [DONE]":
                            continue
                        part = json.loads(line.removeprefix("data: "))
                        piece, finish = _piece(part, chat)
                        if piece or finish:
                            metadata: dict[str, Any] = {"finish_reason": finish} if finish else {}
                            if finish:
                                metadata |= _stats(part, time.perf_counter() - start)
                            yield ChatGenerationChunk(
                                message=AIMessageChunk(content=piece, response_metadata=metadata)
                            )
        except httpx.HTTPError as err:
            raise self._failed(err) from err


def _text(out: dict[str, Any], chat: bool) -> str:
    if chat:
        return str(out["choices"][0]["message"].get("content") or "")
    return str(out.get("content") or "")


def _piece(part: dict[str, Any], chat: bool) -> tuple[str, str | None]:
    """Return a streamed chunk's text and, on the last one, why generation stopped."""
    if chat:
        choice = (part.get("choices") or [{}])[0]
        return (choice.get("delta") or {}).get("content") or "", choice.get("finish_reason")
    finish = (part.get("stop_type") or "stop") if part.get("stop") else None
    return part.get("content") or "", finish


def _usage(out: dict[str, Any]) -> UsageMetadata:
    usage = out.get("usage") or {}
    prompt = usage.get("prompt_tokens", out.get("tokens_evaluated", 0))
    generated = usage.get("completion_tokens", out.get("tokens_predicted", 0))
    return UsageMetadata(input_tokens=prompt, output_tokens=generated, total_tokens=prompt + generated)


def _stats(out: dict[str, Any], seconds: float) -> dict[str, Any]:
    """Return the prefix-reuse and timing figures the server reports, as the in-process backend names them."""
    timings = out.get("timings") or {}
    finish = out.get("choices", [{}])[0].get("finish_reason") if "choices" in out else out.get("stop_type")
    return {
        "finish_reason": finish,
        "prompt_tokens_evaluated": timings.get("prompt_n", 0),
        "prompt_tokens_reused": timings.get("cache_n", 0),
        "prefill_seconds": timings.get("prompt_ms", 0.0) / 1000,
        "model_seconds": seconds,
    }
