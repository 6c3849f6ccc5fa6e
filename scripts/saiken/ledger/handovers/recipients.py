"""What a records repository shows about who a record was handed to, without any key.

For the handover record (handovers.py): the handlers file as it was at a commit (HandlerView),
the age header's stanzas (count, types, ssh key tags), and the lines of the manifests.

A manifest (records/<xx>/<y>/manifest.yaml per bucket folder; records/manifest.yaml in history made
before the bucket folders; written with every record, see `saiken rekey`) has one line per record:
    C-AB12CD34: {sha256: <64 hex>, recipients: [<16 hex>, ...], policy: <16 hex>}
Fingerprints are `policy.recipient_fingerprint(public key)`, policy is the recipient-set hash.
Only the lines of the cases a commit changed are read from each version, so a manifest
rewritten in every commit costs little more than reading it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass, field
from typing import Any, Collection, Iterable, NamedTuple

from saiken.core import agefile, policy, yamlio
from saiken.errors import DecryptFailure, SaikenError

# --- the handlers file and the manifest as they were at one commit ---------------------------

@dataclass(frozen=True)
class HandlerView:
    """policies/handlers.yaml at one commit, reduced to what the handover record needs (no names)."""

    by_email: dict[str, str] = field(default_factory=dict)          # e-mail (lower case) -> id
    organisation: dict[str, str] = field(default_factory=dict)      # id -> 甲/乙
    by_fingerprint: dict[str, str] = field(default_factory=dict)    # key fingerprint -> id
    by_ssh_tag: dict[str, str] = field(default_factory=dict)        # age ssh stanza tag -> id
    active_keys: frozenset[str] = frozenset()

    def label(self, handler_id: str) -> str:
        org = self.organisation.get(handler_id)
        return f"{handler_id}（{org}）" if org else handler_id


def _key_text(raw: Any) -> str:
    words = " ".join(str(raw or "").split()).split(" ")
    return " ".join(words[:2]) if words[0].startswith("ssh-") else words[0]


def handler_view(blob: bytes | None) -> HandlerView:
    """Parse a historical handlers file leniently: a broken old file must not stop the report."""
    if blob is None:
        return HandlerView()
    try:
        data = yamlio.fast_load(blob.decode("utf-8", "replace"), what=yamlio.RULES)
    except SaikenError:
        return HandlerView()
    entries = data.get("handlers") if isinstance(data, dict) else None
    by_email: dict[str, str] = {}
    organisation: dict[str, str] = {}
    by_fingerprint: dict[str, str] = {}
    by_ssh_tag: dict[str, str] = {}
    active: set[str] = set()
    for e in entries if isinstance(entries, list) else []:
        if not isinstance(e, dict) or not e.get("id"):
            continue
        hid, key = str(e["id"]), _key_text(e.get("public_key"))
        organisation[hid] = str(e.get("organisation") or "")
        if e.get("email"):
            by_email[str(e["email"]).strip().lower()] = hid
        if not key:
            continue
        by_fingerprint[policy.recipient_fingerprint(key)] = hid
        tag = _ssh_tag(key)
        if tag:
            by_ssh_tag[tag] = hid
        if e.get("active", True):
            active.add(key)
    return HandlerView(by_email, organisation, by_fingerprint, by_ssh_tag, frozenset(active))


def _ssh_tag(key: str) -> str | None:
    if not key.startswith("ssh-ed25519 "):
        return None
    try:
        return agefile.ssh_key_tag(base64.b64decode(key.split(" ")[1], validate=True))
    except (binascii.Error, ValueError):
        return None


# --- manifest lines --------------------------------------------------------------------------

class ManifestEntry(NamedTuple):  # tuples: one per manifest line read, tens of thousands
    sha256: str | None
    recipients: tuple[str, ...]
    policy: str | None


_BINARY_START = agefile.VERSION_LINE + b"\n"
_FEW = 4  # case ids looked for one by one in a manifest version; more: one pass over all lines
# The line as `saiken rekey` writes it; anything else is read field by field below.
_CANONICAL = re.compile(r"^([A-Z0-9][A-Z0-9-]*): \{sha256: ([0-9a-f]{64}), "
                        r"recipients: \[([0-9a-f, ]*)\], policy: ([0-9a-f]+)\}$")
_MANIFEST_LINE = re.compile(r"^([A-Za-z0-9][A-Za-z0-9-]*): \{(.*)\}\s*$")
_SHA = re.compile(r"\bsha256: ([0-9a-f]{64})")
_FPS = re.compile(r"\brecipients: \[([^\]]*)\]")
_POLICY = re.compile(r"\bpolicy: ([0-9A-Za-z]+)")


def manifest_entries(lines: Iterable[str]) -> dict[str, list[ManifestEntry]]:
    """Manifest lines by case id (a union merge can leave two lines for one id; both kept)."""
    out: dict[str, list[ManifestEntry]] = {}
    for line in lines:
        c = _CANONICAL.match(line)
        if c:
            fps = tuple(f for f in c[3].split(", ") if f)
            out.setdefault(c[1], []).append(ManifestEntry(c[2], fps, c[4]))
            continue
        m = _MANIFEST_LINE.match(line)
        if not m:
            continue
        body = m[2]
        sha, fps, pol = _SHA.search(body), _FPS.search(body), _POLICY.search(body)
        recipients = tuple(f.strip() for f in fps[1].split(",") if f.strip()) if fps else ()
        out.setdefault(m[1], []).append(ManifestEntry(sha[1] if sha else None, recipients,
                                                      pol[1] if pol else None))
    return out


def manifest_lines(blob: bytes, case_ids: Collection[str]) -> dict[str, list[ManifestEntry]]:
    """The lines of these case ids in one manifest version, found without reading the rest (for a
    few ids; for many – a re-encryption changes every record – every line is looked at once)."""
    lines: list[bytes] = []
    if len(case_ids) > _FEW:
        keys = {cid.encode() for cid in case_ids}
        lines = [line for line in blob.split(b"\n") if line.split(b": ", 1)[0] in keys]
        return manifest_entries(line.decode("utf-8", "replace") for line in lines)
    for cid in case_ids:
        key = b"\n" + cid.encode() + b": "
        starts = [0] if blob.startswith(key[1:]) else []
        pos = blob.find(key)
        while pos >= 0:
            starts.append(pos + 1)
            pos = blob.find(key, pos + 1)
        for start in starts:
            eol = blob.find(b"\n", start)
            lines.append(blob[start:eol if eol >= 0 else None])
    return manifest_entries(line.decode("utf-8", "replace") for line in lines)


def pick_entry(entries: list[ManifestEntry] | None, sha256: str) -> ManifestEntry | None:
    """The entry describing this ciphertext if there is one, else the last one written."""
    if not entries:
        return None
    return next((e for e in entries if e.sha256 == sha256), entries[-1])


# --- recipients of one record -----------------------------------------------------------------

@dataclass(frozen=True)
class Recipients:
    """What can be known about one record's recipients without decrypting it."""

    stanzas: tuple[str, ...]        # agefile.Stanza.describe() of each stanza
    handler_ids: tuple[str, ...]    # attributed through the manifest or ssh key tags
    manifest_count: int | None      # recipients in the manifest line written with this record
    manifest_matches: bool | None   # whether that line's sha256 is this ciphertext's
    error: str | None = None

    def describe(self, handlers: HandlerView) -> str:
        if self.error:
            return f"（{self.error}）"
        parts = [handlers.label(h) for h in self.handler_ids]
        counts: dict[str, int] = {}
        for s in self.stanzas:
            counts[s.split("(")[0]] = counts.get(s.split("(")[0], 0) + 1
        stanza_text = "・".join(f"{t}×{n}" for t, n in counts.items())
        text = "、".join(parts) if parts else "暗号文からは特定不可"
        if parts and len(self.stanzas) > len(parts):
            text += f" ほか特定できない宛先 {len(self.stanzas) - len(parts)} 件"
        active = len(handlers.active_keys)
        same = "一致" if active == len(self.stanzas) else "不一致"
        text += f" ［{stanza_text}、宛先数は当時の有効な取扱者 {active} 名と{same}］"
        if self.manifest_matches is False:
            text += " ※マニフェストの sha256 がこの暗号文と一致しません"
        elif self.manifest_count is not None and self.manifest_count != len(self.stanzas):
            text += " ※マニフェストと宛先数が一致しません"
        return text


