"""Fixtures of the RDS tests: one cloud shared by a module's chapters, emptied before and after."""

import pytest


@pytest.fixture(scope="module")
def shared_cloud(regionbox_session):
    regionbox_session.reset()
    yield regionbox_session
    regionbox_session.reset()


@pytest.fixture(scope="module")
def rds(shared_cloud):
    """RDS of the shared cloud (modules with a cloud of their own define their own ``rds``)."""
    return shared_cloud.client("rds")
