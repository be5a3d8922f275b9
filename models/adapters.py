"""LoRA adapters over a GGUF base: the ``base+adapter`` model spec, and the check that they belong together.

A trained Lumos module is a few megabytes of LoRA weights in llama.cpp's adapter GGUF, loaded over
the unchanged quantized base (``Llama(lora_path=...)`` in-process, ``llama-server --lora``). A spec
names both, ``qwen2.5-coder-0.5b+runs/plan/plan.lora.gguf``, or an adapter preset
(``models/catalogue.py``) names both at once. Adapters written by ``lumos train`` record their base's
name and sha256, and are refused over any other file; an adapter from elsewhere (llama.cpp's
``convert_lora_to_gguf.py``) carries no such record and is checked by architecture only, by llama.cpp.
"""

import hashlib
from dataclasses import dataclass
from pathlib import Path

from models.catalogue import ADAPTER_PRESETS, PRESETS

BASE_NAME_KEY = "lumos.base.name"
BASE_SHA256_KEY = "lumos.base.sha256"
_HASHED: dict[tuple[str, int, int], str] = {}  # (path, size, mtime_ns) -> sha256, once per process


class AdapterError(ValueError):
    """An adapter file is missing, is not a LoRA adapter, or was trained on another base."""


@dataclass(frozen=True)
class Spec:
    """A model spec taken apart: the base (preset, .gguf path or URL) and an optional adapter file."""

    base: str
    adapter: str | None = None


def parse_spec(spec: str) -> Spec:
    """Split ``base+adapter.gguf`` (or an adapter preset) into base and adapter; other specs stay whole."""
    if spec in ADAPTER_PRESETS:
        preset = ADAPTER_PRESETS[spec]
        return Spec(preset.base, str(preset.path))
    base, plus, adapter = spec.rpartition("+")
    if plus and base.startswith(("http://", "https://")) and adapter.lower().endswith(".gguf"):
        raise AdapterError(
            f"{spec}: a llama-server's adapter is chosen when it starts, one set per server; "
            f"serve it with `lumos serve --model BASE+{adapter}` and pass that server's URL"
        )
    base_like = base in PRESETS or base.lower().endswith(".gguf")  # not a '+' inside one file name
    if plus and base_like and adapter.lower().endswith(".gguf"):
        return Spec(base, adapter)
    return Spec(spec)


def missing_files(spec: str) -> list[str]:
    """Return the files a spec names that do not exist (presets and URLs name none); nothing is hashed."""
    if spec.startswith(("http://", "https://")):
        return []
    parts = parse_spec(spec)
    named = [name for name in (parts.base, parts.adapter) if name and name not in PRESETS]
    return [name for name in named if not Path(name).expanduser().is_file()]


def resolve_spec(spec: str) -> tuple[Path, Path | None]:
    """Return the verified base GGUF of a spec and its checked adapter (None without one)."""
    from models.presets import resolve

    parts = parse_spec(spec)
    base = resolve(parts.base)
    return base, check_adapter(parts.adapter, base) if parts.adapter else None


def file_sha256(path: Path) -> str:
    """Return a file's sha256 (a preset's from the catalogue; any other file hashed once per process)."""
    for preset in PRESETS.values():
        if path.name == preset.filename and path.stat().st_size == preset.size:
            return preset.sha256  # resolve() has verified it against this digest already
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _HASHED:
        digest = hashlib.sha256()
        with path.open("rb") as source:
            while chunk := source.read(1 << 20):
                digest.update(chunk)
        _HASHED[key] = digest.hexdigest()
    return _HASHED[key]


def adapter_base(path: Path) -> tuple[str | None, str | None]:
    """Return the base name and sha256 an adapter records (None, None for adapters made elsewhere)."""
    from gguf import GGUFReader  # deferred: importing this module must stay cheap

    try:
        fields = GGUFReader(path).fields
    except (ValueError, OSError) as err:
        raise AdapterError(f"{path} is not a readable GGUF file ({err})") from err
    kind = fields.get("general.type")
    if kind is None or kind.contents() != "adapter" or fields["adapter.type"].contents() != "lora":
        raise AdapterError(f"{path} is not a LoRA adapter GGUF (general.type is not `adapter`)")
    name, sha = fields.get(BASE_NAME_KEY), fields.get(BASE_SHA256_KEY)
    return (name.contents() if name else None), (sha.contents() if sha else None)


def check_adapter(adapter: str, base_path: Path) -> Path:
    """Return the adapter's path if it is a LoRA adapter trained on ``base_path``, else raise AdapterError."""
    path = Path(adapter).expanduser()
    if not path.is_file():
        raise AdapterError(f"adapter {adapter} does not exist; a spec is BASE+ADAPTER.gguf")
    shipped = [p for p in ADAPTER_PRESETS.values() if p.path.resolve() == path.resolve()]
    if shipped and file_sha256(path) != shipped[0].sha256:
        raise AdapterError(f"refusing {path}: its sha256 is not the {shipped[0].name} preset's (damaged)")
    name, sha = adapter_base(path)
    if sha is not None and sha != file_sha256(base_path):
        raise AdapterError(
            f"adapter {path} was trained on {name} (sha256 {sha[:12]}...), not on {base_path.name}; "
            f"load it over that base: {name}+{adapter}"
        )
    return path.resolve()
