"""A small, valid GGUF file written by gguf-py, for tests that need a real .gguf on disk."""

from pathlib import Path

import gguf
import numpy as np


def write_tiny(path: Path) -> Path:
    """Write a small, valid GGUF (gguf-py's writer): two tensors and some metadata."""
    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_string("general.name", "tiny")
    writer.add_array("tokenizer.ggml.tokens", ["a", "b", "ccc"])
    writer.add_tensor("w", np.ones((4, 8), dtype=np.float32))
    writer.add_tensor("b", np.zeros((8,), dtype=np.float16))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path
