"""Inference and lifetime compute (Sardana et al. 2024)."""

__all__: list[str] = []
