"""Run the `lumos` command line over graphs with scripted models instead of GGUF weights."""

from collections.abc import Callable, Iterator

from graphs import cli
from graphs.binding import CompiledLumosGraph


def serve_graphs(monkeypatch, *graphs: CompiledLumosGraph) -> None:
    """Make each later `cli.compiled(...)` call return the next of ``graphs`` (fresh fakes per command)."""
    queue: Iterator[CompiledLumosGraph] = iter(graphs)
    fake: Callable[[str], CompiledLumosGraph] = lambda formulation: next(queue)  # noqa: E731
    monkeypatch.setattr(cli, "compiled", fake)
