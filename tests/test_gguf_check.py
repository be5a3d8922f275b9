"""A .gguf file is walked before llama.cpp loads it: every malformed file gets its own reason."""

import struct
from pathlib import Path

import gguf
import pytest
from tiny_gguf import write_tiny

from models import presets
from models.gguf_check import GGUFError, check_gguf


def patched(source: Path, target: Path, offset: int, data: bytes) -> Path:
    raw = bytearray(source.read_bytes())
    raw[offset : offset + len(data)] = data
    target.write_bytes(bytes(raw))
    return target


def test_a_valid_file_passes_and_its_layout_matches_gguf_py(tmp_path: Path) -> None:
    path = write_tiny(tmp_path / "tiny.gguf")
    layout = check_gguf(path)
    reader = gguf.GGUFReader(str(path))
    assert layout.tensors == 2 and layout.version == 3
    assert layout.data_start == reader.data_offset
    assert layout.data_end == max(int(t.data_offset) + int(t.n_bytes) for t in reader.tensors)


@pytest.mark.gguf
def test_the_registry_models_pass_and_match_gguf_py(smollm2_path: Path) -> None:
    layout = check_gguf(smollm2_path)
    reader = gguf.GGUFReader(str(smollm2_path))
    assert (layout.tensors, layout.data_start) == (len(reader.tensors), reader.data_offset)
    assert layout.data_end == max(int(t.data_offset) + int(t.n_bytes) for t in reader.tensors)
    assert layout.data_end <= smollm2_path.stat().st_size


def test_every_kind_of_bad_file_gets_its_reason(tmp_path: Path) -> None:
    good = write_tiny(tmp_path / "tiny.gguf")
    raw = good.read_bytes()
    key_length_at = 24  # the first metadata key's length follows the 24-byte header
    cases = {
        "empty": (b"", "shorter than a GGUF header"),
        "text": (b"this is a text file, renamed to .gguf\n" * 3, "starts with b'this', not b'GGUF'"),
        "magic": (b"GGUX" + raw[4:], "not b'GGUF'"),
        "version": (raw[:4] + struct.pack("<I", 7) + raw[8:], "GGUF version 7 is not supported"),
        "tensor count": (
            raw[:8] + struct.pack("<Q", 2**60) + raw[16:],
            "the tensor count is 1152921504606846976, more than",
        ),
        "metadata count": (raw[:16] + struct.pack("<Q", 10**15) + raw[24:], "the metadata count is"),
        "key length": (
            raw[:key_length_at] + struct.pack("<Q", 2**40) + raw[key_length_at + 8 :],
            "the length of metadata key 0 is",
        ),
        "truncated in metadata": (raw[:40], "truncated"),
        "truncated in the data": (raw[: len(raw) - 30], "tensor 'b' ends at byte"),
    }
    for name, (data, reason) in cases.items():
        path = tmp_path / f"{name.replace(' ', '-')}.gguf"
        path.write_bytes(data)
        with pytest.raises(GGUFError, match=reason.replace("(", r"\(").replace("'", "'")):
            check_gguf(path)


def test_an_unknown_value_or_tensor_type_is_named(tmp_path: Path) -> None:
    good = write_tiny(tmp_path / "tiny.gguf")
    raw = good.read_bytes()
    first_key = b"general.architecture"
    type_at = raw.index(first_key) + len(first_key)  # the value type follows the key
    with pytest.raises(GGUFError, match="unknown value type 99"):
        check_gguf(patched(good, tmp_path / "value.gguf", type_at, struct.pack("<I", 99)))
    name_at = raw.rindex(b"\x01\x00\x00\x00\x00\x00\x00\x00b")  # tensor "b": its name's length, then "b"
    tensor_type_at = name_at + 8 + 1 + 4 + 8  # name, rank 1, one dimension
    with pytest.raises(GGUFError, match="tensor 'b' has unknown type 250"):
        check_gguf(patched(good, tmp_path / "tensor.gguf", tensor_type_at, struct.pack("<I", 250)))


def test_resolving_a_bad_file_is_a_clear_error_before_llama_cpp(tmp_path: Path) -> None:
    fake = tmp_path / "model.gguf"
    fake.write_text("not a model")
    with pytest.raises(GGUFError, match="not a GGUF model"):
        presets.resolve(str(fake))


def test_the_cli_reports_a_bad_model_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from cli import main

    fake = tmp_path / "broken.gguf"
    fake.write_bytes(b"GGUF" + struct.pack("<I", 3) + struct.pack("<QQ", 1, 1))
    assert main(["run", "--planner", str(fake), "--grounder", str(fake), "What is 1 + 1?"]) != 0
    output = capsys.readouterr()
    assert "broken.gguf" in output.out + output.err and "truncated" in output.out + output.err
