"""What can be known about a record's recipients, without a key and with one (特記事項10・13).

Without a key: an age header shows, per recipient, one stanza: its type, and for ssh-ed25519 a
4-byte tag of the key. X25519 stanzas name no key at all. So a file alone proves only "N anonymous
X25519 recipients plus these ssh keys". The manifest (records/<xx>/<y>/manifest.yaml per bucket folder) adds the writer's
claim of which keys those were; its sha256 ties the claim to the exact file. A record matches the
policy when all three agree with the active handlers: the X25519 count, the ssh tags, and a
current manifest entry whose recipient-set hash is the policy's. A writer who can push can make
all three agree while an outsider holds a stanza.

With a key that opens the record: saiken writes every stanza so that a holder of the file key can
recompute it (saiken.core.stanzas), so the header is proven to hold exactly one stanza per active
handler and nothing else. A file whose stanzas cannot be recomputed – written by age, pyrage or a
saiken before this – is reported too: `saiken rekey` writes it again.
"""

from __future__ import annotations

import base64
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable

from saiken.core import agefile, crypto, layout, manifest, stanzas
from saiken.core.policy import Policy, recipient_fingerprint
from saiken.core.records import SUFFIX
from saiken.errors import DecryptFailure

KNOWN_TYPES = ("X25519", "ssh-ed25519")
GREASE_SUFFIX = "-grease"  # rage adds a random "…-grease" stanza that no identity opens; it names nobody


@dataclass(frozen=True)
class Expected:
    """What a record written now, to the active handlers, looks like from outside."""

    x25519: int
    ssh_tags: tuple[str, ...]  # sorted
    policy: str
    fingerprints: dict[str, str]  # fingerprint -> handler id, inactive handlers included
    handlers: tuple[tuple[str, str], ...] = ()  # (id, public key) of each active handler, for the proof

    @classmethod
    def from_policy(cls, policy: Policy) -> "Expected":
        keys = [h.recipient for h in policy.active_handlers]
        names = {recipient_fingerprint(h.recipient.text): h.id for h in policy.handlers}
        return cls(sum(k.kind == "X25519" for k in keys),
                   tuple(sorted(k.ssh_tag for k in keys if k.kind == "ssh-ed25519" and k.ssh_tag)),
                   policy.recipients_hash, names, tuple((h.id, h.recipient.text) for h in policy.active_handlers))


