"""pytest plugin (entry point ``regionbox``): a fresh cloud for every test.

- ``regionbox_session``: one cloud per test session, in-process on a free port, ephemeral state.
- ``cloud``: that cloud, reset to empty before the test; ``cloud.client("sts")`` gives a boto3 client.
"""

from __future__ import annotations

import pytest

from regionbox.testing.clients import RunningCloud


@pytest.fixture(scope="session")
def regionbox_session():
    running = RunningCloud().start()
    yield running
    running.stop()


@pytest.fixture
def cloud(regionbox_session):
    regionbox_session.reset()
    return regionbox_session
