"""The alerts of a running server: rules in force, the outbox, and its delivery.

Every `alert_interval` seconds the service reads what is active (errors from the store, and
offline chargers when a rule asks for them), asks the pure engine which messages are due,
writes them to the outbox (committed before anything is sent), then delivers what is due.
Several nodes on one database may all do this: a message's key is unique, so it is stored
once, and a node claims a message before sending it.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable
from contextlib import suppress
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path

import httpx
import orjson
from sqlalchemy import Connection

from evfault.alerts import channels
from evfault.alerts.engine import Due, Fired, Kind, Subject, due_messages, gone
from evfault.alerts.messages import email_text, payload, subject_line
from evfault.alerts.rules import RuleError, RuleSet, parse_rules
from evfault.auth.model import AuditEntry
from evfault.settings import Settings
from evfault.store import accounts, outbox
from evfault.store.model import Store
from evfault.store.outbox import NewMessage, OutboxRow, RuleVersion
from evfault.store.trust_store import TrustStore
from evfault.tracking.model import Incident

log = logging.getLogger("evfault.alerts")

REMEMBER = timedelta(days=30)  # alerts older than this are not resolved after a restart
MAX_RETRY_DELAY_S = 3600.0
LEASE = timedelta(seconds=2 * max(channels.SMTP_TIMEOUT_S, channels.WEBHOOK_TIMEOUT_S))
PARALLEL_SENDS = 8


def default_rules_text() -> str:
    """The built-in rules (self-healing per OCPP code, as the seed recommends; no alerts,
    which need somebody's address)."""
    return resources.files("evfault.alerts").joinpath("default_rules.yaml").read_text("utf-8")


def read_rules_file(path: str) -> str:
    try:
        text = Path(path).read_text("utf-8")
    except OSError as exc:
        raise RuleError(f"cannot read the rules file {path}: {exc.strerror or exc}.") from None
    parse_rules(text, path)  # a mistake stops the start, with the line that is wrong
    return text


def rules_source(path: str) -> str:
    """How a rules version read from a file names its source."""
    return f"file:{os.path.abspath(path)}"


def check_settings(settings: Settings) -> None:
    """Fail before anything opens when the rules file cannot be used."""
    if settings.rules:
        read_rules_file(settings.rules)


class Alerts:
    def __init__(self, settings: Settings, store: Store, clock: Callable[[], datetime],
                 db: TrustStore | None = None) -> None:
        self.settings = settings
        self.store = store
        self.clock = clock
        self.db = db or TrustStore(settings.db)
        self.rules = RuleSet()
        self.version: RuleVersion | None = None
        # Set by self-healing: True while it is still trying on a subject; and its round,
        # run on the same read of the active errors before the alerts are decided.
        self.healing: Callable[[Subject], bool] = lambda _subject: False
        self.before_check: Callable[[list[Incident]], Awaitable[object]] | None = None
        self.fired: dict[tuple[str, str], Fired] = {}
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._http: httpx.AsyncClient | None = None
        self._smtp = channels.Smtp(settings.smtp_host, settings.smtp_port, settings.smtp_from,
                                   settings.smtp_user, settings.smtp_password, settings.smtp_tls)

    # ---- life cycle ----------------------------------------------------------------------

    async def start(self, run: bool = True) -> None:
        check_settings(self.settings)
        file_text = read_rules_file(self.settings.rules) if self.settings.rules else None
        await self.db.start()
        await self._load_rules(file_text)
        await self._remember_fired()
        self._http = httpx.AsyncClient()
        if run:
            self._task = asyncio.create_task(self._run_forever(), name="evfault-alerts")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task
        if self._http is not None:
            await self._http.aclose()
        await self.db.close()

    # ---- the rules -----------------------------------------------------------------------

    async def _load_rules(self, file_text: str | None) -> None:
        if file_text is not None:
            source = rules_source(self.settings.rules)
            last = await self.db.read(outbox.newest_rules, "file:")
            # The file wins when it changed since it was last read; otherwise edits made
            # through the API since then stay in force.
            if last is None or last.text != file_text:
                await self.db.write(outbox.add_rules, file_text, source, "cli", self.clock())
        self._use(await self.db.read(outbox.newest_rules))

    def _use(self, version: RuleVersion | None) -> None:
        text = version.text if version is not None else default_rules_text()
        self.rules = parse_rules(text, "the stored rules" if version else "the default rules")
        self.version = version

    async def set_rules(self, text: str, actor: str) -> RuleSet:
        """Replace the rules in force (an admin through the API); RuleError if unusable."""
        parse_rules(text)
        version = await self.db.write(_add_rules_audited, text, actor, self.clock())
        self._use(version)
        self.wake()
        return self.rules

    async def _reload_if_changed(self) -> None:
        newest = await self.db.read(outbox.newest_rules_id)
        if newest != (self.version.id if self.version else 0):
            try:
                self._use(await self.db.read(outbox.newest_rules))
            except RuleError as exc:  # another node stored it checked; keep what works
                log.error("the newest stored rules cannot be used: %s", exc)

    # ---- deciding ------------------------------------------------------------------------

    async def _remember_fired(self) -> None:
        rows = await self.db.read(outbox.fired_since, self.clock() - REMEMBER)
        for row in rows:
            key = (row.rule, row.subject)
            before = self.fired.get(key)
            count = max(row.seq + 1, before.count if before else 0)
            self.fired[key] = Fired(row.rule, _subject_of(row), count, row.created_at)

    async def active(self, incidents: list[Incident] | None = None) -> list[Subject]:
        if incidents is None:
            incidents = await self.store.active_incidents()
        subjects = [Subject.of_incident(i) for i in incidents]
        if any(rule.match.offline for rule in self.rules.alerts):
            subjects += [Subject.offline_charger(c.charger_id, c.offline_since)
                         for c in await self.store.chargers()
                         if not c.online and c.offline_since is not None]
        return subjects

    async def check(self, now: datetime | None = None,
                    incidents: list[Incident] | None = None) -> list[Due]:
        """Write the messages due now to the outbox; the ones it wrote. `incidents`: the
        active ones, when the caller has read them already."""
        now = now or self.clock()
        await self._reload_if_changed()
        active = await self.active(incidents)
        due = due_messages(self.rules, active, self.fired, now, self.healing)
        if due:
            await self.db.write(outbox.add, [m for d in due for m in _rows(d)], now)
        for d in due:
            if d.kind != Kind.RESOLVED:
                self.fired[(d.rule.name, d.subject.key)] = Fired(d.rule.name, d.subject,
                                                                 d.seq + 1, now)
        for key in gone(self.rules, active, self.fired):
            del self.fired[key]
        return due

    # ---- delivering ----------------------------------------------------------------------

    async def deliver(self, now: datetime | None = None) -> int:
        """Send the messages that are due; the number delivered."""
        now = now or self.clock()
        claimed = [row for row in await self.db.read(outbox.due, now)
                   if await self.db.write(outbox.claim, row, now, LEASE)]
        gate = asyncio.Semaphore(PARALLEL_SENDS)

        async def one(row: OutboxRow) -> bool:
            async with gate:
                return await self._attempt(row)

        return sum(await asyncio.gather(*(one(row) for row in claimed)))

    async def _attempt(self, row: OutboxRow) -> bool:
        try:
            await self._send(row)
        except channels.DeliveryError as exc:
            await self._failed(row, exc)
            return False
        except ValueError as exc:  # a message that cannot even be built: retrying cannot help
            await self._failed(row, channels.DeliveryError(f"cannot be sent: {exc}", True))
            return False
        await self.db.write(outbox.mark_sent, row.id, self.clock())
        log.info("alert %s sent by %s to %s", row.message_key, row.channel, row.target)
        return True

    async def _failed(self, row: OutboxRow, exc: channels.DeliveryError) -> None:
        attempts = row.attempts + 1
        give_up = exc.permanent or attempts >= self.settings.alert_attempts
        retry_at = None if give_up else self.clock() + timedelta(seconds=self._backoff(attempts))
        log.warning("alert %s (%s) attempt %d failed%s: %s", row.message_key, row.channel,
                    attempts, "; giving up" if give_up else "", exc)
        await self.db.write(outbox.mark_failed, row.id, str(exc), retry_at)

    def _backoff(self, attempts: int) -> float:
        return float(min(MAX_RETRY_DELAY_S,
                         self.settings.alert_retry_delay * 2 ** (attempts - 1)))

    async def _send(self, row: OutboxRow) -> None:
        if row.channel == "email":
            message = channels.email_message(self._smtp, tuple(row.target.split(",")),
                                             subject_line(row.payload), email_text(row.payload),
                                             row.message_key)
            await channels.send_email(self._smtp, message)
            return
        assert self._http is not None, "start the alerts first"
        await channels.send_webhook(self._http, row.target, orjson.dumps(row.payload),
                                    self.settings.webhook_secret, row.message_key)

    # ---- reading the outbox --------------------------------------------------------------

    async def messages(self, state: str | None = None, charger_id: str | None = None,
                       limit: int = 100, before: int | None = None) -> list[OutboxRow]:
        """Messages newest first (the dashboard's and the API's list)."""
        return await self.db.read(_listing, state, charger_id, limit, before)

    async def message(self, row_id: int) -> OutboxRow | None:
        return await self.db.read(outbox.one, row_id)

    async def retry(self, row_id: int, actor: str) -> OutboxRow | None:
        """Send a failed message again (audited); None when there is no such failed one."""
        if not await self.db.write(_retry_audited, row_id, actor, self.clock()):
            return None
        self.wake()
        return await self.message(row_id)

    async def counts(self) -> dict[str, int]:
        return await self.db.read(outbox.counts)

    # ---- the loop ------------------------------------------------------------------------

    def wake(self) -> None:
        """Check the rules now rather than at the next interval (e.g. a rule changed)."""
        self._wake.set()

    async def round(self) -> None:
        """One round: read the active errors once, let self-healing act and judge on them,
        then decide the alerts due (seeing what self-healing just did) and deliver."""
        await self._reload_if_changed()
        incidents = await self.store.active_incidents()
        if self.before_check is not None:
            try:
                await self.before_check(incidents)
            except Exception:  # self-healing failing must not silence the alerts
                log.exception("self-healing round failed")
        await self.check(incidents=incidents)
        await self.deliver()

    async def _run_forever(self) -> None:
        while True:
            try:
                await self.round()
            except Exception:  # a failed read or write must not stop the alerts for good
                log.exception("checking or delivering alerts failed")
            self._wake.clear()
            with suppress(TimeoutError):
                async with asyncio.timeout(self.settings.alert_interval):
                    await self._wake.wait()


def _add_rules_audited(connection: Connection, text: str, actor: str, at: datetime
                       ) -> RuleVersion:
    """A new version of the rules and its line in the audit log, in one transaction."""
    version = outbox.add_rules(connection, text, "api", actor, at)
    accounts.audit(connection, AuditEntry(at, actor, "rules.change", f"rules:{version.id}",
                                          f"{len(text)} characters"))
    return version


def _retry_audited(connection: Connection, row_id: int, actor: str, at: datetime) -> bool:
    if not outbox.retry(connection, row_id, at):
        return False
    accounts.audit(connection, AuditEntry(at, actor, "alert.retry", f"alert:{row_id}"))
    return True


def _listing(connection: Connection, state: str | None, charger_id: str | None, limit: int,
             before: int | None) -> list[OutboxRow]:
    return outbox.listing(connection, state=state, charger_id=charger_id, limit=limit,
                          before=before)


def _rows(due: Due) -> list[NewMessage]:
    body = payload(due)
    return [NewMessage(f"{due.key}:{i}", due.key, due.rule.name, due.kind.value, due.seq,
                       due.subject.key, due.subject.charger_id, channel.kind,
                       ",".join(channel.targets), body)
            for i, channel in enumerate(due.rule.channels)]


def _subject_of(row: OutboxRow) -> Subject:
    p = row.payload
    return Subject(row.subject, row.charger_id, p.get("connector_id"), p["scheme"], p["code"],
                   p["title"], p["severity"], datetime.fromisoformat(p["since"]),
                   info=p.get("info"), offline=bool(p.get("offline")))
