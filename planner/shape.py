"""Transformer shape: parameter counts and FLOPs per token."""

__all__: list[str] = []
