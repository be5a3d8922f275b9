"""Plain helpers every layer may use (the lowest layer: it imports nothing of the project)."""
