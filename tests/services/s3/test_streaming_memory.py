"""Bodies stream: a large upload (a single PUT and a multipart one) and its download keep the
server's peak RSS within 64 MiB of what it was idle (bench/s3.py does the 1 GiB and 5 GiB runs)."""

from __future__ import annotations

import hashlib
import os

import pytest

from regionbox.testing import CloudProcess
from tests.services.s3.helpers import s3

MIB = 1024 * 1024
SIZE = int(os.environ.get("REGIONBOX_S3_STREAM_TEST_MIB", "256")) * MIB


def status_kib(pid: int, field: str) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


@pytest.mark.timeout(300)
def test_large_bodies_do_not_grow_the_server(tmp_path):
    source = tmp_path / "big.bin"
    digest = hashlib.sha256()
    with open(source, "wb") as file:
        block = os.urandom(MIB)
        for i in range(SIZE // MIB):
            piece = bytes([i % 256]) + block[1:]
            file.write(piece)
            digest.update(piece)
    process = CloudProcess(state_dir=tmp_path / "state").start()
    try:
        client = s3(process)
        client.create_bucket(Bucket="stream")
        client.put_object(Bucket="stream", Key="warm", Body=b"x" * MIB)
        client.get_object(Bucket="stream", Key="warm")["Body"].read()
        pid = process.process.pid
        idle = status_kib(pid, "VmRSS")
        with open(source, "rb") as body:
            client.put_object(Bucket="stream", Key="single", Body=body)
        client.upload_file(str(source), "stream", "multipart")
        for key in ("single", "multipart"):
            got = client.get_object(Bucket="stream", Key=key)
            received = hashlib.sha256()
            for chunk in got["Body"].iter_chunks(MIB):
                received.update(chunk)
            assert received.digest() == digest.digest()
        peak = status_kib(pid, "VmHWM")
        assert peak - idle <= 64 * 1024, f"peak RSS {peak} KiB, idle {idle} KiB"
    finally:
        process.cleanup()
