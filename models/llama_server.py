"""llama.cpp's own server binary: built once from the pinned llama-cpp-python sources, started on loopback.

``binary()`` returns ``llama-server`` from the cache, building it the first time from the llama.cpp
tree vendored in the installed llama-cpp-python's source distribution (the same version as the
in-process backend), with the same AMX-safe CPU flags (``$CMAKE_ARGS``, as the Makefile sets
them). The build switches off everything that would fetch at build or run time (the prebuilt web
UI, HTTPS). ``serve()`` starts it on ``127.0.0.1`` with a preset, ``--parallel N`` slots and
continuous batching, waits for ``/health`` and stops it (and only it) on exit.
"""

import importlib.metadata
import logging
import os
import re
import shutil
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from tqdm import tqdm

from common.sdist import SdistError, download_sdist
from models.adapters import resolve_spec
from models.presets import cache_dir
from models.window import context_window

# the Makefile's CMAKE_ARGS: portable AVX2, since a native build segfaults where AMX is advertised
DEFAULT_CMAKE_ARGS = (
    "-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON"
)
OFFLINE_BUILD = (  # nothing downloaded while building or serving; only the server is built
    "-DLLAMA_BUILD_SERVER=ON -DLLAMA_BUILD_TOOLS=ON -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF "
    "-DLLAMA_BUILD_APP=OFF -DLLAMA_BUILD_UI=OFF -DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_OPENSSL=OFF "
    "-DBUILD_SHARED_LIBS=OFF -DCMAKE_BUILD_TYPE=Release"
)
START_TIMEOUT_S = 180.0
logger = logging.getLogger(__name__)


class ServerBuildError(RuntimeError):
    """llama-server could not be built or started."""


def binary_path() -> Path:
    """Return where this llama-cpp-python version's llama-server is kept once built."""
    version = importlib.metadata.version("llama-cpp-python")
    return cache_dir().parent / f"llama-server-{version}" / "llama-server"


def binary(*, build: bool = True) -> Path:
    """Return the llama-server binary, building it first (minutes) when it is not in the cache."""
    if override := os.environ.get("LUMOS_LLAMA_SERVER"):
        return Path(override)
    path = binary_path()
    if path.exists():
        return path
    if not build:
        raise ServerBuildError(f"llama-server is not built ({path}); `make server` builds it")
    return _build(path)


def _build(path: Path) -> Path:
    version = importlib.metadata.version("llama-cpp-python")
    beside = Path(sys.executable).parent / "cmake"  # the `cmake` wheel of the dev extra
    cmake = str(beside) if beside.exists() else shutil.which("cmake")
    if cmake is None:
        raise ServerBuildError(
            "building llama-server needs cmake and a C++ compiler (pip install cmake; apt-get install g++)"
        )
    jobs = os.environ.get("CMAKE_BUILD_PARALLEL_LEVEL") or str(os.cpu_count() or 2)
    flags = f"{os.environ.get('CMAKE_ARGS') or DEFAULT_CMAKE_ARGS} {OFFLINE_BUILD}".split()
    with tempfile.TemporaryDirectory() as tmp:
        try:
            archive = download_sdist("llama-cpp-python", version, Path(tmp))
        except SdistError as err:
            raise ServerBuildError(str(err)) from None
        prefix = f"llama_cpp_python-{version}/vendor/llama.cpp/"
        with tarfile.open(archive) as sdist:
            members = [m for m in sdist.getmembers() if m.name.startswith(prefix)]
            sdist.extractall(tmp, members=members, filter="data")
        source, build = Path(tmp) / prefix, Path(tmp) / "build"
        log = path.parent / "build.log"
        path.parent.mkdir(parents=True, exist_ok=True)
        logger.warning(
            "building llama-server %s from its sources (about 10 min on 2 cores; log %s)", version, log
        )
        with log.open("w") as out:
            _run([cmake, "-S", str(source), "-B", str(build), *flags], out, log)
            _run([cmake, "--build", str(build), "--target", "llama-server", "-j", jobs], out, log)
        built = build / "bin" / "llama-server"
        staged = path.with_suffix(".tmp")
        shutil.copy2(built, staged)
        staged.replace(path)
    return path


# the build tool's progress: ninja's "[12/206] Building ...", make's "[ 35%] Building ..."
_STEP = re.compile(r"^\[\s*(?:(\d+)/(\d+)|(\d+)%)\]")


def _run(command: list[str], out: IO[str], log: Path) -> None:
    """Run one build step into the log, with a progress bar over the build tool's step count."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert process.stdout is not None
    with tqdm(desc="building llama-server", unit="step", mininterval=10) as bar:
        for line in process.stdout:
            out.write(line)
            if step := _STEP.match(line):
                done, total = (int(step[1]), int(step[2])) if step[1] else (int(step[3]), 100)
                bar.total = total
                bar.update(max(0, done - bar.n))
    if process.wait() != 0:
        out.flush()
        tail = log.read_text(errors="replace")[-3000:]
        raise ServerBuildError(f"building llama-server failed ({' '.join(command[:2])}):\n{tail}")


def free_port() -> int:
    """Return a loopback port nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def command(
    spec: str, *, port: int, parallel: int = 1, n_ctx: int | None = None, threads: int | None = None
) -> list[str]:
    """Return the llama-server command line for a preset or GGUF: loopback, N slots, continuous batching.

    A ``base+adapter.gguf`` spec serves the base with that LoRA adapter applied to every request:
    one adapter set per server, so no slot's cached prompt is ever reused under another adapter.
    """
    threads = threads or int(os.environ.get("LUMOS_THREADS") or 0) or os.cpu_count() or 1
    base, lora = resolve_spec(spec)
    adapter = ["--lora", str(lora)] if lora else []
    n_ctx = n_ctx or context_window(base)  # per slot, sized as the in-process backend sizes it
    return [
        str(binary()),
        "--model", str(base),
        *adapter,
        "--host", "127.0.0.1",
        "--port", str(port),
        "--parallel", str(parallel),
        "--cont-batching",
        "--ctx-size", str(n_ctx * parallel),  # each slot gets the in-process backend's window
        "--threads", str(threads),
        "--threads-batch", str(threads),
        "--seed", "0",
        # the in-process backend's numerics: no flash attention, 512-token batches (llama-cpp-python's
        # defaults); llama-server's own (flash attention on where it can, 2048-token batches) change
        # greedy outputs after a few dozen tokens
        "--flash-attn", "off",
        "--batch-size", "512",
        "--ubatch-size", "512",
        "--no-webui",
    ]  # fmt: skip


@contextmanager
def serve(
    spec: str, *, port: int | None = None, parallel: int = 1, n_ctx: int | None = None
) -> Iterator[str]:
    """Start llama-server for ``spec`` and yield its URL once it answers ``/health``; stop it after."""
    port = port or free_port()
    url = f"http://127.0.0.1:{port}"
    log = tempfile.NamedTemporaryFile("w+", prefix="llama-server-", suffix=".log", delete=False)
    process = subprocess.Popen(
        command(spec, port=port, parallel=parallel, n_ctx=n_ctx), stdout=log, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not _healthy(url):
            if process.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                raise ServerBuildError(f"llama-server did not start ({url}):\n{log.read()[-3000:]}")
            time.sleep(0.25)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        os.unlink(log.name)


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/health", timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False
