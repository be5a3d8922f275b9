"""Every worked example re-executes, with the project's own tools, to the results it records."""

import json
from pathlib import Path

import pytest

from domains import EXEMPLARS
from nodes import protocol
from nodes.execute import run_action
from tools.maths import maths_tools

DEV_FILES = [
    Path(__file__).parents[2] / "shared" / "data" / name / "dev.jsonl" for name in ("gsm8k", "svamp")
]


@pytest.mark.parametrize("exemplar", EXEMPLARS["maths"], ids=lambda e: e["task"][:30])
def test_exemplar_actions_reproduce_their_results(exemplar):
    memory: dict[str, str] = {}
    assert len(exemplar["subgoals"]) == len(exemplar["actions"]) == len(exemplar["results"])
    for line, result in zip(exemplar["actions"], exemplar["results"], strict=True):
        for action in protocol.parse_actions(line):
            values, ok = run_action(action, memory, maths_tools())
            assert ok, values
            memory.update(zip(action["outputs"], values, strict=True))
        assert values[-1] == result


@pytest.mark.parametrize("path", [p for p in DEV_FILES if p.exists()], ids=lambda p: p.parent.name)
def test_exemplars_are_not_dev_examples(path):
    dev = {json.loads(line).get("question", "").strip() for line in path.read_text().splitlines()}
    assert not dev & {e["task"].strip() for e in EXEMPLARS["maths"]}
