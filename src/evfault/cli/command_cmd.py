"""`evfault command ID ACTION`: send a command to a charger through a running server.

    evfault command CP-1 reset --soft --url http://127.0.0.1:8180 --token evf_…
    evfault command CP-1 trigger-message --message StatusNotification --connector 1
    evfault command CP-1 history

It is the API's POST /api/v1/chargers/{id}/commands (and GET for `history`) with an operator's
token; the server spells the command for the charger's OCPP version and waits for its answer.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Annotated, Any
from urllib.parse import quote

import typer

from evfault.cli.chargers_cmd import JsonOpt, print_json
from evfault.commands.vocabulary import COMMANDS
from evfault.errors import UserError

CLIENT_SLACK_S = 15.0  # the server answers a timeout itself; the client waits a little longer


def _arg_pairs(pairs: list[str]) -> dict[str, Any]:
    """--arg name=value pairs; a value that reads as JSON (a number, true, a list) is that."""
    args: dict[str, Any] = {}
    for pair in pairs:
        name, eq, raw = pair.partition("=")
        if not eq or not name:
            raise UserError(f"--arg takes name=value, not {pair!r}.")
        try:
            args[name] = json.loads(raw)
        except json.JSONDecodeError:
            args[name] = raw
    return args


def build_args(action: str, *, soft: bool, hard: bool, message: str | None,
               connector: int | None, available: bool | None, id_tag: str | None,
               transaction_id: str | int | None, keys: list[str], value: str | None,
               location: str | None, vendor_id: str | None, data: str | None,
               extra: list[str]) -> dict[str, Any]:
    """The command's args from the options people type."""
    if soft and hard:
        raise UserError("Choose --soft or --hard, not both.")
    args: dict[str, Any] = {}
    if soft or hard:
        args["type"] = "hard" if hard else "soft"
    given = {"message": message, "connector_id": connector, "available": available,
             "id_tag": id_tag, "transaction_id": transaction_id, "value": value,
             "location": location, "vendor_id": vendor_id, "data": data}
    args.update({k: v for k, v in given.items() if v is not None})
    if keys:
        if action == "change_configuration":
            args["key"] = keys[0]
        else:
            args["keys"] = keys
    args.update(_arg_pairs(extra))
    return args


def _request(url: str, token: str, path: str, body: dict[str, Any] | None,
             timeout: float) -> tuple[int, Any]:
    if not url.startswith(("http://", "https://")):
        raise UserError(f"--url must start with http:// or https://, not {url!r}.")
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        url.rstrip("/") + path, data=data, method="POST" if body is not None else "GET",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json",
                 "Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        try:
            return exc.code, json.loads(exc.read() or b"null")
        except json.JSONDecodeError:
            raise UserError(f"The server answered HTTP {exc.code}.") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise UserError(f"Could not reach the server at {url} ({reason}); check --url.") from None


def _line(command: dict[str, Any]) -> str:
    took = f" in {command['duration_ms']:g} ms" if command.get("duration_ms") is not None else ""
    answer = f" {json.dumps(command['answer'])}" if command.get("answer") is not None else ""
    error = f" — {command['error']}" if command.get("error") else ""
    return (f"{command['sent_at']} {command['command']} by {command['actor']}: "
            f"{command['status']}{took}{answer}{error}")


