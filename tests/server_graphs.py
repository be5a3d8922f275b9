"""Both Lumos graphs over rule-based fake models, served next to the real ones in tests/test_server.py.

The server runs each graph many times, so the fakes answer from the conversation instead of from a
script: the planner plans "half of 48, then the total" and the grounder writes the matching actions.
Real tools execute them. The real graphs on real weights are tested over the server too (gguf).
"""

import re
from collections.abc import Callable
from typing import Any

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult

from graphs import agent as lumos_agent
from graphs import iterative as lumos_iterative
from graphs import onetime as lumos_onetime

FEEDBACK = re.compile(r"The executed result for Subgoal (\d+) is")


class RuleChatModel(GenericFakeChatModel):
    """A fake chat model whose reply is a function of the prompt; streams word by word."""

    rule: Callable[[list[BaseMessage]], str]

    def _generate(self, messages, stop=None, run_manager=None, **kwargs: Any) -> ChatResult:  # type: ignore[override]
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=self.rule(list(messages))))])


def plan_iterative(messages: list[BaseMessage]) -> str:
    done = FEEDBACK.search(messages[-1].text)
    if done is None:
        return "Subgoal 1: Half of 48."
    return (
        "No, I will keep planning. Subgoal 2: Total."
        if done.group(1) == "1"
        else "Yes, I will stop planning."
    )


def ground_iterative(messages: list[BaseMessage]) -> str:
    return "R2 = Calculator(48 + R1)" if "Subgoal 2" in messages[-1].text else "R1 = Calculator(48 / 2)"


def ground_web(messages: list[BaseMessage]) -> str:
    """Click the page's text field, found in the page the task shows (the server framed it)."""
    refs = re.findall(r"\[(\d+)\] input_text", " ".join(m.text for m in messages))
    return f"R1 = CLICK({refs[-1]})"


RULES = {
    "iterative": {"planner": plan_iterative, "grounder": ground_iterative},
    "onetime": {
        "planner": lambda messages: "Subgoal 1: Half of 48. Subgoal 2: Total.",
        "grounder": lambda messages: "R1 = Calculator(48 / 2); R2 = Calculator(48 + R1)",
        # the step-by-step solution that effort "best" plans under (nodes/reason.py)
        "reasoner": lambda messages: "Half of 48 is 48 / 2 = 24.\nIn all 48 + 24 = 72.\nThe answer is 72.",
    },
    "web": {
        "planner": lambda messages: "Subgoal 1: Focus into the textbox.",
        "grounder": ground_web,
    },
}


class RuleModels:
    """A ModelProvider of rule-based fakes for one formulation."""

    def __init__(self, formulation: str):
        self.rules = RULES[formulation]

    def chat(self, spec: str, *, role: str, prompt_format: str, max_tokens: int) -> RuleChatModel:
        return RuleChatModel(messages=iter(()), rule=self.rules[role])


iterative = lumos_iterative.build(models=RuleModels("iterative")).compile(name="scripted-iterative")
onetime = lumos_onetime.build(models=RuleModels("onetime")).compile(name="scripted-onetime")
web = lumos_iterative.build(models=RuleModels("web")).compile(name="scripted-web")
agent = lumos_agent.build(models=RuleModels("onetime")).compile(name="scripted-agent")  # fast: Lumos-O
