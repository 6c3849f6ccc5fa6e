"""Re-encrypting every record to the current active handlers (特記事項10・13).

The guarantee: whatever happens – an error, a kill, a power cut – every record stays decryptable
by the old recipient set or the new one, and running `saiken rekey` again finishes the job.

How:
1. Plan: a record needs rekeying unless its header (X25519 count, ssh tags) and a current manifest
   entry both match the active handlers and, for every record the user's key opens, its stanzas
   are proven to be exactly the active handlers' (saiken.core.stanzas): an outsider's stanza, a
   substituted one, or a file written by age, pyrage or an older saiken (nothing to prove) is
   rewritten. Records rekeyed by an interrupted run have no current manifest entry yet, so a
   rerun simply does them again.
2. Stage: one record at a time (constant memory), decrypt in memory and encrypt to the new set
   with a fresh file key (saiken.core.agewrite draws one per encryption) into a temp file beside
   the record.
   If any record cannot be opened, stop here: the temp files are removed and no record has changed.
3. Make every staged file durable (one sync), then rename each over its record. A rename is atomic,
   so each record is old or new, never a mix; then the folder is synced and the manifest written.
Everything runs in this one process: never an `age` or `git` process per record.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, ContextManager, Iterable, Iterator

from saiken.core import crypto, manifest, recipients
from saiken.core.policy import recipient_fingerprint
from saiken.core.records import Store
from saiken.errors import DecryptFailure, SaikenError

TMP_SUFFIX = ".rekey.tmp"
ENV_CRASH = "SAIKEN_TEST_REKEY_CRASH_AFTER"  # test hook: die after N renames, as a kill would
MAX_LISTED = 20

Progress = Callable[[list[str]], ContextManager[Iterable[str]]]


@dataclass
class Change:
    case_id: str
    reasons: list[str]


@dataclass
class Outcome:
    total: int
    changed: list[str] = field(default_factory=list)
    stale_temps: int = 0


def plan(store: Store, man: manifest.Manifest,
         identities: list[crypto.LoadedIdentity] | None = None) -> Iterator[Change]:
    """Records that do not match the active handlers, and why. Reads headers only; with the
    user's identities, also proves the stanzas of every record they open."""
    expected = recipients.Expected.from_policy(store.policy)
    keys = recipients.holders(identities or [])
    for case_id in store.case_ids():
        rr = recipients.inspect(case_id, store.read_bytes(case_id), man, expected, keys)
        if rr.problems:
            yield Change(case_id, rr.problems)


def remove_stale_temps(store: Store) -> int:
    """Temp files left by a run that was killed: ciphertext nobody points to."""
    if not store.folder.is_dir():
        return 0
    stale = list(store.folder.glob(f"*/*/.*{TMP_SUFFIX}"))  # in the bucket folders
    for path in stale:
        path.unlink(missing_ok=True)
    return len(stale)


@contextlib.contextmanager
def _exclusive(folder: Path) -> Iterator[None]:
    """One rekey at a time: a lock on the records folder itself, released by the kernel if we die."""
    if not folder.is_dir():
        yield
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SaikenError("別の `saiken rekey` が実行中です。", where="records/",
                              hint="終わるのを待ってから、もう一度実行してください。") from None
        yield
    finally:
        os.close(fd)


def rekey(store: Store, identities: list[crypto.LoadedIdentity], *,
          progress: Progress = contextlib.nullcontext) -> Outcome:  # type: ignore[assignment]
    with _exclusive(store.folder):
        return _rekey(store, identities, progress)


