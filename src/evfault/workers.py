"""`evfault serve --workers N`: N processes serve one port, each a node of its own.

The supervisor (this module, in the process the operator started) reserves the port, starts N
`evfault serve` workers that all listen on it with SO_REUSEPORT (the kernel spreads new
connections over them), prints one "running" line once every worker listens, restarts a worker
that dies, and stops them all on Ctrl-C or SIGTERM.

Each worker is an ordinary evfault node (DESIGN.md, "Scale"): it owns the chargers connected to
it, shares the database with the others, and judges only its own chargers offline. A worker gets
its settings as EVFAULT_* variables (settings.to_env) and, in EVFAULT_WORKER, its index and the
first-run token, which every worker accepts (a browser's next request may reach another one).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import signal
import socket
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from evfault.errors import UserError
from evfault.settings import Settings, to_env

log = logging.getLogger("evfault.workers")

WORKER_ENV = "EVFAULT_WORKER"
RESTARTS_PER_MINUTE = 5  # a worker dying more often than this stops the whole server
STOP_GRACE_S = 15.0


@dataclass(frozen=True, slots=True)
class WorkerRole:
    """What a worker learns from its supervisor."""

    index: int
    first_run_token: str

    @classmethod
    def from_env(cls) -> WorkerRole | None:
        raw = os.environ.get(WORKER_ENV)
        if not raw:
            return None
        index, _, token = raw.partition(":")
        return cls(int(index), token)

    def to_env(self) -> str:
        return f"{self.index}:{self.first_run_token}"


def worker_count(settings: Settings) -> int:
    """--workers; 0 means one per core where a bus joins them, else one.

    Every worker is a node: without a bus between them a dashboard served by one worker would
    not see the chargers of another, nor could a command reach them.
    """
    if settings.workers == 0:
        return max(1, os.cpu_count() or 1) if settings.bus else 1
    if settings.workers > 1 and not settings.bus:
        raise UserError(f"--workers {settings.workers} needs --bus nats://HOST:PORT: each "
                        "worker is a node, and the bus carries live events and commands "
                        "between them.")
    return settings.workers


def node_name(settings: Settings, index: int) -> str:
    return f"{settings.node or socket.gethostname()}-w{index}"


def reserve_port(host: str, port: int) -> socket.socket:
    """Bind (without listening) so that port 0 becomes a real port the workers can share."""
    if not hasattr(socket, "SO_REUSEPORT"):
        raise UserError("--workers above 1 needs SO_REUSEPORT, which this system lacks; "
                        "run one process (--workers 1).")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise UserError(f"cannot listen on {host}:{port} ({exc.strerror}); "
                        "check --host.") from None
    family, _, _, _, address = infos[0]
    # First without SO_REUSEPORT: a port that another server (even another evfault with
    # workers) holds is busy, not something to share.
    probe = socket.socket(family, socket.SOCK_STREAM)
    try:
        probe.bind(address)
        address = (address[0], probe.getsockname()[1], *address[2:])
    except OSError as exc:
        raise UserError(f"cannot listen on {host}:{port} ({exc.strerror or exc}); "
                        "pick another --port.") from None
    finally:
        probe.close()
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(address)
    return sock


async def orphaned(stop: asyncio.Event) -> None:
    """In a worker: stop when the supervisor is gone (a SIGKILL gives it no time to say so).

    Workers run in their own session, so a terminal's Ctrl-C reaches only the supervisor, which
    then stops them in order.
    """
    parent = os.getppid()
    while not stop.is_set():
        if os.getppid() != parent:
            log.warning("the supervisor is gone; this worker stops")
            stop.set()
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(1.0):
                await stop.wait()


class Supervisor:
    def __init__(self, settings: Settings, count: int,
                 announce: Callable[[str], None]) -> None:
        self.settings = settings
        self.count = count
        self.announce = announce
        self.token = secrets.token_urlsafe(32)
        self.port = settings.port
        self.workers: dict[int, asyncio.subprocess.Process] = {}
        self.deaths: list[float] = []
        self.relays: set[asyncio.Future[None]] = set()  # kept so they are not collected
        self.stopping = False

    def _env(self, index: int) -> dict[str, str]:
        env = {**os.environ, **to_env(self.settings)}
        env.update({"EVFAULT_PORT": str(self.port), "EVFAULT_WORKERS": "1",
                    "EVFAULT_NODE": node_name(self.settings, index),
                    WORKER_ENV: WorkerRole(index, self.token).to_env(),
                    "PYTHONUNBUFFERED": "1"})
        return env

    async def _spawn(self, index: int) -> list[str]:
        """Start worker `index`; return what it printed up to and including 'running'."""
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "evfault", "serve", env=self._env(index),
            stdout=asyncio.subprocess.PIPE, start_new_session=True)
        assert process.stdout is not None
        lines: list[str] = []
        while True:
            raw = await process.stdout.readline()
            if not raw:
                code = await process.wait()
                raise UserError(f"worker {index} stopped before it listened (exit code {code}); "
                                "its message is above.")
            line = raw.decode(errors="replace").rstrip("\n")
            lines.append(line)
            if line.startswith("evfault is running"):
                break
        self.workers[index] = process
        return lines

    async def _relay(self, index: int, process: asyncio.subprocess.Process) -> None:
        """Pass on what worker 0 prints later; the others print the same things."""
        assert process.stdout is not None
        async for raw in process.stdout:
            if index == 0:
                self.announce(raw.decode(errors="replace").rstrip("\n"))

    async def migrate(self) -> None:
        """Bring the schema up to date once, before N workers would race to do it."""
        from evfault.store.sql import open_store

        try:
            store = open_store(self.settings.db)
            await store.start()
        except ValueError as exc:  # an unusable database URL
            raise UserError(str(exc)) from None
        await store.close()

    async def start(self) -> None:
        await self.migrate()
        reserved = reserve_port(self.settings.host, self.settings.port)
        self.port = reserved.getsockname()[1]
        try:
            printed = await asyncio.gather(*(self._spawn(i) for i in range(self.count)))
        except BaseException:
            await self.stop()
            raise
        finally:
            reserved.close()  # the workers hold the port now
        first = printed[0]
        running = first[-1].replace("evfault is running:",
                                    f"evfault is running ({self.count} workers):", 1)
        for line in first[:-1]:
            self.announce(line)
        self.announce(running)
        for index, process in self.workers.items():
            self._start_relay(index, process)

    async def watch(self, stop: asyncio.Event) -> None:
        """Restart workers that die, until `stop` is set or they die too often."""
        while not stop.is_set():
            waits = {asyncio.ensure_future(p.wait()): i for i, p in self.workers.items()}
            stopper = asyncio.ensure_future(stop.wait())
            done, _ = await asyncio.wait({stopper, *waits}, return_when=asyncio.FIRST_COMPLETED)
            for task in (stopper, *waits):
                if task not in done:
                    task.cancel()
            if stop.is_set():
                return
            for task in done:
                if task in waits:
                    await self._revive(waits[task], task.result())

    async def _revive(self, index: int, code: int) -> None:
        now = time.monotonic()
        self.deaths = [t for t in self.deaths if now - t < 60] + [now]
        if len(self.deaths) > RESTARTS_PER_MINUTE:
            raise UserError(f"workers stopped {len(self.deaths)} times within a minute "
                            f"(the last, worker {index}, with exit code {code}); see the log "
                            "above.")
        log.warning("worker %d stopped with exit code %d; starting it again", index, code)
        await self._spawn(index)
        self._start_relay(index, self.workers[index])

    def _start_relay(self, index: int, process: asyncio.subprocess.Process) -> None:
        relay = asyncio.ensure_future(self._relay(index, process))
        self.relays.add(relay)
        relay.add_done_callback(self.relays.discard)

    async def stop(self) -> None:
        self.stopping = True
        for process in self.workers.values():
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
        for process in self.workers.values():
            try:
                async with asyncio.timeout(STOP_GRACE_S):
                    await process.wait()
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await process.wait()


async def run_workers(settings: Settings, count: int, announce: Callable[[str], None],
                      stop: asyncio.Event) -> None:
    supervisor = Supervisor(settings, count, announce)
    await supervisor.start()
    try:
        await supervisor.watch(stop)
    finally:
        await supervisor.stop()
