"""Second Me: a private, local-first personal memory assistant."""

__version__ = "0.1.0"
