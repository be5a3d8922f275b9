"""The complex-QA domain: its tools over the variable memory, its prompts, and both graphs end to end."""

import pytest
from fakes import ScriptedModels, scripted

from domains import EXEMPLARS
from domains.complex_qa import ACTIONS, KnowledgeQueryTool, ParagraphRetrieveTool, QACalculatorTool, QATool
from graphs import iterative, onetime
from nodes import conversations, protocol
from nodes.context import Context
from nodes.execute import run_action
from tools.knowledge import LocalKnowledge
from tools.maths import MATHS_TOOLS
from tools.retrieval import LocalIndex

PASSAGES = [
    {
        "title": "Jaws (film)",
        "text": "Jaws is a 1975 American thriller film. It was directed by Steven Spielberg.",
    },
    {
        "title": "Steven Spielberg",
        "text": "Steven Spielberg is an American filmmaker. He attended California State University, Long Beach.",
    },
    {"title": "Tomato", "text": "The tomato is a berry. It is red."},
]
TASK = "Which university did the director of the film Jaws attend?"


@pytest.fixture
def toolbox(tmp_path):
    index = LocalIndex.build(PASSAGES, tmp_path / "index")

    def build(qa_model):
        return {
            "KnowledgeQuery": KnowledgeQueryTool(LocalKnowledge(index)),
            "ParagraphRetrieve": ParagraphRetrieveTool(),
            "QA": QATool(qa_model),
            "Calculator": QACalculatorTool(qa_model, MATHS_TOOLS["Calculator"]),
            "Code": MATHS_TOOLS["Code"],
        }

    return build


class Tools:
    """A ToolboxFactory for the graphs: the fixture's toolbox, whatever the context."""

    actions = ACTIONS

    def __init__(self, box):
        self.box = box

    def __call__(self, context):
        return self.box


def run_line(line: str, memory: dict[str, str], tools, subgoal: str = "") -> list[tuple[list[str], bool]]:
    results = []
    for action in protocol.parse_actions(line):
        values, ok = run_action(action, memory, tools, subgoal)
        memory.update(zip(action["outputs"], values, strict=True))
        results.append((values, ok))
    return results


def test_split_argument_follows_lumos_and_tolerates_a_missing_keyword():
    assert protocol.split_argument("R1, Query: Who directed Jaws?", "Query") == ("R1", "Who directed Jaws?")
    assert protocol.split_argument("[R2, R5], Question: Who, then?", "Question") == ("[R2, R5]", "Who, then?")
    assert protocol.split_argument("[R2, R5], Who is older?", "Question") == ("[R2, R5]", "Who is older?")
    assert protocol.split_argument("Question: Just a question?", "Question") == ("", "Just a question?")
    with pytest.raises(protocol.ParseError):
        protocol.split_argument("R1, Query: ", "Query")


def test_lookup_chain_reads_variables_from_memory(toolbox):
    qa_model = scripted("Answer: Steven Spielberg")
    tools = toolbox(qa_model)
    memory: dict[str, str] = {}
    line = (
        "R1 = KnowledgeQuery(Jaws film); R2 = ParagraphRetrieve(R1, Query: Who directed the film Jaws?); "
        "R3 = QA([R2], Question: Who directed the film Jaws?)"
    )
    results = run_line(line, memory, tools)
    assert all(ok for _, ok in results)
    assert memory["R1"].splitlines() == [
        "Jaws (film) *** Jaws is a 1975 American thriller film.",
        "Jaws (film) *** It was directed by Steven Spielberg.",
    ]
    assert memory["R2"].startswith("Evidence 1: Jaws (film) *** It was directed by Steven Spielberg.")
    assert memory["R3"] == "Question: Who directed the film Jaws?; Answer: Steven Spielberg"
    prompt = qa_model.prompts[0][0].content
    assert "Question: Who directed the film Jaws?\nContext: Evidence 1: " in prompt


def test_later_queries_use_earlier_answers_not_whole_qa_results(toolbox):
    tools = toolbox(scripted("Answer: California State University, Long Beach"))
    memory = {"R3": "Question: Who directed the film Jaws?; Answer: Steven Spielberg"}
    results = run_line(
        "R4 = KnowledgeQuery(R3); R5 = ParagraphRetrieve(R4, Query: Which university did R3 attend?)",
        memory,
        tools,
    )
    assert all(ok for _, ok in results)
    assert memory["R4"].startswith("Steven Spielberg *** ")
    assert "Evidence 1: Steven Spielberg *** He attended California State University" in memory["R5"]


