"""Training smoke test: fine-tune smollm2-135m for two steps, export a GGUF, load it through the models layer.

Needs the `train` extra (torch, transformers, peft), which `make test` installs; skipped without it.
"""

import json
import tarfile
from pathlib import Path

import pytest

from training import check, gsm8k
from training.conversations import EOS, to_conversation, training_text
from training.export import converter_script

SAMPLE = Path(__file__).parent / "data" / "gsm8k_train_sample.jsonl"


def sample_conversations(module="plan", formulation="onetime", n=4):
    rows = [json.loads(line) for line in SAMPLE.read_text().splitlines()][:n]
    return [to_conversation(check.check(gsm8k.convert(row)), module, formulation) for row in rows]


@pytest.fixture(scope="module")
def trained(smollm2_path, tmp_path_factory):
    pytest.importorskip("torch")
    pytest.importorskip("peft")
    from training.sft import TrainConfig, train

    out = tmp_path_factory.mktemp("run")
    config = TrainConfig(
        base=str(smollm2_path),
        out=out,
        name="plan",
        max_steps=2,
        batch_size=2,
        learning_rate=1e-3,
        max_seq_length=256,
    )
    return train(config, sample_conversations())


@pytest.mark.gguf
def test_training_exports_a_gguf_the_models_layer_loads(trained):
    from models.chat import ChatLlamaCpp
    from models.registry import load
    from models.template import render_lumos

    assert (trained.steps, trained.examples, trained.seen) == (2, 4, 4)
    assert trained.loss_png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    history = json.loads(trained.log.read_text())["history"]
    assert sum("loss" in h for h in history) == 2

    model = load(str(trained.gguf), n_ctx=1024, slot="smoke")
    llama = model.llama
    assert llama.tokenize(EOS.encode(), add_bos=False, special=True) == [llama.token_eos()]

    # what the models layer sends with the training rendering is exactly what training tokenized
    conversation = sample_conversations()[0]
    turns = [(m["role"], m["content"]) for m in conversation["messages"]]
    prompt = llama.tokenize(render_lumos(turns[:1], "train").encode(), add_bos=True, special=True)
    whole = llama.tokenize(training_text(conversation["messages"]).encode(), add_bos=True, special=True)
    assert whole[: len(prompt)] == prompt and whole[-1] == llama.token_eos()

    from langchain_core.messages import HumanMessage

    chat = ChatLlamaCpp(model=model, prompt_format="lumos-train", max_tokens=16)
    reply = chat.invoke([HumanMessage(content=turns[0][1])], stop=["\n"])
    assert EOS not in reply.text


@pytest.mark.gguf
def test_encode_masks_everything_but_assistant_turns(smollm2_path):
    pytest.importorskip("transformers")
    from transformers import AutoTokenizer

    from training.sft import IGNORE, encode

    tokenizer = AutoTokenizer.from_pretrained(smollm2_path.parent, gguf_file=smollm2_path.name)
    tokenizer.add_special_tokens({"additional_special_tokens": [EOS]})
    eos_id = tokenizer.convert_tokens_to_ids(EOS)
    conversation = sample_conversations(module="ground", formulation="iterative", n=1)[0]
    example = encode(conversation, tokenizer, eos_id=eos_id, bos_id=None, max_length=1024)
    targets = tokenizer.decode(
        [t for t, label in zip(example["input_ids"], example["labels"], strict=True) if label != IGNORE]
    )
    lines = [m["content"] for m in conversation["messages"] if m["role"] == "assistant"]
    assert targets == f"{EOS}\n".join(lines) + EOS  # each assistant turn, its EOS and newline; no prompt
    assert encode(conversation, tokenizer, eos_id=eos_id, bos_id=None, max_length=8) is None  # truncated away


def test_permute_inverts_what_transformers_undoes():
    np = pytest.importorskip("numpy")
    utils = pytest.importorskip("transformers.modeling_gguf_pytorch_utils")
    from training.export import _permute

    weights = np.arange(12 * 4, dtype=np.float32).reshape(12, 4)
    processor = utils.LlamaTensorProcessor({"num_attention_heads": 3, "num_key_value_heads": 3})
    back = processor.process(_permute(weights, 3, 3), "blk.0.attn_q.weight").weights
    assert (back == weights).all()


def test_converter_script_is_taken_from_the_sdist(tmp_path, monkeypatch):
    monkeypatch.delenv("LUMOS_CONVERT_HF_TO_GGUF", raising=False)

    def fake_download(version, into):
        archive = into / f"llama_cpp_python-{version}.tar.gz"
        with tarfile.open(archive, "w:gz") as sdist:
            for name in (
                "convert_hf_to_gguf.py",
                "conversion/__init__.py",
                "gguf-py/gguf/__init__.py",
                "README.md",
            ):
                source = tmp_path / "src" / name
                source.parent.mkdir(parents=True, exist_ok=True)
                source.write_text(f"# {name}\n")
                sdist.add(source, arcname=f"llama_cpp_python-{version}/vendor/llama.cpp/{name}")
        return archive

    script = converter_script(cache=tmp_path / "convert", download=fake_download)
    assert script.read_text() == "# convert_hf_to_gguf.py\n"
    assert (script.parent / "conversion" / "__init__.py").exists()
    assert (script.parent / "gguf-py" / "gguf" / "__init__.py").exists()
    assert not (script.parent / "README.md").exists()
    assert converter_script(cache=tmp_path / "convert", download=None) == script  # cached: no download
