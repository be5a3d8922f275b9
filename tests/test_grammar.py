"""Grammars for constrained decoding: they admit the exemplars and only lines the protocol parses."""

import ctypes
import random

import pytest
from fakes import ScriptedModels, scripted
from gbnf import Grammar
from langchain_core.messages import HumanMessage

from graphs import iterative, onetime
from models import registry
from models.chat import ChatLlamaCpp
from nodes import grammar, protocol
from nodes.context import Context
from nodes.exemplars import EXEMPLARS
from tools import action_names, toolboxes

ACTIONS = {domain: action_names(box) for domain, box in toolboxes().items()}
MATHS = ACTIONS["maths"]


def exemplar_groundings():
    for domain, annotations in EXEMPLARS.items():
        for ex in annotations:
            for line in ex["actions"]:
                yield domain, line
            yield domain, "; ".join(ex["actions"])  # Lumos-O grounds the whole plan on one line


# --- valid lines, drawn at random ----------------------------------------------------------------

_ARG_CHARS = "abcxyz0123456789 +-*/^.,:;=<>?'\"%$#!&_R"
_FORMULA_CHARS = "0123456789 +-*/^.,%<>=!$"


def random_args(
    rng: random.Random, depth: int = 0, *, chars: str = _ARG_CHARS, brackets: str = "()[]{}", least: int = 0
) -> str:
    """Random text of ``chars``, variables and nested ``brackets`` pairs (at least ``least`` parts)."""
    parts = []
    for _ in range(rng.randint(least, 4)):
        roll = rng.random()
        if roll < 0.15 and depth < 3:
            pair = rng.randrange(0, len(brackets), 2)
            inner = random_args(rng, depth + 1, chars=chars, brackets=brackets, least=least)
            parts.append(brackets[pair] + inner + brackets[pair + 1])
        elif roll < 0.3:
            parts.append(f"R{rng.randint(1, 12)}")
        else:
            parts.append("".join(rng.choice(chars) for _ in range(rng.randint(1, 6))))
    return "".join(parts)


def random_formula(rng: random.Random) -> str:
    """A random Calculator formula: what the tool evaluates, never empty."""
    return random_args(rng, chars=_FORMULA_CHARS, brackets="()", least=1)


def random_action(rng: random.Random, names: list[str]) -> tuple[str, str]:
    outputs = ", ".join(f"R{rng.randint(1, 30)}" for _ in range(rng.choice([1, 1, 1, 2, 3])))
    if rng.random() < 0.1:
        outputs = protocol.OUTPUT
    if rng.random() < 0.1:
        return f"{outputs} = R{rng.randint(1, 30)}", ""
    name = rng.choice(names)
    args = random_formula(rng) if name == protocol.CALCULATOR else random_args(rng)
    return f"{outputs} = {name}({args})", name


def random_grounding(rng: random.Random, names: list[str]) -> tuple[str, list[str]]:
    actions = [random_action(rng, names) for _ in range(rng.randint(1, 5))]
    return "; ".join(text for text, _ in actions), [name for _, name in actions]


FUZZ = [random_grounding(random.Random(seed), sorted(MATHS)) for seed in range(300)]


# --- pure-Python checks (no model) ----------------------------------------------------------------


@pytest.mark.parametrize(("domain", "line"), list(exemplar_groundings()))
def test_ground_grammar_accepts_every_exemplar_line(domain, line):
    assert Grammar(grammar.ground(ACTIONS[domain])).accepts(line)


@pytest.mark.parametrize(("line", "names"), FUZZ[:100])
def test_ground_grammar_accepts_valid_lines_and_they_parse_to_the_same_actions(line, names):
    assert Grammar(grammar.ground(MATHS)).accepts(line)
    assert Grammar(grammar.ground(MATHS)).accepts(line + "\n")
    assert [a["name"] for a in protocol.parse_actions(line)] == names


def test_ground_grammar_accepts_rendered_actions():
    for line, _ in FUZZ:
        actions = protocol.parse_actions(line)
        assert Grammar(grammar.ground(MATHS)).accepts(protocol.render_actions(actions))


