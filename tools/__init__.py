"""Execution module: the tools that run grounded Lumos actions."""
