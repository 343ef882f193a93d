"""Accelerator presets: peak FLOP/s, memory, bandwidth, power."""

__all__: list[str] = []