@pytest.mark.parametrize(
    "line",
    [
        "R1 = Multiply(3, 4)",  # not in the maths action set
        "R1 = KnowledgeQuery(Jaws)",  # another domain's action
        "R1 = Calculator(2 + (3)",  # unbalanced
        "R1 = Calculator([2 + 3)]",  # crossed brackets split wrongly on `;`
        "R1 = Code(2)*3",  # text after a call other than Calculator
        "R1 = Calculator(2) then 3",
        "R1 = Calculator(60 mph * 3 hours)",  # words: the Calculator would fail on them
        "R1 = Calculator(outer_length - 2)",
        "R1 = Calculator()",
        "R1 = Calculator(2 × 3)",  # the tool reads x and ÷, but the grammar keeps to ASCII operators
        "R1 = Calculator(2\n+ 3)",  # newline inside the arguments
        "R1 = Calculator(2)\n\n",
        "R1 = Calculator(2);R2 = R1",  # separator is `; `
        "R1=Calculator(2)",
        "R0 = Calculator(2)",
        "X = Calculator(2)",
        "Sure! R1 = Calculator(2)",
        "```R1 = Calculator(2)```",
        "",
    ],
)
def test_ground_grammar_rejects_what_the_grounder_must_not_write(line):
    assert not Grammar(grammar.ground(MATHS)).accepts(line)


def test_every_string_the_ground_grammar_derives_parses():
    """Soundness over the grammar's own language: derive random strings from it and parse them."""
    gbnf = Grammar(grammar.ground(ACTIONS["complex_qa"]))
    rng = random.Random(7)
    for _ in range(300):
        line = gbnf.sample(rng)
        actions = protocol.parse_actions(line)
        assert {a["name"] for a in actions} <= ACTIONS["complex_qa"] | {""}


def test_every_string_the_plan_grammars_derive_parses():
    rng = random.Random(11)
    for _ in range(200):
        text = Grammar(grammar.plan_onetime(8)).sample(rng)
        assert 1 <= len(protocol.parse_subgoals(text)) <= 8
        k = rng.randint(1, 8)
        text = Grammar(grammar.plan_iterative(k)).sample(rng)
        assert protocol.is_stop(text) or protocol.parse_subgoals(" ".join(text.split())) != []


@pytest.mark.parametrize("annotation", [ex for exs in EXEMPLARS.values() for ex in exs])
def test_plan_grammars_accept_every_exemplar_plan(annotation):
    subgoals = annotation["subgoals"]
    assert Grammar(grammar.plan_onetime(8)).accepts(protocol.render_plan(subgoals))
    assert not Grammar(grammar.plan_onetime(len(subgoals) - 1 or 1)).accepts(
        protocol.render_plan([*subgoals, "One more."])
    )
    for k, subgoal in enumerate(subgoals, start=1):
        assert Grammar(grammar.plan_iterative(k)).accepts(protocol.render_subgoal(k, subgoal))
        assert not Grammar(grammar.plan_iterative(k + 1)).accepts(protocol.render_subgoal(k, subgoal))
    assert Grammar(grammar.plan_iterative(len(subgoals) + 1)).accepts(protocol.STOP_LINE)


def test_first_planner_turn_cannot_stop():
    assert not Grammar(grammar.plan_iterative(1)).accepts(protocol.STOP_LINE)
    assert not Grammar(grammar.plan_iterative(2)).accepts(protocol.KEEP_PLANNING + " Subgoal 2: Add.")
    assert not Grammar(grammar.plan_onetime(3)).accepts("Subgoal 1: a; Subgoal 3: b")
    assert not Grammar(grammar.plan_onetime(3)).accepts("Subgoal 1: a\nSubgoal 2: b")


def test_only_the_instruct_profile_is_constrained():
    assert grammar.is_constrained(Context(constrained=True))
    assert not grammar.is_constrained(Context(constrained=True, profile="lumos"))
    assert grammar.is_constrained(Context())  # on by default: no worse on the GSM8K dev slice
    assert not grammar.is_constrained(Context(constrained=False))


def test_literals_escape_quotes_backslashes_and_newlines():
    assert grammar.literal('a "b" \\ c\n') == '"a \\"b\\" \\\\ c\\n"'
    quoted = grammar.literal('a "b" c')
    assert Grammar("root ::= " + quoted).accepts('a "b" c')


