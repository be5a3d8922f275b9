"""Where the project keeps what it downloads and builds: model files, corpus indexes, converted databases."""

import os
from pathlib import Path


def cache_dir() -> Path:
    """Return the model cache directory: $LUMOS_CACHE_DIR, else $XDG_CACHE_HOME/lumos/models."""
    if override := os.environ.get("LUMOS_CACHE_DIR"):
        return Path(override).expanduser()
    # The XDG spec says an empty XDG_CACHE_HOME must be treated as unset.
    xdg = os.environ.get("XDG_CACHE_HOME") or "~/.cache"
    return Path(xdg).expanduser() / "lumos" / "models"


def cache_root() -> Path:
    """Return the directory beside the model cache that holds the other caches (indexes, databases)."""
    return cache_dir().parent
