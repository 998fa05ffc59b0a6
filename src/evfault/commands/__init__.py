"""Commands to chargers, in one vocabulary for both OCPP versions, on one node or many.

The server puts a `Commander` on its Services (`services.commander`); everything that acts on
a charger (the API and pages, the CLI through the API, self-healing, reconciliation, load
management) calls it:

    outcome = await services.commander.send(charger_id, command, args, actor="ana")

    send(charger_id: str, command: str, args: Mapping[str, Any] | None = None, *,
         actor: str, timeout: float | None = None) -> CommandOutcome

`command` is a name of evfault.commands.vocabulary.COMMANDS (reset, trigger_message,
unlock_connector, change_availability, remote_start, remote_stop, get_configuration,
change_configuration, get_diagnostics, clear_cache, data_transfer, set_charging_profile, call);
the table in that module gives each one's args and the OCPP calls it becomes. The outcome
(evfault.commands.model.CommandOutcome) has `status` (a CommandStatus: accepted, scheduled,
rejected, failed, not-supported, error, timeout, offline, invalid), `answer` (the charger's
payload), `error` (a sentence), `sent_at`, `answered_at`, `duration_ms`. `send` never raises
for what a charger or a person did wrong; every command is in `commander.history(charger_id)`.
"""
