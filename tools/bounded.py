"""Run a tool in a worker process that a wall-clock limit can kill, so no tool call can hang a run.

sympy can spend minutes on an innocent-looking equation (``x**(1/3) + x**(1/5) = 2``), and a
thread cannot be stopped from outside, so the slow tools run in a pool of worker processes
(pebble, made for exactly this): a call past its limit kills its worker, a fresh one takes its
place, and the call becomes a ``ToolError`` saying it timed out. Workers are started with
``spawn`` (never forked from a process holding llama.cpp threads) without re-importing the
caller's ``__main__`` (a script that runs the agent at module level, without a main guard, would
otherwise run again in every worker), have an address-space limit, and die with the agent
(``PR_SET_PDEATHSIG``, and an ``atexit`` stop). Every wait on a worker, its start-up included, is
bounded by the call's limit. A forked child never uses its parent's pool: it starts its own.
"""

import atexit
import concurrent.futures
import ctypes
import multiprocessing
import multiprocessing.context
import multiprocessing.popen_spawn_posix
import multiprocessing.process
import multiprocessing.spawn
import os
import resource
import signal
import threading
from collections.abc import Callable
from typing import TypeVar

import pebble

from models.deadline import remaining
from tools.errors import ToolError

WORKERS = 2
WORKER_MEMORY_BYTES = 2 << 30  # a runaway sympy expansion fails with MemoryError, not the machine
START_GRACE_S = 0.5  # beyond the call's limit, for pebble to report its own timeout first
_PR_SET_PDEATHSIG = 1

Result = TypeVar("Result")
_pool: pebble.ProcessPool | None = None
_pool_pid = 0  # the process that started _pool: a forked child starts a pool of its own
_pool_lock = threading.Lock()
_stopped = threading.Event()  # set when the pool stops: its owner thread may then end
_launching = threading.local()  # set while this thread launches a tool worker
_real_preparation_data = multiprocessing.spawn.get_preparation_data


def _preparation_data(name: str) -> dict[str, object]:
    """What a spawned process is told of its parent; for a tool worker, not the caller's main module."""
    data: dict[str, object] = _real_preparation_data(name)
    if getattr(_launching, "worker", False):  # tool workers need only importable functions (tools.*)
        data.pop("init_main_from_path", None)
        data.pop("init_main_from_name", None)
    return data


class _WorkerPopen(multiprocessing.popen_spawn_posix.Popen):
    def _launch(self, process_obj: multiprocessing.process.BaseProcess) -> None:
        _launching.worker = True
        try:
            super()._launch(process_obj)  # type: ignore[misc]  # typeshed omits the private method
        finally:
            _launching.worker = False


class _WorkerProcess(multiprocessing.context.SpawnProcess):
    @staticmethod
    def _Popen(process_obj: multiprocessing.process.BaseProcess) -> _WorkerPopen:
        return _WorkerPopen(process_obj)


class _WorkerContext(multiprocessing.context.SpawnContext):
    """``spawn``, except that a worker does not re-import the caller's ``__main__``."""

    Process = _WorkerProcess


def _init_worker() -> None:
    """Tie the worker to the agent's life and cap its memory (runs in each new worker)."""
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() == 1:  # the agent died before the line above ran
        os._exit(1)
    resource.setrlimit(resource.RLIMIT_AS, (WORKER_MEMORY_BYTES, WORKER_MEMORY_BYTES))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _start_pool() -> pebble.ProcessPool:
    """Start the worker pool in a thread of its own, which lives until the pool is stopped.

    The parent-death signal fires when the *thread* that forked a worker ends, not the process,
    and pebble forks the first workers in the thread that starts the pool: started from a graph
    node's short-lived executor thread, the pool would lose its workers when that thread ended.
    (pebble's own manager thread, which lives as long as the pool, forks the replacements.)
    """
    made: list[pebble.ProcessPool] = []
    ready = threading.Event()

    def own() -> None:
        pool = pebble.ProcessPool(max_workers=WORKERS, initializer=_init_worker, context=_WorkerContext())
        if pool.active:  # starts the pool, forking its first workers from this thread
            made.append(pool)
        ready.set()
        _stopped.wait()

    _stopped.clear()
    threading.Thread(target=own, name="lumos-tool-pool", daemon=True).start()
    ready.wait()
    if not made:
        raise ToolError("the tools' worker pool did not start")
    return made[0]


def _shared_pool() -> pebble.ProcessPool:
    """Return this process's worker pool, starting it on first use (and in a forked child, anew)."""
    global _pool, _pool_pid
    with _pool_lock:
        if _pool is None or _pool_pid != os.getpid() or not _pool.active:
            if _pool is not None and _pool_pid == os.getpid():
                _stopped.set()  # the stopped pool's owner thread may end
            if multiprocessing.spawn.get_preparation_data is not _preparation_data:
                multiprocessing.spawn.get_preparation_data = _preparation_data
            _pool, _pool_pid = _start_pool(), os.getpid()
            atexit.register(shutdown)  # before multiprocessing's own exit hook joins the workers
        return _pool


def call(name: str, function: Callable[[str], Result], args: str, timeout_s: float) -> Result:
    """Return ``function(args)`` computed in a worker, or raise ToolError if it took over ``timeout_s``.

    The limit shrinks to what is left of the run's wall-clock budget (``models.deadline``).
    """
    left = remaining()
    limit = timeout_s if left is None else max(0.0, min(timeout_s, left))
    if limit <= 0:
        raise ToolError(f"{name}: not run, the run's wall-clock budget is spent")
    future = _shared_pool().schedule(function, args=(args,), timeout=limit)
    try:
        return future.result(timeout=limit + START_GRACE_S)  # a worker that never starts cannot hang us
    except concurrent.futures.TimeoutError:
        started = future.running() or future.done()
        future.cancel()  # pebble stops the worker that runs it
        if not started:
            raise ToolError(f"{name}: no tool worker started within {limit:g} s (tool_timeout_s)") from None
        raise ToolError(f"{name}: timed out after {limit:g} s (tool_timeout_s)") from None
    except pebble.ProcessExpired as err:  # killed from outside, or out of memory in native code
        raise ToolError(f"{name}: the tool's worker process died ({err})") from None


def bounded(name: str, function: Callable[[str], Result], timeout_s: float) -> Callable[[str], Result]:
    """Return ``function`` made to run in a worker under a ``timeout_s`` wall-clock limit."""

    def tool(args: str) -> Result:
        return call(name, function, args, timeout_s)

    tool.__name__ = tool.__qualname__ = f"bounded_{getattr(function, '__name__', name)}"
    tool.__doc__ = function.__doc__
    return tool


def shutdown() -> None:
    """Stop this process's worker pool (at exit, and in tests); a parent's pool is left alone."""
    global _pool
    with _pool_lock:
        if _pool is not None and _pool_pid == os.getpid():
            _pool.stop()
            _pool.join()
            _pool = None
            _stopped.set()
