"""The one error type saiken raises for things a user can fix.

Messages are Japanese and say what is wrong and where; `hint` names the command that fixes it.
The CLI's error boundary (cli.main) prints them and maps them to an exit code, so no traceback
ever reaches a clerk; it also words an OSError no module caught (`os_reason`, used by every module
that reports one) and a bug (`render_internal_error`).
"""

from __future__ import annotations

import errno

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

    @property
    def fix(self) -> str | None:
        """The hint, or for a hand-edited file under policies/ or ledger/ how to undo the edit."""
        return self.hint or _hand_edited_file_hint(self.where)

    def render(self) -> str:
        lines = ["エラー: " + (f"{self.where}: " if self.where else "") + self.message]
        if self.fix:
            lines.append(f"対処: {self.fix}")
        return "\n".join(lines)


def restore_hint(rel: str) -> str:
    """How to fix a policy or ledger file broken by hand: see the change, or take the committed one."""
    return (f"`git diff -- {rel}` で変更した箇所を確かめて直すか、`git checkout -- {rel}` で"
            "最後にコミットした内容に戻してください。")


def _hand_edited_file_hint(where: str | None) -> str | None:
    # An error about policies/ or ledger/ without its own hint: those files are edited by hand and
    # kept in git, so the diff shows what went wrong and a checkout undoes it.
    rel = (where or "").split(":", 1)[0]
    if rel.startswith(("policies/", "ledger/")) and rel.endswith(".yaml"):
        return restore_hint(rel)
    return None


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


DEBUG_ENV = "SAIKEN_DEBUG"  # set: an unexpected error shows its traceback instead of the short message

# errno -> what a clerk can act on; anything else keeps the system's own wording.
OS_REASONS = {
    errno.ENOENT: "ファイルまたはフォルダがありません",
    errno.EACCES: "権限がありません",
    errno.EPERM: "権限がありません",
    errno.EISDIR: "ファイルではなくフォルダです",
    errno.ENOTDIR: "途中にフォルダではないものがあります",
    errno.EEXIST: "同じ名前のものが既にあります",
    errno.EROFS: "読み取り専用の場所です",
    errno.ENOSPC: "ディスクの空きがありません",
    errno.EDQUOT: "ディスクの使用量の上限に達しています",
    errno.ENAMETOOLONG: "名前が長すぎます",
    errno.ELOOP: "シンボリックリンクが循環しています",
    errno.EMFILE: "同時に開けるファイルの数を超えました",
    errno.EBUSY: "使用中です",
    errno.EXDEV: "別のディスクへは移動できません",
}


def os_reason(exc: OSError) -> str:
    """The reason of an OSError in Japanese (for messages such as 「書き込めません（…）」)."""
    return OS_REASONS.get(exc.errno or 0) or exc.strerror or "原因不明"


def render_os_error(exc: OSError) -> str:
    """An OSError that no module turned into a SaikenError: the file, the reason, what to check."""
    where = f"{exc.filename}: " if exc.filename else ""
    return (f"エラー: {where}ファイルを読み書きできません（{os_reason(exc)}）。\n"
            "対処: パスが正しいか、フォルダの権限と空き容量を確かめてから、もう一度実行してください。")


def render_internal_error(exc: BaseException) -> str:
    """A bug in saiken: no traceback (it may quote data), but how to see one and whom to tell."""
    return (f"エラー: saiken の内部エラーです（{type(exc).__name__}）。入力の誤りの可能性もありますが、"
            "saiken がそれを見分けられませんでした。\n"
            "対処: 環境変数 SAIKEN_DEBUG=1 を付けてもう一度実行すると詳細が表示されます。"
            "その表示（個人情報が含まれていないか確かめてから）を saiken の担当者に伝えてください。")
