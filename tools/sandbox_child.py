"""The program the Code sandbox runs (``tools/sandbox.py``): limits, then the model's code, REPL style.

Run as ``python -I -S -c <this file's text> WORKDIR MEMORY_MB CPU_S FSIZE`` inside bubblewrap, with
the model's source on stdin and nothing of the project importable: it uses the standard library
only, and is never imported by the agent. Limits first, then read and compile the code, then the
audit hook (defence in depth; the boundary is the sandbox), then run it; an exception becomes one
short line on stderr.
"""

import ast
import builtins
import os
import resource
import sys
from collections.abc import Callable
from types import CodeType
from typing import Any, cast

MAX_MESSAGE_CHARS = 1000
_BLOCKED = (
    *("socket.", "subprocess.", "os.system", "os.exec", "os.spawn", "os.fork", "os.posix_spawn"),
    *("os.kill", "os.killpg", "signal.pthread_kill", "pty.", "ctypes.", "_ctypes.", "sqlite3."),
)
# audit events that change a path: how many of their leading arguments are paths
_PATH_EVENTS = {"os.remove": 1, "os.rmdir": 1, "os.mkdir": 1, "os.chmod": 1, "os.chown": 1, "os.truncate": 1}
_PATH_EVENTS |= {"os.utime": 1, "shutil.rmtree": 1, "os.rename": 2, "os.link": 2, "os.symlink": 2}
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


def limit(memory_mb: int, cpu_s: int, fsize: int) -> None:
    """Set the rlimits: address space, CPU seconds, file size, no core dumps, few files, no processes."""
    for which, value in [
        (resource.RLIMIT_AS, memory_mb * 1024 * 1024),
        (resource.RLIMIT_CPU, cpu_s),
        (resource.RLIMIT_FSIZE, fsize),
        (resource.RLIMIT_CORE, 0),
        (resource.RLIMIT_NOFILE, 64),
        (resource.RLIMIT_NPROC, 0),
    ]:
        resource.setrlimit(which, (value, value))


def assigned_name(statement: ast.stmt) -> str | None:
    """Return the one name a statement assigns (``x = ...``, ``x += ...``, ``x: int = ...``), else None."""
    if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
        target: ast.expr = statement.targets[0]
    elif isinstance(statement, (ast.AugAssign, ast.AnnAssign)) and getattr(statement, "value", None):
        target = statement.target
    else:
        return None
    return target.id if isinstance(target, ast.Name) else None


def load() -> tuple[CodeType, CodeType | None]:
    """Compile the source from stdin: its body, and what it ends with apart (REPL style).

    The ending is its last expression, or the variable its last statement assigns: a program that
    ends ``total = a + b`` without printing has computed ``total``, and that is its result.
    """
    tree = ast.parse(sys.stdin.read(), "<code>")
    ending: ast.expr | None = None
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        ending = cast(ast.Expr, tree.body.pop()).value
    elif tree.body and (name := assigned_name(tree.body[-1])):
        ending = ast.fix_missing_locations(ast.copy_location(ast.Name(name, ast.Load()), tree.body[-1]))
    tail = compile(ast.Expression(ending), "<code>", "eval") if ending is not None else None
    return compile(tree, "<code>", "exec"), tail


def guard(workdir: str) -> None:
    """Install the audit hook that refuses sockets, processes, ctypes and writes outside ``workdir``."""
    inside = os.path.realpath(workdir) + os.sep

    # Everything the hook calls is bound now: code that patches builtins or os later cannot steer it.
    def outside(
        path: Any,
        realpath: Callable[..., str] = os.path.realpath,
        fsdecode: Any = os.fsdecode,
        sep: str = os.sep,
        is_a: Callable[..., bool] = isinstance,
    ) -> bool:
        if is_a(path, int):
            return False  # an already open descriptor
        return not (realpath(fsdecode(path)) + sep).startswith(inside)

    def hook(
        event: str,
        args: tuple[Any, ...],
        starts: Callable[..., bool] = str.startswith,
        error: type[Exception] = PermissionError,
        any_of: Callable[..., bool] = any,
    ) -> None:
        if starts(event, _BLOCKED):
            raise error(f"sandbox: {event} is not allowed")
        if event == "open" and args[2] & _WRITE_FLAGS and outside(args[0]):
            raise error(f"sandbox: writing {args[0]!r} outside the work directory is not allowed")
        if event in _PATH_EVENTS and any_of(outside(p) for p in args[: _PATH_EVENTS[event]] if p is not None):
            raise error(f"sandbox: {event} is not allowed outside the working directory")

    sys.addaudithook(hook)  # from here on the code cannot remove it


def run(body: CodeType, tail: CodeType | None) -> None:
    """Run the code; print the value it ends with if nothing was printed."""
    namespace = {"__name__": "__main__", "__builtins__": builtins}
    exec(body, namespace)
    if tail is not None:
        value = eval(tail, namespace)
        sys.stdout.flush()
        if value is not None and os.fstat(1).st_size == 0:
            sys.stdout.write(repr(value) + "\n")


def report(
    error: BaseException, write: Callable[[str], Any] = sys.stderr.write, exit: Any = os._exit
) -> None:
    """Write the exception as one short line (the parent reads only the last line) and exit 1."""
    message = f"{type(error).__name__}: {error}"
    cut = message if len(message) <= MAX_MESSAGE_CHARS else message[:MAX_MESSAGE_CHARS] + " ... (truncated)"
    write("\n" + cut + "\n")
    sys.stderr.flush()
    exit(1)


if __name__ == "__main__":
    limit(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
    try:
        code = load()
        sys.stdin = open(os.devnull)  # the code gets no input
        guard(sys.argv[1])
        run(*code)
    except SystemExit:
        raise
    except BaseException as error:
        report(error)