def test_qa_joins_several_contexts_and_calculator_computes_or_asks(toolbox):
    qa_model = scripted("Answer: Yes", "Answer: No answer", "Answer: No answer")
    tools = toolbox(qa_model)
    memory = {"R3": "Question: a?; Answer: 3", "R6": "Question: b?; Answer: 16"}
    run_line("R7 = QA([R3, R6], Question: Is b more than a?)", memory, tools)
    assert memory["R7"] == "Question: Is b more than a?; Answer: Yes"
    assert "Context: Question: a?; Answer: 3\nQuestion: b?; Answer: 16\n" in qa_model.prompts[0][0].content
    run_line("R8 = Calculator(R6 - R3)", memory, tools)
    assert memory["R8"] == "13"  # numbers: computed, no model call
    run_line("R9 = Calculator(R6 > R3)", memory, tools)
    assert memory["R9"] == "True"
    memory |= {"R10": "Question: c?; Answer: Paris", "R11": "Question: d?; Answer: Rome"}
    run_line("R12 = Calculator(R11 > R10)", memory, tools, subgoal="Determine if Rome is larger.")
    # not arithmetic: the QA model judges the values against the subgoal, with Lumos's fallback
    assert memory["R12"] == "Question: Determine if Rome is larger.; Answer: No answer."
    assert qa_model.prompts[1][0].content.endswith("Context: Rome. Paris.\n")


def test_tool_failures_become_observations(toolbox):
    tools = toolbox(scripted())
    memory: dict[str, str] = {}
    [(values, ok)] = run_line("R1 = KnowledgeQuery(qwertyuiop)", memory, tools)
    assert not ok and values[0].startswith("Error: KnowledgeQuery failed: KnowledgeQuery found nothing")
    [(values, ok)] = run_line("R2 = ParagraphRetrieve(R9, Query: anything)", memory, tools)
    assert not ok and "R9 is not defined" in values[0]


def test_ground_prompts_restate_results_as_lumos_eval_and_training_do():
    subgoals = [
        "Obtain the number of the kids that Julius Caesar had.",
        "Obtain the number of kids Genghis Khan had.",
    ]
    results = ["Question: How many kids did Julius Caesar have?; Answer: 3."]
    eval_turns = conversations.ground_conversation(
        "Q?",
        subgoals,
        ["R1 = KnowledgeQuery(Julius Caesar)"],
        domain="complex_qa",
        formulation="iterative",
        rendering="eval",
        results=results,
    )
    assert eval_turns[-1] == (
        "user",
        "Subgoal to be grounded: Subgoal 2: Obtain the number of kids Genghis Khan had. The grounding could be "
        "based on the following results: The execution result for Subgoal 1 is 3.",
    )
    train_turns = conversations.ground_conversation(
        "Q?",
        subgoals,
        ["R1 = KnowledgeQuery(Julius Caesar)"],
        domain="complex_qa",
        formulation="iterative",
        rendering="train",
        results=["3."],
    )
    assert train_turns[-1][1].endswith("following results: The execution result for Subgoal 1 is 3.")
    # maths grounding turns carry no results
    maths = conversations.ground_conversation(
        "Q?",
        subgoals,
        ["R1 = Calculator(1 + 1)"],
        domain="maths",
        formulation="iterative",
        rendering="train",
        results=["2"],
    )
    assert maths[-1][1] == "Subgoal to be grounded: Subgoal 2: Obtain the number of kids Genghis Khan had."
    # training-time planner feedback shows the bare answer, eval-time the whole QA result
    assert conversations.plan_feedback(1, results[0], rendering="train") == (
        "The executed result for Subgoal 1 is 3. Should we stop planning?"
    )
    assert conversations.plan_feedback(1, results[0], rendering="eval").startswith(
        "The executed result for Subgoal 1 is Question: How many kids"
    )


@pytest.mark.parametrize("exemplar", EXEMPLARS["complex_qa"], ids=lambda e: e["task"][:30])
def test_complex_qa_exemplars_parse_and_use_the_domain_actions(exemplar):
    assert len(exemplar["subgoals"]) == len(exemplar["actions"]) == len(exemplar["results"])
    for line, result in zip(exemplar["actions"], exemplar["results"], strict=True):
        actions = protocol.parse_actions(line)
        assert {a["name"] for a in actions} <= ACTIONS
        assert result.startswith("Question: ") and "; Answer: " in result