@pytest.mark.parametrize(("module", "plans"), [(iterative, 3), (onetime, 1)])
def test_nodes_pass_grammars_only_when_constrained(module, plans):
    task = "Natalia sold 48 clips in April and half as many in May. How many in total?"
    tools = {"maths": {"Calculator": lambda a: str(int(eval(a, {"__builtins__": {}})))}}
    replies = ["Subgoal 1: Half.", "Subgoal 2: Total.", protocol.STOP_LINE][:plans]
    if module is onetime:
        replies = ["Subgoal 1: Half.; Subgoal 2: Total."]
    groundings = ["R1 = Calculator(48 / 2)", "R2 = Calculator(48 + R1)"]
    if module is onetime:
        groundings = ["; ".join(groundings)]
    for constrained, profile in [(True, "instruct"), (False, "instruct"), (True, "lumos")]:
        planner, grounder = scripted(*replies), scripted(*groundings)
        graph = module.build(models=ScriptedModels(planner, grounder), tools=tools).compile()
        state = graph.invoke({"task": task}, context=Context(constrained=constrained, profile=profile))
        assert state["answer"] == "72"
        if constrained and profile == "instruct":
            expected = (
                [grammar.plan_iterative(k) for k in (1, 2, 3)]
                if module is iterative
                else [grammar.plan_onetime(8)]
            )
            assert [call["grammar"] for call in planner.calls] == expected
            assert {call["grammar"] for call in grounder.calls} == {grammar.ground({"Calculator"})}
        else:
            assert all("grammar" not in call for call in planner.calls + grounder.calls)


# --- llama.cpp's own grammar engine, on the smallest real model -----------------------------------


def llama_accepts(llama, gbnf: str, text: str) -> bool:
    """Return whether llama.cpp's grammar sampler lets ``text``'s tokens through, then end-of-text."""
    import llama_cpp

    sampler = llama_cpp.llama_sampler_init_grammar(llama._model.vocab, gbnf.encode(), b"root")
    assert sampler, "llama.cpp could not parse the grammar"
    try:

        def allowed(token: int) -> bool:
            data = (llama_cpp.llama_token_data * 1)(llama_cpp.llama_token_data(token, 0.0, 0.0))
            array = llama_cpp.llama_token_data_array(
                data=ctypes.cast(data, llama_cpp.llama_token_data_p), size=1, selected=-1, sorted=False
            )
            llama_cpp.llama_sampler_apply(sampler, ctypes.byref(array))
            return data[0].logit != float("-inf")

        for token in llama.tokenize(text.encode(), add_bos=False, special=False):
            if not allowed(token):
                return False
            llama_cpp.llama_sampler_accept(sampler, token)  # only after `allowed`: a rejected token aborts
        return allowed(llama.token_eos())
    finally:
        llama_cpp.llama_sampler_free(sampler)


@pytest.fixture(scope="module")
def small(smollm2_path):
    return registry.load(str(smollm2_path), n_ctx=2048, slot="test-grammar")


@pytest.mark.gguf
def test_llama_cpp_agrees_with_the_python_matcher(small):
    cases = [(domain, line) for domain, line in exemplar_groundings()]
    cases += [("maths", line) for line, _ in FUZZ[:60]]
    cases += [
        ("maths", line)
        for line in (
            *("R1 = Multiply(3)", "R1 = Calculator(2 + (3)", "R1 = Code(2).", "R1 = Calculator(2) * 3"),
            *("R1 = Calculator(60 mph * 3 hours)", "R1 = Calculator(R1 < 2, 3)", "R1 = Calculator(8) + 1"),
        )
    ]
    for domain, line in cases:
        gbnf = grammar.ground(ACTIONS[domain])
        assert llama_accepts(small.llama, gbnf, line) == Grammar(gbnf).accepts(line), line
    for ex in EXEMPLARS["maths"]:
        assert llama_accepts(small.llama, grammar.plan_onetime(8), protocol.render_plan(ex["subgoals"]))
        assert llama_accepts(small.llama, grammar.plan_iterative(2), protocol.render_subgoal(2, "Add."))
        assert not llama_accepts(small.llama, grammar.plan_iterative(2), protocol.render_subgoal(3, "Add."))
        sketched = protocol.render_reasoning(ex["reasoning"], protocol.render_plan(ex["subgoals"]))
        assert llama_accepts(small.llama, grammar.plan_onetime(8, reasoning=True), sketched)
        assert not llama_accepts(small.llama, grammar.plan_onetime(8), sketched)