def register(app: typer.Typer) -> None:
    @app.command("command")
    def command(
        charger_id: Annotated[str, typer.Argument(metavar="ID", help="The charger's id.")],
        action: Annotated[str, typer.Argument(
            metavar="ACTION",
            help="history, or a command: " + ", ".join(c.replace("_", "-") for c in COMMANDS)
            + ".")],
        url: Annotated[str, typer.Option(envvar="EVFAULT_URL", show_envvar=True,
                                         help="The server, e.g. http://127.0.0.1:8180.")
                       ] = "http://127.0.0.1:8180",
        token: Annotated[str, typer.Option(envvar="EVFAULT_TOKEN", show_envvar=True,
                                           help="An operator's API token (evfault users "
                                                "token NAME).")] = "",
        soft: Annotated[bool, typer.Option("--soft", help="reset: soft (OnIdle).")] = False,
        hard: Annotated[bool, typer.Option("--hard", help="reset: hard (Immediate).")] = False,
        message: Annotated[str | None, typer.Option(
            help="trigger-message: StatusNotification, Heartbeat, BootNotification, "
                 "MeterValues, DiagnosticsStatusNotification, FirmwareStatusNotification.")
        ] = None,
        connector: Annotated[int | None, typer.Option(
            help="The connector (EVSE in 2.0.1); 0 or none: the whole charger.")] = None,
        available: Annotated[bool | None, typer.Option(
            "--available/--unavailable", help="change-availability: operative or not.")
        ] = None,
        id_tag: Annotated[str | None, typer.Option(help="remote-start: the idTag.")] = None,
        transaction_id: Annotated[str | None, typer.Option(
            help="remote-stop: the transaction.")] = None,
        key: Annotated[list[str] | None, typer.Option(
            help="get-configuration (repeat) / change-configuration: the setting's name "
                 "(2.0.1: Component.Variable).")] = None,
        value: Annotated[str | None, typer.Option(
            help="change-configuration: the new value.")] = None,
        location: Annotated[str | None, typer.Option(
            help="get-diagnostics: the upload URL.")] = None,
        vendor_id: Annotated[str | None, typer.Option(help="data-transfer: vendorId.")] = None,
        data: Annotated[str | None, typer.Option(help="data-transfer: data.")] = None,
        arg: Annotated[list[str] | None, typer.Option(
            help="Any other argument as name=value (repeat).")] = None,
        timeout: Annotated[float, typer.Option(
            help="Seconds to wait for the server's answer.")] = 60.0,
        as_json: JsonOpt = False,
    ) -> None:
        """Send a command to a charger through a running server and print its answer."""
        if not token:
            raise UserError("Give an operator's API token with --token or EVFAULT_TOKEN "
                            "(evfault users token NAME makes one).")
        path = f"/api/v1/chargers/{quote(charger_id, safe='')}/commands"
        if action == "history":
            status, body = _request(url, token, path, None, timeout)
            _finish_history(status, body, as_json)
            return
        name = action.replace("-", "_")
        tx: str | int | None = transaction_id
        if transaction_id and transaction_id.isdigit():
            tx = int(transaction_id)  # 1.6 transaction ids are numbers
        args = build_args(name, soft=soft, hard=hard, message=message, connector=connector,
                          available=available, id_tag=id_tag, transaction_id=tx,
                          keys=key or [], value=value, location=location,
                          vendor_id=vendor_id, data=data, extra=arg or [])
        status, body = _request(url, token, path, {"command": name, "args": args},
                                timeout + CLIENT_SLACK_S)
        _finish_command(status, body, as_json)


def _finish_history(status: int, body: Any, as_json: bool) -> None:
    if status != 200:
        raise UserError(_error(status, body))
    if as_json:
        print_json(body)
        return
    for one in body["commands"]:
        typer.echo(_line(one))


def _finish_command(status: int, body: Any, as_json: bool) -> None:
    if status not in (200, 400, 409) or not isinstance(body, dict):
        raise UserError(_error(status, body))
    outcome = body.get("command", body) if status != 200 else body
    if as_json:
        print_json(outcome if isinstance(outcome, dict) else body)
    elif isinstance(outcome, dict) and "status" in outcome:
        typer.echo(_line(outcome))
    if status != 200:
        raise UserError(_error(status, body), exit_code=1)
    if outcome.get("status") not in ("accepted", "scheduled"):
        raise typer.Exit(1)


def _error(status: int, body: Any) -> str:
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        return str(body["error"])
    return f"The server answered HTTP {status}."