def stanzas_of(blob: bytes) -> list[tuple[str, list[str]]]:
    """Each stanza's type and arguments, read quickly from a binary header (bodies left out).

    The ledger only reports: strict validation of every header is agefile.parse's job in the
    checks. Stanza bodies are base64, so a line starting with "-> " is always a stanza line.
    Armored files go through agefile.parse.
    """
    if not blob.startswith(_BINARY_START):
        if agefile.looks_armored(blob):
            return [(s.type, list(s.args)) for s in agefile.parse(blob)[0].stanzas]
        raise DecryptFailure("header", "age 形式ではありません。")
    end = blob.find(b"\n--- ")
    if end < 0:
        raise DecryptFailure("header", "age 形式ではありません。")
    out = []
    for stanza in blob[:end].split(b"\n-> ")[1:]:
        kind, *args = stanza.split(b"\n", 1)[0].decode("ascii", "replace").split(" ")
        out.append((kind, args))
    return out


class Sealed(NamedTuple):
    """What the ledger keeps of one record blob: its stanzas as `agefile.describe` labels (None if
    not age; rage's random "*-grease" stanza, nobody's recipient, left out), the ssh key tags
    among them, and its sha256."""

    stanzas: tuple[str, ...] | None
    ssh_tags: tuple[str, ...]
    sha256: str


def sealed(blob: bytes) -> Sealed:
    digest = hashlib.sha256(blob).hexdigest()
    try:
        stanzas = [(kind, args) for kind, args in stanzas_of(blob) if not kind.endswith("-grease")]
    except DecryptFailure:
        return Sealed(None, (), digest)
    tags = tuple(args[0] for kind, args in stanzas if kind == "ssh-ed25519" and args)
    return Sealed(tuple(agefile.describe(kind, args) for kind, args in stanzas), tags, digest)


def recipients_of(record: Sealed | None, handlers: HandlerView, written: list[ManifestEntry] | None,
                  memo: dict[Any, Recipients] | None = None) -> Recipients:
    """`written`: the record's lines in the manifest of the same commit. `memo`: a dict kept across
    calls with the same `handlers`, so that records alike share one Recipients (most do)."""
    if record is None:
        return Recipients((), (), None, None, "暗号文を読めません")
    if record.stanzas is None:
        return Recipients((), (), None, None, "age 形式ではありません")
    entry = pick_entry(written, record.sha256)
    matches = None if entry is None or entry.sha256 is None else entry.sha256 == record.sha256
    listed = entry.recipients if entry and matches is not False else None  # a stale line names nobody
    key = (record.stanzas, record.ssh_tags, listed, matches, id(handlers))
    if memo is not None and key in memo:
        return memo[key]
    ids = [handlers.by_fingerprint.get(fp, f"不明な鍵 {fp[:8]}") for fp in listed or ()]
    ids += [handlers.by_ssh_tag[t] for t in record.ssh_tags if t in handlers.by_ssh_tag]
    found = Recipients(record.stanzas, tuple(sorted(set(ids))), None if listed is None else len(listed), matches)
    if memo is not None:
        memo[key] = found
    return found
