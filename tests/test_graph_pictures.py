"""`lumos graph`: Mermaid, ASCII and PNG pictures of every graph, drawn offline."""

import socket
from pathlib import Path

import pytest
from langchain_core.runnables.graph import Graph

import cli
from graphs import pipeline

SNAPSHOTS = Path(__file__).parent / "snapshots"


@pytest.fixture
def offline(monkeypatch):
    """Fail any attempt to open a network connection or to render through mermaid.ink."""

    def refuse(*args, **kwargs):
        raise AssertionError("drawing a graph must not touch the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(Graph, "draw_mermaid_png", refuse)


@pytest.mark.parametrize("formulation", ["iterative", "onetime"])
def test_mermaid_is_the_snapshot(formulation, capsys, offline):
    assert cli.main(["graph", "--formulation", formulation]) == 0
    assert capsys.readouterr().out == (SNAPSHOTS / f"{formulation}.mmd").read_text(encoding="utf-8") + "\n"


def test_ascii_shows_every_node(capsys, offline):
    assert cli.main(["graph", "--format", "ascii"]) == 0
    art = capsys.readouterr().out
    for node in ("__start__", "plan", "review", "ground", "execute", "answer", "__end__"):
        assert f"| {node} |" in art


@pytest.mark.parametrize("formulation", pipeline.FORMULATIONS)
def test_png_is_drawn_without_any_web_service(formulation, tmp_path, capsys, offline):
    out = tmp_path / "g.png"
    assert cli.main(["graph", "--formulation", formulation, "--format", "png", "--out", str(out)]) == 0
    data = out.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 2000
    assert capsys.readouterr().out == f"wrote {out}\n"


def test_text_formats_can_go_to_a_file(tmp_path, offline):
    out = tmp_path / "g.mmd"
    assert cli.main(["graph", "--formulation", "onetime", "--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == (SNAPSHOTS / "onetime.mmd").read_text(encoding="utf-8")
