"""Git's view of encrypted records: a textconv diff driver and a three-way merge driver.

`setup(root)` wires both into a records repository: `.gitattributes` routes `*.age` through them,
`.git/info/attributes` merges every bucket manifest (records/*/*/manifest.yaml, saiken.core.layout) with
`merge=union` – local, so that moving to the bucket layout needs no signed change of .gitattributes
(a protected file, saiken.checks.trust) – and the local git config names the commands, as the absolute path of the running Python so that
hooks, GUIs and cron jobs find the same saiken.

textconv lets `git diff` and `git log -p` show decrypted YAML to a holder of an identity. The
output goes to git's pipe only; `diff.saiken.cachetextconv` is set to false explicitly, because a
cached textconv is stored by git as a blob under refs/notes/textconv – plaintext inside .git; setup
also removes such a cache found there (saiken.git.textconv_cache), and `check --all` reports one.
Someone without a fitting identity sees a one-line placeholder and the stanza summary, and git
keeps working.

The merge driver decrypts base, ours and theirs in memory, merges them structurally (merge3),
validates the result against the schema and re-encrypts it to the active handlers. Comments and
layout of "ours" are kept: the result is applied onto a ruamel round-trip of ours, reusing ours'
nodes (and theirs' nodes for what theirs added) wherever their content is unchanged. On a conflict
nothing is written: git leaves ours' ciphertext in the work tree, which is a valid age file – never
conflict markers, never plaintext.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any, BinaryIO

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from saiken.core import agefile, crypto, layout, policy, reads, yamlio
from saiken.core.files import atomic_write
from saiken.core.records import SUFFIX, Store, decrypt_text
from saiken.errors import SaikenError, ValidationError
from saiken.git import gitio, merge3, textconv_cache
from saiken.redaction import shown

DRIVER = "saiken"
ATTRIBUTES = [
    ("*.age", f"diff={DRIVER} merge={DRIVER}"),
]
# In .git/info/attributes (not committed): two branches that each added records to one bucket
# merge its manifest by keeping both sides' lines. A `records/manifest.yaml merge=union` line that
# older versions wrote into .gitattributes is left there: it matches no file once migrated.
LOCAL_ATTRIBUTES = [
    (layout.MANIFEST_GLOB, "merge=union"),
]
ATTRIBUTES_HEADER = "# saiken: 暗号化された記録の差分表示・統合（saiken git-setup が管理）"
PRE_COMMIT_CONFIG = ".pre-commit-config.yaml"
HOOK_TYPES = ("pre-commit", "commit-msg", "pre-push")


# --- setup ------------------------------------------------------------------------------------

def driver_command(sub: str) -> str:
    """The shell command git runs: this very Python, so the driver uses this saiken."""
    return f"{shlex.quote(sys.executable)} -m saiken git {sub}"


def git_config() -> dict[str, str]:
    return {
        f"diff.{DRIVER}.textconv": driver_command("textconv"),
        f"diff.{DRIVER}.cachetextconv": "false",
        f"merge.{DRIVER}.name": "saiken: 暗号化された事案記録の構造的な統合",
        f"merge.{DRIVER}.driver": driver_command("merge %O %A %B %P"),
    }


def update_attributes(text: str, wanted_lines: list[tuple[str, str]] = ATTRIBUTES) -> str:
    """`.gitattributes` with saiken's lines present once; other lines are kept as they are."""
    lines = text.splitlines()
    for pattern, attrs in wanted_lines:
        wanted = f"{pattern} {attrs}"
        same_pattern = [i for i, line in enumerate(lines) if line.split(maxsplit=1)[:1] == [pattern]]
        if same_pattern:
            lines[same_pattern[0]] = wanted
            for i in reversed(same_pattern[1:]):
                del lines[i]
        else:
            if ATTRIBUTES_HEADER not in lines:
                lines.append(ATTRIBUTES_HEADER)
            lines.append(wanted)
    return "\n".join(lines) + "\n"


