"""Grammars for constrained decoding: they admit the exemplars and only lines the protocol parses."""

import ctypes
import random
import re

import pytest
from fakes import ScriptedModels, scripted
from gbnf import Grammar
from langchain_core.messages import HumanMessage

from domains import DOMAINS, EXEMPLARS
from graphs import iterative, onetime
from models import registry
from models.chat import ChatLlamaCpp
from nodes import grammar, protocol
from nodes.context import Context

ACTIONS = {name: domain.actions for name, domain in DOMAINS.items()}
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
    rng: random.Random,
    depth: int = 0,
    *,
    chars: str = _ARG_CHARS,
    brackets: str = "()[]{}",
    least: int = 0,
    variables: int = 12,
) -> str:
    """Random text of ``chars``, variables ``R1``..``R<variables>`` and nested ``brackets`` pairs.

    At least ``least`` parts; a variable is followed by a space, so it never runs into a digit.
    """
    parts = []
    for _ in range(rng.randint(least, 4)):
        roll = rng.random()
        if roll < 0.15 and depth < 3:
            pair = rng.randrange(0, len(brackets), 2)
            inner = random_args(
                rng, depth + 1, chars=chars, brackets=brackets, least=least, variables=variables
            )
            parts.append(brackets[pair] + inner + brackets[pair + 1])
        elif roll < 0.3 and variables:
            parts.append(f"R{rng.randint(1, variables)} ")
        else:
            parts.append("".join(rng.choice(chars) for _ in range(rng.randint(1, 6))))
    return "".join(parts)


def random_formula(rng: random.Random, variables: int) -> str:
    """A random Calculator formula over the variables assigned so far: what the tool evaluates, never empty."""
    while not (
        formula := random_args(rng, chars=_FORMULA_CHARS, brackets="()", least=1, variables=variables)
    ).strip():
        pass  # blank: the protocol strips it to an empty call
    return formula


def random_action(rng: random.Random, names: list[str], assigned: int) -> tuple[str, str, int]:
    """A random valid action after ``assigned`` variables: its text, its name, the variables it assigns."""
    count = rng.choice([1, 1, 1, 2, 3])
    outputs = ", ".join(f"R{assigned + k}" for k in range(1, count + 1))
    if rng.random() < 0.1:
        outputs, count = protocol.OUTPUT, 0
    if rng.random() < 0.1 and assigned:
        return f"{outputs} = R{rng.randint(1, assigned)}", "", count
    name = rng.choice(names)
    args = random_formula(rng, assigned) if name == protocol.CALCULATOR else random_args(rng)
    return f"{outputs} = {name}({args})", name, count


def random_grounding(rng: random.Random, names: list[str]) -> tuple[str, list[str]]:
    texts, used, assigned = [], [], 0
    for _ in range(rng.randint(1, 5)):
        text, name, count = random_action(rng, names, assigned)
        texts.append(text)
        used.append(name)
        assigned += count
        if text.startswith(protocol.OUTPUT):  # the answer ends the output
            break
    return "; ".join(texts), used


def assigned_before(line: str) -> int:
    """Return how many variables exist before a grounding line: one less than its first ``Rk``."""
    first = re.match(r"R(\d+)", line)
    return int(first[1]) - 1 if first else 0


FUZZ = [random_grounding(random.Random(seed), sorted(MATHS)) for seed in range(300)]


# --- pure-Python checks (no model) ----------------------------------------------------------------


@pytest.mark.parametrize(("domain", "line"), list(exemplar_groundings()))
def test_ground_grammar_accepts_every_exemplar_line(domain, line):
    own_grammar = DOMAINS[domain].ground_grammar  # a domain may bring its own (SQL statements)
    assert Grammar(own_grammar(ACTIONS[domain], assigned=assigned_before(line))).accepts(line)


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
        "R1 = Calculator(2); R2 = Calculator(R1 + R2)",  # R2 is not assigned yet: the call would fail
        "R1 = Calculator(2); R3 = Calculator(R1)",  # variables are numbered in order
        "R1 = Calculator(2); R2 = R3",
        "R1 = Calculator(2); R2 = Calculator(R10 - 1)",  # R1 exists, R10 does not
        "R1 = Calculator(2); R2 = Calculator(R12)",
        "R1 = Calculator(R1 * 2)",
        "R1 = Calculator(2) + R2",
        "R2 = Calculator(2)",  # the first variable is R1
        "R1, R3 = SolveEquation(x = 1, y = 2)",
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


