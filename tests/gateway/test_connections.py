"""Idle and slow connections cannot starve the clients that work: a regionbox process limited to
1,024 file descriptors keeps answering while 1,000 idle sockets are open, and a client that
dribbles its headers is cut off."""

from __future__ import annotations

import resource
import socket

from regionbox.testing import CloudProcess


def test_a_thousand_idle_sockets_do_not_lock_out_new_clients():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 1200:  # the test itself holds the other ends
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))
    process = CloudProcess(max_open_files=1024, env={"REGIONBOX_HEADER_TIMEOUT": "2"}).start()
    idle: list[socket.socket] = []
    try:
        for _ in range(1000):
            idle.append(socket.create_connection(("127.0.0.1", process.port), timeout=5))
        for _ in range(20):  # each new client finds a descriptor: the oldest idle sockets make room
            assert process.client("sts", account="123456789012").get_caller_identity()["Account"] == "123456789012"
        # The 2 s header deadline closes a dribbling client; without it recv would time out (no
        # timing assertion: a loaded machine only makes the close come later).
        slow = socket.create_connection(("127.0.0.1", process.port), timeout=60)
        slow.sendall(b"GET /_regionbox/health HTTP/1.1\r\nHo")
        assert slow.recv(100) == b""  # closed, headers never completed
        slow.close()
    finally:
        for sock in idle:
            sock.close()
        process.cleanup()
