"""Test support: a whole cloud in-process (``RunningCloud``) or as a real process (``CloudProcess``)."""

from regionbox.testing.clients import RunningCloud
from regionbox.testing.process import CloudProcess

__all__ = ["RunningCloud", "CloudProcess"]
