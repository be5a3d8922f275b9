"""Export a merged fine-tune to GGUF, so the models layer (llama.cpp) loads it like any preset.

Two routes, both onto maintained tooling:

* **From a GGUF base** (a preset): the base file is the template. Its metadata, tokenizer included,
  is copied as llama.cpp wrote it, each tensor LoRA trained is replaced by the merged one (found
  through gguf-py's tensor-name map) and every other tensor is copied byte for byte, in the base's
  own quantization. This avoids rebuilding a tokenizer from what transformers reconstructed out of
  the GGUF (which loses the pre-tokenizer llama.cpp keys on). Architectures: llama (Q/K rows
  permuted back as llama.cpp's converter does), qwen2, qwen3.
* **From a Hugging Face base**: llama.cpp's own ``convert_hf_to_gguf.py`` on the merged folder, taken
  from the llama-cpp-python source distribution of the installed version (fetched once with pip).
"""

import importlib.metadata
import logging
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from common.sdist import SdistError, download_sdist

log = logging.getLogger(__name__)
PERMUTED_QK = {"llama": True, "qwen2": False, "qwen3": False}  # archs the template route supports
CONVERTER_MEMBERS = ("convert_hf_to_gguf.py", "conversion/", "gguf-py/")
PIP_TIMEOUT_S = 1800


class ExportError(RuntimeError):
    """A fine-tune cannot be exported to GGUF; the message says why and what to do."""


