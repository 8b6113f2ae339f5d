"""Loopback addresses: two clouds on one machine that hash to the same block never hand out the
same address, even when they probe it at the same moment; a cloud's claims end with its process."""

from __future__ import annotations

import subprocess
import sys

from regionbox.core.addresses import AddressAllocator, _claim


def test_two_allocators_with_the_same_seed_never_share_an_address():
    first, second = AddressAllocator("same-state-dir"), AddressAllocator("same-state-dir")
    if not first.enabled:
        return  # no loopback aliases here: ports of 127.0.0.1 are unique by the kernel already
    ours = {first.allocate(6379) for _ in range(5)}
    theirs = {second.allocate(6379) for _ in range(5)}
    assert len(ours) == 5 and not ours & theirs
    address, port = sorted(ours)[0]
    assert _claim(address, port) is None  # held by first
    first.release(address, port)
    claim = _claim(address, port)  # released: free for anyone
    assert claim is not None
    claim.close()


def test_a_claim_ends_with_the_process_that_held_it():
    probe = AddressAllocator("dies")
    if not probe.enabled:
        return
    code = ("from regionbox.core.addresses import AddressAllocator; import os;"
            "print(*AddressAllocator('dies').allocate(11211)); os._exit(0)")
    held = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert probe.allocate(11211) == (held[0], int(held[1]))
