"""The personal-data search terms of every record, kept between runs – encrypted, never in plain.

pii_outside needs the names, addresses … of every record in the repository, even when a commit
changes one file; opening 10,000 records for that takes half a minute. So the terms are kept per
record blob id in `.saiken-cache/terms-*.age`, an age file encrypted to the runner's own X25519
identities (the cache holds ciphertext only; whoever cannot open the records cannot open it). A
run opens only the records whose blob ids are not in it, and writes it back when anything changed.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pyrage

from saiken import crypto, records
from saiken.checks import FileInput
from saiken.checks.cache import content_id
from saiken.checks.context import case_id_of, open_record
from saiken.checks.pii_terms import Term, record_terms

_Entry = list[list[object]]  # [folded, kind, case id, part]
FORMAT = "2"


class TermCache:
    def __init__(self, folder: Path | None, identities: list[crypto.LoadedIdentity]) -> None:
        self.identities = identities
        self.recipients = [i.public for i in identities if i.public.startswith("age1")]
        name = hashlib.sha256("\n".join([FORMAT, *sorted(self.recipients)]).encode()).hexdigest()[:16]
        self.path = folder / f"terms-{name}.age" if folder is not None and self.recipients else None
        self.entries: dict[str, _Entry] = self._load()
        self.changed = False

    def _load(self) -> dict[str, _Entry]:
        if self.path is None:
            return {}
        try:
            data = json.loads(crypto.decrypt(self.path.read_bytes(), self.identities, where=str(self.path)))
        except Exception:  # missing, corrupt or not ours: start again, it is only a cache
            return {}
        return data if isinstance(data, dict) else {}

    def terms(self, files: list[FileInput], max_bytes: int) -> list[Term]:
        """Terms of every record in `files`, opening only those not seen before."""
        out: list[Term] = []
        keep: dict[str, _Entry] = {}
        for f in files:
            cid = content_id(f)
            entry = self.entries.get(cid)
            if entry is None:
                rec = open_record(f, self.identities, max_bytes)
                if rec.data is None:
                    continue  # does not open: nothing to learn (recipients reports it)
                entry = [[t.folded, t.kind, t.case_id, t.part] for t in record_terms(rec.data, case_id_of(f.path))]
                self.changed = True
            keep[cid] = entry
            out.extend(Term(str(e[0]), str(e[1]), str(e[2]), bool(e[3])) for e in entry)
        if len(keep) != len(self.entries):
            self.changed = True
        self.entries = keep
        return out

    def save(self) -> None:
        if self.path is None or not self.changed:
            return
        keys = [crypto.RecipientKey.parse(r) for r in self.recipients]
        data = pyrage.encrypt(json.dumps(self.entries, ensure_ascii=False).encode(), [k.recipient for k in keys])
        try:
            self.path.parent.mkdir(mode=0o700, exist_ok=True)
            records.atomic_write(self.path, data, mode=0o600)
        except OSError:
            pass
