"""A cloud for the Lambda tests: the same as the plugin's, with asynchronous retries and stream
backoffs 100 times faster (REGIONBOX_LAMBDA_RETRY_SCALE), reset before every test."""

import pytest

from regionbox.config import Config
from regionbox.testing import RunningCloud


@pytest.fixture(scope="session")
def lambda_cloud():
    running = RunningCloud(Config(ephemeral=True, lambda_retry_scale=0.01)).start()
    yield running
    running.stop()


@pytest.fixture
def cloud(lambda_cloud):
    lambda_cloud.reset()
    return lambda_cloud
