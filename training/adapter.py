"""Write a trained PEFT LoRA as a llama.cpp LoRA adapter GGUF, stamped with the base it belongs to.

The layout is llama.cpp's (``src/llama-adapter.cpp``, what ``convert_lora_to_gguf.py`` writes):
``general.type = adapter``, ``adapter.type = lora``, ``adapter.lora.alpha``, and for each adapted
weight ``<tensor>.lora_a`` (rank x inputs) and ``<tensor>.lora_b`` (outputs x rank), named through
gguf-py's tensor-name map of the base's architecture. llama.cpp scales the product by alpha / rank,
as PEFT does. Two keys of this project's record the base's name and sha256, so the models layer
refuses the adapter over any other file (``models/adapters.py``).
"""

from pathlib import Path
from typing import Any

from models.adapters import BASE_NAME_KEY, BASE_SHA256_KEY, file_sha256
from training.base import Base
from training.export import PERMUTED_QK, ExportError, permute

_PEFT_PREFIX = "base_model.model."


def lora_tensors(model: Any, arch: str) -> dict[str, Any]:
    """Return the adapter's tensors by GGUF name (``blk.N.attn_q.weight.lora_a``), as float32 arrays."""
    import gguf

    config = model.config
    arch_enum = {name: key for key, name in gguf.MODEL_ARCH_NAMES.items()}[arch]
    names = gguf.get_tensor_name_map(arch_enum, config.num_hidden_layers)
    tensors: dict[str, Any] = {}
    for peft_name, tensor in model.state_dict().items():
        if ".lora_A." not in peft_name and ".lora_B." not in peft_name:
            continue
        part = "lora_a" if ".lora_A." in peft_name else "lora_b"
        stem = peft_name.removeprefix(_PEFT_PREFIX).split(".lora_")[0]  # model.layers.23.self_attn.q_proj
        mapped = names.get_name(stem)
        if mapped is None:
            raise ExportError(f"{stem} has no llama.cpp tensor name for the {arch} architecture")
        data = tensor.detach().to("cpu").float().numpy()
        if part == "lora_b" and PERMUTED_QK[arch] and mapped.endswith(("attn_q", "attn_k")):
            heads = config.num_attention_heads
            kv_heads = heads if mapped.endswith("attn_q") else config.num_key_value_heads
            data = permute(data, heads, kv_heads)  # llama.cpp's rows, as for the weight itself
        tensors[f"{mapped}.weight.{part}"] = data
    if not tensors:
        raise ExportError("the model has no LoRA weights to export")
    return tensors


def export_adapter(model: Any, base: Base, *, out: Path) -> Path:
    """Write the model's LoRA weights as an adapter GGUF for ``base`` (a GGUF base) and return its path."""
    import gguf
    import numpy as np

    if base.gguf is None:
        raise ExportError("an adapter GGUF needs a GGUF base (a preset or .gguf) to name its tensors")
    arch = gguf.GGUFReader(base.gguf).fields["general.architecture"].contents()
    if arch not in PERMUTED_QK:
        raise ExportError(f"adapters for {arch!r} models are not supported (only {', '.join(PERMUTED_QK)})")
    peft_config = model.peft_config["default"]
    writer = gguf.GGUFWriter(out, arch)
    writer.add_type(gguf.GGUFType.ADAPTER)
    writer.add_string(gguf.Keys.Adapter.TYPE, "lora")
    writer.add_float32(gguf.Keys.Adapter.LORA_ALPHA, float(peft_config.lora_alpha))
    writer.add_name(out.name.removesuffix(".gguf"))
    writer.add_string(BASE_NAME_KEY, base.name)
    writer.add_string(BASE_SHA256_KEY, file_sha256(base.gguf))
    for name, data in lora_tensors(model, arch).items():
        writer.add_tensor(name, data.astype(np.float16))  # llama.cpp converter's default type
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return out


def adapted_tensors(adapter: Path) -> frozenset[str]:
    """Return the names of the base tensors an adapter GGUF changes (``blk.N.attn_q.weight``, ...)."""
    import gguf

    return frozenset(
        t.name.removesuffix(".lora_a") for t in gguf.GGUFReader(adapter).tensors if t.name.endswith(".lora_a")
    )
