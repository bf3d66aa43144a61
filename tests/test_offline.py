"""Nothing formcheck does tries to leave the machine.

MediaPipe 1.2.x's native library posts usage statistics to play.googleapis.com when a model
loads (see `formcheck.media.model.keep_offline`). Each command that runs the pose model is run
with every proxy variable aimed at a listener on 127.0.0.1 (which records any connection, e.g.
``CONNECT play.googleapis.com:443``) and, where strace is installed, under
``strace -f -e trace=connect,sendto,sendmmsg``, which shows every address the process or its
threads and children tried to reach, DNS queries included. Only loopback and unix sockets may
appear.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from formcheck.media.model import NO_NETWORK_PROXY, keep_offline

STRACE = shutil.which("strace")
FORMCHECK = [sys.executable, "-m", "formcheck"]
#: An address in an strace line: ``sin_addr=inet_addr("1.2.3.4")`` or ``inet_pton(AF_INET6, "::1", ...)``.
_ADDRESS = re.compile(r'inet_addr\("([^"]+)"\)|inet_pton\(AF_INET6, "([^"]+)"')
_LOOPBACK = re.compile(r"^(127\.|::1$|::ffff:127\.)")


class Listener:
    """A TCP listener on 127.0.0.1 that records the first bytes of every connection."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.received: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(2)
                try:
                    self.received.append(conn.recv(4096))
                except OSError:
                    self.received.append(b"")

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sock.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    lst = Listener()
    yield lst
    lst.close()


def offenders(trace: str) -> list[str]:
    """strace lines with an address that is not loopback (unix and netlink sockets have none)."""
    bad = []
    for line in trace.splitlines():
        for v4, v6 in _ADDRESS.findall(line):
            if not _LOOPBACK.match(v4 or v6):
                bad.append(line.strip())
    return bad


def run_offline(args: list[str], listener: Listener, tmp_path: Path) -> tuple[int, str]:
    """Run ``formcheck args`` with the proxies aimed at ``listener`` (under strace if present);
    returns the exit code and the strace output ('' without strace)."""
    proxy = f"http://127.0.0.1:{listener.port}"
    env = {k: v for k, v in os.environ.items() if k.lower() != "no_proxy"}
    for name in ("http_proxy", "https_proxy", "all_proxy"):
        env[name] = env[name.upper()] = proxy
    trace = tmp_path / "strace.txt"
    prefix = (
        [STRACE, "-f", "-qq", "-e", "trace=connect,sendto,sendmmsg", "-o", str(trace)]
        if STRACE
        else []
    )
    proc = subprocess.run(
        prefix + FORMCHECK + args, env=env, capture_output=True, text=True, timeout=300
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.returncode, trace.read_text() if STRACE else ""


def test_offenders_sees_a_dns_query_and_passes_loopback() -> None:
    dns = 'connect(6, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("10.0.0.53")}, 16)'
    local = (
        'connect(7, {sa_family=AF_INET, sin_port=htons(80), sin_addr=inet_addr("127.0.0.1")}, 16)'
    )
    v6 = 'connect(8, {sa_family=AF_INET6, sin6_port=htons(443), inet_pton(AF_INET6, "2a00::1", &x)'
    unix = 'connect(3, {sa_family=AF_UNIX, sun_path="/run/x"}, 110) = 0'
    assert offenders("\n".join([dns, local, v6, unix])) == [dns, v6]


def test_keep_offline_sets_an_unusable_proxy_and_drops_the_bypass(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NO_PROXY", "*")
    monkeypatch.setenv("no_proxy", "*")
    monkeypatch.setenv("https_proxy", "http://proxy.example:3128")
    keep_offline()
    assert os.environ["https_proxy"] == os.environ["ALL_PROXY"] == NO_NETWORK_PROXY
    assert "NO_PROXY" not in os.environ and "no_proxy" not in os.environ


@pytest.mark.slow
@pytest.mark.parametrize("command", ["analyze", "landmarks", "live"])
def test_commands_that_run_the_model_try_nothing_outside_the_machine(
    command: str, noise_video: Path, listener: Listener, tmp_path: Path
) -> None:
    args = {
        "analyze": ["analyze", str(noise_video), "-o", str(tmp_path / "out"), "--no-video"],
        "landmarks": ["landmarks", str(noise_video), "-o", str(tmp_path / "lm.npz")],
        "live": ["live", "--source", str(noise_video), "--headless", "--no-drop"],
    }[command]
    code, trace = run_offline(args, listener, tmp_path)
    assert code in (0, 2)  # noise has no person: analyze says so with exit 2
    assert listener.received == [], listener.received
    assert offenders(trace) == []
