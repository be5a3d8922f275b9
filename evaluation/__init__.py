"""Evaluation: run graphs and baselines over benchmark files and score them as Lumos does."""