@pytest.mark.gguf
def test_a_constrained_model_only_writes_lines_that_parse(small):
    """SmolLM2-135M cannot follow the protocol on its own; under the grammars every output parses."""
    tasks = [ex["task"] for ex in EXEMPLARS["maths"][:4]]
    chat = ChatLlamaCpp(model=small, max_tokens=96)
    for task in tasks:
        prompt = [HumanMessage(f"Solve step by step: {task}")]
        for gbnf, parse in [
            (grammar.ground(MATHS), protocol.parse_actions),
            (grammar.plan_onetime(8), protocol.parse_subgoals),
            (grammar.plan_iterative(2), lambda t: protocol.is_stop(t) or protocol.parse_subgoals(t)),
        ]:
            reply = chat.invoke(prompt, stop=["\n"], grammar=gbnf)
            assert reply.response_metadata["finish_reason"] == "stop"  # it ended its line itself
            assert parse(reply.text.strip()), reply.text
            if gbnf == grammar.ground(MATHS):
                assert {a["name"] for a in protocol.parse_actions(reply.text)} <= MATHS | {""}


@pytest.mark.parametrize(
    "line",
    [
        "R1 = Calculator(3 * 60) + Calculator(2 * 60)",
        "R1 = Calculator(1/4) * 4 * 7",
        "R1 = Calculator(64 / 4) + 32 / 4; R2 = Calculator(R1 - 1)",
        "R3 = Calculator((30 - 4) / (4 + 7)) * 100",
        "R2 = Calculator(R1 * 2) - R1",
    ],
)
def test_ground_grammar_admits_arithmetic_around_calculator_calls_as_the_protocol_does(line):
    assert Grammar(grammar.ground(MATHS)).accepts(line)
    assert all(a["name"] == "Calculator" for a in protocol.parse_actions(line))


@pytest.mark.parametrize(
    "line",
    ["R1 = Calculator(3) + x", "R1 = Calculator(x) + 3", "R1 = Code(3) + 4", "R1 = 3 * Calculator(2)"],
)
def test_ground_grammar_rejects_arithmetic_the_protocol_cannot_inline(line):
    assert not Grammar(grammar.ground(MATHS)).accepts(line)
    with pytest.raises(protocol.ParseError):
        protocol.parse_actions(line)


@pytest.mark.gguf
def test_greedy_grammar_picks_what_llama_cpps_grammar_sampler_picks(small):
    """The fast path (greedy candidates only) against llama.cpp's whole-vocabulary grammar sampler.

    Without prefix reuse both evaluate the whole prompt the same way: a reused KV prefix can move
    logits in the last decimals and flip near-ties, which would blur what is compared.
    """
    chat = ChatLlamaCpp(model=small, max_tokens=64, prefix_reuse=False)
    for ex in EXEMPLARS["maths"][:3]:
        prompt = [HumanMessage(f"Task: {ex['task']} Write the actions.")]
        for gbnf in (grammar.ground(MATHS), grammar.plan_onetime(8), grammar.plan_iterative(2)):
            fast = chat.invoke(prompt, stop=["\n"], grammar=gbnf).text
            reference = chat.invoke(prompt, stop=["\n"], grammar=small.grammar(gbnf)).text
            assert fast == reference


@pytest.mark.gguf
def test_greedy_grammar_falls_back_to_the_whole_vocabulary(small):
    """A grammar the model would never follow on its own still holds (the full scan path)."""
    from models.greedy_grammar import GreedyGrammar

    chat = ChatLlamaCpp(model=small, max_tokens=16, prefix_reuse=False)
    gbnf = 'root ::= "zq" [0-9] [0-9]'
    processor = GreedyGrammar(small.llama, gbnf)
    reply = chat.invoke(QUESTION_SMALL, logits_processor=[processor])
    assert len(reply.text) == 4 and reply.text.startswith("zq") and reply.text[2:].isdigit()
    assert processor.full_scans >= 1
    assert reply.text == chat.invoke(QUESTION_SMALL, grammar=small.grammar(gbnf)).text


QUESTION_SMALL = [HumanMessage("List three colours, one per line.")]
