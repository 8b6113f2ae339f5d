"""Fixtures the ElastiCache tests share."""

from __future__ import annotations

import pytest

from tests.services.elasticache.redis_helpers import ca_cert


@pytest.fixture
def ca_file(cloud, tmp_path):
    path = tmp_path / "regionbox-ca.pem"
    path.write_text(ca_cert("--endpoint", cloud.endpoint))
    return path
