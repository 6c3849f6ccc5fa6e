"""Case records: where they live, how they are read, validated, encrypted and written.

A record is `records/<xx>/<y>/<case-id>.yaml.age` (saiken.core.layout: <xx> from the SHA-256 of the
case id): YAML encrypted to exactly the active designated handlers. Case ids are opaque (`C-` and random letters); a name never appears in a path.
Writes are atomic: a temp file in the same folder, fsync, rename, fsync of the folder.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from saiken.core import crypto, layout, manifest, reads, schema, yamlio
from saiken.core.files import atomic_write
from saiken.core.policy import Policy
from saiken.errors import DecryptFailure, SaikenError, ValidationError, os_reason
from saiken.redaction import redacted

RECORDS_DIR = layout.RECORDS_DIR
SUFFIX = layout.SUFFIX
_ID_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: ids are read over the phone


def new_case_id() -> str:
    return "C-" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(8))


def check_case_id(case_id: str) -> str:
    if not schema.CASE_ID.match(case_id or ""):
        raise SaikenError(f"事案番号「{case_id}」は使えません（英大文字・数字・ハイフン、3〜32 文字）。",
                          hint="`saiken case list` で事案番号を確かめてください。")
    return case_id


def find_root(start: Path | None = None) -> Path:
    """The records repository containing `start`: the nearest folder with policies/handlers.yaml."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "policies" / "handlers.yaml").is_file():
            return folder
    raise SaikenError("記録リポジトリの中ではありません（policies/handlers.yaml が見つかりません）。",
                      hint="記録リポジトリに移動するか、`saiken init DIR` で作成してください。")


@dataclass
class Store:
    """The records of one repository, with its policy."""

    root: Path
    policy: Policy

    @classmethod
    def open(cls, start: Path | None = None) -> "Store":
        root = find_root(start)
        return cls(root, Policy.load(root))

    @property
    def folder(self) -> Path:
        return self.root / RECORDS_DIR

    def path(self, case_id: str) -> Path:
        return self.root / layout.record_rel(check_case_id(case_id))

    def rel(self, case_id: str) -> str:
        return layout.record_rel(case_id)

    def case_ids(self) -> list[str]:
        """Every record's case id. Records left in an older layout are refused with the command that
        moves them: read as if absent, they would silently drop out of every list."""
        flat = layout.old_layout_files(self.root)
        if flat:
            raise SaikenError(f"records/ に以前の配置の記録が {len(flat)} 件あります"
                              f"（{flat[0].relative_to(self.root).as_posix()} など）。"
                              "記録は事案番号から決まるフォルダ records/<xx>/<y>/ に置きます。",
                              where=f"{RECORDS_DIR}/",
                              hint=f"`{layout.MIGRATE_COMMAND}` で移し、表示される `git commit` でコミットしてください。")
        return [cid for cid, _ in layout.record_files(self.root)]

    def exists(self, case_id: str) -> bool:
        return self.path(case_id).exists()

    # --- reading ---------------------------------------------------------------------------

    def read_bytes(self, case_id: str) -> bytes:
        path = self.path(case_id)
        try:
            return path.read_bytes()
        except FileNotFoundError:
            raise SaikenError(f"事案「{case_id}」の記録がありません。", where=self.rel(case_id),
                              hint="`saiken case list` で事案番号を確かめてください。") from None
        except OSError as exc:  # a folder or an unreadable file where the record should be
            raise SaikenError(f"記録を読めません（{os_reason(exc)}）。", where=self.rel(case_id),
                              hint=restore_record_hint(self.rel(case_id))) from None

    def decrypt(self, case_id: str, identities: list[crypto.LoadedIdentity]) -> str:
        data = self.read_bytes(case_id)
        reads.opened(case_id, identities, self.root)  # logged even when it fails: it was tried
        try:
            return decrypt_text(data, identities, where=self.rel(case_id), max_size=self.max_bytes)
        except DecryptFailure as exc:
            if exc.kind in DAMAGED and not exc.hint:
                exc.hint = restore_record_hint(self.rel(case_id))
            raise

    def load(self, case_id: str, identities: list[crypto.LoadedIdentity], *, bulk: bool = False) -> dict[str, Any]:
        text = self.decrypt(case_id, identities)
        return self.parse(text, where=self.rel(case_id), bulk=bulk)

    def iter_records(self, identities: list[crypto.LoadedIdentity]) -> Iterator[tuple[str, dict[str, Any]]]:
        """Bulk read on the fast path: one process, C YAML loader, no round-trip."""
        for case_id in self.case_ids():
            yield case_id, self.load(case_id, identities, bulk=True)

    # --- validating ------------------------------------------------------------------------

    @property
    def max_bytes(self) -> int:
        return int(self.policy.items.get("max_record_bytes", 1 << 20))

    def parse(self, text: str, *, where: str | None = None, bulk: bool = False) -> dict[str, Any]:
        """Fast parse + validate; raises ValidationError listing every problem."""
        if len(text.encode()) > self.max_bytes:
            raise SaikenError(f"記録が大きすぎます（上限 {self.max_bytes} バイト）。", where=where)
        data = (yamlio.bulk_load if bulk else yamlio.fast_load)(text, where=where)
        self.validate(data, where=where)
        return data

    def validate(self, data: Any, *, where: str | None = None) -> None:
        problems = schema.Validator(self.policy.items).validate(data)
        if not problems:
            problems = schema.cross_checks(data, {h.id for h in self.policy.handlers})
        if problems:
            raise ValidationError(problems, where=where,
                                  hint="項目の一覧は policies/information-items.yaml にあります。")

    def normalise_text(self, text: str, *, where: str | None = None) -> tuple[str, dict[str, Any]]:
        """Validate user-written YAML and return it normalised, comments kept (ruamel round-trip)."""
        self.parse(text, where=where)  # fast path first: aliases, size and schema are refused here
        doc = yamlio.rt_load(text, where=where)
        self.validate(doc, where=where)  # normalises values in place (NFKC, 全角数字)
        out = yamlio.rt_dump(doc)
        return out, yamlio.fast_load(out, where=where)

    def with_case_id(self, text: str, case_id: str | None, *, where: str | None = None) -> str:
        """User-written YAML whose top level lacks `case_id:` gets `case_id` (or a new id) as its first
        key, so that `case new --id X --from f.yaml` works on a file without one. Other text is
        returned as it is, for validation to judge."""
        if len(text.encode()) > self.max_bytes:
            raise SaikenError(f"記録が大きすぎます（上限 {self.max_bytes} バイト）。", where=where)
        data = yamlio.fast_load(text, where=where)  # refuses aliases before the round-trip parser sees them
        if not isinstance(data, dict) or "case_id" in data:
            return text
        doc = yamlio.rt_load(text, where=where)
        doc.insert(0, "case_id", check_case_id(case_id) if case_id is not None else new_case_id())
        return yamlio.rt_dump(doc)

    # --- writing ---------------------------------------------------------------------------

    def write_text(self, case_id: str, text: str) -> None:
        """Encrypt `text` (already validated) to the active handlers and write it atomically."""
        self.path(case_id).parent.mkdir(parents=True, exist_ok=True)
        recipients = self.policy.active_recipients()
        data = crypto.encrypt(text.encode("utf-8"), recipients)
        atomic_write(self.path(case_id), data)
        manifest.record_written(self.root, case_id, data, recipients)
        reads.opened(case_id, root=self.root)


