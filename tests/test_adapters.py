"""Model specs with a LoRA adapter: how they are taken apart, and which adapters are refused before llama.cpp."""

import gguf
import numpy as np
import pytest
from tiny_gguf import write_tiny

from models import adapters
from models.adapters import AdapterError, Spec, check_adapter, parse_spec
from models.catalogue import AdapterPreset


def write_adapter(path, *, base_sha=None, kind="adapter"):
    writer = gguf.GGUFWriter(str(path), "qwen2")
    writer.add_type(kind)
    writer.add_string(gguf.Keys.Adapter.TYPE, "lora")
    writer.add_float32(gguf.Keys.Adapter.LORA_ALPHA, 32.0)
    if base_sha:
        writer.add_string(adapters.BASE_NAME_KEY, "tiny-base")
        writer.add_string(adapters.BASE_SHA256_KEY, base_sha)
    writer.add_tensor("blk.0.attn_q.weight.lora_a", np.zeros((2, 8), dtype=np.float16))
    writer.add_tensor("blk.0.attn_q.weight.lora_b", np.zeros((8, 2), dtype=np.float16))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("qwen2.5-coder-0.5b", Spec("qwen2.5-coder-0.5b")),
        (
            "qwen2.5-coder-0.5b+runs/plan/plan.lora.gguf",
            Spec("qwen2.5-coder-0.5b", "runs/plan/plan.lora.gguf"),
        ),
        ("/models/a+b.gguf", Spec("/models/a+b.gguf")),  # a '+' inside one file name: no adapter
        ("/models/base.gguf+/x/y.LORA.GGUF", Spec("/models/base.gguf", "/x/y.LORA.GGUF")),
        ("http://127.0.0.1:8080", Spec("http://127.0.0.1:8080")),
    ],
)
def test_a_spec_splits_into_base_and_adapter(spec, expected):
    assert parse_spec(spec) == expected


def test_an_adapter_on_a_server_url_says_how_to_serve_it():
    with pytest.raises(AdapterError, match="lumos serve --model BASE"):
        parse_spec("http://127.0.0.1:8080+plan.lora.gguf")


def test_an_adapter_preset_names_its_base_and_file(monkeypatch, tmp_path):
    preset = AdapterPreset("lumos-test", "qwen2.5-coder-0.5b", "x.lora.gguf", "0" * 64, "test")
    monkeypatch.setitem(adapters.ADAPTER_PRESETS, "lumos-test", preset)
    assert parse_spec("lumos-test") == Spec("qwen2.5-coder-0.5b", str(preset.path))


def test_an_adapter_is_checked_against_the_base_it_records(tmp_path):
    base = write_tiny(tmp_path / "base.gguf")
    other = tmp_path / "other.gguf"
    other.write_bytes(base.read_bytes() + b"\0")
    adapter = write_adapter(tmp_path / "a.lora.gguf", base_sha=adapters.file_sha256(base))
    assert check_adapter(str(adapter), base) == adapter.resolve()
    with pytest.raises(AdapterError, match=r"trained on tiny-base .*not on other.gguf.*tiny-base\+"):
        check_adapter(str(adapter), other)


def test_a_foreign_adapter_without_a_base_record_is_left_to_llama_cpp(tmp_path):
    base = write_tiny(tmp_path / "base.gguf")
    adapter = write_adapter(tmp_path / "foreign.lora.gguf")
    assert check_adapter(str(adapter), base) == adapter.resolve()


def test_missing_files_and_models_that_are_not_adapters_are_refused(tmp_path):
    base = write_tiny(tmp_path / "base.gguf")
    with pytest.raises(AdapterError, match="does not exist"):
        check_adapter(str(tmp_path / "nope.gguf"), base)
    with pytest.raises(AdapterError, match="not a LoRA adapter"):
        check_adapter(str(base), base)
    junk = tmp_path / "junk.gguf"
    junk.write_bytes(b"not a gguf at all")
    with pytest.raises(AdapterError, match="not a readable GGUF"):
        check_adapter(str(junk), base)


def test_a_damaged_adapter_preset_is_refused(monkeypatch, tmp_path):
    base = write_tiny(tmp_path / "base.gguf")
    adapter = write_adapter(tmp_path / "shipped.lora.gguf")
    preset = AdapterPreset("lumos-test", "qwen2.5-coder-0.5b", "shipped.lora.gguf", "0" * 64, "test")
    monkeypatch.setattr(AdapterPreset, "path", property(lambda self: adapter))
    monkeypatch.setitem(adapters.ADAPTER_PRESETS, "lumos-test", preset)
    with pytest.raises(AdapterError, match="damaged"):
        check_adapter(str(adapter), base)