def setup(root: Path) -> list[str]:
    """Configure the drivers (and pre-commit hooks if configured) in `root`; returns what was done."""
    done: list[str] = []
    path = root / ".gitattributes"
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    new = update_attributes(old)
    if new != old:
        atomic_write(path, new.encode("utf-8"))
        done.append(".gitattributes を更新しました。")
    if setup_local_attributes(root):
        done.append(f"{layout.MANIFEST_GLOB} の統合（merge=union）を .git/info/attributes に書き込みました。")
    done += textconv_cache.remove(root)  # plaintext git cached under refs/notes/textconv, if anyone turned it on
    for name, value in git_config().items():
        gitio.config_set(root, name, value)
    done.append("git の設定（diff.saiken / merge.saiken）を書き込みました。")
    if (root / PRE_COMMIT_CONFIG).is_file():
        install_pre_commit(root)
        done.append("pre-commit のフック（" + "、".join(HOOK_TYPES) + "）を入れました。")
    return done


def setup_local_attributes(root: Path) -> bool:
    """saiken's lines in .git/info/attributes; whether the file changed."""
    info = local_attributes_path(root)
    old = info.read_text(encoding="utf-8") if info.exists() else ""
    new = update_attributes(old, LOCAL_ATTRIBUTES)
    if new == old:
        return False
    info.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(info, new.encode("utf-8"))
    return True


def local_attributes_path(root: Path) -> Path:
    """.git/info/attributes (shared by the worktrees of one repository)."""
    return (root / gitio.text(["rev-parse", "--git-path", "info/attributes"], root).strip()).resolve()


