"""Tests for the Python sandbox: real child processes, real limits, real namespaces."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tools import sandbox
from tools.sandbox import SandboxError, run_python

needs_sandbox = pytest.mark.skipif(
    sandbox._isolation_prefix() is None, reason="needs `unshare -rn` (user and network namespaces)"
)


@needs_sandbox
@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("print('hello')", "hello"),
        ("print(1)\nprint(2)\n", "1\n2"),
        ("x = 3\nx * 2", "6"),  # REPL style: the last expression's repr
        ("'text'", "'text'"),
        ("print('shown')\n42", "shown"),  # something was printed, so the value is not added
        ("x = 1", ""),
        ("None", ""),
        ("import math, fractions\nfractions.Fraction(1, 3) + math.floor(2.5)", "Fraction(7, 3)"),
        ("open('note.txt', 'w').write('hi')\nprint(open('note.txt').read())", "hi"),  # cwd is writable
    ],
)
def test_runs_code_and_returns_output(source: str, expected: str) -> None:
    assert run_python(source) == expected


@needs_sandbox
def test_output_is_truncated_with_a_note() -> None:
    output = run_python("print('y' * 5000)", max_output=100)
    assert output.startswith("y" * 100)
    assert "truncated" in output
    assert len(output) < 200


@needs_sandbox
@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("1/0", "ZeroDivisionError: division by zero"),
        ("def f(:\n  pass", "SyntaxError"),
        ("import sys\nsys.exit(3)", "status 3"),
        ("raise ValueError('bad value')", "ValueError: bad value"),
        ("print('x' * 3_000_000)", "output"),
        ("import os\nos.system('ls')", "os.system is not allowed"),
        ("import subprocess\nsubprocess.run(['ls'])", "not allowed"),
        ("import os\nos.fork()", "os.fork is not allowed"),
        ("import ctypes\nctypes.CDLL(None)", "ctypes"),
        ("import shutil\nshutil.rmtree('/tmp/nonexistent-lumos-dir')", "not allowed"),
    ],
)
def test_failures_raise_sandbox_error(source: str, message: str) -> None:
    with pytest.raises(SandboxError, match=message):
        run_python(source)


@needs_sandbox
def test_timeout_kills_the_child() -> None:
    start = time.monotonic()
    with pytest.raises(SandboxError, match=r"timed out after 5\.0 s"):
        run_python("while True: pass")
    assert time.monotonic() - start < 10


@needs_sandbox
def test_memory_limit() -> None:
    with pytest.raises(SandboxError, match="MemoryError"):
        run_python("x = bytearray(2_000_000_000)")


@needs_sandbox
def test_network_is_refused() -> None:
    with pytest.raises(SandboxError):
        run_python('import socket\nsocket.create_connection(("127.0.0.1", 9))')


@needs_sandbox
def test_network_namespace_alone_blocks_connections() -> None:
    # The audit hook is only defence in depth: even without it, a child in the namespace cannot
    # reach a server listening on the host's loopback.
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        probe = f"import socket; socket.create_connection(('127.0.0.1', {port}), timeout=2)"
        prefix = sandbox._isolation_prefix()
        assert prefix is not None
        result = subprocess.run(
            [*prefix, sys.executable, "-I", "-S", "-c", probe], capture_output=True, timeout=30, check=False
        )
    assert result.returncode != 0
    assert b"OSError" in result.stderr or b"unreachable" in result.stderr


@needs_sandbox
def test_writing_outside_the_work_directory_is_refused() -> None:
    target = Path("/tmp/pwned_by_lumos")
    target.unlink(missing_ok=True)
    with pytest.raises(SandboxError, match="PermissionError"):
        run_python("open('/tmp/pwned_by_lumos', 'w').write('x')")
    assert not target.exists()


@needs_sandbox
def test_environment_is_empty_and_work_directory_is_removed() -> None:
    output = run_python("import os\nprint(os.getcwd())\nprint(dict(os.environ))")
    workdir, environment = output.splitlines()
    assert "lumos-sandbox-" in workdir
    assert not os.path.exists(workdir)
    assert "PATH" not in environment


def test_source_too_long_is_refused() -> None:
    with pytest.raises(SandboxError, match="too long"):
        run_python("x = 1\n" * 5000)


def test_refuses_without_isolation(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sandbox, "_isolation_prefix", lambda: None)
    with pytest.raises(SandboxError, match="unshare"):
        run_python("print('this must not run')")


def test_probe_reports_unavailable_without_unshare(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sandbox.shutil, "which", lambda name: None)
    sandbox._isolation_prefix.cache_clear()
    try:
        assert sandbox._isolation_prefix() is None
        with pytest.raises(SandboxError, match="unshare"):
            run_python("print('this must not run')")
    finally:
        sandbox._isolation_prefix.cache_clear()  # the next caller probes again with the real `which`
