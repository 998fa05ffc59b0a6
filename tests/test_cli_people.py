"""Mistakes people make at the command line get one sentence and a non-zero exit, never a
traceback; a normal start says only what a person needs. Each runs the real command."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

WAIT_S = 120  # generous: the machine may be busy


def evfault(*args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "evfault", *args], capture_output=True,
                          text=True, timeout=WAIT_S, stdin=subprocess.DEVNULL,
                          env={**os.environ, "COLUMNS": "80"}, check=False)  # type: ignore[call-overload]


def one_sentence(done: subprocess.CompletedProcess[str]) -> str:
    """The one line a failed command printed (asserting there is exactly one)."""
    assert done.returncode not in (0, None), done
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert "Traceback" not in done.stderr + done.stdout
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("evfault: ") and lines[0].endswith("."), lines[0]
    return lines[0]


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        yield taken.getsockname()[1]


def test_a_busy_port(busy_port: int, tmp_path: Path) -> None:
    line = one_sentence(evfault("serve", "--port", str(busy_port),
                                "--db", f"sqlite:///{tmp_path / 'e.db'}"))
    assert f"port {busy_port} is in use on 127.0.0.1" in line
    assert "--port" in line


@pytest.mark.parametrize("host", ["999.1.1.1", "no-such-host.invalid"])
def test_a_host_that_is_no_address(host: str, tmp_path: Path) -> None:
    line = one_sentence(evfault("serve", "--host", host, "--port", "0",
                                "--db", f"sqlite:///{tmp_path / 'e.db'}"))
    assert f"cannot find the address {host!r}" in line and "--host" in line


def test_an_unreachable_postgresql() -> None:
    with socket.socket() as closed:  # a port nothing listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    line = one_sentence(evfault("serve", "--port", "0",
                                "--db", f"postgresql://evfault:s3cret@127.0.0.1:{port}/x"))
    assert f"cannot open the database postgresql://evfault:***@127.0.0.1:{port}/x" in line
    assert "s3cret" not in line
    assert "--db" in line


@pytest.mark.parametrize("command", [["chargers", "list"], ["users", "list"]])
def test_database_commands_with_an_unreachable_postgresql(command: list[str]) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    line = one_sentence(evfault(*command, "--db", f"postgresql://evfault:s3cret@127.0.0.1:{port}/x"))
    assert "cannot open the database postgresql://evfault:***@" in line and "s3cret" not in line


def test_explain_into_head_exits_zero() -> None:
    reader = subprocess.Popen([sys.executable, "-m", "evfault", "explain", "F001"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              env={**os.environ, "COLUMNS": "20"})  # long output: many lines
    assert reader.stdout is not None and reader.stderr is not None
    first = [reader.stdout.readline() for _ in range(3)]
    reader.stdout.close()  # what `| head -3` does after three lines
    assert reader.wait(timeout=WAIT_S) == 0
    assert b"F001" in b"".join(first)
    assert b"Traceback" not in reader.stderr.read()


def test_a_normal_start_prints_no_library_chatter(tmp_path: Path) -> None:
    server = subprocess.Popen(
        [sys.executable, "-m", "evfault", "serve", "--port", "0",
         "--db", f"sqlite:///{tmp_path / 'fresh.db'}"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ.copy(),
        # As `nohup evfault serve &` starts it: SIGINT inherited ignored, until evfault's own
        # handler takes it (a Ctrl-C right after the first line was once lost that way).
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    assert server.stdout is not None
    try:
        first = server.stdout.readline()
        assert first.startswith("evfault is running: dashboard http://127.0.0.1:")
    finally:
        # At once, as a person who pressed Ctrl-C on seeing the line would (it once hung here:
        # what the server logs while stopping says which part held it).
        server.send_signal(signal.SIGINT)
        try:
            _, errors = server.communicate(timeout=WAIT_S)
        except subprocess.TimeoutExpired:
            server.kill()
            _, errors = server.communicate()
            raise AssertionError(f"Ctrl-C did not stop the server; it logged: {errors}") from None
    assert server.returncode == 0
    assert "alembic" not in errors and "INFO" not in errors, errors
    assert "Traceback" not in errors


def _frames_gz(path: Path) -> bytes:
    frame = '[2,"{n}","DataTransfer",{{"vendorId":"x","data":"{d}"}}]\n'
    text = "".join(frame.format(n=n, d=os.urandom(40).hex()) for n in range(200))
    import gzip

    data = gzip.compress(text.encode())
    path.write_bytes(data)
    return data


@pytest.mark.parametrize("command", ["decode", "check"])
def test_a_gz_that_is_not_gzip(command: str, tmp_path: Path) -> None:
    fake = tmp_path / "charger.log.gz"
    fake.write_text('[2,"1","Heartbeat",{}]\n')
    line = one_sentence(evfault(command, str(fake)))
    assert "is named .gz but is not gzip-compressed" in line


@pytest.mark.parametrize("command", ["decode", "check"])
def test_a_truncated_gz(command: str, tmp_path: Path) -> None:
    whole = _frames_gz(tmp_path / "whole.gz")
    cut = tmp_path / "cut.gz"
    cut.write_bytes(whole[: len(whole) // 2])
    line = one_sentence(evfault(command, str(cut)))
    assert "damaged or truncated gzip file" in line


@pytest.mark.parametrize("command", ["decode", "check"])
def test_an_empty_file_and_empty_stdin_say_so(command: str, tmp_path: Path) -> None:
    empty = tmp_path / "empty.log"
    empty.write_text("\n\n")
    assert f"{empty} holds no OCPP-J frames" in one_sentence(evfault(command, str(empty)))
    assert "standard input holds no OCPP-J frames" in one_sentence(evfault(command, "-"))


@pytest.mark.parametrize("command", ["decode", "check"])
def test_a_terminal_with_nothing_piped_says_so(command: str) -> None:
    import pty

    main_end, terminal = pty.openpty()
    try:
        done = subprocess.run([sys.executable, "-m", "evfault", command], stdin=terminal,
                              capture_output=True, text=True, timeout=WAIT_S, check=False)
    finally:
        os.close(terminal)
        os.close(main_end)
    assert "nothing is piped in" in one_sentence(done)
