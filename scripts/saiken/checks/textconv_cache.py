"""No decrypted record cached by git (terms 8, 9): `diff.*.cachetextconv` off, no refs/notes/textconv.

A textconv cache keeps the output of saiken's diff driver – the decrypted record – as blobs inside
.git (saiken.git.textconv_cache): a copy of the personal data outside every record, which nothing
else checks and which a copy of .git carries along. `saiken check --all` looks at the repository
it runs in; `saiken git-setup` turns the setting off and deletes the cache.
"""

from __future__ import annotations

from typing import Iterable

from saiken.checks import ERROR, Finding, FindingMaker
from saiken.checks.context import CheckInput
from saiken.git import gitio, textconv_cache

ID = "textconv_cache"
TERMS = (8, 9)
SEVERITY = ERROR
TITLE = "復号した記録を git のキャッシュ（refs/notes/textconv）に残さない"
SCOPE = "repository"  # the repository's own config and refs: `saiken check --all` only

_found = FindingMaker(ID, TERMS, SEVERITY)
_FIX = "`saiken git-setup` で設定を戻し、キャッシュを削除してください。"


def check(inp: CheckInput) -> Iterable[Finding]:
    root = inp.ctx.policy.root
    if not (root / ".git").exists():
        return
    try:
        cached = textconv_cache.found(root)
    except gitio.GitError:
        return
    for key, origin in cached.settings:
        yield _found(origin, key, f"git の設定 {key} が true です。`git log -p` などで復号した記録が .git の中"
                     f"（{textconv_cache.NOTES_PREFIX}…）に平文で保存されます。{_FIX}")
    for ref in cached.refs:
        yield _found(".git", ref, f"復号した差分のキャッシュ {ref} があります。復号した記録が .git の中に平文で"
                     f"残っています。{_FIX}")
