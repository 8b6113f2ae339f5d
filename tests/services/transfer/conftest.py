"""Fixtures of the Transfer Family tests: one cloud for the tests whose identity providers and
custom workflow steps are Lambda functions (regionbox's own Lambda), reset by each test."""

import pytest

from regionbox.testing import RunningCloud


@pytest.fixture(scope="session")
def lambda_cloud():
    running = RunningCloud().start()
    yield running
    running.stop()
