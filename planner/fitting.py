"""Fitting scaling laws to training runs (Approach 3, Besiroglu et al. 2024)."""

__all__: list[str] = []
