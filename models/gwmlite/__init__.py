"""GWM-lite: a Gaussian world model for Foresight Studio (see docs/world-model.md)."""

__version__ = "0.1.0"