# DecryptFailure kinds that mean the file itself is damaged (not a key that does not match)
DAMAGED = frozenset({"header", "hmac", "armor", "payload"})


def restore_record_hint(rel: str) -> str:
    """How to get a damaged record back: git keeps every committed version of it."""
    return (f"`git checkout -- {rel}` で最後にコミットした版に戻してください（その版も壊れているときは "
            f"`git log --oneline -- {rel}` で前の版を探し、`git checkout コミット -- {rel}`）。")


def escaped(name: str) -> str:
    """A file name safe to print: characters a terminal would act on (escape sequences, line
    breaks) written as \\x1b, \\n …; anything printable, Japanese included, as it is."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in name)


def unreadable(rel: str, case_id: str, exc: SaikenError) -> SaikenError:
    """Why a record could not be listed, without a word of its content (a value the schema refused,
    the text around a YAML error): the file (escaped), the kind of problem, and the fix."""
    where = escaped(rel)
    if not schema.CASE_ID.match(case_id):
        return SaikenError("ファイル名が「事案番号.yaml.age」の形ではありません。", where=where,
                           hint="records/ に置けるのは saiken が作った記録だけです。`git status records/` で確かめ、"
                                "別の場所に移すか削除してください。")
    edit = f"`saiken case edit {case_id}` で直してください（`saiken case show {case_id}` で内容を確かめられます）。"
    if isinstance(exc, ValidationError):
        paths = "、".join(dict.fromkeys(redacted(p) for p, _ in exc.problems if p)) or "記録の形"
        return SaikenError(f"項目に誤りがあります（{paths}）。", where=where, hint=edit)
    if isinstance(exc, yamlio.YamlSyntaxError):
        return SaikenError(f"YAML として読めません（{exc.position}）。", where=where, hint=edit)
    return SaikenError(exc.message, where=where, hint=exc.fix)


def decrypt_text(data: bytes, identities: list[crypto.LoadedIdentity], *, where: str | None = None,
                 max_size: int | None = None) -> str:
    plain = crypto.decrypt(data, identities, where=where,
                           max_size=None if max_size is None else max_size * 2 + 4096)
    try:
        return plain.decode("utf-8")
    except UnicodeDecodeError:
        raise SaikenError("記録が UTF-8 のテキストではありません。", where=where) from None