def permute(weights: Any, n_head: int, n_head_kv: int) -> Any:
    """Reorder Q/K rows the way llama.cpp's converter does (transformers undoes it when loading)."""
    if n_head != n_head_kv:
        n_head = n_head_kv
    return (
        weights.reshape(n_head, 2, weights.shape[0] // n_head // 2, *weights.shape[1:])
        .swapaxes(1, 2)
        .reshape(weights.shape)
    )


def export_gguf(
    model: Any,
    tokenizer: Any,
    *,
    out: Path,
    base_gguf: Path | None,
    eos_id: int,
    trained: frozenset[str] = frozenset(),
    outtype: str = "f16",
) -> Path:
    """Write a merged model to ``out`` as GGUF (``trained``: the GGUF names of the tensors LoRA changed)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    if base_gguf is not None:
        return from_template(model, base_gguf, out=out, trained=trained, outtype=outtype)
    return with_converter(model, tokenizer, out=out, eos_id=eos_id, outtype=outtype)


def _field_value(field: Any) -> tuple[Any, Any, Any]:
    import gguf

    vtype = field.types[0]
    return field.contents(), vtype, field.types[-1] if vtype == gguf.GGUFValueType.ARRAY else None


def from_template(model: Any, base_gguf: Path, *, out: Path, trained: frozenset[str], outtype: str) -> Path:
    """Write the trained tensors into a copy of the base GGUF, every other tensor copied as it is."""
    import gguf
    import numpy as np

    reader = gguf.GGUFReader(base_gguf)
    arch = reader.fields["general.architecture"].contents()
    if arch not in PERMUTED_QK:
        raise ExportError(
            f"GGUF export from a {arch!r} GGUF is not supported (only {', '.join(PERMUTED_QK)}); "
            "train from the Hugging Face model folder instead"
        )
    config = model.config
    arch_enum = {name: key for key, name in gguf.MODEL_ARCH_NAMES.items()}[arch]
    names = gguf.get_tensor_name_map(arch_enum, config.num_hidden_layers)
    tensors: dict[str, Any] = {}
    for hf_name, tensor in model.state_dict().items():
        stem, _, suffix = hf_name.rpartition(".")
        mapped = names.get_name(stem)
        if mapped is not None and f"{mapped}.{suffix}" in trained:
            tensors[f"{mapped}.{suffix}"] = tensor.detach().to("cpu").float().numpy()
    if trained - tensors.keys():
        raise ExportError(
            f"trained tensors missing from the merged model: {sorted(trained - tensors.keys())}"
        )

    writer = gguf.GGUFWriter(out, arch)
    for field in reader.fields.values():
        if field.name.startswith("GGUF.") or field.name == "general.architecture":
            continue
        value, vtype, sub_type = _field_value(field)
        writer.add_key_value(field.name, value, vtype, sub_type=sub_type)
    for base_tensor in reader.tensors:
        name = base_tensor.name
        if name not in tensors:  # untrained: the base's own bytes and quantization
            writer.add_tensor(name, base_tensor.data, raw_dtype=base_tensor.tensor_type)
            continue
        data = tensors[name]
        if PERMUTED_QK[arch] and ".attn_q." in name:
            data = permute(data, config.num_attention_heads, config.num_attention_heads)
        elif PERMUTED_QK[arch] and ".attn_k." in name:
            data = permute(data, config.num_attention_heads, config.num_key_value_heads)
        expected = tuple(int(n) for n in reversed(base_tensor.shape))
        if data.shape != expected:
            raise ExportError(f"{name}: fine-tuned shape {data.shape} does not fit the base's {expected}")
        if data.ndim == 1 or outtype == "f32":
            writer.add_tensor(name, data.astype(np.float32))
        elif outtype == "f16" or data.shape[-1] % 32:
            writer.add_tensor(name, data.astype(np.float16))
        else:
            quantized = gguf.quants.quantize(data, gguf.GGMLQuantizationType.Q8_0)
            writer.add_tensor(name, quantized, raw_dtype=gguf.GGMLQuantizationType.Q8_0)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file(progress=True)
    writer.close()
    return out


def _download_sdist(version: str, into: Path) -> Path:
    try:
        return download_sdist("llama-cpp-python", version, into)
    except SdistError as err:
        raise ExportError(str(err)) from err


def converter_script(
    cache: Path | None = None, download: Callable[[str, Path], Path] = _download_sdist
) -> Path:
    """Return llama.cpp's ``convert_hf_to_gguf.py`` for the installed llama-cpp-python, fetching it once.

    ``$LUMOS_CONVERT_HF_TO_GGUF`` names a script to use instead.
    """
    if override := os.environ.get("LUMOS_CONVERT_HF_TO_GGUF"):
        return Path(override)
    from models.presets import cache_dir

    version = importlib.metadata.version("llama-cpp-python")
    folder = cache if cache is not None else cache_dir().parent / f"llama.cpp-convert-{version}"
    script = folder / "convert_hf_to_gguf.py"
    if script.exists():
        return script
    with tempfile.TemporaryDirectory() as tmp:
        archive = download(version, Path(tmp))
        staging = Path(tmp) / "staging"
        with tarfile.open(archive) as sdist:
            for member in sdist.getmembers():
                _, _, inside = member.name.partition("/vendor/llama.cpp/")
                if member.isfile() and inside.startswith(CONVERTER_MEMBERS):
                    source = sdist.extractfile(member)
                    if source is not None:
                        target = staging / inside
                        target.parent.mkdir(parents=True, exist_ok=True)
                        target.write_bytes(source.read())
        if not (staging / "convert_hf_to_gguf.py").exists():
            raise ExportError(f"{archive.name} has no vendor/llama.cpp/convert_hf_to_gguf.py")
        folder.parent.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(folder, ignore_errors=True)
        shutil.move(staging, folder)
    return script


def with_converter(model: Any, tokenizer: Any, *, out: Path, eos_id: int, outtype: str) -> Path:
    """Save the merged model as a Hugging Face folder and convert it with llama.cpp's converter."""
    folder = out.parent / "merged"
    model.config.eos_token_id = eos_id
    model.generation_config.eos_token_id = eos_id
    model.save_pretrained(folder, safe_serialization=True)
    tokenizer.eos_token = tokenizer.convert_ids_to_tokens(eos_id)
    tokenizer.save_pretrained(folder)
    script = converter_script()
    command = [sys.executable, str(script), str(folder), "--outfile", str(out), "--outtype", outtype]
    try:
        subprocess.run(command, check=True, timeout=PIP_TIMEOUT_S)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as err:
        raise ExportError(f"llama.cpp's converter failed on {folder}: {err}") from err
    return out
