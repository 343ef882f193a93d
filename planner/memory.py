"""Memory needed to train and serve a model."""

__all__: list[str] = []
