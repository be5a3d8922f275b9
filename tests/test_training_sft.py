"""Training: smollm2-135m fine-tuned for three steps (stopped, resumed), its adapter loaded by both backends.

Needs the `train` extra (torch, transformers, peft), which `make test` installs; skipped without it.
"""

import json
import tarfile
from pathlib import Path

import pytest
from langchain_core.messages import HumanMessage

from training import check, gsm8k
from training.conversations import EOS, to_conversation, training_text
from training.export import converter_script

SAMPLE = Path(__file__).parent / "data" / "gsm8k_train_sample.jsonl"
PROMPTS = [
    "Please provide a reasonable subgoal-based plan to solve the given task.\nTask: Tom has 3 boxes of 4 pens. How many pens?",
    "Please provide a reasonable subgoal-based plan to solve the given task.\nTask: A cat eats 2 fish a day. How many in 5 days?",
]


def sample_conversations(module="plan", formulation="onetime", n=4):
    rows = [json.loads(line) for line in SAMPLE.read_text().splitlines()][:n]
    return [to_conversation(check.check(gsm8k.convert(row)), module, formulation) for row in rows]


def config(out, **changes):
    from training.sft import TrainConfig

    settings = dict(base="smollm2-135m", out=out, name="plan", max_steps=3, batch_size=2,
                    learning_rate=5e-3, max_seq_length=256, save_every=10, merged=True)  # fmt: skip
    return TrainConfig(**(settings | changes))


@pytest.fixture(scope="module")
def runs(smollm2_path, tmp_path_factory):
    """A run stopped at step 2 of 3 and resumed to the end: (stopped, finished)."""
    pytest.importorskip("torch")
    pytest.importorskip("peft")
    from training.sft import train

    out = tmp_path_factory.mktemp("run")
    stopped = train(config(out, stop_at=2), sample_conversations())
    finished = train(config(out), sample_conversations(), resume=True)
    return stopped, finished


@pytest.mark.gguf
def test_a_stopped_run_resumes_from_its_checkpoint(runs):
    stopped, finished = runs
    assert (stopped.steps, stopped.total_steps, stopped.adapter) == (2, 3, None)
    assert (finished.resumed_from, finished.steps, finished.examples, finished.seen) == (2, 3, 4, 6)
    history = json.loads(finished.log.read_text())["history"]
    assert [h["step"] for h in history if "loss" in h] == [1, 2, 3]  # steps 1-2 restored, 3 trained now
    assert finished.loss_png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.gguf
def test_resuming_with_other_settings_or_nothing_saved_is_refused(runs, tmp_path):
    from training.sft import ResumeError, train

    _, finished = runs
    with pytest.raises(ResumeError, match="learning_rate"):
        train(config(finished.log.parent, learning_rate=1e-4), sample_conversations(), resume=True)
    with pytest.raises(ResumeError, match="nothing to resume"):
        train(config(tmp_path), sample_conversations(), resume=True)
    with pytest.raises(ResumeError, match="pass --resume"):
        train(config(finished.log.parent), sample_conversations())


def greedy(spec, prompts, tokens=12):
    from models.registry import LlamaModels

    chat = LlamaModels(n_ctx=512).chat(spec, role="check", prompt_format="lumos-train", max_tokens=tokens)
    return [chat.invoke([HumanMessage(content=p)]).text for p in prompts]


@pytest.mark.gguf
def test_the_adapter_loads_over_the_quantized_base_and_answers_as_the_merged_model(runs, smollm2_path):
    _, finished = runs
    assert finished.adapter.stat().st_size < 12_000_000  # LoRA weights only (f16): the base is 98 MB
    adapted = greedy(f"smollm2-135m+{finished.adapter}", PROMPTS)
    assert adapted == greedy(str(finished.merged), PROMPTS)
    assert adapted != greedy("smollm2-135m", PROMPTS)  # the adapter is applied, not ignored


@pytest.mark.gguf
def test_an_adapter_is_refused_over_another_base(runs, small_model_path):
    from models.adapters import AdapterError
    from models.registry import llama_settings

    _, finished = runs
    with pytest.raises(AdapterError, match=r"trained on smollm2-135m .*smollm2-135m\+"):
        llama_settings(f"{small_model_path}+{finished.adapter}")
    with pytest.raises(AdapterError, match="not a LoRA adapter"):
        llama_settings(f"smollm2-135m+{finished.merged}")


@pytest.mark.gguf
@pytest.mark.timeout(600)
def test_llama_server_serves_the_adapter_as_the_in_process_backend_does(runs, llama_server_binary):
    from models import llama_server

    _, finished = runs
    spec = f"smollm2-135m+{finished.adapter}"
    assert "--lora" in llama_server.command(spec, port=1)
    with llama_server.serve(spec) as url:
        assert greedy(url, PROMPTS) == greedy(spec, PROMPTS)