def install_pre_commit(root: Path) -> None:
    args = [sys.executable, "-m", "pre_commit", "install"]
    for hook in HOOK_TYPES:
        args += ["--hook-type", hook]
    proc = subprocess.run(args, cwd=root, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SaikenError("pre-commit のフックを入れられませんでした:\n" + (proc.stdout + proc.stderr).strip(),
                          where=PRE_COMMIT_CONFIG,
                          hint="`git config --unset core.hooksPath` のあと `saiken git-setup` をもう一度実行してください。")


# --- textconv ---------------------------------------------------------------------------------

def textconv(path: Path, out: BinaryIO) -> None:
    """Print a record decrypted, a placeholder if it cannot be opened, or a non-age file as is."""
    data = path.read_bytes()
    if not agefile.looks_like_age(data):
        out.write(data)
        return
    try:
        ids = crypto.load_identities()
        text = decrypt_text(data, ids, where=path.name)
    except SaikenError as exc:
        out.write(placeholder(data, exc).encode("utf-8"))
        return
    reads.opened(case_id_in(text, path.name), ids)  # `git log -p` is a read like `case show`
    out.write(text.encode("utf-8"))


_CASE_LINE = re.compile(r"^case_id:\s*['\"]?([A-Z0-9-]{3,32})", re.M)
_CASE_NAME = re.compile(r"([A-Z0-9-]{3,32})" + re.escape(SUFFIX) + "$")


def case_id_in(text: str, name: str) -> str:
    """The case id of a decrypted record: its case_id line, else the file name git gave (a temp
    file named XXXXXX_<case id>.yaml.age)."""
    found = _CASE_LINE.search(text) or _CASE_NAME.search(name)
    return found.group(1) if found else "?"


def placeholder(data: bytes, exc: SaikenError) -> str:
    """What a non-holder sees instead of a record: no plaintext, only what the header tells."""
    digest = hashlib.sha256(data).hexdigest()[:16]
    lines = ["# saiken: 暗号化された記録（お手元の鍵では開けません）"]
    try:
        header, _ = agefile.parse(data)
        # rage adds a random "grease" stanza to every file; it names no recipient.
        stanzas = [s for s in header.stanzas if not s.type.endswith("-grease")]
        lines.append(f"# 宛先: {len(stanzas)} 件（" + "、".join(s.describe() for s in stanzas) + "）")
    except SaikenError:
        lines.append("# 宛先: age ヘッダが壊れています")
    lines.append(f"# 暗号文 SHA-256: {digest}…")
    lines.append("# 理由: " + exc.message.splitlines()[0])
    return "\n".join(lines) + "\n"


# --- merge ------------------------------------------------------------------------------------

class MergeConflict(SaikenError):
    """A record that cannot be merged automatically; exits 1 so git marks it conflicted."""


def case_id_of(path: str) -> str:
    name = Path(path).name
    return name[: -len(SUFFIX)] if name.endswith(SUFFIX) else name


def resolution_hint(path: str) -> str:
    case_id = case_id_of(path)
    return (f"作業ツリーには自分側（ours）の記録を暗号化されたまま残しています。\n"
            f"  1. 相手側の変更を確認:  git diff HEAD...MERGE_HEAD -- {path}\n"
            f"  2. 自分側の記録を採用:  git checkout --ours -- {path}\n"
            f"  3. 相手側の変更を反映:  saiken case edit {case_id}\n"
            f"  4. 解決を記録:          git add {path} && git commit")


def merge_driver(base: Path, ours: Path, theirs: Path, path: str, root: Path | None = None) -> bool:
    """Merge the three versions of a record into `ours`; True if ours was rewritten."""
    store = Store.open(root or Path.cwd())
    try:
        ids = crypto.load_identities()
        reads.opened(case_id_of(path), ids, store.root)
        docs = [_load(_decrypt(p, ids, store, f"{path}（{side}）"), store, f"{path}（{side}）")
                for p, side in ((base, "共通の祖先"), (ours, "自分側"), (theirs, "相手側"))]
    except SaikenError as exc:
        why = exc.message.splitlines()[0] if not isinstance(exc, ValidationError) else "記録の定義に合いません"
        raise MergeConflict(f"事案 {case_id_of(path)} の記録を読めないため、自動で統合できません"
                            f"（{exc.where or path}: {why}）。", where=path, hint=resolution_hint(path)) from None
    plain = [_plain(d) if d is not None else merge3.MISSING for d in docs]
    merged, conflicts = merge3.merge(*plain)
    if conflicts:
        raise MergeConflict(f"事案 {case_id_of(path)} の記録で、両方のブランチが同じ項目を別々に変更しています。"
                            f"自動では統合できません。\n  競合した項目: " + "、".join(conflicts),
                            where=path, hint=resolution_hint(path))
    if merge3.same(merged, plain[1]):
        return False  # ours already is the result; keep its ciphertext
    text = _render(docs[1], merged, docs[2])
    try:
        text, _ = store.normalise_text(text, where=path)
    except ValidationError as exc:
        fields = "、".join(shown(p) for p, _ in exc.problems if p) or "（記録全体）"
        raise MergeConflict(f"事案 {case_id_of(path)} の記録を統合すると、内容が記録の定義に合わなくなります。\n"
                            f"  問題のある項目: {fields}", where=path, hint=resolution_hint(path)) from None
    atomic_write(ours, crypto.encrypt(text.encode("utf-8"), merge_recipients(store)))
    return True


def merge_recipients(store: Store) -> list[crypto.RecipientKey]:
    """The active handlers as they will be after this merge, not just ours'.

    git runs merge drivers before it updates the work tree, so policies/handlers.yaml there is
    still ours. During `git merge` git names the other side in GITHEAD_<oid>; if its handlers
    differ, merge the two handler lists the same way as records and encrypt to that. Otherwise
    (rebase, cherry-pick, a conflict in the handler lists) ours' active handlers are used, and the
    recipients check asks for `saiken rekey` if they turn out wrong.
    """
    heads = [k[len("GITHEAD_"):] for k in os.environ if k.startswith("GITHEAD_")]
    if len(heads) != 1:
        return store.policy.active_recipients()
    ours_bytes, theirs_bytes = gitio.file_at(store.root, ["HEAD", heads[0]], policy.HANDLERS_FILE)
    if theirs_bytes is None or theirs_bytes == ours_bytes:
        return store.policy.active_recipients()
    base = gitio.merge_base(store.root, "HEAD", heads[0])
    base_bytes = gitio.file_at(store.root, [base], policy.HANDLERS_FILE)[0] if base else None
    lists = [_handler_list(b) for b in (base_bytes, ours_bytes, theirs_bytes)]
    merged, conflicts = merge3.merge(*lists)
    if conflicts or not isinstance(merged, list):
        return store.policy.active_recipients()
    handlers = policy.handlers_from_data(merged)
    return [h.recipient for h in handlers if h.active] or store.policy.active_recipients()


def _handler_list(data: bytes | None) -> list[Any]:
    if not data:
        return []
    loaded = yamlio.fast_load(data.decode("utf-8"), where=policy.HANDLERS_FILE, what=yamlio.RULES)
    return list((loaded or {}).get("handlers") or [])


def _decrypt(path: Path, ids: list[crypto.LoadedIdentity], store: Store, where: str) -> str | None:
    data = path.read_bytes()
    if not data:
        return None  # no common ancestor (both sides added the record)
    return decrypt_text(data, ids, where=where, max_size=store.max_bytes)


def _load(text: str | None, store: Store, where: str) -> Any:
    if text is None:
        return None
    store.parse(text, where=where)  # refuses aliases, oversize and invalid records first
    return yamlio.rt_load(text, where=where)


def _plain(node: Any) -> Any:
    """ruamel's round-trip types as plain Python data (for comparing and merging)."""
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, str):
        return str(node)
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, dt.datetime):
        return dt.datetime(node.year, node.month, node.day, node.hour, node.minute, node.second,
                           node.microsecond, node.tzinfo)
    return node


