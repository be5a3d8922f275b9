"""Count the tokens a run's chat models read and wrote, through a LangChain callback handler.

Passed in the run config (``callbacks=[usage]``), the handler reaches every chat model invoked
inside the graph's nodes and tools, so no node needs to report its token counts.
"""

import threading
from typing import Any

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.outputs import LLMResult


class TokenUsage(BaseCallbackHandler):
    """Sum the prompt and generated tokens of every model call made under one run."""

    def __init__(self) -> None:
        self.prompt_tokens = 0
        self.generated_tokens = 0
        self.calls = 0
        self._lock = threading.Lock()

    def on_llm_end(self, response: LLMResult, **kwargs: Any) -> None:
        """Add the call's usage: ``usage_metadata`` on chat messages, else the provider's ``token_usage``."""
        prompt = generated = 0
        for generations in response.generations:
            for generation in generations:
                usage = getattr(getattr(generation, "message", None), "usage_metadata", None)
                if usage:
                    prompt += usage.get("input_tokens", 0)
                    generated += usage.get("output_tokens", 0)
        if not (prompt or generated) and response.llm_output:
            usage = response.llm_output.get("token_usage") or {}
            prompt, generated = usage.get("prompt_tokens", 0), usage.get("completion_tokens", 0)
        with self._lock:
            self.prompt_tokens += prompt
            self.generated_tokens += generated
            self.calls += 1
