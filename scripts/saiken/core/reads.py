"""Which records this process has opened or written, for the access log (contractor measure 5).

Every place that decrypts a record – Store.decrypt (every command), the checks' runner, git's
textconv and merge drivers – and Store.write_text tell `opened` the case id and the identities
used. Nothing else is kept: no text, no path. When the process ends, saiken.entry hands what was
gathered to saiken.ledger.accesslog, which writes one hash-chained line per command (who, when,
which case ids, which command), so a new way of reading records is logged by being a way of
reading records, not by remembering to add a line to it.

Forked workers (saiken.core.bulk) send theirs back with their results (`drain` / `merge`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Iterable

if TYPE_CHECKING:  # not at run time: every saiken process imports this module at its end (saiken.entry)
    from saiken.core.crypto import LoadedIdentity


class Accesses:
    """What one process opened (a plain class: this module is imported at the end of every command)."""

    def __init__(self) -> None:
        self.cases: dict[str, None] = {}  # in the order first opened
        self.keys: dict[str, None] = {}  # public keys of the identities used
        self.root: Path | None = None

    def __bool__(self) -> bool:
        return bool(self.cases)


_now = Accesses()


NOT_A_CASE_ID = "?"


def opened(case_id: str, identities: Iterable["LoadedIdentity"] = (), root: Path | None = None) -> None:
    from saiken.core.schema import CASE_ID  # here: imported already by whoever decrypted

    # a file under records/ may be named anything (a name, a tab, a newline): the log takes case ids only
    _now.cases.setdefault(case_id if CASE_ID.match(case_id) else NOT_A_CASE_ID, None)
    for ident in identities:
        _now.keys.setdefault(ident.public, None)
    if root is not None and _now.root is None:
        _now.root = root


def pending() -> bool:
    return bool(_now)


def drain() -> Accesses:
    """What was gathered since the last drain; the record starts empty again."""
    global _now
    taken, _now = _now, Accesses()
    return taken


def merge(other: Accesses) -> None:
    """Add what a forked worker gathered."""
    for case_id in other.cases:
        _now.cases.setdefault(case_id, None)
    for key in other.keys:
        _now.keys.setdefault(key, None)
    if _now.root is None:
        _now.root = other.root
