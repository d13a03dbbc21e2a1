"""``civicrecords user ...`` and ``civicrecords serve`` from the command line."""

from __future__ import annotations

import io
import os
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx

from civicrecords.archive import Archive
from civicrecords.cli.main import run
from civicrecords.environment import Environment
from civicrecords.errors import ExitStatus
from civicrecords.web.users import UserStore

ROOT = Path(__file__).resolve().parents[2]


def _cli(archive: Archive, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CIVICRECORDS_CONFIG_DIR": str(archive.env.user_config_dir),
           "CIVICRECORDS_OPERATOR": "records-admin"}
    return subprocess.run([sys.executable, "-m", "civicrecords", "--archive",
                           str(archive.root), *args], input=stdin, capture_output=True,
                          text=True, cwd=ROOT, env=env, timeout=120)


def _run(env: Environment, archive: Archive, *args: str) -> tuple[int, str, str]:
    env.stdout, env.stderr = io.StringIO(), io.StringIO()
    status = run(["--archive", str(archive.root), *args], env)
    return status, env.stdout.getvalue(), env.stderr.getvalue()


def test_user_add_reads_the_password_from_stdin_and_stores_a_hash(archive: Archive) -> None:
    done = _cli(archive, "user", "add", "jclerk", "--role", "clerk", "--password-stdin",
                stdin="a long enough password\n")
    assert done.returncode == 0, done.stderr
    assert "added jclerk (clerk)" in done.stdout
    path = archive.root / "users.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "a long enough password" not in path.read_text("utf-8")
    user = UserStore(archive).verify("jclerk", "a long enough password")
    assert user is not None and user.role == "clerk"
    entry = [e for e in archive.audit.entries() if e["action"] == "user.add"][-1]
    assert entry["actor"] == "records-admin" and entry["subject"] == "jclerk"


def test_user_add_refuses_bad_input_with_one_line(archive: Archive) -> None:
    UserStore(archive).add("taken", "staff", "a long enough password")
    cases = [(("user", "add", "short", "--role", "staff", "--password-stdin"), "tiny\n",
              "at least 12 characters"),
             (("user", "add", "x", "--role", "mayor", "--password-stdin"),
              "a long enough password\n", "is not a role"),
             (("user", "add", "Bad Name", "--role", "staff", "--password-stdin"),
              "a long enough password\n", "is not an account name"),
             (("user", "add", "taken", "--role", "staff", "--password-stdin"),
              "a long enough password\n", "already exists")]
    for args, stdin, message in cases:
        done = _cli(archive, *args, stdin=stdin)
        assert done.returncode == ExitStatus.USAGE, (args, done.stderr)
        assert done.stderr.count("\n") == 1 and message in done.stderr
        assert "Traceback" not in done.stderr
    assert [u.name for u in UserStore(archive).all()] == ["taken"]


def test_user_list_disable_enable_and_password(archive: Archive, env: Environment) -> None:
    store = UserStore(archive)
    store.add("sam", "staff", "a long enough password")
    status, out, _ = _run(env, archive, "user", "list")
    assert status == 0 and "sam" in out and "staff" in out and "active" in out
    status, out, _ = _run(env, archive, "user", "disable", "sam")
    assert status == 0 and "disabled sam" in out
    assert store.verify("sam", "a long enough password") is None
    status, _, _ = _run(env, archive, "user", "enable", "sam")
    assert status == 0 and store.verify("sam", "a long enough password") is not None
    done = _cli(archive, "user", "password", "sam", "--password-stdin",
                stdin="another long password\n")
    assert done.returncode == 0, done.stderr
    assert store.verify("sam", "another long password") is not None
    assert store.verify("sam", "a long enough password") is None
    status, _, err = _run(env, archive, "user", "disable", "nobody")
    assert status == ExitStatus.USAGE and "no account named 'nobody'" in err


def test_serve_warns_when_listening_beyond_this_machine(archive: Archive) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "CIVICRECORDS_CONFIG_DIR": str(archive.env.user_config_dir)}
    process = subprocess.Popen(
        [sys.executable, "-m", "civicrecords", "--archive", str(archive.root), "serve",
         "--host", "0.0.0.0", "--port", str(port)], cwd=ROOT, env=env, text=True,
        stderr=subprocess.PIPE, stdout=subprocess.DEVNULL)
    try:
        lines = []
        assert process.stderr is not None
        while not any("serving" in line for line in lines):
            line = process.stderr.readline()
            assert line, "serve ended early: " + "".join(lines)
            lines.append(line)
        text = "".join(lines)
        assert "warning: listening on 0.0.0.0" in text and "trusted_proxies" in text
        assert "no active admin account" in text
        deadline = time.monotonic() + 30
        while True:
            try:
                page = httpx.get(f"http://127.0.0.1:{port}/login", timeout=2)
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, "the app did not answer"
                time.sleep(0.2)
        assert page.status_code == 200 and "Sign in" in page.text
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_serve_refuses_a_port_in_use(archive: Archive, env: Environment) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        status, _, err = _run(env, archive, "serve", "--port", str(port))
    assert status == ExitStatus.USAGE
    assert err.startswith(f"error: cannot listen on 127.0.0.1:{port}") and err.count("\n") == 1
