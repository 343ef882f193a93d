"""Data-constrained scaling (Muennighoff et al. 2023)."""

__all__: list[str] = []