@pytest.mark.gguf
def test_the_train_rendering_tokenizes_as_training_did(runs, smollm2_path):
    from models.registry import load
    from models.template import render_lumos

    _, finished = runs
    llama = load(f"smollm2-135m+{finished.adapter}", n_ctx=1024, slot="smoke").llama
    eos = llama.detokenize([llama.token_eos()], special=True).decode()
    conversation = sample_conversations()[0]
    turns = [(m["role"], m["content"]) for m in conversation["messages"]]
    prompt = llama.tokenize(render_lumos(turns[:1], "train", eos).encode(), add_bos=True, special=True)
    whole = llama.tokenize(training_text(conversation["messages"], eos).encode(), add_bos=True, special=True)
    assert whole[: len(prompt)] == prompt and whole[-1] == llama.token_eos()
    assert EOS not in training_text(conversation["messages"], eos)  # the base's own EOS, not a new token


@pytest.mark.gguf
def test_encode_masks_everything_but_assistant_turns(smollm2_path):
    pytest.importorskip("transformers")
    from transformers import AutoTokenizer

    from training.sft import IGNORE, encode

    tokenizer = AutoTokenizer.from_pretrained(smollm2_path.parent, gguf_file=smollm2_path.name)
    eos = "<|im_end|>"
    conversation = sample_conversations(module="ground", formulation="iterative", n=1)[0]
    example = encode(conversation, tokenizer, eos=eos, bos_id=None, max_length=1024)
    targets = tokenizer.decode(
        [t for t, label in zip(example["input_ids"], example["labels"], strict=True) if label != IGNORE]
    )
    lines = [m["content"] for m in conversation["messages"] if m["role"] == "assistant"]
    assert targets == f"{eos}\n".join(lines) + eos  # each assistant turn, its EOS and newline; no prompt
    assert encode(conversation, tokenizer, eos=eos, bos_id=None, max_length=8) is None  # truncated away


def test_packing_keeps_every_target_label_and_restarts_positions():
    pytest.importorskip("torch")
    from training.packing import IGNORE, PackedCollator

    examples = [
        {"input_ids": [1, 2, 3, 4], "labels": [IGNORE, IGNORE, 3, 4]},
        {"input_ids": [5, 6, 7], "labels": [IGNORE, 6, 7]},
    ]
    batch = PackedCollator()(examples)
    assert batch["input_ids"].tolist() == [[1, 2, 3, 4, 5, 6, 7]]
    assert batch["labels"].tolist() == [[IGNORE, IGNORE, 3, 4, IGNORE, 6, 7]]  # no prompt token scored
    assert batch["position_ids"].tolist() == [[0, 1, 2, 3, 0, 1, 2]]
    assert batch["logits_to_keep"].tolist() == [1, 2, 4, 5]  # the positions that predict 3, 4, 6, 7


@pytest.mark.gguf
def test_a_packed_batch_has_the_loss_of_the_same_batch_padded(smollm2_path):
    torch = pytest.importorskip("torch")
    from training.base import load_base
    from training.packing import PackedCollator, PaddedCollator, packed_loss
    from training.sft import encode

    base = load_base(str(smollm2_path))
    examples = [encode(c, base.tokenizer, eos=base.eos, bos_id=base.bos_id, max_length=512)
                for c in sample_conversations(module="ground", n=3)]  # fmt: skip
    assert len({len(e["input_ids"]) for e in examples}) > 1  # padding is needed
    with torch.no_grad():
        padded = base.model(**PaddedCollator(base.eos_id)(examples)).loss
        full = base.model(**PackedCollator(target_logits=False)(examples)).loss
        inputs = PackedCollator()(examples)
        labels = inputs.pop("labels")
        targets_only = packed_loss(base.model(**inputs), labels)
    # had attention crossed from one conversation into the next, the packed losses would differ
    assert full.item() == pytest.approx(padded.item(), rel=1e-4)
    assert targets_only.item() == pytest.approx(padded.item(), rel=1e-4)


def test_permute_inverts_what_transformers_undoes():
    np = pytest.importorskip("numpy")
    utils = pytest.importorskip("transformers.modeling_gguf_pytorch_utils")
    from training.export import permute

    weights = np.arange(12 * 4, dtype=np.float32).reshape(12, 4)
    processor = utils.LlamaTensorProcessor({"num_attention_heads": 3, "num_key_value_heads": 3})
    back = processor.process(permute(weights, 3, 3), "blk.0.attn_q.weight").weights
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
