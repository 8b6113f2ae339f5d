"""A cloud whose CloudTrail delivers every fifth of a second and writes a digest every second, so
that tests see log files, log events and digests without waiting AWS's minutes; reset before
every test."""

from __future__ import annotations

import pytest

from regionbox.config import Config
from regionbox.testing.clients import RunningCloud


@pytest.fixture(scope="session")
def trail_cloud_session():
    running = RunningCloud(Config(ephemeral=True, cloudtrail_delivery_interval=0.2, cloudtrail_digest_interval=1.0)).start()
    yield running
    running.stop()


@pytest.fixture
def trail_cloud(trail_cloud_session):
    trail_cloud_session.reset()
    return trail_cloud_session
