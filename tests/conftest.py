"""Shared fixtures come from the regionbox pytest plugin (regionbox.testing.plugin): ``cloud``."""
