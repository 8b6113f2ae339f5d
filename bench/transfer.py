"""Transfer Family benchmark: OpenSSH's sftp putting and getting one file (256 MiB by default)
through a regionbox SFTP server (into and out of S3) and through OpenSSH's own sshd with
internal-sftp (a throwaway sshd on a free port, writing to a directory), then curl's FTP upload and
download through a regionbox FTP server and through a bare pyftpdlib server, in the same run, on
the same disk, in alternating rounds. Prints MB/s (best round) and the speed ratio, and the CPU
seconds per MB each server process spent (best round, from /proc: a figure the machine's load
skews far less) and their ratio.

    python3 bench/transfer.py [--mib 256] [--runs 3] [--cipher aes128-gcm@openssh.com]

regionbox runs in its own process on uvloop, as `regionbox up` does, with a real Lambda function
as the FTP server's identity provider.
Targets (issue 10): SFTP >= 1.0x OpenSSH; FTP >= 0.9x bare pyftpdlib.

What limits them (py-spy and per-thread CPU from /proc on the server process, November 2026, 2
cores at load 14-20: wall figures swing 2x between runs there, CPU per MB far less):
- FTP get: plain FTP has the kernel copy the object's files to the data socket (os.sendfile, as
  pyftpdlib does): about 0.15 ms CPU per MB against pyftpdlib's 0.41 (it sends 64 KiB per call,
  we as much as the socket takes). FTPS must read and encrypt the bytes.
- FTP and SFTP put: S3's ETag is the body's MD5, computed as the bytes arrive (hashlib: 1.45 ms CPU
  per MB here) on an executor thread beside the loop, with the disk write (about 0.3 ms) and the
  hand-over (about 0.1 ms): about 1.8 ms per MB. FTP put's loop thread spends 0.6 ms per MB, what
  pyftpdlib spends receiving; so put costs about 2.5 ms per MB against pyftpdlib's 0.8-0.9, which
  on two busy cores caps its speed near 0.3-0.4x. Only an idle second core (MD5 beside the loop)
  could bring it near pyftpdlib's speed: MD5 alone runs at about 690 MB/s.
- SFTP: asyncssh's SSHConnection.send_packet, about 60% of the server's CPU on get. With
  chacha20-poly1305 (what OpenSSH's client picks first, and AWS's default policy offers), per
  32 KiB packet (OpenSSH's client caps packets at 32 KiB) ChachaCipher.encrypt_and_sign builds three
  ChaCha20 ciphers and a Poly1305 (33 us, about 23% of the CPU), an SSH_MSG_IGNORE goes before
  every packet (16 us more to encrypt and its own write: about 20%), and each packet is its own
  transport.write (about 27%, with the kernel's loopback TCP work). Our read (one pread of the piece
  asked for) is about 4%. `--cipher aes128-gcm@openssh.com` costs 2 ms per MB less on get
  (3.0 against 4.95) and 1.8 less on put; in that run regionbox's speed was 1.12x OpenSSH's on put
  and 1.15x on get (CPU 1.9x and 2.3x).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from regionbox.testing.clients import free_port  # noqa: E402

MIB = 1024 * 1024
ACCOUNT = "111111111111"
FUNCTION = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:bench-idp"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/bench"
SSH_OPTIONS = ["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
               "-o", "BatchMode=yes"]


# -- regionbox in its own process -------------------------------------------------------------------
def serve(port: int) -> None:
    """The child: a cloud on uvloop (a real Lambda function answers FTP logins), until stdin closes."""
    import asyncio

    import uvloop

    from regionbox.config import Config
    from regionbox.testing import RunningCloud

    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    running = RunningCloud(Config(ephemeral=True, port=port)).start()
    print("ready", flush=True)
    sys.stdin.read()
    running.stop()


def start_regionbox() -> tuple[subprocess.Popen, str]:
    port = free_port()
    child = subprocess.Popen([sys.executable, __file__, "--serve", str(port)], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True, cwd=ROOT)
    if child.stdout.readline().strip() != "ready":
        raise RuntimeError("regionbox did not start")
    return child, f"http://127.0.0.1:{port}"


def setup_regionbox(endpoint: str, public_key: str) -> dict:
    import boto3

    def client(name):
        return boto3.client(name, endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=ACCOUNT,
                            aws_secret_access_key="x")
    transfer, s3, iam, ec2 = client("transfer"), client("s3"), client("iam"), client("ec2")
    s3.create_bucket(Bucket="bench")
    iam.create_role(RoleName="bench", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "transfer.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
    iam.put_role_policy(RoleName="bench", PolicyName="s3", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))
    # The FTP server's identity provider: a Lambda function answering AWS's contract, which lets
    # Transfer invoke it (as AWS requires).
    iam.create_role(RoleName="bench-idp", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
    package = io.BytesIO()
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n"
                                   f"    answer = {{'Role': {ROLE!r}, 'HomeDirectory': '/bench/ftp'}}\n"
                                   "    return answer if event.get('password') == 'bench' else {}\n")
    functions = client("lambda")
    functions.create_function(FunctionName="bench-idp", Runtime="python3.12", Handler="app.handler",
                              Role=f"arn:aws:iam::{ACCOUNT}:role/bench-idp", Code={"ZipFile": package.getvalue()})
    functions.get_waiter("function_active_v2").wait(FunctionName="bench-idp", WaiterConfig={"Delay": 0.2})
    functions.add_permission(FunctionName="bench-idp", StatementId="transfer", Action="lambda:InvokeFunction",
                             Principal="transfer.amazonaws.com")
    sftp_server = transfer.create_server()["ServerId"]
    transfer.create_user(ServerId=sftp_server, UserName="bench", Role=ROLE, HomeDirectory="/bench/sftp",
                         SshPublicKeyBody=public_key)
    subnet = ec2.describe_subnets()["Subnets"][0]
    ftp_server = transfer.create_server(Protocols=["FTP"], EndpointType="VPC", IdentityProviderType="AWS_LAMBDA",
                                        IdentityProviderDetails={"Function": FUNCTION},
                                        EndpointDetails={"VpcId": subnet["VpcId"], "SubnetIds": [subnet["SubnetId"]]})["ServerId"]
    for server_id in (sftp_server, ftp_server):
        transfer.get_waiter("server_online").wait(ServerId=server_id, WaiterConfig={"Delay": 0.2})
    with __import__("urllib.request").request.urlopen(endpoint + "/_regionbox/status") as response:
        engines = json.loads(response.read())["engines"]

    def where(server_id: str, protocol: str) -> tuple[str, int]:
        import re
        found = re.search(rf"(\d+\.\d+\.\d+\.\d+) (?:sftp:\d+ )?{protocol}:(\d+)", engines[f"transfer {server_id}"])
        return found.group(1), int(found.group(2))
    return {"sftp": where(sftp_server, "sftp"), "ftp": where(ftp_server, "ftp")}


# -- the baselines ----------------------------------------------------------------------------------
def start_sshd(work: Path, public_key: str) -> tuple[subprocess.Popen, int]:
    sshd = shutil.which("sshd") or "/usr/sbin/sshd"
    if not os.path.exists(sshd):
        raise SystemExit("OpenSSH's sshd is needed for the baseline: apt-get install openssh-server")
    os.makedirs("/run/sshd", exist_ok=True)
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(work / "host")], check=True)
    (work / "authorized_keys").write_text(public_key)
    port = free_port()
    config = work / "sshd_config"
    config.write_text(f"Port {port}\nListenAddress 127.0.0.1\nHostKey {work / 'host'}\nPidFile {work / 'sshd.pid'}\n"
                      f"AuthorizedKeysFile {work / 'authorized_keys'}\nStrictModes no\nUsePAM no\nPermitRootLogin yes\n"
                      "PasswordAuthentication no\nKbdInteractiveAuthentication no\nSubsystem sftp internal-sftp\n"
                      "ForceCommand internal-sftp\n")
    process = subprocess.Popen([sshd, "-D", "-e", "-f", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_port("127.0.0.1", port, process)
    return process, port


def start_pyftpdlib(root: Path) -> tuple[subprocess.Popen, int]:
    port = free_port()
    code = ("import sys\nfrom pyftpdlib.authorizers import DummyAuthorizer\nfrom pyftpdlib.handlers import FTPHandler\n"
            "from pyftpdlib.servers import FTPServer\nimport logging\nlogging.basicConfig(level=logging.ERROR)\n"
            "a = DummyAuthorizer(); a.add_user('bench', 'bench', sys.argv[1], perm='elradfmwMT')\n"
            "FTPHandler.authorizer = a\nFTPHandler.passive_ports = range(8192, 8201)\n"
            "FTPServer(('127.0.0.1', int(sys.argv[2])), FTPHandler).serve_forever()\n")
    process = subprocess.Popen([sys.executable, "-c", code, str(root), str(port)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    wait_port("127.0.0.1", port, process)
    return process, port


def wait_port(address: str, port: int, process: subprocess.Popen, timeout: float = 20) -> None:
    import socket

    deadline = time.time() + timeout
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} exited with {process.returncode}")
        try:
            socket.create_connection((address, port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on {address}:{port}")


# -- the clients ------------------------------------------------------------------------------------
TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """CPU time of a process and of its children it has reaped (sshd's per-connection processes)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(value) for value in fields[11:15]) / TICK


def settled(pid: int, timeout: float = 10) -> None:
    """Wait until a server has reaped the processes it forked for a connection, so that their CPU
    time is counted in its own."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        children = Path(f"/proc/{pid}/task/{pid}/children")
        if not children.exists() or not children.read_text().strip():
            return
        time.sleep(0.02)


@dataclass
class Measure:
    """Wall-clock seconds and server CPU seconds, each the best of the rounds: on a shared machine
    other work only ever adds to either."""

    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)

    def add(self, server_pid: int, forks: bool, command: list[str], **kwargs) -> None:
        before = cpu_seconds(server_pid)
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, **kwargs)
        elapsed = time.perf_counter() - started
        if done.returncode != 0:
            raise RuntimeError(f"{command[0]} failed: {done.stderr[-500:]}")
        if forks:
            settled(server_pid)
        self.walls.append(elapsed)
        self.cpus.append(cpu_seconds(server_pid) - before)

    @property
    def wall(self) -> float:
        return min(self.walls)

    @property
    def cpu(self) -> float:
        return min(self.cpus)


def sftp_command(key: Path, user: str, address: str, port: int, cipher: str | None) -> list[str]:
    return ["sftp", "-b", "-", "-i", str(key), "-P", str(port), *SSH_OPTIONS, *(["-c", cipher] if cipher else []),
            f"{user}@{address}"]


def ftp_url(address: str, port: int, remote: str) -> str:
    return f"ftp://bench:bench@{address}:{port}/{remote}"


def report(name: str, ours: Measure, theirs: Measure, baseline: str, size: float) -> None:
    """Throughput ratio (the baseline's time over ours: above 1 is faster than the baseline) and
    the servers' CPU per MB (ours over the baseline's: above 1 costs more)."""
    print(f"{name:<9} regionbox {size / ours.wall:>6.0f} MB/s {ours.cpu * 1000 / size:>6.2f} ms CPU/MB   "
          f"{baseline:<22} {size / theirs.wall:>6.0f} MB/s {theirs.cpu * 1000 / size:>6.2f} ms CPU/MB   "
          f"speed {theirs.wall / ours.wall:.2f}x   CPU {ours.cpu / theirs.cpu:.2f}x")


def check(local: Path, back: Path) -> None:
    if back.stat().st_size != local.stat().st_size:
        raise RuntimeError("the file came back with another size")
    back.unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mib", type=int, default=256)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cipher", default=None, help="an SSH cipher for both SFTP servers (default: negotiated)")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return
    work = Path(tempfile.mkdtemp(prefix="transfer-bench-"))
    processes: list[subprocess.Popen] = []
    try:
        local = work / "big.bin"
        with open(local, "wb") as file:
            for _ in range(args.mib):
                file.write(os.urandom(MIB))
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(work / "key")], check=True)
        public = (work / "key.pub").read_text()
        regionbox, endpoint = start_regionbox()
        processes.append(regionbox)
        where = setup_regionbox(endpoint, public)
        sshd, ssh_port = start_sshd(work, public)
        processes.append(sshd)
        (work / "ftp-root").mkdir()
        ftpd, ftp_port = start_pyftpdlib(work / "ftp-root")
        processes.append(ftpd)
        (work / "sftp-root").mkdir()
        size = args.mib * MIB / 1e6
        print(f"{args.mib} MiB, {args.runs} alternating rounds (speed and CPU: best round); "
              f"cipher: {args.cipher or 'negotiated'}; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        ours_sftp = sftp_command(work / "key", "bench", *where["sftp"], args.cipher)
        their_sftp = sftp_command(work / "key", os.environ.get("USER", "root"), "127.0.0.1", ssh_port, args.cipher)
        their_file = str(work / "sftp-root" / "big.bin")
        back = work / "back"
        figures = {name: (Measure(), Measure()) for name in ("SFTP put", "SFTP get", "FTP put", "FTP get")}
        for _ in range(args.runs):
            put, get = figures["SFTP put"], figures["SFTP get"]
            put[0].add(regionbox.pid, False, ours_sftp, input=f"put {local} big.bin\n")
            put[1].add(sshd.pid, True, their_sftp, input=f"put {local} {their_file}\n")
            get[0].add(regionbox.pid, False, ours_sftp, input=f"get big.bin {back}\n")
            check(local, back)
            get[1].add(sshd.pid, True, their_sftp, input=f"get {their_file} {back}\n")
            check(local, back)
            put, get = figures["FTP put"], figures["FTP get"]
            ours_url, their_url = ftp_url(*where["ftp"], "big.bin"), ftp_url("127.0.0.1", ftp_port, "big.bin")
            put[0].add(regionbox.pid, False, ["curl", "-sS", "--ftp-pasv", "-T", str(local), ours_url])
            put[1].add(ftpd.pid, False, ["curl", "-sS", "--ftp-pasv", "-T", str(local), their_url])
            get[0].add(regionbox.pid, False, ["curl", "-sS", "--ftp-pasv", "-o", str(back), ours_url])
            check(local, back)
            get[1].add(ftpd.pid, False, ["curl", "-sS", "--ftp-pasv", "-o", str(back), their_url])
            check(local, back)
        for name, (ours, theirs) in figures.items():
            report(name, ours, theirs, "OpenSSH internal-sftp" if name.startswith("SFTP") else "bare pyftpdlib", size)
    finally:
        for process in processes:
            if process.stdin:
                process.stdin.close()
            process.terminate()
            process.wait(30)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
