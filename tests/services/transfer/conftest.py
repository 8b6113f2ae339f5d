"""Fixtures of the Transfer Family tests: a cloud whose Lambda is the stand-in (standin_lambda.py),
for custom identity providers and custom workflow steps, shared by the tests that need one."""

import pytest

from tests.services.transfer.helpers import cloud_with_lambda


@pytest.fixture(scope="session")
def lambda_cloud():
    running = cloud_with_lambda()
    yield running
    running.stop()
