"""Run untrusted, model-written Python in a separate, resource-limited process without network.

The real boundary is the kernel: the child runs under ``unshare -rn`` (a new user and network
namespace, so it has no network interface but loopback, which is down) with rlimits on memory,
CPU time, file size, processes and core dumps, an empty environment and a throw-away working
directory. Inside the child an audit hook refuses sockets, subprocesses, ctypes and writes outside
that directory; this is defence in depth, not the boundary. Without namespaces nothing runs.
"""

import contextlib
import functools
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

MAX_SOURCE_CHARS = 20_000
MAX_FILE_BYTES = 1 << 20  # RLIMIT_FSIZE; stdout goes to a file, so this also caps the output
_PROBE_TIMEOUT_S = 10.0

# The probe passes only if the child really sees no network interface but loopback.
_PROBE = "import socket, sys; sys.exit([n for _, n in socket.if_nameindex()] != ['lo'])"

# Runs in the child as `python -c _BOOTSTRAP WORKDIR SOURCE MEMORY_MB CPU_S FSIZE`: limits first,
# then read and compile the user's code, then the audit hook, then run it.
_BOOTSTRAP = r"""
import ast, builtins, os, resource, sys


def limit(memory_mb, cpu_s, fsize):
    for which, value in [
        (resource.RLIMIT_AS, memory_mb * 1024 * 1024),
        (resource.RLIMIT_CPU, cpu_s),
        (resource.RLIMIT_FSIZE, fsize),
        (resource.RLIMIT_CORE, 0),
        (resource.RLIMIT_NOFILE, 64),
        (resource.RLIMIT_NPROC, 0),  # no forks or threads (not enforced when the real uid is root)
    ]:
        resource.setrlimit(which, (value, value))


def load(source_path):
    with open(source_path, encoding="utf-8") as f:
        tree = ast.parse(f.read(), "<code>")
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    tail = compile(ast.Expression(last.value), "<code>", "eval") if last else None
    return compile(tree, "<code>", "exec"), tail


def guard(workdir):
    blocked = ("socket.", "subprocess.", "os.system", "os.exec", "os.spawn", "os.fork", "os.posix_spawn",
               "os.kill", "os.killpg", "signal.pthread_kill", "pty.", "ctypes.", "_ctypes.")
    path_events = {"os.remove": 1, "os.rmdir": 1, "os.mkdir": 1, "os.chmod": 1, "os.chown": 1,
                   "os.truncate": 1, "os.utime": 1, "shutil.rmtree": 1, "os.rename": 2, "os.link": 2,
                   "os.symlink": 2}
    write_flags = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
    realpath, fsdecode, sep = os.path.realpath, os.fsdecode, os.sep
    inside = realpath(workdir) + sep

    def outside(path):
        if isinstance(path, int):
            return False  # an already open descriptor
        return not (realpath(fsdecode(path)) + sep).startswith(inside)

    def hook(event, args):
        if event.startswith(blocked):
            raise PermissionError(f"sandbox: {event} is not allowed")
        if event == "open" and args[2] & write_flags and outside(args[0]):
            raise PermissionError(f"sandbox: writing {args[0]!r} outside the work directory is not allowed")
        if event in path_events and any(outside(p) for p in args[: path_events[event]] if p is not None):
            raise PermissionError(f"sandbox: {event} is not allowed outside the working directory")

    sys.addaudithook(hook)  # from here on the code cannot remove it


def run(body, tail):
    namespace = {"__name__": "__main__", "__builtins__": builtins}
    exec(body, namespace)
    if tail is not None:
        value = eval(tail, namespace)
        sys.stdout.flush()
        if value is not None and os.fstat(1).st_size == 0:  # REPL style: show it if nothing was printed
            print(repr(value))


limit(int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
code = load(sys.argv[2])
guard(sys.argv[1])
del ast, limit, load, guard
run(*code)
"""


class SandboxError(RuntimeError):
    """Code could not be run, or it failed; the message says why."""


@functools.cache
def _isolation_prefix() -> tuple[str, ...] | None:
    """Return the command prefix that cuts the child off the network, or None if none works."""
    unshare = shutil.which("unshare")
    if unshare is None:
        return None
    probe = [unshare, "-rn", sys.executable, "-I", "-S", "-c", _PROBE]
    try:
        result = subprocess.run(
            probe,
            env={},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=_PROBE_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return (unshare, "-rn") if result.returncode == 0 else None


def _last_line(text: str) -> str:
    """Return the last non-empty line (the exception line of a traceback)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def _failure(returncode: int, stderr: str) -> SandboxError:
    """Describe why the child failed, from its exit status and stderr."""
    last = _last_line(stderr)
    if "File too large" in last:
        return SandboxError(f"Code wrote more than {MAX_FILE_BYTES} bytes of output or file data")
    if returncode < 0:
        name = signal.Signals(-returncode).name if -returncode in signal.valid_signals() else -returncode
        if returncode == -signal.SIGXCPU:
            return SandboxError("Code used too much CPU time")
        return SandboxError(f"Code was killed by signal {name}" + (f": {last}" if last else ""))
    return SandboxError(last or f"Code exited with status {returncode}")


def run_python(source: str, *, timeout_s: float = 5.0, memory_mb: int = 256, max_output: int = 4000) -> str:
    """Run untrusted Python in an isolated child process and return what it printed.

    If nothing was printed and the last statement is an expression, its repr is returned (REPL
    style). Failures, timeouts and a missing network sandbox raise SandboxError.
    """
    if len(source) > MAX_SOURCE_CHARS:
        raise SandboxError(f"Code is too long ({len(source)} characters, limit {MAX_SOURCE_CHARS})")
    prefix = _isolation_prefix()
    if prefix is None:
        raise SandboxError(
            "refusing to run code without network isolation: the sandbox needs `unshare` (util-linux) "
            "and unprivileged user namespaces"
        )
    cpu_s = int(timeout_s) + 1  # CPU time backs up the wall clock if the parent cannot kill
    with tempfile.TemporaryDirectory(prefix="lumos-sandbox-", ignore_cleanup_errors=True) as tmp:
        root = Path(tmp)
        workdir = root / "work"
        workdir.mkdir()
        (root / "code.py").write_text(source, encoding="utf-8")
        command = [
            *prefix,
            *(sys.executable, "-I", "-S", "-B", "-X", "utf8", "-c", _BOOTSTRAP),
            *(str(workdir), str(root / "code.py"), str(memory_mb), str(cpu_s), str(MAX_FILE_BYTES)),
        ]
        with open(root / "stdout", "w+b") as stdout, open(root / "stderr", "w+b") as stderr:
            process = subprocess.Popen(
                command,
                cwd=workdir,
                env={},
                stdin=subprocess.DEVNULL,
                stdout=stdout,
                stderr=stderr,
                start_new_session=True,  # its own process group, so a timeout kills everything
            )
            try:
                returncode = process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):  # it may have exited just now
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
                raise SandboxError(f"Code timed out after {timeout_s} s") from None
            stdout.seek(0)
            stderr.seek(0)
            output = stdout.read().decode("utf-8", errors="replace").strip()
            errors = stderr.read().decode("utf-8", errors="replace")
    if returncode != 0:
        raise _failure(returncode, errors)
    if len(output) > max_output:
        output = output[:max_output] + f"\n... (output truncated: {len(output)} characters in all)"
    return output
