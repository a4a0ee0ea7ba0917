"""kokemus — open, self-hosted customer-experience management."""

__version__ = "0.1.0"
