"""Fixtures the DAX data-plane tests share: tables in a cloud, and a node the official client
talks to (``node_fixture.StandaloneNode``) before clusters come from the control plane."""

from __future__ import annotations

import pytest

from tests.services.dax.node_fixture import StandaloneNode, dax_client


@pytest.fixture(scope="module")
def tables(regionbox_session):
    """Two tables: ``dax-hash`` (pk S) and ``dax-range`` (pk S, sk N, with a GSI on g)."""
    regionbox_session.reset()
    ddb = regionbox_session.client("dynamodb")
    ddb.create_table(TableName="dax-hash", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                     BillingMode="PAY_PER_REQUEST")
    ddb.create_table(TableName="dax-range",
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                           {"AttributeName": "sk", "AttributeType": "N"},
                                           {"AttributeName": "g", "AttributeType": "S"}],
                     GlobalSecondaryIndexes=[{"IndexName": "by-g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                              "Projection": {"ProjectionType": "ALL"}}],
                     BillingMode="PAY_PER_REQUEST")
    for name in ("dax-hash", "dax-range"):
        ddb.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 0.2})
    return ddb


@pytest.fixture
def node(regionbox_session, tables):
    started = StandaloneNode(regionbox_session)
    yield started
    started.close()


@pytest.fixture
def dax(node):
    client = dax_client(node.url)
    yield client
    client.close()
