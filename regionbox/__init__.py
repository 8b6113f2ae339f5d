"""regionbox: an AWS region in one box."""

__version__ = "0.1.0"
