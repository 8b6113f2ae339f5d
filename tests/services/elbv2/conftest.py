import pytest

from tests.services.elbv2.helpers import Target


@pytest.fixture
def targets():
    """Two targets, "a" and "b", closed after the test."""
    made = [Target("a"), Target("b")]
    yield made
    for target in made:
        target.close()
