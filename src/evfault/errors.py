"""Errors meant for a person: the message is one clear sentence, shown without a traceback."""


class UserError(Exception):
    """Bad input from a person (an unknown code, an unreadable file, a bad option value)."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code
