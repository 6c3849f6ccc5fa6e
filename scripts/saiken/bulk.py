"""Reading many records at once, on every core.

Decrypting, parsing and validating a record costs about a millisecond and a half, all CPU, so a
bulk read of thousands of records is spread over worker processes. Workers are forked: they
inherit the store and the identities already in memory, so no key ever crosses a pipe. Each worker
turns a record into a small summary (a top-level function of the caller's choosing) and only the
summaries come back – plaintext records stay in the worker that opened them. A failure comes back
as its rendered message, raised again here as a SaikenError, and the first failure stops the read.
"""

from __future__ import annotations

import os
from typing import Any, Callable, Iterator

from saiken import crypto
from saiken.errors import SaikenError
from saiken.records import Store

PARALLEL_MIN = int(os.environ.get("SAIKEN_PARALLEL_MIN", "400"))  # below this, forking costs more
_state: tuple[Store, list[crypto.LoadedIdentity], Callable[[str, dict[str, Any]], Any]] | None = None


def _work(case_ids: list[str]) -> list[tuple[bool, Any]]:
    assert _state is not None
    store, identities, summarise = _state
    out: list[tuple[bool, Any]] = []
    for case_id in case_ids:
        try:
            out.append((True, summarise(case_id, store.load(case_id, identities, bulk=True))))
        except SaikenError as exc:
            out.append((False, (exc.message, exc.where, exc.hint)))
            break
    return out


def _chunks(items: list[str], size: int) -> list[list[str]]:
    return [items[i:i + size] for i in range(0, len(items), size)]


def summaries(store: Store, identities: list[crypto.LoadedIdentity],
              summarise: Callable[[str, dict[str, Any]], Any]) -> Iterator[Any]:
    """summarise(case_id, record) for every record, in case-id order."""
    global _state
    import multiprocessing

    ids = store.case_ids()
    workers = min(os.cpu_count() or 1, 8)
    if len(ids) < PARALLEL_MIN or workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
        for case_id in ids:
            yield summarise(case_id, store.load(case_id, identities, bulk=True))
        return
    _state = (store, identities, summarise)
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            for batch in pool.imap(_work, _chunks(ids, 200)):
                for ok, value in batch:
                    if not ok:
                        message, where, hint = value
                        raise SaikenError(message, where=where, hint=hint)
                    yield value
    finally:
        _state = None
