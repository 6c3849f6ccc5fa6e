"""Options and helpers shared by several commands."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any, Callable

import click

from saiken import crypto
from saiken.records import Store


def store() -> Store:
    return Store.open()


def identities() -> list[crypto.LoadedIdentity]:
    return crypto.load_identities()


def today_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]), default=None,
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