def _render(ours_doc: Any, merged: Any, theirs_doc: Any) -> str:
    pool: dict[str, Any] = {}
    if theirs_doc is not None:
        _collect(theirs_doc, pool)
    return yamlio.rt_dump(_apply(ours_doc, merged, pool))


def _collect(node: Any, pool: dict[str, Any]) -> None:
    """Index theirs' nodes by content, so what theirs added keeps its layout and comments."""
    if isinstance(node, (dict, list)):
        pool.setdefault(merge3.key(_plain(node)), node)
        for child in node.values() if isinstance(node, dict) else node:
            _collect(child, pool)


def _fresh(value: Any, pool: dict[str, Any]) -> Any:
    found = pool.get(merge3.key(value)) if isinstance(value, (dict, list)) else None
    node = found if found is not None else value
    # copies: never a YAML alias. ruamel's TimeStamp drops its time zone when deep-copied
    # (2021-06-01 10:00+09:00 would come back as a naive 10:00), so those are copied shallowly.
    memo = {id(t): copy.copy(t) for t in yamlio.leaves(node) if isinstance(t, dt.datetime) and t.tzinfo is not None}
    return copy.deepcopy(node, memo)


def _apply(node: Any, merged: Any, pool: dict[str, Any]) -> Any:
    """Make `node` (ours, round-trip) equal to `merged`, changing as little of it as possible."""
    if node is None:
        return _fresh(merged, pool)
    if merge3.same(_plain(node), merged):
        return node
    if isinstance(node, CommentedMap) and isinstance(merged, dict):
        for k in [k for k in node if str(k) not in merged]:
            del node[k]
        for k, v in merged.items():
            node[k] = _apply(node[k], v, pool) if k in node else _fresh(v, pool)
        return node
    if isinstance(node, CommentedSeq) and isinstance(merged, list):
        _apply_seq(node, merged, pool)
        return node
    return _fresh(merged, pool)


def _apply_seq(node: CommentedSeq, merged: list[Any], pool: dict[str, Any]) -> None:
    # Index operations (not slice assignment) so ruamel moves each item's comment with it.
    where = merge3.align([_plain(x) for x in node], merged)
    for i in reversed(range(len(node))):
        if where.pairs[i] is None:
            del node[i]
    taken = {j for j in where.pairs if j is not None}
    for j, value in enumerate(merged):
        if j in taken:
            node[j] = _apply(node[j], value, pool)
        else:
            node.insert(j, _fresh(value, pool))