def run_graph(module, toolbox, planner, grounder, qa_model, **context):
    models = ScriptedModels(planner, grounder, qa_model)
    graph = module.build(models=models, tools={"complex_qa": Tools(toolbox(qa_model))}).compile()
    return graph.invoke({"task": TASK}, context=Context(domain="qa", **context))


LOOKUP_1 = (
    "R1 = KnowledgeQuery(Jaws film); R2 = ParagraphRetrieve(R1, Query: Who directed the film Jaws?); "
    "R3 = QA([R2], Question: Who directed the film Jaws?)"
)
LOOKUP_2 = (
    "R4 = KnowledgeQuery(R3); R5 = ParagraphRetrieve(R4, Query: Which university did R3 attend?); "
    "R6 = QA([R5], Question: Which university did R3 attend?)"
)


def test_iterative_complex_qa_answers_with_a_final_qa_over_the_qa_results(toolbox):
    planner = scripted(
        "Subgoal 1: Obtain the director of Jaws.",
        "Subgoal 2: Obtain the director's university.",
        "Yes, I will stop planning.",
    )
    grounder = scripted(LOOKUP_1, LOOKUP_2)
    qa_model = scripted(
        "Answer: Steven Spielberg",
        "Answer: California State University, Long Beach",
        "Answer: CSU Long Beach.",
    )
    state = run_graph(iterative, toolbox, planner, grounder, qa_model)
    assert state["error"] is None and state["stop_reason"] == "planner"
    assert state["answer"] == "CSU Long Beach"
    final_prompt = qa_model.prompts[-1][0].content
    assert (
        f"Question: {TASK}\nContext: Question: Who directed the film Jaws?; Answer: Steven Spielberg; "
        in (final_prompt)
    )
    # the second grounding turn restated subgoal 1's answer, as Lumos's complex-QA eval does
    assert grounder.prompts[1][-1].content.endswith("The execution result for Subgoal 1 is Steven Spielberg")


def test_onetime_complex_qa_takes_the_final_qa_answer_and_yes_no_maps(toolbox):
    planner = scripted("Subgoal 1: Obtain the director of Jaws.; Subgoal 2: Obtain the university.")
    grounder = scripted(f"{LOOKUP_1}; {LOOKUP_2}")
    qa_model = scripted("Answer: Steven Spielberg", "Answer: California State University, Long Beach.")
    state = run_graph(onetime, toolbox, planner, grounder, qa_model)
    assert state["answer"] == "California State University, Long Beach"
    assert len(qa_model.prompts) == 2  # no extra final QA call: R6 already holds a QA answer

    planner = scripted("Subgoal 1: Obtain the director of Jaws.")
    grounder = scripted(LOOKUP_1)
    qa_model = scripted("Answer: Steven Spielberg")
    state = run_graph(onetime, toolbox, planner, grounder, qa_model, yes_no=True)
    assert state["answer"] == "no"  # StrategyQA: "yes" anywhere in the prediction means yes


def test_a_misconfigured_corpus_ends_the_run_with_a_clear_error(tmp_path):
    planner = scripted("Subgoal 1: Obtain the director of Jaws.")
    grounder = scripted(LOOKUP_1)
    models = ScriptedModels(planner, grounder, scripted())
    graph = iterative.build(models=models, domains=["complex_qa"]).compile()
    state = graph.invoke(
        {"task": TASK},
        context=Context(domain="complex_qa", knowledge="local", corpus=str(tmp_path / "nope.jsonl")),
    )
    assert state["stop_reason"] == "error" and state["answer"] is None
    assert "complex_qa tools are not available" in state["error"] and "nope.jsonl" in state["error"]
    assert len(planner.prompts) == 1  # the run ended instead of planning on without tools


def test_maths_grounding_restates_results_only_with_ground_feedback():
    subgoals = ["Calculate the clips sold in May.", "Calculate the total."]
    common = {
        "domain": "maths",
        "formulation": "iterative",
        "rendering": "eval",
        "terse": True,
        "results": ["24"],
    }
    plain = conversations.ground_conversation("Q?", subgoals, ["R1 = Calculator(48 / 2)"], **common)
    fed = conversations.ground_conversation(
        "Q?", subgoals, ["R1 = Calculator(48 / 2)"], show_results=True, **common
    )
    assert plain[-1][1] == "Subgoal to be grounded: Subgoal 2: Calculate the total."
    assert fed[-1][1] == (
        "Subgoal to be grounded: Subgoal 2: Calculate the total. The grounding could be based on the "
        "following results: The execution result for Subgoal 1 is 24"
    )
