"""Reading many records at once, on every core.

Decrypting, parsing and validating a record costs about a millisecond, all CPU, so work over
thousands of records is spread over worker processes (`in_chunks`, used by `case list`, the
checks' runner and the checks' term cache). Workers are forked: they inherit the store, the
identities and the files already in memory, so no key ever crosses a pipe. Each worker turns its
share into what the caller asked for – summaries, findings, search terms – and only that comes
back over the pool's pipes (memory only, never a file), with the case ids it opened for the access
log (saiken.core.reads); a SaikenError raised in a worker is raised
again here, whole, and stops the work.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import os
from typing import Any, Callable, Iterator, TypeVar

from saiken.core import crypto, reads
from saiken.core.records import Store
from saiken.errors import SaikenError

PARALLEL_MIN: int | None = None  # below this many items, forking costs more; None: SAIKEN_PARALLEL_MIN or 400
CHUNK = 200

T = TypeVar("T")
R = TypeVar("R")
_job: Callable[[Any], Any] | None = None


def no_gc(fn: Callable[..., R]) -> Callable[..., R]:
    """Run `fn` with Python's cycle collector paused (as Mercurial's `util.nogc`).

    Work over every record builds many small objects that all stay alive (findings, summaries,
    handover rows; the term store of 100,000 records was 3.3 million lists before it was packed);
    each allocation burst makes the collector walk the whole heap again, and that costs more the
    larger the heap: `check --all` with a warm cache took 20.7 s at 100,000 records and 1.8 s at
    10,000 (x11.5), 12.2 s and 1.1 s with the collector paused. Nothing here makes reference cycles worth collecting before the command ends;
    the collector runs again afterwards (reference counting frees everything else as usual)."""
    @functools.wraps(fn)
    def paused(*args: Any, **kwargs: Any) -> R:
        with gc_paused():
            return fn(*args, **kwargs)
    return paused


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _run_job(chunk: Any) -> Any:
    assert _job is not None
    reads.drain()  # what the parent had opened before forking is the parent's to log
    return _job(chunk), reads.drain()


def parallel_min() -> int:
    text = os.environ.get("SAIKEN_PARALLEL_MIN", "400")
    try:
        return int(text)
    except ValueError:
        raise SaikenError(f"SAIKEN_PARALLEL_MIN は件数（整数）です（{text}）。",
                          hint="例: export SAIKEN_PARALLEL_MIN=400（設定をやめるには unset SAIKEN_PARALLEL_MIN）") from None


def in_chunks(work: Callable[[list[T]], R], items: list[T]) -> Iterator[R]:
    """work(chunk) for consecutive chunks of `items`, in order: in forked workers when there are
    PARALLEL_MIN items or more and two cores or more, else in this process."""
    global _job
    chunks = [items[i:i + CHUNK] for i in range(0, len(items), CHUNK)]
    workers = min(os.cpu_count() or 1, 8)
    if len(items) < (PARALLEL_MIN if PARALLEL_MIN is not None else parallel_min()) or workers < 2:
        yield from map(work, chunks)
        return
    import multiprocessing  # here: few records never fork, and a hook's start-up stays short

    if "fork" not in multiprocessing.get_all_start_methods():
        yield from map(work, chunks)
        return
    _job = work
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            for result, opened in pool.imap(_run_job, chunks):
                reads.merge(opened)  # the records a worker opened are logged by this process
                yield result
    finally:
        _job = None


def summaries(store: Store, identities: list[crypto.LoadedIdentity],
              summarise: Callable[[str, dict[str, Any]], Any]) -> Iterator[Any]:
    """summarise(case_id, record) for every record, in case-id order; the first record that does
    not open or validate stops the read with its SaikenError."""
    def work(case_ids: list[str]) -> list[Any]:
        return [summarise(case_id, store.load(case_id, identities, bulk=True)) for case_id in case_ids]
    for batch in in_chunks(work, store.case_ids()):
        yield from batch


def summaries_or_problems(store: Store, identities: list[crypto.LoadedIdentity],
                          summarise: Callable[[str, dict[str, Any]], Any]) -> Iterator[tuple[str, Any, SaikenError | None]]:
    """(case id, summary, None) for every record that opens and validates, (case id, None, error) for
    the others: one bad file does not hide the rest (`case list`)."""
    def one(case_id: str) -> tuple[str, Any, SaikenError | None]:
        try:
            return case_id, summarise(case_id, store.load(case_id, identities, bulk=True)), None
        except SaikenError as exc:
            return case_id, None, exc

    def work(case_ids: list[str]) -> list[tuple[str, Any, SaikenError | None]]:
        return [one(case_id) for case_id in case_ids]
    for batch in in_chunks(work, store.case_ids()):
        yield from batch
