"""Run the `lumos` command line over graphs with scripted models instead of GGUF weights."""

from collections.abc import Iterator

from graphs import pipeline
from graphs.binding import CompiledLumosGraph


def serve_graphs(monkeypatch, *graphs: CompiledLumosGraph) -> None:
    """Make each later graph a command asks for be the next of ``graphs`` (fresh fakes per command)."""
    queue: Iterator[CompiledLumosGraph] = iter(graphs)

    def fake(self: pipeline.Pipelines, name: str) -> CompiledLumosGraph:
        return next(queue)

    monkeypatch.setattr(pipeline.Pipelines, "graph", fake)
