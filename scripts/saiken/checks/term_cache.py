"""The personal-data search terms of every record, kept between runs – encrypted, never in plain.

pii_outside needs the names, addresses … of every record in the repository, even when a commit
changes one file; opening 10,000 records for that takes half a minute. So two files are kept in
`.saiken-cache/`, both age files encrypted to the runner's own X25519 identities (ciphertext only;
whoever cannot open the records cannot open them either):

    terms-*.age     every record's terms (folded text, kind, case id, part) by record blob id: the
                    exact index; a run opens only the records whose blob ids are not in it
    termset-*.age   the quick set: just the folded terms, and the blob ids they cover. It may hold
                    more than the repository has now (a record changed or removed since), never
                    less, so "no term of the set occurs in the text" proves "no term of any record
                    does". A hook whose commit message and file names hit none of it is done in
                    milliseconds. A record the set does not cover (and that this run did not open
                    anyway) makes the set afresh from the exact store; only a hit builds the exact
                    index, which says whose term it is.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Iterable, Iterator

import pyrage

from saiken.checks import FileInput
from saiken.checks.cache import code_digest, content_id, make_folder
from saiken.checks.context import case_id_of, open_record
from saiken.checks.pii_terms import Term, record_terms, staff_filter, term_entries, unpack_entries
from saiken.core import bulk, crypto, files

_Entry = list[str]  # a record's terms packed: [folded texts, kinds, case ids, parts] (pii_terms.term_entries)
FORMAT = "3"
KEEP_STORES = 2  # of each kind (terms-, termset-): the current one and one other (a second identity set)
QUICK_OPENS = 500  # records the quick set opens itself rather than reading the exact store


class TermSet:
    """The quick set as an index: says whether any term occurs (for hits it gives no case or kind;
    the caller takes the exact path then)."""

    def __init__(self, terms: set[str], lengths: list[int] | None = None) -> None:
        self.terms = terms  # every one 2+ characters long (as TermIndex)
        self.lengths = sorted(lengths if lengths is not None else {len(t) for t in terms}, reverse=True)
        self._prefixes: set[str] | None = None

    def __bool__(self) -> bool:
        return bool(self.terms)

    def search(self, folded: str) -> Iterator[tuple[int, Term]]:
        """(place, term) for each place a term starts; the longest term per place (as TermIndex)."""
        for i, found in self._matches(folded, every=False):
            yield i, Term(found, "", "")

    def occurring(self, folded: str) -> set[str]:
        """Every term of the set that occurs in `folded`, at every place and of every length (not
        only the longest per place, as `search`: the set may hold a longer term of a record gone
        since, and the exact index then finds a shorter one at that place)."""
        return {found for _, found in self._matches(folded, every=True)}

    def _matches(self, folded: str, *, every: bool) -> Iterator[tuple[int, str]]:
        terms, n = self.terms, len(folded)
        if n > 2000 and self._prefixes is None:  # a long file: skip places no term starts at
            self._prefixes = {t[:2] for t in terms}
        prefixes = self._prefixes
        for i in range(n - 1):
            if prefixes is not None and folded[i:i + 2] not in prefixes:
                continue
            for length in self.lengths:
                if i + length <= n and folded[i:i + length] in terms:
                    yield i, folded[i:i + length]
                    if not every:
                        break


def set_of(entries: Iterable[_Entry], handler_names: list[str]) -> set[str]:
    """The quick set's terms from records' entries: folded texts of 2+ characters, staff names dropped."""
    is_staff = staff_filter(handler_names)
    return {folded for entry in entries for folded, kind, _, part in unpack_entries(entry)
            if len(folded) >= 2 and not is_staff(folded, kind, part)}


def _packed(entry: object) -> bool:
    """Whether a stored entry has the shape of a pack (else the whole store is made afresh)."""
    return isinstance(entry, list) and len(entry) == 4 and all(isinstance(x, str) for x in entry)


def staff_key(handler_names: list[str]) -> str:
    return hashlib.sha256("\n".join(sorted(handler_names)).encode()).hexdigest()


class TermCache:
    def __init__(self, folder: Path | None, identities: list[crypto.LoadedIdentity]) -> None:
        self.identities = identities
        self.recipients = [i.public for i in identities if i.public.startswith("age1")]
        # the code that makes the terms is in the name: terms made by an older pii_terms (fewer forms of
        # an address, say) are never taken for the current ones
        name = hashlib.sha256("\n".join([FORMAT, code_digest(), *sorted(self.recipients)]).encode()).hexdigest()[:16]
        usable = folder is not None and self.recipients
        self.path = folder / f"terms-{name}.age" if usable else None  # type: ignore[operator]
        self.set_path = folder / f"termset-{name}.age" if usable else None  # type: ignore[operator]
        self._entries: dict[str, _Entry] | None = None
        self._current: tuple[list[FileInput], dict[str, _Entry]] | None = None  # entries_for's last answer
        self.changed = False
        self._set_out: dict[str, Any] | None = None

    def _read(self, path: Path | None) -> Any:
        if path is None:
            return None
        try:
            return json.loads(crypto.decrypt(path.read_bytes(), self.identities, where=str(path)))
        except Exception:  # missing, corrupt or not ours: start again, it is only a cache
            return None

    @property
    def entries(self) -> dict[str, _Entry]:
        if self._entries is None:
            data = self._read(self.path)
            self._entries = data if isinstance(data, dict) and all(_packed(e) for e in data.values()) else {}
        return self._entries

    # --- the quick set -------------------------------------------------------------------------

    def quick(self, files: list[FileInput], known: dict[str, _Entry] | None, handler_names: list[str],
              max_bytes: int | None = None) -> TermSet | None:
        """The quick set for the records `files`, or None when it does not cover them all (nor do
        the `known` entries of records opened in this run) or was made for other handlers. With
        `max_bytes`, a few records it does not cover (a push's new ones) are opened here instead."""
        data = self._read(self.set_path)
        key = staff_key(handler_names)
        if not isinstance(data, dict) or data.get("staff") != key:
            return None
        covers = set(str(data.get("covers") or "").split("\n"))
        missing = {content_id(f) for f in files} - covers
        known = known or {}
        unknown = [f for f in files if content_id(f) in missing and content_id(f) not in known]
        if unknown and max_bytes is not None and len(unknown) <= QUICK_OPENS:
            known = {**known, **self._open(unknown, max_bytes)}
            missing = {cid for cid in missing if cid in known}  # one that did not open has no terms
        elif unknown:
            return None
        terms = set(str(data.get("terms") or "").split("\n")) - {""}
        stored = data.get("lengths")
        lengths = [int(n) for n in stored] if isinstance(stored, list) else list({len(t) for t in terms})
        if missing:
            added = set_of((known[cid] for cid in missing), handler_names)
            terms |= added
            lengths = sorted(set(lengths) | {len(t) for t in added})
            self._set_out = {"staff": key, "covers": covers | missing, "terms": terms}
        return TermSet(terms, lengths)

    def fresh(self, files: list[FileInput], max_bytes: int, known: dict[str, _Entry] | None,
              handler_names: list[str]) -> TermSet:
        """The quick set made afresh from every record's terms (opening those not known), and
        written back for the next run."""
        terms = set_of(self.entries_for(files, max_bytes, known).values(), handler_names)
        self._set_out = {"staff": staff_key(handler_names), "covers": {content_id(f) for f in files}, "terms": terms}
        return TermSet(terms)

    # --- the exact terms -------------------------------------------------------------------------

    def entries_for(self, files: list[FileInput], max_bytes: int, known: dict[str, _Entry] | None = None) -> dict[str, _Entry]:
        """Entries [folded, kind, case id, part] of every record in `files` by content id, opening
        only those neither seen before nor `known` (entries the caller took from records it opened
        anyway). The store keeps exactly these records afterwards."""
        if self._current is not None and self._current[0] is files:
            return self._current[1]
        keep: dict[str, _Entry] = {}
        entries, known = self.entries, known or {}
        to_open = [f for f in files if content_id(f) not in entries and content_id(f) not in known]
        if to_open:
            to_open[0].data  # noqa: B018 - files read from git arrive in one batch: read it before any fork
        opened: dict[str, _Entry] = {}
        for part in bulk.in_chunks(lambda indices: self._open([to_open[i] for i in indices], max_bytes),
                                   list(range(len(to_open)))):  # on every core: a first run opens them all
            opened.update(part)
        self.changed = self.changed or bool(opened) or any(content_id(f) not in entries for f in files)
        for f in files:
            cid = content_id(f)
            entry = next((e for e in (entries.get(cid), known.get(cid), opened.get(cid)) if e is not None), None)
            if entry is not None:  # a record that does not open has none (the recipients check says why)
                keep[cid] = entry
        if len(keep) != len(entries):
            self.changed = True
        self._entries = keep
        self._current = (files, keep)
        return keep

    def _open(self, files: list[FileInput], max_bytes: int) -> dict[str, _Entry]:
        out: dict[str, _Entry] = {}
        for f in files:
            rec = open_record(f, self.identities, max_bytes)
            if rec.data is not None:
                out[content_id(f)] = term_entries(record_terms(rec.data, case_id_of(f.path)))
        return out

    def terms(self, files: list[FileInput], max_bytes: int, known: dict[str, _Entry] | None = None,
              only: set[str] | None = None) -> list[Term]:
        """Terms of every record in `files` (entries_for, as Term objects: the exact index); with
        `only`, just those whose folded text is in it (the terms the quick set found in the texts
        under check: no other term can occur in them, and at 100,000 records making all 3.3 million
        into Term objects and an index took half of a warm `check --all`)."""
        entries = self.entries_for(files, max_bytes, known).values()
        return [Term(*fields) for entry in entries for fields in unpack_entries(entry)
                if only is None or fields[0] in only]

    def save(self) -> None:
        if self.path is None or self.set_path is None:
            return
        if self.changed:
            self._write(self.path, self.entries)
            self.changed = False
        if self._set_out is not None:
            out = self._set_out
            self._write(self.set_path, {"staff": out["staff"], "covers": "\n".join(out["covers"]),
                                        "terms": "\n".join(out["terms"]),
                                        "lengths": sorted({len(t) for t in out["terms"]})})
            self._set_out = None

    def _write(self, path: Path, value: Any) -> None:
        keys = [crypto.RecipientKey.parse(r) for r in self.recipients]
        data = pyrage.encrypt(json.dumps(value, ensure_ascii=False).encode(), [k.recipient for k in keys])
        try:
            make_folder(path.parent)
            files.atomic_write(path, data, mode=0o600)
            _prune(path)
        except OSError:
            pass


def _prune(written: Path) -> None:
    """Keep the newest KEEP_STORES stores of a kind: each upgrade of saiken (or other identities)
    names new ones, and the old ones (190 MB at 100,000 records) would stay for good."""
    kind = written.name.split("-", 1)[0]
    stores = sorted(written.parent.glob(f"{kind}-*.age"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in stores[KEEP_STORES:]:
        if old != written:
            old.unlink(missing_ok=True)