def test_ground_grammar_numbers_variables_after_those_already_assigned():
    """Lumos-I: the third subgoal's grounding comes after R1..R4; it assigns R5 on and reads R1..R4."""
    third = Grammar(grammar.ground(MATHS, assigned=4))
    assert third.accepts("R5 = Calculator(R4 - R1); R6 = Calculator(R5 / 2)")
    assert third.accepts("R5, R6 = SolveEquation(R4 = x + y, x = 2 * y); R7 = Calculator(R5 + R6)")
    assert not third.accepts("R1 = Calculator(2)")  # a new action never reassigns an old variable
    assert not third.accepts("R5 = Calculator(R5 + 1)")


def test_every_derived_maths_grounding_reads_only_variables_assigned_before_it():
    """Soundness of the numbering: sample the grammar's own language and check every reference."""
    for assigned in (0, 3):
        gbnf = Grammar(grammar.ground(MATHS, assigned=assigned, max_actions=6))
        rng = random.Random(assigned)
        for _ in range(200):
            exists = assigned
            for action in protocol.parse_actions(gbnf.sample(rng)):
                if action["name"] in ("", protocol.CALCULATOR):
                    read = [protocol.variable_index(v) for v in protocol.VARIABLE.findall(action["args"])]
                    assert all(1 <= k <= exists for k in read), action
                if action["outputs"] != [protocol.OUTPUT]:
                    indices = [protocol.variable_index(v) for v in action["outputs"]]
                    assert indices == list(range(exists + 1, exists + 1 + len(indices))), action
                    exists = indices[-1]


def test_ground_grammar_bounds_the_actions_and_variables_one_output_writes():
    bounded = Grammar(grammar.ground(MATHS, max_actions=3))
    assert bounded.accepts("R1 = Calculator(1); R2 = Calculator(2); Output = Calculator(R1 + R2)")
    assert bounded.accepts("R1 = Calculator(1); R2, R3 = SolveEquation(x + y = 2, x = y)")
    assert not bounded.accepts(
        "R1 = Calculator(1); R2 = Calculator(2); R3 = Calculator(3); R4 = Calculator(4)"
    )
    # a 0.5B grounder that had used up its variables went on writing `Output = R1; Output = R2; ...`
    # past max_actions, and the node rejected the whole output
    assert not bounded.accepts("R1 = Calculator(1); R2 = Calculator(2); R3 = Calculator(3); Output = R3")
    assert not bounded.accepts("R1 = Calculator(1); Output = R1; Output = R1")
    with pytest.raises(ValueError, match="assigned"):
        grammar.ground(MATHS, assigned=-1)


def test_output_ends_the_grounding():
    """``Output`` is the answer (onetime reads it first): an action after it could not change it."""
    gbnf = Grammar(grammar.ground(MATHS))
    assert gbnf.accepts("R1 = Calculator(2 * 3); Output = Calculator(R1 + 1)")
    assert gbnf.accepts("Output = Calculator(2 * 3)\n")
    assert not gbnf.accepts("Output = Calculator(2 * 3); R1 = Calculator(4)")


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
            # Lumos-I's second grounding comes after R1: it writes R2 and may read R1
            assigned = [0, 1] if module is iterative else [0]
            expected_ground = [grammar.ground({"Calculator"}, assigned=n) for n in assigned]
            assert [call["grammar"] for call in grounder.calls] == expected_ground
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
        gbnf = DOMAINS[domain].ground_grammar(ACTIONS[domain], assigned=assigned_before(line))
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
    assert Grammar(grammar.ground(MATHS, assigned=assigned_before(line))).accepts(line)
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


