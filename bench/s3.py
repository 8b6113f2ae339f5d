"""S3 benchmark: 1 KiB PUT and GET (ops/s, p50/p99) through boto3 and as pre-signed requests
replayed over one keep-alive connection (the server's own cost), then one large object (1 GiB by
default) uploaded with boto3's upload_file and downloaded with download_file (MB/s) with the
server's peak RSS above idle; the same against moto's server mode (and ministack when installed),
started here, printed as ratios.

    python3 bench/s3.py [--count 2000] [--large-mib 1024] [--cli-gib 5] [--skip-moto]

``--cli-gib N`` adds an ``aws s3 cp`` of an N GiB file (the CLI's own 8 MiB parts) and its peak RSS.
Targets (issue 10): 1 KiB PUT >= 3x moto; 1 GiB upload RSS growth <= 64 MiB.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

import boto3
from botocore.config import Config as BotoConfig

sys.path.insert(0, os.path.dirname(__file__))
from _harness import Figures, capture, replay, rss_kib, running_regionbox, start  # noqa: E402

from regionbox.testing.clients import free_port  # noqa: E402

MIB = 1024 * 1024
BUCKET = "bench"
BODY = os.urandom(1024)


def client(endpoint: str):
    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="123456789012",
                        aws_secret_access_key="x", config=BotoConfig(s3={"addressing_style": "path"}, retries={"max_attempts": 1}))


def through_boto3(s3, count: int) -> dict[str, Figures]:
    results = {}
    for name, call in (("PUT 1 KiB (boto3)", lambda i: s3.put_object(Bucket=BUCKET, Key=f"small/{i % 100}", Body=BODY)),
                       ("GET 1 KiB (boto3)", lambda i: s3.get_object(Bucket=BUCKET, Key=f"small/{i % 100}")["Body"].read())):
        for i in range(min(100, count)):
            call(i)  # warm-up (and the objects the GETs read)
        latencies = []
        started = time.perf_counter()
        for i in range(count):
            t0 = time.perf_counter()
            call(i)
            latencies.append(time.perf_counter() - t0)
        results[name] = Figures(name, count, time.perf_counter() - started, latencies)
    return results


def replayed(endpoint: str, port: int, count: int) -> dict[str, Figures]:
    params = {"Bucket": BUCKET, "Key": "small/replayed"}
    put = capture(endpoint, "s3", "put_object", {**params, "Body": BODY})
    s3 = client(endpoint)
    s3.put_object(**params, Body=BODY)
    get = capture(endpoint, "s3", "get_object", params)
    results = {}
    for name, request in (("PUT 1 KiB (replayed)", put), ("GET 1 KiB (replayed)", get)):
        replay("127.0.0.1", port, request, min(200, count), name)
        results[name] = replay("127.0.0.1", port, request, count, name)
    return results


def large(s3, pid: int, path: str, size: int) -> dict[str, float]:
    idle = rss_kib(pid)
    started = time.perf_counter()
    s3.upload_file(path, BUCKET, "large.bin")
    upload = size / MIB / (time.perf_counter() - started)
    peak_upload = rss_kib(pid, "VmHWM")
    target = path + ".back"
    started = time.perf_counter()
    s3.download_file(BUCKET, "large.bin", target)
    download = size / MIB / (time.perf_counter() - started)
    os.unlink(target)
    return {"upload MB/s": upload, "download MB/s": download, "idle RSS MiB": idle / 1024,
            "peak RSS growth MiB (upload)": (peak_upload - idle) / 1024,
            "peak RSS growth MiB (all)": (rss_kib(pid, "VmHWM") - idle) / 1024}


def cli_upload(endpoint: str, pid: int, path: str, size: int) -> dict[str, float]:
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "123456789012", "AWS_SECRET_ACCESS_KEY": "x", "AWS_DEFAULT_REGION": "us-east-1",
           "AWS_ENDPOINT_URL": endpoint}
    idle = rss_kib(pid)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "awscli", "s3", "cp", path, f"s3://{BUCKET}/cli.bin", "--only-show-errors"],
                   check=True, env=env)
    seconds = time.perf_counter() - started
    return {"aws s3 cp MB/s": size / MIB / seconds, "peak RSS growth MiB (aws s3 cp)": (rss_kib(pid, "VmHWM") - idle) / 1024}


def make_file(directory: str, size: int) -> str:
    path = os.path.join(directory, f"object-{size // MIB}MiB.bin")
    block = os.urandom(MIB)
    with open(path, "wb") as file:
        for i in range(size // MIB):
            file.write(bytes([i % 256]) + block[1:])
    return path


def measure(label: str, endpoint: str, port: int, pid: int, count: int, path: str, size: int) -> tuple[dict, dict]:
    s3 = client(endpoint)
    s3.create_bucket(Bucket=BUCKET)
    figures = {**through_boto3(s3, count), **replayed(endpoint, port, count)}
    big = large(s3, pid, path, size)
    print(f"\n{label}")
    for line in figures.values():
        print("  " + line.line())
    for name, value in big.items():
        print(f"  {name:<34} {value:9.1f}")
    return figures, big


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--large-mib", type=int, default=1024)
    parser.add_argument("--cli-gib", type=float, default=0)
    parser.add_argument("--skip-moto", action="store_true")
    args = parser.parse_args()
    size = args.large_mib * MIB
    scratch = tempfile.mkdtemp(prefix="regionbox-s3-bench-")
    try:
        path = make_file(scratch, size)
        with running_regionbox() as cloud:
            ours, our_big = measure(f"regionbox (pid {cloud.process.pid})", cloud.endpoint, cloud.port, cloud.process.pid,
                                    args.count, path, size)
            if args.cli_gib:
                os.unlink(path)
                cli_size = int(args.cli_gib * 1024) * MIB
                cli_path = make_file(scratch, cli_size)
                for name, value in cli_upload(cloud.endpoint, cloud.process.pid, cli_path, cli_size).items():
                    print(f"  {name:<34} {value:9.1f}")
                os.unlink(cli_path)
                path = make_file(scratch, size)
        growth = our_big["peak RSS growth MiB (upload)"]
        print(f"\n  {args.large_mib} MiB upload RSS growth {growth:.1f} MiB (target <= 64 MiB): {'met' if growth <= 64 else 'MISSED'}")
        others = []
        moto = shutil.which("moto_server") or os.path.join(os.path.dirname(sys.executable), "moto_server")
        if not args.skip_moto and os.path.exists(moto):
            others.append(("moto_server", [moto, "-p", "{port}"], "/moto-api/"))
        ministack = shutil.which("ministack")
        if ministack:
            others.append(("ministack", [ministack, "--port", "{port}"], "/"))
        else:
            print("\nministack: not installed, skipped")
        for name, command, health in others:
            port = free_port()
            server = start([part.format(port=port) for part in command], f"http://127.0.0.1:{port}{health}")
            try:
                theirs, their_big = measure(f"{name} (pid {server.pid})", f"http://127.0.0.1:{port}", port, server.pid,
                                            max(300, args.count // 4), path, size)
            finally:
                server.terminate()
                server.wait(30)
            print(f"\nregionbox / {name}")
            for key, figures in ours.items():
                other = theirs[key]
                print(f"  {key:<34} throughput x{figures.ops / other.ops:5.1f}   p50 latency x{other.pct(0.5) / figures.pct(0.5):5.1f} lower")
            for key in ("upload MB/s", "download MB/s"):
                print(f"  {args.large_mib} MiB {key:<25} x{our_big[key] / their_big[key]:5.1f}")
            ratio = ours["PUT 1 KiB (replayed)"].ops / theirs["PUT 1 KiB (replayed)"].ops
            print(f"  1 KiB PUT throughput vs {name}: x{ratio:.1f} (target >= 3x): {'met' if ratio >= 3 else 'MISSED'}")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
