"""Options and helpers shared by several commands."""

from __future__ import annotations

import datetime as dt
import json
import re
import shlex
from pathlib import Path
from typing import Any, Callable

import click

from saiken import wareki
from saiken.core import crypto
from saiken.core.files import atomic_write
from saiken.core.records import Store
from saiken.errors import SaikenError, os_reason
from saiken.git import gitio


class DateType(click.ParamType):
    """A date option as staff type it (2026-04-01, 2026/4/1, full-width digits), given to the
    command as a datetime at midnight like click.DateTime; a bad one is refused in Japanese, with
    the Gregorian form of a wareki date as the suggestion (wareki.read_date)."""

    name = "date"

    def __init__(self, with_time: bool = False) -> None:
        self.with_time = with_time

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return "YYYY-MM-DD[ HH:MM]" if self.with_time else "YYYY-MM-DD"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> dt.datetime:
        if isinstance(value, dt.datetime):
            return value
        try:
            if self.with_time:
                return wareki.read_datetime(value)
            return dt.datetime.combine(wareki.read_date(value), dt.time())
        except ValueError as exc:
            example = "" if re.search(r"\d{4}-\d\d-\d\d", str(exc)) else (
                "（例: 2026-04-01 10:30）" if self.with_time else "（例: 2026-04-01）")
            self.fail(f"{exc}{example}。", param, ctx)


DATE = DateType()
DATETIME = DateType(with_time=True)


def store() -> Store:
    return Store.open()


def identities() -> list[crypto.LoadedIdentity]:
    return crypto.load_identities()


def today_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--as-of", "as_of", type=DATE, default=None,
                        help="基準日（YYYY-MM-DD、既定は今日）。")(f)


def as_date(value: dt.datetime | None) -> dt.date:
    return value.date() if value else dt.date.today()


def to_json(data: Any) -> str:
    def default(o: Any) -> Any:
        if isinstance(o, (dt.date, dt.datetime)):
            return o.isoformat()
        raise TypeError(type(o).__name__)
    return json.dumps(data, ensure_ascii=False, indent=2, default=default)


def path_arg(name: str, **kw: Any) -> Callable[..., Any]:
    return click.argument(name, type=click.Path(path_type=Path), **kw)


def new_output(out: Path) -> None:
    """Refuse an --out file that is already there: a report is never written over a file – a
    policy, a page, a key, last month's report – that the user may still need."""
    if out.exists() or out.is_symlink():
        raise SaikenError("同じ名前のファイルが既にあります。上書きはしません。", where=str(out),
                          hint="--out で別のファイル名を指定するか、古いファイルが不要なら削除してから、もう一度実行してください。")


def write_output(out: Path, data: bytes) -> None:
    """Write a report the user asked for with --out: a new file, written whole or not at all."""
    new_output(out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(out.resolve(), data)
    except OSError as exc:
        raise SaikenError(f"書き込めません（{os_reason(exc)}）。", where=str(out),
                          hint="--out に、書き込めるフォルダの中のファイル名を指定してください。") from None


def suggest_commit(root: Path, paths: list[str], message: str) -> None:
    """After a command that changed `paths`, the one line that commits them: a commit is the record
    of a handover (and ledger/exports.yaml the trace of a document), so nothing is left behind
    unsaid. `message` names case ids and kinds only, never a person. Quiet outside a git repository."""
    try:
        changed = gitio.changed_paths(root, paths)
    except (SaikenError, OSError):
        return
    if changed:
        line = f"{shlex.join(['git', 'add', *changed])} && {shlex.join(['git', 'commit', '-m', message])}"
        click.echo(f"次に、変更をコミットしてください（受渡しの記録になります）:\n  {line}", err=True)


def suggest_record_commit(st: Store, case_id: str, message: str) -> None:
    """suggest_commit for one record: its file and the recipients manifest written with it."""
    from saiken.core import layout
    suggest_commit(st.root, [st.rel(case_id), layout.manifest_rel(case_id)], f"{case_id} {message}")
