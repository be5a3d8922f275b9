"""Model layer: GGUF presets, the llama.cpp chat model and the process-level model registry."""
