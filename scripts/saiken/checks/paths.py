"""Default deny for paths (terms 2, 8): a records repository holds its records and what its
allow-list names, nothing else.

records/ is judged by the plaintext check (only age files named after a case id, the manifest and
.gitkeep). Every other path must match a pattern of policies/paths.yaml, and its content must be of
the kind the pattern allows:
    text       UTF-8 text without NUL bytes (searched for the records' names and the patterns by
               pii_outside, and for record-like content by record_like)
    image      a PNG, JPEG, GIF or WebP picture carrying nothing but the picture: no EXIF, text
               chunk or comment, nothing after its end (media_files; its pixels cannot be read: the
               docs say so)
    pdf        a PDF of one revision with every object used, no attachment, form, script or image
               (media_files); its text and metadata are searched like a text file. The records list
               allows only the erasure certificates `saiken erase` renders from the Markdown beside them
    fictional  anything: saiken's own tests with their fictional records. Honoured only where nobody
               is designated (policies/handlers.yaml lists no handler): a records repository – one
               that can hold a record at all – never has this exemption, and a list that grants it
               there is itself a finding.
A repository without policies/paths.yaml is judged by the list `saiken init` writes (records_paths.yaml
next to this module). The list is a policy file: it changes only as policies/ does.

Patterns: `*` is any run of characters but `/`, `?` one of them, `**` as a whole segment any number
of folders (none included); a pattern matches the whole path. The first pattern that matches decides.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from saiken.checks import (ERROR, GITLINK, SYMLINK, FileInput, Finding, FindingMaker, media_files, shell_path,
                           shown_name)
from saiken.checks.context import PATHS_FILE, CheckInput
from saiken.core.policy import parse_yaml
from saiken.core.layout import RECORDS_DIR
from saiken.errors import SaikenError

ID = "paths"
TERMS = (2, 8)
SEVERITY = ERROR
TITLE = "暗号化した記録と、許可された場所（policies/paths.yaml）のファイルのほかは置かない"

TEXT, IMAGE, PDF, FICTIONAL = "text", "image", "pdf", "fictional"
KINDS = {TEXT: "テキスト", IMAGE: "画像（PNG・JPEG・GIF・WebP）", PDF: "PDF", FICTIONAL: "架空のテストデータ"}
RECORDS_LIST = Path(__file__).with_name("records_paths.yaml")
_NOT_TEXT = "UTF-8 のテキストではありません（NUL を含むか、UTF-8 でない）"
_found = FindingMaker(ID, TERMS, SEVERITY)
# a file outside records/ larger than this is refused unread: folding and searching a text takes about
# ten times its size in memory (69 MB: 900 MB and 7 s), so a 1 GB push would take the server down
MAX_FILE_BYTES = 20_000_000


@dataclass(frozen=True)
class Entry:
    pattern: str
    regex: re.Pattern[str]
    kind: str


def glob_regex(pattern: str) -> re.Pattern[str]:
    """The pattern as a regex over a whole POSIX path (see the module's docstring)."""
    out, parts = [], pattern.split("/")
    for n, part in enumerate(parts):
        last = n == len(parts) - 1
        if part == "**":
            out.append(".*" if last else "(?:[^/]+/)*")
            continue
        out.append("".join("[^/]*" if c == "*" else "[^/]" if c == "?" else re.escape(c) for c in part))
        if not last:
            out.append("/")
    return re.compile("".join(out))


def allow_list(inp: CheckInput) -> list[Entry]:
    """policies/paths.yaml of the tree under check (or the records-repository list), read once."""
    if "allow_list" not in inp.memo:
        data = inp.file_yaml(PATHS_FILE)
        where = PATHS_FILE
        if data is None:
            data, where = parse_yaml(RECORDS_LIST.read_bytes(), str(RECORDS_LIST)), str(RECORDS_LIST)
        inp.memo["allow_list"] = _entries(data, where)
    return inp.memo["allow_list"]  # type: ignore[no-any-return]


def _entries(data: Any, where: str) -> list[Entry]:
    paths = data.get("paths") if isinstance(data, dict) else None
    hint = "ファイル先頭の説明のとおり「パターン: 種類」の形で書いてください（例 \"docs/**/*.md\": text）。"
    if not isinstance(paths, dict):
        raise SaikenError("置いてよいファイルの一覧（paths:）がありません。", where=where, hint=hint)
    out = []
    for pattern, kind in paths.items():
        if not isinstance(pattern, str) or not pattern or kind not in KINDS:
            raise SaikenError(f"「{pattern}: {kind}」は一覧の書き方として正しくありません（種類は "
                              f"{'・'.join(KINDS)} のどれかです）。", where=where, hint=hint)
        out.append(Entry(pattern, glob_regex(pattern), kind))
    return out


def nobody_designated(inp: CheckInput) -> bool:
    return not inp.ctx.policy.handlers


def kind_of(inp: CheckInput, path: str) -> str | None:
    """The kind of content `path` may hold, or None where nothing may be (fictional counts only
    where nobody is designated)."""
    for entry in allow_list(inp):
        if entry.regex.fullmatch(path):
            return None if entry.kind == FICTIONAL and not nobody_designated(inp) else entry.kind
    return None


def is_fictional(inp: CheckInput, path: str) -> bool:
    return kind_of(inp, path) == FICTIONAL


def unreadable(path: str) -> Finding:
    """A file whose name is not UTF-8 (checks.unreadable_name): refused unread."""
    return _found(shown_name(path), None, "ファイル名が UTF-8 ではありません（\\x の部分）。名前の文字を確かめられない"
                  "（別の文字コードの氏名なども通ってしまう）ため、受け付けません。`git mv` で UTF-8 の名前に改めるか、"
                  "`git rm --cached` で外してください（既にコミットしていれば `git commit --amend`・`git rebase -i`）。")


def check_file(f: FileInput, inp: CheckInput) -> Iterable[Finding]:
    if f.mode == SYMLINK:
        yield _found(f.path, None, "シンボリックリンクです。リンク先はこのリポジトリの外のファイル（鍵、復号した記録など）も"
                     "指すことができ、方針サイトの作成などでその中身が読まれて公開されるため、受け付けません（既定で拒否）。"
                     f"リンクではなくファイルそのものを置いてください。{move_out(f.path, inp)}")
        return
    if f.mode == GITLINK:
        yield _found(f.path, None, "サブモジュール（別のリポジトリのコミットへの参照）です。その中身は検査できず、参照の値"
                     "そのものにも情報を載せられるため、受け付けません（既定で拒否）。`git rm --cached "
                     f"{shell_path(f.path)}` で外し、.gitmodules があれば削除してください（既にコミットしていれば "
                     "`git commit --amend`・`git rebase -i`）。")
        return
    if f.path.startswith(RECORDS_DIR + "/"):
        return  # the plaintext check: age files named after a case id, and nothing else
    if f.path == PATHS_FILE:
        yield from _exemption_in_a_records_repository(inp)
    if len(f.data) > MAX_FILE_BYTES:
        yield _found(f.path, None, f"ファイルが大きすぎます（{len(f.data) / 1e6:.1f} MB。記録の外のファイルの上限は "
                     f"{MAX_FILE_BYTES // 1_000_000} MB）。中身を確かめきれないため受け付けません。{move_out(f.path, inp)}")
        return
    kind = kind_of(inp, f.path)
    if kind is None:
        yield _found(f.path, None, "このリポジトリに置けないファイルです。記録リポジトリに置けるのは、暗号化した記録"
                     f"（records/<xx>/<y>/事案番号.yaml.age）と {PATHS_FILE} に載っている場所のファイルだけです（載っていない"
                     f"ものは拒否します）。{move_out(f.path, inp)}業務に必要なファイルなら、甲の取扱責任者に "
                     f"{PATHS_FILE} への追加を依頼してください。")
    else:
        why = content_problem(kind, f.data)
        if why is not None:
            yield _found(f.path, None, f"{PATHS_FILE} では{KINDS[kind]}（{kind}）を置く場所ですが、{why}。"
                         f"{move_out(f.path, inp)}")


def content_problem(kind: str, data: bytes) -> str | None:
    """Why `data` may not stand where `kind` is allowed, or None: text must be UTF-8; an image or
    a PDF may carry nothing but what it shows (saiken.checks.media_files)."""
    if kind == TEXT:
        return None if text_of(data) is not None else _NOT_TEXT
    if kind in (IMAGE, PDF):
        return media_files.problem(kind, data)
    return None


def pdf_text(data: bytes) -> str | None:
    """A PDF's text and metadata to search like a text file (None when it is not a PDF that may stand)."""
    if len(data) > MAX_FILE_BYTES:
        return None
    try:
        return media_files.pdf_text(data)
    except media_files.Refused:
        return None


def text_of(data: bytes) -> str | None:
    """The file as text, or None when it is not UTF-8 text (NUL bytes, invalid UTF-8) or larger than
    MAX_FILE_BYTES (refused as such: searching it would take minutes and gigabytes)."""
    if len(data) > MAX_FILE_BYTES or b"\0" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def move_out(path: str, inp: CheckInput) -> str:
    """How to take a file out of the repository, in a commit being made or in one already made."""
    q = shell_path(path)
    how = (f"そのコミットから取り除いてください（`git rm --cached {q}` のあと、直前のコミットなら `git commit --amend`、"
           "それより前なら `git rebase -i`）。" if inp.ctx.message_committed
           else f"`git rm --cached {q}` で Git の管理から外してください。")
    return (how + f"ファイルはリポジトリの外へ移すか（例 `mv {q} ~/`）、個人情報を含むなら `shred -u {q}` で"
            "消去してください。既に push した場合は取扱責任者に相談してください（履歴に残ります）。")


def _exemption_in_a_records_repository(inp: CheckInput) -> Iterable[Finding]:
    if nobody_designated(inp):
        return
    for entry in allow_list(inp):
        if entry.kind == FICTIONAL:
            yield _found(PATHS_FILE, None, f"「{entry.pattern}」は架空のテストデータ（fictional）の置き場所ですが、この"
                         "リポジトリには取扱者が指定されています（記録リポジトリ）。記録リポジトリに架空データの例外は"
                         f"ありません（その場所のファイルも拒否します）。{PATHS_FILE} からこの行を削除してください。")
