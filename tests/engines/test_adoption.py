"""Engine nodes outlive the supervisor that started them: a new supervisor (regionbox restarted
after kill -9) adopts the nodes its services claim, with their data still in memory, and reaps
the ones no service claims."""

from __future__ import annotations

import asyncio
import os
import shutil

import pytest
import redis

from regionbox.core.addresses import AddressAllocator
from regionbox.engines import NodeSpec, Supervisor
from regionbox.engines import supervisor as supervisor_module
from regionbox.engines.supervisor import recorded_processes

pytestmark = pytest.mark.skipif(shutil.which("redis-server") is None or not hasattr(os, "pidfd_open"),
                                reason="needs redis-server and Linux pidfds")


def spec(node_id: str, address: str | None = None) -> NodeSpec:
    """A node's spec; a service restoring a node gives the address kept in its state."""
    return NodeSpec(node_id, "redis", "7.1", "us-east-1a", 6379, address=address)


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


async def crash_and_restart(root, allocator: AddressAllocator, claimed: list[str]) -> Supervisor:
    """What a kill -9 of regionbox leaves: the old supervisor simply never runs again."""
    fresh = Supervisor(root, allocator)
    for node_id in claimed:
        fresh.claim(node_id)
    return fresh


def test_a_claimed_node_is_adopted_with_its_data_and_an_unclaimed_one_is_reaped(tmp_path):
    async def scenario():
        allocator = AddressAllocator(str(tmp_path))
        first = Supervisor(tmp_path, allocator)
        kept = await first.start(spec("kept"))
        gone = await first.start(spec("gone"))
        client = redis.Redis(kept.address, kept.port)
        client.set("acknowledged", "yes")
        pids = kept.pid, gone.pid
        for node in (kept, gone):  # the old supervisor is gone: its watchers with it
            node._watcher.cancel()

        second = await crash_and_restart(tmp_path, allocator, claimed=["kept"])
        assert set(second.orphans) == {"kept", "gone"}
        adopted = await second.start(spec("kept", kept.address))
        assert adopted.adopted and adopted.pid == pids[0] and adopted.address == kept.address
        assert client.get("acknowledged") == b"yes"  # same process, same memory: nothing lost
        assert second.reap_unclaimed() == 1
        await asyncio.sleep(0.2)
        assert not alive(pids[1]) and alive(pids[0])

        # The adopted node is supervised like any other: a crash restarts it.
        os.kill(pids[0], 9)
        for _ in range(200):
            await asyncio.sleep(0.05)
            if adopted.running and adopted.pid != pids[0]:
                break
        assert adopted.running and adopted.pid != pids[0] and not adopted.adopted
        await second.close()
        assert recorded_processes(tmp_path) == []

    asyncio.run(scenario())


def test_a_node_started_with_other_settings_is_not_adopted(tmp_path):
    async def scenario():
        allocator = AddressAllocator(str(tmp_path))
        first = Supervisor(tmp_path, allocator)
        node = await first.start(spec("changed"))
        old = node.pid
        node._watcher.cancel()
        second = await crash_and_restart(tmp_path, allocator, claimed=["changed"])
        changed = spec("changed")
        changed.options = {"maxmemory": "10mb"}
        changed.address, changed.port = node.address, node.port
        restarted = await second.start(changed)
        assert not restarted.adopted and restarted.pid != old and not alive(old)
        assert redis.Redis(restarted.address, restarted.port).config_get("maxmemory")["maxmemory"] == str(10 * 1024 * 1024)
        await second.close()

    asyncio.run(scenario())


def test_a_node_not_serving_yet_gets_a_fresh_start_grace_and_one_that_never_serves_is_replaced_quietly(tmp_path, monkeypatch):
    """regionbox killed just after starting a node leaves a process that may not listen yet when the
    next run adopts it: it is waited for, as a fresh start is; one that never serves is replaced by
    exactly one new process, with no "exited" event (a member would look like it was rebooting)."""
    async def scenario():
        allocator = AddressAllocator(str(tmp_path))
        first = Supervisor(tmp_path, allocator)
        slow = await first.start(spec("slow"))
        never = await first.start(spec("never"))
        pids = slow.pid, never.pid
        aside = allocator.allocate(6379)[1]
        for node in (slow, never):  # not listening where its record says: as if it had not bound its port yet
            node._watcher.cancel()
            redis.Redis(node.address, node.port).config_set("port", aside if node is slow else 0)

        second = await crash_and_restart(tmp_path, allocator, claimed=["slow", "never"])
        events = []
        second.listen(lambda node, event: events.append((node.node_id, event)))

        async def listen_again_soon():
            await asyncio.sleep(0.5)
            await asyncio.to_thread(redis.Redis(slow.address, aside).config_set, "port", slow.port)
        task = asyncio.create_task(listen_again_soon())
        adopted = await second.start(spec("slow", slow.address))
        await task
        assert adopted.adopted and adopted.pid == pids[0]

        monkeypatch.setattr(supervisor_module, "READY_TIMEOUT", 1.0)
        replaced = await second.start(spec("never", never.address))
        assert not replaced.adopted and replaced.pid != pids[1] and replaced.running
        await asyncio.sleep(supervisor_module.RESTART_DELAY + 1.0)  # no restart of its own follows
        assert replaced.running and replaced.pid != pids[1] and not alive(pids[1])
        assert redis.Redis(replaced.address, replaced.port).ping()
        assert events == [("slow", "started"), ("never", "started")]
        await second.close()

    asyncio.run(scenario())