@dataclass
class RecordRecipients:
    case_id: str
    sha256: str
    stanzas: list[str] = field(default_factory=list)  # Stanza.describe(): type, ssh tag
    x25519: int = 0
    ssh_tags: tuple[str, ...] = ()
    header_error: str | None = None
    entry: manifest.Entry | None = None
    problems: list[str] = field(default_factory=list)  # why it does not match the policy (Japanese)
    opens: bool | None = None  # with an identity: does the holder's stanza open it
    proof: str | None = None  # with an identity: saiken.core.stanzas.Proof.state; None without one

    @property
    def manifest_state(self) -> str:
        if self.entry is None:
            return "なし"
        return "最新" if self.entry.sha256 == self.sha256 else "古い"

    @property
    def matches(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        counts = Counter(s.split("(")[0] for s in self.stanzas)
        parts = [f"{t}×{n}" for t, n in counts.items() if t != "ssh-ed25519"]
        parts += [f"ssh-ed25519({tag})" for tag in self.ssh_tags]
        return " ".join(parts) if parts else "-"

    def recipients_named(self, expected: Expected) -> list[str]:
        """The manifest's fingerprints, named by handler id where the policy knows the key."""
        if self.entry is None:
            return []
        return [expected.fingerprints.get(fp, f"不明な鍵 {fp}") for fp in self.entry.recipients]

    def as_dict(self, expected: Expected) -> dict[str, object]:
        return {"case_id": self.case_id, "stanzas": self.stanzas, "x25519": self.x25519,
                "ssh_tags": list(self.ssh_tags), "header_error": self.header_error,
                "manifest": self.manifest_state, "manifest_recipients": self.recipients_named(expected),
                "manifest_policy": self.entry.policy if self.entry else None,
                "matches_policy": self.matches, "problems": self.problems, "opens": self.opens,
                "proof": self.proof}


def holders(identities: Iterable[crypto.LoadedIdentity]) -> list[stanzas.Holder]:
    """The runner's identities as the stanza proof uses them."""
    return [stanzas.holder(i.public, i.scalar) for i in identities if i.scalar]


def inspect(case_id: str, data: bytes, man: manifest.Manifest, expected: Expected,
            keys: list[stanzas.Holder] | None = None) -> RecordRecipients:
    """Compare one record's header and manifest entry with the active handlers; with `keys` (the
    runner's identities, `holders`), also prove its stanzas when one of them opens it."""
    sha = manifest.sha256(data)
    rr = RecordRecipients(case_id, sha, entry=man.entry_for(case_id, sha))
    try:
        header, _ = agefile.parse(data)
    except DecryptFailure as exc:
        rr.header_error = exc.message
        rr.problems.append(f"age ファイルとして読めません（{exc.message}）")
        return rr
    named = [s for s in header.stanzas if not s.type.endswith(GREASE_SUFFIX)]
    rr.stanzas = [s.describe() if well_formed(s) else f"{s.type}(形が不正)" for s in named]
    rr.x25519 = sum(s.type == "X25519" for s in named)
    rr.ssh_tags = tuple(sorted(s.args[0] for s in named if s.type == "ssh-ed25519" and well_formed(s)))
    rr.problems.extend(shape_problems(header.stanzas))
    rr.problems.extend(_header_problems(named, rr, expected))
    rr.problems.extend(_manifest_problems(rr, expected))
    if keys:
        proof = stanzas.prove(header, keys, expected.handlers)
        rr.proof = proof.state
        mine = [hid for hid, key in expected.handlers if any(k.public == key for k in keys)]
        rr.problems.extend(proof_problems(proof, mine))
    return rr


def _decoded_length(arg: str) -> int:
    try:
        return len(base64.b64decode(arg + "=" * (-len(arg) % 4), validate=True))
    except ValueError:
        return -1


def well_formed(s: agefile.Stanza) -> bool:
    """A stanza exactly as the age spec shapes an X25519 or ssh-ed25519 recipient (what saiken writes):
    the ephemeral share (and the key tag), a 32-byte wrapped file key – no room for anything else."""
    if s.type == "X25519":
        return len(s.args) == 1 and _decoded_length(s.args[0]) == 32 and len(s.body) == 32
    if s.type == "ssh-ed25519":
        return (len(s.args) == 2 and _decoded_length(s.args[0]) == 4 and _decoded_length(s.args[1]) == 32
                and len(s.body) == 32)
    return False


def shape_problems(all_stanzas: Iterable[agefile.Stanza]) -> list[str]:
    """What a header carries besides recipients: a key can prove nothing about it and a server
    without one would store it as it comes (arguments and bodies are free text in the age format)."""
    listed = list(all_stanzas)
    out = []
    grease = sum(s.type.endswith(GREASE_SUFFIX) for s in listed)
    if grease:
        out.append(f"誰の宛先でもないスタンザ（…-grease）が {grease} 件あります（saiken は書きません。引数と本体に"
                   "任意の文字を運べるため受け付けません）")
    for kind in KNOWN_TYPES:
        odd = sum(s.type == kind and not well_formed(s) for s in listed)
        if odd:
            out.append(f"{kind} の宛先 {odd} 件の形が age の規格と違います（引数の数や長さ、本体の長さ。"
                       "任意の文字を運べるため受け付けません）")
    return out


def proof_problems(proof: stanzas.Proof, mine: list[str]) -> list[str]:
    """Why a proof failed, in Japanese, naming handlers (never the record's contents). `mine`: the
    active handlers whose keys the runner holds (a record they cannot open leaves one out)."""
    if proof.state == stanzas.UNOPENED and mine:
        return [f"お手元の鍵（取扱者 {', '.join(mine)}）で開けません（宛先から外されたか、別の鍵に差し替えられています）"]
    if proof.state == stanzas.UNPROVABLE:
        return ["宛先を鍵で証明できません（どの有効な取扱者の宛先も saiken の方式で書かれていません。"
                "age・pyrage・以前の saiken で暗号化されたか、宛先が差し替えられています）"]
    if proof.state == stanzas.BAD_MAC:
        return ["ヘッダの改ざん検知符号（MAC）がファイル鍵と一致しません（宛先が書き換えられています）"]
    if proof.state != stanzas.MISMATCH:
        return []
    out = []
    if proof.missing:
        out.append(f"取扱者 {', '.join(proof.missing)} の宛先がありません（外されたか、別の鍵に差し替えられています）")
    if proof.extra:
        out.append(f"有効な取扱者のものではない宛先が {proof.extra} 件あります（取扱者以外が開けます）")
    return out


def _header_problems(named: list[agefile.Stanza], rr: RecordRecipients, expected: Expected) -> list[str]:
    out = []
    others = sorted({s.type for s in named if s.type not in KNOWN_TYPES})
    if others:
        out.append(f"取扱者の鍵ではない種類の宛先があります（{', '.join(others)}）")
    if rr.x25519 != expected.x25519:
        out.append(f"X25519 の宛先が {rr.x25519} 件あります（有効な取扱者は {expected.x25519} 件）")
    if rr.ssh_tags != expected.ssh_tags:
        extra = sorted(set(rr.ssh_tags) - set(expected.ssh_tags))
        missing = sorted(set(expected.ssh_tags) - set(rr.ssh_tags))
        what = [f"余分: {', '.join(extra)}"] if extra else []
        what += [f"不足: {', '.join(missing)}"] if missing else []
        out.append(f"ssh-ed25519 の宛先が有効な取扱者と違います（{'、'.join(what) or '件数が違います'}）")
    return out


def _manifest_problems(rr: RecordRecipients, expected: Expected) -> list[str]:
    if rr.entry is None:
        return [f"宛先台帳（{layout.manifest_rel(rr.case_id)}）に記載がありません"]
    if rr.entry.sha256 != rr.sha256:
        return ["宛先台帳の記載がこのファイルのものではありません（SHA-256 不一致、台帳が古い）"]
    if rr.entry.policy != expected.policy:
        named = [n for n in rr.recipients_named(expected)]
        return [f"台帳上の宛先が現在の取扱者と違います（台帳の宛先: {', '.join(named) or 'なし'}）"]
    return []


def may_open(case_id: str, data: bytes, man: manifest.Manifest, keys: list[crypto.RecipientKey],
             expected_x25519: int) -> bool:
    """Whether one of `keys` may be among a record's recipients, as far as can be told without a key.

    Yes when an ssh-ed25519 stanza carries one of their tags, or when the record's own manifest line
    (its sha256 is this file's) names one of them or lists fewer recipients than the file has. With
    no such line the X25519 stanzas are anonymous: more of them than `expected_x25519` (the X25519
    keys the record should be encrypted to) may include one of `keys`. Not an age file: no (the
    plaintext check reports it)."""
    try:
        header, _ = agefile.parse(data)
    except DecryptFailure:
        return False
    stanzas = [s for s in header.stanzas if not s.type.endswith(GREASE_SUFFIX)]
    tags = {k.ssh_tag for k in keys if k.kind == "ssh-ed25519" and k.ssh_tag}
    if any(s.type == "ssh-ed25519" and s.args and s.args[0] in tags for s in stanzas):
        return True
    sha = manifest.sha256(data)
    entry = man.entry_for(case_id, sha)
    if entry is not None and entry.sha256 == sha:
        named = {recipient_fingerprint(k.text) for k in keys} & set(entry.recipients)
        return bool(named) or len(stanzas) > len(entry.recipients)
    return sum(s.type == "X25519" for s in stanzas) > expected_x25519


def open_to(organisation: str, policy: Policy, man: manifest.Manifest | None,
            records: Iterable[tuple[str, bytes]]) -> list[str]:
    """Case ids of the records (path, ciphertext) that a key of one of the organisation's handlers,
    active or not, may still open (`may_open`; after the contract end: 乙)."""
    keys = [h.recipient for h in policy.handlers if h.organisation == organisation]
    others = sum(1 for h in policy.active_handlers if h.organisation != organisation and h.recipient.kind == "X25519")
    man = man or manifest.Manifest({}, [])
    ids = ((path.rsplit("/", 1)[-1][: -len(SUFFIX)], data) for path, data in records)
    return [cid for cid, data in ids if keys and may_open(cid, data, man, keys, others)]


def holder_opens(data: bytes, identities: list[crypto.LoadedIdentity]) -> bool:
    """Whether the holder's identities open the record. Decrypts in memory; plaintext is discarded."""
    try:
        crypto.decrypt(data, identities)
    except DecryptFailure:
        return False
    return True
