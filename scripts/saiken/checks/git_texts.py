"""Texts git keeps and sends beside the files: ref names, annotated tag messages, notes.

None of them is encrypted, and each travels with a push, so each is judged like a file (pii_outside:
the records' names, the never-collected numbers, a record's shape). This module says what each is and
how to take personal data out of it, and reads them from git; saiken.checks.hooks puts them in
`Context.texts` at pre-push, pre-receive and check --range.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from saiken.checks import shell_path
from saiken.git import gitio

REF_NAME, TAG_MESSAGE, NOTE, NOT_A_COMMIT = "ref", "tag", "note", "object"
HEADERS, ODD_HEADER = "headers", "odd-header"  # a commit's author and committer (and the like); one git never writes


@dataclass(frozen=True)
class GitText:
    """One text: a ref's own name (`text` is the name), a tag's message or a note (the note's
    `about` is the object it is attached to). `text` None: a note that is not UTF-8 text. A ref that
    points at a file or folder rather than a commit (NOT_A_COMMIT, `about` its type) sends content
    no commit holds, so no check would see it: it is refused as such."""

    kind: str
    ref: str
    text: str | None
    about: str = ""

    @property
    def place(self) -> str:
        """The `where` of a finding in it, before the line number."""
        if self.kind == TAG_MESSAGE:
            return "タグのメッセージ "
        if self.kind == NOTE:
            return f"ノート（{self.about[:10]} について）"
        if self.kind == HEADERS:
            return "タグの作成者" if self.about == "tag" else "コミットの作成者・コミッター"
        if self.kind == ODD_HEADER:
            return "タグの見出し" if self.ref.startswith("refs/") else "コミットの見出し"
        return "参照名" if self.kind == REF_NAME else "参照先"

    def fix(self) -> str:
        """How to remove what was found from the message or note."""
        if self.kind == HEADERS:
            if self.about == "tag":
                tag = shell_path(short(self.ref))
                return (f"`git tag -d {tag}` で消し、名前とアドレスを取扱者のものにして（git config user.name・user.email）"
                        "作り直してください。サーバに既にあれば取扱責任者に相談してください。")
            if self.about == "new":  # the commit-msg hook: nothing was committed
                return ("コミットはされていません。作成者・コミッターの名前とアドレスを取扱者のものにして"
                        "（git config user.name・user.email）、もう一度 `git commit` してください。")
            return ("作成者・コミッターの名前とアドレスを取扱者のものにして（git config user.name・user.email）、"
                    "`git commit --amend --reset-author`（それより前のコミットは `git rebase -i` で）作り直してください。"
                    "サーバに既にあれば取扱責任者に相談してください。")
        if self.kind == TAG_MESSAGE:
            tag = shell_path(short(self.ref))
            return (f"`git tag -d {tag}` で消し、事案番号を使ったメッセージで作り直してください（`git tag -a {tag} -m "
                    "'メッセージ' コミット`）。サーバに既にあれば取扱責任者に相談してください。")
        return (f"`git notes --ref={shell_path(self.ref)} remove {self.about}` でノートを消してください（`git log -p` の"
                "表示の一時保存（textconv）なら `git config --unset diff.saiken.cachetextconv` のうえ "
                f"`git update-ref -d {shell_path(self.ref)}`）。サーバに既にあれば取扱責任者に相談してください。")


def commit_texts(commit: str, raw: bytes) -> list[GitText]:
    """A commit object's header texts (gitio.commit_headers): its author and committer, and any
    header git never writes (refused: made by hand, perhaps to carry text nobody sees)."""
    text, odd = gitio.commit_headers(raw)
    return [GitText(HEADERS, commit[:10], text, about="committed"),
            *(GitText(ODD_HEADER, commit[:10], None, about=name) for name in odd)]


TAG_HEADERS = frozenset({"object", "type", "tag", "tagger"})


def tag_texts(ref: str, raw: bytes) -> list[GitText]:
    """An annotated tag's tagger "Name <email>", and any header git never writes in a tag (refused)."""
    head, _, body = raw.partition(b"\n\n")
    idents, odd = [], []
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        odd.append(gitio.UNREADABLE)
    for line in head.decode("utf-8", "replace").split("\n"):
        name, _, value = line.partition(" ")
        if name == "tagger":
            idents.append(value[: value.rfind(">") + 1] if ">" in value else value)
        elif name not in TAG_HEADERS:
            odd.append(name)
    return [GitText(HEADERS, ref, "\n".join(idents), about="tag"), *(GitText(ODD_HEADER, ref, None, about=n) for n in odd)]


