"""The Code sandbox, attacked as a model would: real bubblewrap, real namespaces, real limits.

Each attack runs twice where it can: through ``run_python`` (everything: namespaces, seccomp,
rlimits, the audit hook) and "bare", with the production bubblewrap command line but no audit hook
and no rlimits, to show the kernel boundary alone holds. Each test fails if the attack gets through.
"""

import os
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

import pytest

from tools import sandbox
from tools.sandbox import SandboxError, run_python

ROOT = Path(__file__).resolve().parents[1]
MARKER = "lumos-sandbox-test-marker"

if not sandbox.available():
    if os.environ.get("LUMOS_REQUIRE_SANDBOX"):
        pytest.fail("the Code sandbox does not work here, and `make test` requires it", pytrace=False)
    pytest.skip("needs bubblewrap, libseccomp and user namespaces", allow_module_level=True)


def bare(source: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    """Run ``source`` with the production bubblewrap command, without the audit hook or rlimits."""
    bwrap, program = sandbox._sandbox()
    with tempfile.TemporaryFile() as seccomp:
        seccomp.write(program)
        seccomp.seek(0)
        command = [*sandbox.bwrap_command(bwrap, seccomp.fileno()), "-c", source]
        return subprocess.run(
            command,
            pass_fds=(seccomp.fileno(),),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )


def sandboxed_processes() -> list[int]:
    """Return the host pids of processes started by this module's sandboxes (their argv has MARKER)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if MARKER.encode() in cmdline or b"sys.addaudithook(hook)" in cmdline:
                found.append(int(entry.name))
    return found


# --- what code may do ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("print('hello')", "hello"),
        ("print(1)\nprint(2)\n", "1\n2"),
        ("x = 3\nx * 2", "6"),  # REPL style: the last expression's repr
        ("'text'", "'text'"),
        ("print('shown')\n42", "shown"),  # something was printed, so the value is not added
        ("x = 1", "1"),  # ends in an assignment: the assigned value
        ("x, y = 1, 2", ""),  # more than one name: no single value
        ("None", ""),
        ("import math, fractions\nfractions.Fraction(1, 3) + math.floor(2.5)", "Fraction(7, 3)"),
        ("open('note.txt', 'w').write('hi')\nprint(open('note.txt').read())", "hi"),  # cwd is writable
        ("import os\nprint(os.getuid(), os.getgid())", "65534 65534"),
    ],
)
def test_runs_code_and_returns_output(source: str, expected: str) -> None:
    assert run_python(source) == expected


def test_output_is_truncated_with_a_note() -> None:
    output = run_python("print('y' * 5000)", max_output=100)
    assert output.startswith("y" * 100)
    assert "truncated" in output
    assert len(output) < 200


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
        ("import sqlite3\nsqlite3.connect('x.db')", "sqlite3"),
    ],
)
def test_failures_raise_sandbox_error(source: str, message: str) -> None:
    with pytest.raises(SandboxError, match=message):
        run_python(source)


def test_memory_limit() -> None:
    with pytest.raises(SandboxError, match="MemoryError"):
        run_python("x = bytearray(2_000_000_000)")


def test_source_too_long_is_refused() -> None:
    with pytest.raises(SandboxError, match="too long"):
        run_python("x = 1\n" * 5000)


# --- attacks: reading, writing, processes, signals, sockets, floods, leaks --------------------------


def test_root_only_files_the_project_and_the_host_are_not_visible(tmp_path: Path) -> None:
    secret = tmp_path / "root-only.txt"
    secret.write_text("TOP-SECRET")
    secret.chmod(0o600)
    targets = [secret, Path("/etc/shadow"), Path("/etc/passwd"), ROOT / "tools" / "sandbox.py"]
    for target in targets:
        code = f"print(open({str(target)!r}).read())"
        with pytest.raises(SandboxError, match="FileNotFoundError"):
            run_python(code)
        result = bare(code)
        assert result.returncode != 0, target
        assert "TOP-SECRET" not in result.stdout and "root:" not in result.stdout
    assert bare("import os; print(sorted(os.listdir('/etc')))").stdout.strip() in ("[]", "['ld.so.cache']")
    listing = bare("import os; print(sorted(os.listdir('/')))").stdout
    for absent in ("home", "proc", "sys", "run", "var", "work", "opt", "srv", "mnt"):
        assert f"'{absent}'" not in listing, listing
    # the home directory holds at most the path down to the interpreter, when it lives there
    home = str(Path.home())
    inside = bare(f"import os; print(sorted(os.listdir({home!r})) if os.path.isdir({home!r}) else [])").stdout
    expected = (
        [Path(sandbox.interpreter()).relative_to(home).parts[0]]
        if sandbox.interpreter().is_relative_to(home)
        else []
    )
    assert inside.strip() == str(expected)


def test_writes_outside_the_work_directory_do_not_reach_the_host(tmp_path: Path) -> None:
    target = tmp_path / "pwned"
    for path in (target, Path("/usr/lib/pwned-by-lumos"), ROOT / "pwned-by-lumos"):
        code = f"open({str(path)!r}, 'w').write('x')"
        with pytest.raises(SandboxError):
            run_python(code)
        bare(code)
        assert not path.exists(), path
    # the sandbox's /tmp is its own tmpfs: what it writes there never reaches the host's
    run_python("open('/tmp/pwned-by-lumos', 'w').write('x')")
    assert not Path("/tmp/pwned-by-lumos").exists()
    # patching what the audit hook might look up does not open a way either
    with pytest.raises(SandboxError):
        run_python(f"import builtins\nbuiltins.isinstance = lambda *a: True\nopen({str(target)!r}, 'w')")
    assert not target.exists()


def test_no_process_can_be_started() -> None:
    # _posixsubprocess raises no audit event: only seccomp stands in the way
    spawn = textwrap.dedent(
        """
        import _posixsubprocess, os, sys
        r, w = os.pipe()
        try:
            pid = _posixsubprocess.fork_exec(
                [sys.executable, "-c", "pass"], [sys.executable.encode()], True, (), None, None,
                -1, -1, -1, -1, -1, -1, r, w, True, False, 0, None, None, None, -1, None, False)
            print("STARTED", pid)
        except OSError as err:
            print("refused", err.errno)
        """
    )
    assert run_python(spawn) == "refused 1"
    assert bare(spawn).stdout.strip() == "refused 1"
    fork = "import os\ntry:\n    os.fork()\n    print('FORKED')\nexcept OSError as e:\n    print('refused', e.errno)"
    assert bare(fork).stdout.strip() == "refused 1"


def test_processes_outside_cannot_be_signalled() -> None:
    victim = subprocess.Popen(["sleep", "60"])
    try:
        targets = f"({victim.pid}, {os.getpid()}, -1, 1)"
        with pytest.raises(SandboxError, match=r"os\.kill is not allowed"):
            run_python(f"import os\nfor pid in {targets}:\n    os.kill(pid, 9)")
        code = f"import os\nfor pid in {targets}:\n    try:\n        os.kill(pid, 9)\n    except OSError:\n        pass"
        bare(code)
        time.sleep(0.2)
        assert victim.poll() is None, "a process outside the sandbox was killed"
    finally:
        victim.kill()
        victim.wait()


def test_host_sockets_are_unreachable(tmp_path: Path) -> None:
    path = str(tmp_path / "agent.sock")
    accepted: list[socket.socket] = []
    with (
        socket.socket(socket.AF_UNIX) as unix,
        socket.socket(socket.AF_UNIX) as abstract,
        socket.create_server(("127.0.0.1", 0)) as tcp,
    ):
        unix.bind(path)
        abstract.bind(f"\0{MARKER}")
        for server in (unix, abstract, tcp):
            server.listen()
            server.settimeout(0.5)
        port = tcp.getsockname()[1]
        code = textwrap.dedent(
            f"""
            import socket
            for family, address in [(socket.AF_UNIX, {path!r}), (socket.AF_UNIX, "\\0{MARKER}"),
                                    (socket.AF_INET, ("127.0.0.1", {port}))]:
                try:
                    socket.socket(family).connect(address)
                    print("CONNECTED", address)
                except OSError as err:
                    print("refused", err.errno)
            """
        )
        for output in (bare(code).stdout, run_python(code)):
            assert "CONNECTED" not in output and output.count("refused") == 3, output
        for server in (unix, abstract, tcp):
            try:
                accepted.append(server.accept()[0])
            except TimeoutError:
                pass
    assert not accepted, "a host socket accepted a connection from the sandbox"


def test_nothing_outlives_a_timeout() -> None:
    start = time.monotonic()
    with pytest.raises(SandboxError, match=r"timed out after 1 s"):
        run_python(f"# {MARKER}\nwhile True: pass", timeout_s=1.0)
    assert time.monotonic() - start < 5
    deadline = time.monotonic() + 5
    while sandboxed_processes() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert sandboxed_processes() == []


def test_a_detached_child_cannot_be_left_behind() -> None:
    code = f"import os\n# {MARKER}\ntry:\n    if os.fork() == 0:\n        os.setsid()\n        while True: pass\nexcept OSError as e:\n    print('refused', e.errno)"
    assert bare(code).stdout.strip() == "refused 1"
    assert sandboxed_processes() == []


def test_a_failure_without_a_traceback_says_how_the_code_ended() -> None:
    with pytest.raises(SandboxError, match=r"^Code exited with status 3; its error output ends with: y+"):
        run_python("import sys\nsys.stderr.write('y' * 5000)\nsys.exit(3)")
    with pytest.raises(SandboxError, match=r"^Code exited with status 4, writing no error message$"):
        run_python("import sys\nsys.exit(4)")
    with pytest.raises(SandboxError, match=r"^ValueError: boom$"):
        run_python("raise ValueError('boom')")


def test_a_stderr_flood_becomes_a_short_error() -> None:
    with pytest.raises(SandboxError) as caught:
        run_python("import sys\nsys.stderr.write('x' * 900_000)\nraise ValueError('boom')")
    assert "ValueError: boom" in str(caught.value)
    assert len(str(caught.value)) <= sandbox.MAX_ERROR_CHARS + 100


def test_the_work_directory_is_small_and_fresh() -> None:
    assert run_python("import os\nsorted(os.listdir('.'))") == "[]"
    flood = "f = open('big', 'wb')\nfor _ in range(40):\n    f.write(b'x' * (1 << 20))"
    with pytest.raises(SandboxError, match=r"more than|No space"):
        run_python(flood)
    assert "No space left" in bare(flood).stderr  # without rlimits, the tmpfs size still holds


def test_a_killed_agent_leaves_no_sandbox_and_no_files() -> None:
    before = set(Path(tempfile.gettempdir()).iterdir())
    agent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"from tools.sandbox import run_python; run_python('# {MARKER}\\nwhile True: pass', timeout_s=60)",
        ],
        cwd=ROOT,
    )
    try:
        deadline = time.monotonic() + 30
        while not sandboxed_processes():
            assert time.monotonic() < deadline, "the sandbox never started"
            assert agent.poll() is None, "the agent exited early"
            time.sleep(0.05)
        agent.send_signal(signal.SIGKILL)
        agent.wait()
        deadline = time.monotonic() + 5
        while sandboxed_processes() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert sandboxed_processes() == [], "the sandbox outlived the agent"
    finally:
        agent.kill()
        agent.wait()
    leftovers = {p for p in set(Path(tempfile.gettempdir()).iterdir()) - before if "lumos" in p.name}
    assert leftovers == set()


def test_concurrent_runs_do_not_see_each_other() -> None:
    outputs: list[str] = []

    def one(n: int) -> None:
        outputs.append(
            run_python(
                f"open('mine', 'w').write('{n}')\nimport os\nprint(sorted(os.listdir('.')), open('mine').read())"
            )
        )

    threads = [threading.Thread(target=one, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outputs) == ["['mine'] 0", "['mine'] 1", "['mine'] 2"]


# --- no weaker fallback ------------------------------------------------------------------------------


def test_refuses_without_bubblewrap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sandbox.shutil, "which", lambda name: None)
    sandbox._sandbox.cache_clear()
    try:
        with pytest.raises(SandboxError, match="bubblewrap"):
            run_python("print('this must not run')")
        assert not sandbox.available()
    finally:
        monkeypatch.undo()
        sandbox._sandbox.cache_clear()  # the next caller probes again with the real `which`
    assert sandbox.available()


def test_refuses_when_bubblewrap_cannot_isolate(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake = tmp_path / "bwrap"
    fake.write_text("#!/bin/sh\necho 'bwrap: No permissions to creating new namespace' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setattr(sandbox.shutil, "which", lambda name: str(fake))
    sandbox._sandbox.cache_clear()
    try:
        with pytest.raises(SandboxError, match="user namespaces"):
            run_python("print('this must not run')")
    finally:
        monkeypatch.undo()
        sandbox._sandbox.cache_clear()
