"""Fixtures of the RDS tests: one cloud shared by a module's chapters, emptied before and after."""

import pytest


@pytest.fixture(scope="module")
def shared_cloud(regionbox_session):
    regionbox_session.reset()
    yield regionbox_session
    regionbox_session.reset()