def removal_fix(ref: str) -> str:
    """How to remove a ref that points at a file or folder."""
    if ref.startswith("refs/tags/"):
        return f"`git tag -d {shell_path(short(ref))}` で消してください。"
    return f"`git update-ref -d {shell_path(ref)}` で消してください。"


def short(ref: str) -> str:
    for prefix in ("refs/heads/", "refs/tags/"):
        if ref.startswith(prefix):
            return ref[len(prefix):]
    return ref


def rename_fix(ref: str, shown: str) -> str:
    """How to rename a ref whose name holds personal data; `shown` is the name as the finding
    shows it (the personal part quoted, so a log hides it)."""
    name = short(shown)
    if ref.startswith("refs/heads/"):
        return (f"`git branch -m {name} 新しい名前` で、事案番号など個人を特定しない名前に改めてください"
                f"（サーバに既にあれば取扱責任者に相談してください）。")
    if ref.startswith("refs/tags/"):
        return f"`git tag -d {name}` で消し、事案番号など個人を特定しない名前で付け直してください。"
    return f"`git update-ref -d {shown}` で消し、個人を特定しない名前で作り直してください。"


# --- reading them from git -------------------------------------------------------------------------

def local_notes_refs(cwd: Path) -> list[tuple[str, str]]:
    """(ref, notes commit) of every local notes ref."""
    out = gitio.text(["for-each-ref", "--format=%(refname) %(objectname)", "refs/notes"], cwd)
    return [(ref, oid) for ref, oid in (line.split(" ") for line in out.splitlines() if line)]


def pushed_ref_texts(cwd: Path, local_ref: str, local_sha: str, remote_ref: str) -> list[GitText]:
    """The names a pre-push line sends (the remote ref's, and the local one's) and its tag's message.
    The local ref is read again: pre-commit passes a tag's commit, not the tag object."""
    oid = gitio.text(["rev-parse", "--verify", "--quiet", local_ref], cwd, check=False).strip() \
        if local_ref.startswith("refs/") else ""
    texts = ref_texts(cwd, remote_ref, oid or local_sha) if remote_ref.startswith("refs/") else []
    if local_ref.startswith("refs/") and local_ref != remote_ref:
        texts += ref_texts(cwd, local_ref, oid or local_sha)
    return texts


def ref_texts(cwd: Path, ref: str, oid: str) -> list[GitText]:
    """A ref's name and, for an annotated tag, its name and message (and those of the tags it tags)."""
    texts = [GitText(REF_NAME, ref, ref)]
    for _ in range(MAX_TAG_DEPTH):  # a tag of a tag of …: a few levels at most
        kind = gitio.text(["cat-file", "-t", oid], cwd, check=False).strip()
        if kind != "tag":
            if kind in ("blob", "tree"):
                texts.append(GitText(NOT_A_COMMIT, ref, None, about=kind))
            break
        raw = gitio.run(["cat-file", "tag", oid], cwd)
        oid, name, message = parse_tag(raw)
        if name and f"refs/tags/{name}" != ref:
            texts.append(GitText(REF_NAME, f"refs/tags/{name}", f"refs/tags/{name}"))
        texts.append(GitText(TAG_MESSAGE, ref, message))
        texts += tag_texts(ref, raw)
    else:  # deeper still: what it ends at (a file, another message) would go unread – refused
        texts.append(GitText(NOT_A_COMMIT, ref, None, about=TOO_DEEP))
    return texts


MAX_TAG_DEPTH = 10
TOO_DEEP = "deep"  # NOT_A_COMMIT's `about` for a chain of tags longer than MAX_TAG_DEPTH


def parse_tag(raw: bytes) -> tuple[str, str, str]:
    """(tagged object, tag name, message) of a raw tag object."""
    head, _, body = raw.partition(b"\n\n")
    fields = dict(line.split(b" ", 1) for line in head.split(b"\n") if b" " in line)
    return (fields.get(b"object", b"").decode(), fields.get(b"tag", b"").decode("utf-8", "replace"),
            body.decode("utf-8", "replace"))


def note_text(data: bytes | None) -> str | None:
    """A note's bytes as text; None when it is not UTF-8 text."""
    if data is None or b"\0" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None
