"""Training data and fine-tuning for the planning and grounding modules (lumos-reference §6, §7)."""
