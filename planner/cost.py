"""From FLOPs to GPU-hours, days, money and energy."""

__all__: list[str] = []
