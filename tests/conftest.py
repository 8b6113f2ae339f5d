"""Shared fixtures come from the regionbox pytest plugin (regionbox.testing.plugin): ``cloud``.

Hypothesis draws fresh random examples on every run, to keep finding new cases; CI sets
HYPOTHESIS_PROFILE=ci, where every property test replays the same examples (derived from the
test's own name), so a red CI is a change in the code, never a lucky draw.
"""

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