def _rekey(store: Store, identities: list[crypto.LoadedIdentity], progress: Progress) -> Outcome:
    outcome = Outcome(total=len(store.case_ids()), stale_temps=remove_stale_temps(store))
    man = manifest.load(store.root)
    todo = [change.case_id for change in plan(store, man, identities)]  # ids only: memory stays small
    if not todo:
        _save_manifest(store, man)
        return outcome
    new_keys = store.policy.active_recipients()
    staged: list[tuple[str, manifest.Entry]] = []
    try:
        failures = _stage(store, identities, new_keys, todo, staged, progress)
        if failures:
            raise _cannot_open(store, man, identities, failures)
        os.sync()  # every staged file on disk before the first rename
        _swap(store, man, staged, outcome)
    finally:
        for case_id, _ in staged[len(outcome.changed):]:  # staged but not renamed
            _temp_path(store, case_id).unlink(missing_ok=True)
    return outcome


def _temp_path(store: Store, case_id: str) -> Path:
    path = store.path(case_id)
    return path.with_name(f".{path.name}{TMP_SUFFIX}")


def _stage(store: Store, identities: list[crypto.LoadedIdentity], new_keys: list[crypto.RecipientKey],
           todo: list[str], staged: list[tuple[str, manifest.Entry]],
           progress: Progress) -> list[tuple[str, DecryptFailure]]:
    """Decrypt and re-encrypt one record at a time into its temp file; collect what cannot be opened."""
    failures: list[tuple[str, DecryptFailure]] = []
    with progress(todo) as items:
        for case_id in items:
            try:
                plain = store.decrypt(case_id, identities).encode("utf-8")
            except DecryptFailure as exc:
                failures.append((case_id, exc))
                continue
            if failures:
                continue  # keep checking the rest, but write nothing more
            data = crypto.encrypt(plain, new_keys)
            del plain
            staged.append((case_id, manifest.entry(data, new_keys)))
            _write_temp(_temp_path(store, case_id), data)
    return failures


def _write_temp(tmp: Path, data: bytes) -> None:
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def _swap(store: Store, man: manifest.Manifest, staged: list[tuple[str, manifest.Entry]],
          outcome: Outcome) -> None:
    crash_after = int(os.environ.get(ENV_CRASH) or 0)
    try:
        for n, (case_id, entry) in enumerate(staged, 1):
            os.replace(_temp_path(store, case_id), store.path(case_id))
            man.set(case_id, entry)
            outcome.changed.append(case_id)
            if n == crash_after:
                os._exit(75)
    finally:
        for folder in sorted({store.path(case_id).parent for case_id in outcome.changed}):
            _fsync_dir(folder)
        _save_manifest(store, man)


def _save_manifest(store: Store, man: manifest.Manifest) -> None:
    manifest.save(store.root, man, keep=store.case_ids())


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _cannot_open(store: Store, man: manifest.Manifest, identities: list[crypto.LoadedIdentity],
                 failures: list[tuple[str, DecryptFailure]]) -> SaikenError:
    expected = recipients.Expected.from_policy(store.policy)
    lines = []
    for case_id, exc in failures[:MAX_LISTED]:
        entry = man.entry_for(case_id)
        holders = [expected.fingerprints.get(fp, f"不明な鍵 {fp}") for fp in entry.recipients] if entry else []
        who = f"（台帳上の宛先: {', '.join(holders)}）" if holders else "（台帳に記載なし）"
        lines.append(f"  - {case_id}: {exc.message}{who}")
    if len(failures) > MAX_LISTED:
        lines.append(f"  - ほか {len(failures) - MAX_LISTED} 件")
    mine = ", ".join(sorted({expected.fingerprints.get(recipient_fingerprint(i.public), str(i.path))
                             for i in identities}))
    no_match = all(exc.kind == "no match" for _, exc in failures)
    hint = ("上記の記録を開ける取扱者（台帳上の宛先）に `saiken rekey` を実行してもらってください。"
            if no_match else
            "壊れた記録は `git checkout -- records/<xx>/<y>/事案番号.yaml.age`（場所は `saiken records path 事案番号`）で直前のコミットから戻してから、もう一度 `saiken rekey` を実行してください。")
    return SaikenError(
        f"{len(failures)} 件の記録をお手元の鍵（{mine}）で開けないため、再暗号化を中止しました。"
        "どの記録も変更していません。\n" + "\n".join(lines),
        where="records/", hint=hint)
