import asyncio

from regionbox.core.events import EventBus
from regionbox.core.topology import Topology


def test_known_and_unknown_regions():
    topology = Topology(EventBus())
    assert [(z.name, z.zone_id) for z in topology.zones("ap-northeast-1")] == [
        ("ap-northeast-1a", "apne1-az4"), ("ap-northeast-1c", "apne1-az1"), ("ap-northeast-1d", "apne1-az2")]
    assert [z.name for z in topology.zones("mx-central-1")] == ["mx-central-1a", "mx-central-1b", "mx-central-1c"]


def test_outage_is_published_and_remembered(tmp_path):
    from regionbox.core.store import Store

    store = Store(tmp_path / "s.db")
    bus = EventBus()
    seen = []
    bus.subscribe("az.outage", lambda topic, zone: seen.append((topic, zone.name)))
    topology = Topology(bus, store)
    asyncio.run(topology.outage("ap-northeast-1c"))
    assert seen == [("az.outage", "ap-northeast-1c")]
    assert not Topology(EventBus(), store).is_available("ap-northeast-1c")
    asyncio.run(topology.restore("apne1-az1"))
    assert Topology(EventBus(), store).is_available("ap-northeast-1c")