def test_web_grammar_admits_each_action_only_on_elements_that_take_it_and_bounds_the_text():
    from domains import web_actions

    page = "Pick a colour.\nThe page:\n[4] input_text id=name\n[5] button Submit\n[6] select id=colour\n[7] label Name"
    gbnf = Grammar(web_actions.ground(web_actions.ACTIONS, state={"task": page}))
    assert gbnf.accepts("R1 = TYPE(4, Ann); R2 = SELECT(6, red); R3 = CLICK(5)")
    assert gbnf.accepts("R1 = CLICK(7)")  # any element can be clicked
    for wrong in ("R1 = TYPE(5, Ann)", "R1 = TYPE(7, Ann)", "R1 = SELECT(4, red)", "R1 = CLICK(9)"):
        assert not gbnf.accepts(wrong), wrong
    assert gbnf.accepts(f"R1 = TYPE(4, {'a' * web_actions.MAX_TEXT_CHARS})")
    assert not gbnf.accepts(f"R1 = TYPE(4, {'a' * (web_actions.MAX_TEXT_CHARS + 1)})")  # no endless typing
    buttons_only = Grammar(web_actions.ground(web_actions.ACTIONS, state={"task": "[5] button OK"}))
    assert buttons_only.accepts("R1 = CLICK(5)") and not buttons_only.accepts("R1 = TYPE(5, x)")


def test_typed_text_may_hold_commas_and_semicolons_and_parses_back_whole():
    from domains import web_actions

    page = "Copy the text.\nThe page:\n[4] input_text id=answer\n[5] button Submit"
    gbnf = Grammar(web_actions.ground(web_actions.ACTIONS, state={"task": page}))
    line = "R1 = TYPE(4, Decatur, IL; then more, text); R2 = CLICK(5)"
    assert gbnf.accepts(line)
    assert not gbnf.accepts("R1 = TYPE(4, f(x) = 2)")  # a parenthesis would end the action early
    first = protocol.parse_actions(line)[0]
    assert web_actions.parse_args(first["name"], first["args"]) == (4, "Decatur, IL; then more, text")


def test_a_click_that_changed_nothing_is_left_out_until_the_page_changes():
    from domains import web_actions

    page = "The page:\n[4] input_number id=tt\n[5] button Submit\n[6] div feedback"
    after_type = page.replace("id=tt", 'id=tt value="5"')

    def action(name, args, observation):
        return {
            "name": name,
            "args": args,
            "observation": observation,
            "ok": True,
            "outputs": [],
            "subgoal": 1,
        }

    state = {"task": "Guess.\n" + page, "actions": [action("TYPE", "4, 5", after_type)]}
    assert web_actions.idle_clicks(state) == set()
    state["actions"].append(action("CLICK", "5", after_type))  # Submit changed nothing
    assert web_actions.idle_clicks(state) == {5}
    gbnf = Grammar(web_actions.ground(web_actions.ACTIONS, assigned=2, state=state))
    assert (
        not gbnf.accepts("R3 = CLICK(5)")
        and gbnf.accepts("R3 = CLICK(6)")
        and gbnf.accepts("R3 = TYPE(4, 7)")
    )
    state["actions"].append(action("TYPE", "4, 7", page.replace("id=tt", 'id=tt value="7"')))
    assert web_actions.idle_clicks(state) == set()  # the page changed: Submit may matter again
    only = {"task": "[5] button OK", "actions": [action("CLICK", "5", "[5] button OK")]}
    assert Grammar(web_actions.ground(web_actions.ACTIONS, assigned=1, state=only)).accepts("R2 = CLICK(5)")


def test_the_planner_is_told_when_its_last_step_changed_nothing_on_the_page():
    from domains import web

    page = "The page:\n[4] input_number id=tt\n[5] button Submit"
    state = {"task": "Guess.\n" + page, "environment": "miniwob/guess-number-v1?seed=0"}
    open_note = "The episode is still open: the task is not done yet."
    changed = page.replace("id=tt", 'id=tt value="5"')
    assert web.unfinished({**state, "subgoal_results": [changed]}) == open_note
    stuck = web.unfinished({**state, "subgoal_results": [changed, changed]})
    assert stuck == open_note + " The last step changed nothing on the page: doing it again will not help."
    assert web.unfinished({**state, "subgoal_results": ["Error: no element 9"]}) == open_note
