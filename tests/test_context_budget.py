"""The context budget: windows sized from the model and memory, prompts trimmed to fit, pages compacted."""

import pytest
from fakes import RecordingChatModel, scripted

from domains import web as web_domain
from models import window
from models.chat import ContextOverflowError
from models.gguf_check import check_gguf
from nodes import conversations, history
from nodes.calls import ModelCallError, Request, ask
from nodes.context import Context


class WindowedModel(RecordingChatModel):
    """A scripted model that refuses prompts of more than ``limit`` messages, as a full window would."""

    limit: int = 0

    def _generate(self, messages, stop=None, run_manager=None, **kwargs):  # type: ignore[override]
        if len(messages) > self.limit:
            raise ContextOverflowError(f"{len(messages)} messages exceed the window of {self.limit}")
        return super()._generate(messages, stop, run_manager, **kwargs)


class OneModel:
    def __init__(self, model: RecordingChatModel) -> None:
        self.model = model

    def chat(self, spec: str, *, role: str, prompt_format: str, max_tokens: int) -> RecordingChatModel:
        return self.model


EXAMPLES = [
    ("user", "Task: first example"),
    ("assistant", "Subgoal 1: a"),
    ("user", "The executed result for Subgoal 1 is 1. Should we stop planning?"),
    ("assistant", "Yes, I will stop planning."),
    ("user", "Task: second example"),
    ("assistant", "Subgoal 1: b"),
]
REQUEST = Request("planner", "spec", [("user", "Task: the run's own task")], "system", EXAMPLES)


def test_a_prompt_that_does_not_fit_drops_whole_worked_examples_first_ones_first():
    model = WindowedModel(messages=iter(scripted("Subgoal 1: go.").messages), limit=4)
    assert ask(OneModel(model), Context(), REQUEST) == "Subgoal 1: go."
    sent = [m.content for m in model.prompts[-1]]
    assert sent == ["system", "Task: second example", "Subgoal 1: b", "Task: the run's own task"]


def test_a_prompt_too_long_even_without_examples_is_refused_saying_so():
    model = WindowedModel(messages=iter(scripted("never").messages), limit=1)
    with pytest.raises(
        ModelCallError, match="planner prompt does not fit: 2 messages exceed the window of 1"
    ):
        ask(OneModel(model), Context(), REQUEST)


@pytest.mark.gguf
def test_the_window_is_the_trained_context_within_memory_and_lumos_ctx_overrides(smollm2_path, monkeypatch):
    monkeypatch.delenv("LUMOS_CTX", raising=False)
    layout = check_gguf(smollm2_path)
    per_token = window.cache_bytes_per_token(layout)
    assert window.trained_context(layout) == 8192 and per_token
    assert window.context_window(smollm2_path, free_bytes=10**12) == 8192  # the trained context
    fits = window.context_window(smollm2_path, free_bytes=3000 * per_token * window.MEMORY_SHARE)
    assert fits == 2816  # what the cache's share of memory holds, in whole 256-token blocks
    assert window.context_window(smollm2_path, free_bytes=0) == window.MIN_WINDOW
    monkeypatch.setenv("LUMOS_CTX", "1024")
    assert window.context_window(smollm2_path) == 1024
    monkeypatch.setenv("LUMOS_CTX", "lots")
    with pytest.raises(ValueError, match="LUMOS_CTX must be a number of tokens"):
        window.context_window(smollm2_path)


def test_earlier_pages_are_shown_as_what_changed_and_only_the_newest_in_full():
    first = 'Log in.\nThe page:\n[7] input_text id=username\n[11] button "Login"'
    typed = 'The page:\n[7] input_text id=username value="ada" (focused)\n[11] button "Login"'
    dialog = 'The page:\n[7] input_text id=username value="ada"\n[12] div "Welcome"'
    shown = history.compact_results(first, [typed, "Error: no element 9", dialog], web_domain.changes)
    assert (
        shown[0] == 'What changed on the page: 1 changed: [7] input_text id=username value="ada" (focused).'
    )
    assert shown[1] == "Error: no element 9"
    assert shown[2] == (
        'What changed on the page: 1 changed: [7] input_text id=username value="ada". '
        '1 new: [12] div "Welcome". 1 gone: [11].\n' + dialog
    )
    assert history.compact_results(first, [typed], None) == [typed]  # a domain that keeps them whole
    assert web_domain.changes(typed, typed) == "What changed on the page: nothing."


def test_worked_examples_show_every_step_as_a_runs_newest_with_what_the_episode_says():
    demo = next(ex for ex in web_domain.WEB if ex.get("environment"))  # a MiniWoB++ training episode
    skill = web_domain.WEB[0]  # a page of the project's own: it says nothing of being done
    shown_demo, shown_skill = history.compacted([demo, skill], web_domain.changes, web_domain.unfinished)
    for index, result in enumerate(shown_demo["results"]):
        assert result.startswith("What changed on the page: ") or result.startswith("The episode ended")
        if not demo["results"][index].startswith("The episode ended"):
            assert result.endswith(
                demo["results"][index] + "\nThe episode is still open: the task is not done yet."
            )
    assert all(r.endswith(full) for r, full in zip(shown_skill["results"], skill["results"], strict=True))


def test_a_grounding_turn_on_a_live_page_restates_only_the_page_it_acts_on():
    turns = conversations.ground_conversation(
        "Log in.",
        ["Type the name.", "Type the password.", "Press login."],
        ["R1 = TYPE(7, ada)", "R2 = TYPE(9, pw)"],
        domain="web_agent",
        formulation="iterative",
        rendering="eval",
        terse=True,
        results=["The page: first", "The page: second"],
        show_results=True,
        latest_only=True,
    )
    assert turns[-1][1].endswith(" The execution result for Subgoal 2 is The page: second")
    assert "The page: first" not in turns[-1][1] and "The page: first" in turns[2][1]
