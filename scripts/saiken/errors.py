"""The one error type saiken raises for things a user can fix.

Messages are Japanese and say what is wrong and where; `hint` names the command that fixes it.
The CLI's error boundary (cli.main) prints them and maps them to an exit code, so no traceback
ever reaches a clerk.
"""

from __future__ import annotations

from saiken.redaction import shown


class SaikenError(Exception):
    """A failure the user can act on: message (Japanese), where, and a hint command."""

    exit_code = 1

    def __init__(self, message: str, *, where: str | None = None, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.where = where
        self.hint = hint

    def __reduce__(self) -> tuple[object, ...]:
        # pickled whole (message, where, hint, kind …): a forked worker's error reaches the parent as raised
        return (_restore, (type(self), self.args, self.__dict__))

    def render(self) -> str:
        lines = ["エラー: " + (f"{self.where}: " if self.where else "") + self.message]
        if self.hint:
            lines.append(f"対処: {self.hint}")
        return "\n".join(lines)


def _restore(cls: type[SaikenError], args: tuple[object, ...], state: dict[str, object]) -> SaikenError:
    error = cls.__new__(cls)
    Exception.__init__(error, *args)
    error.__dict__.update(state)
    return error


class DecryptFailure(SaikenError):
    """An age file could not be opened. `kind` is one of the age test-kit outcomes:
    'header', 'hmac', 'armor', 'payload', 'no match', 'unsupported'."""

    def __init__(self, kind: str, message: str, **kw: str | None) -> None:
        super().__init__(message, **kw)
        self.kind = kind


class ValidationError(SaikenError):
    """A record or policy file breaks the schema; `problems` lists each (path, message).

    The problems keep the record's text marked (saiken.redaction) for the checks, which may print
    to a log; the message, which only the handler's own commands print, shows it plainly."""

    def __init__(self, problems: list[tuple[str, str]], *, where: str | None = None,
                 hint: str | None = None) -> None:
        text = shown("\n".join(f"  - {p}: {m}" if p else f"  - {m}" for p, m in problems))
        super().__init__("内容に誤りがあります:\n" + text, where=where, hint=hint)
        self.problems = problems
