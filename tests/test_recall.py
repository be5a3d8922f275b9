"""Gold-paragraph recall of ParagraphRetrieve, standalone and from agent traces, on hand-made cases."""

from evaluation.recall import gold_titles, standalone_recall, trace_recall

EXAMPLE = {
    "id": "q1",
    "question": "Which river flows through the capital of France?",
    "supporting_facts": [["Paris", 0], ["Seine", 1], ["Paris", 2]],
    "context": [
        ["Paris", ["Paris is the capital of France.", " It lies on a river."]],
        ["Seine", ["The Seine is a river.", " It flows through Paris, the capital."]],
    ]
    + [[f"Filler {i}", [f"Unrelated text number {i} about cooking."]] for i in range(8)],
}


def test_gold_titles_are_the_supporting_paragraphs():
    assert gold_titles(EXAMPLE) == {"Paris", "Seine"}


def test_standalone_recall_counts_gold_paragraphs_in_the_top_k():
    assert standalone_recall([EXAMPLE], k=5) == 1.0
    # with k=1 only one of the two gold paragraphs can be returned
    assert standalone_recall([EXAMPLE], k=1) == 0.5


def test_trace_recall_reads_the_titles_behind_evidence_lines():
    row = {
        "id": "q1",
        "actions": [
            {"name": "KnowledgeQuery", "ok": True, "observation": "Seine *** The Seine is a river."},
            {
                "name": "ParagraphRetrieve",
                "ok": True,
                "observation": "Evidence 1: Paris *** Paris is the capital.",
            },
            {"name": "ParagraphRetrieve", "ok": False, "observation": "Error: Seine *** nothing"},
        ],
    }
    assert trace_recall([row], {"q1": {"Paris", "Seine"}}) == 0.5
    assert trace_recall([row], {"other": {"Paris"}}) == 0.0  # no gold for this run's examples
