"""A change to the rules (handlers.yaml, consents.yaml …), committed the way the server will take it.

A commit that changes a protected path is let in only when an active 甲 handler of the trusted base
signed it (saiken.checks.trust). When git's signing key here (`user.signingkey`, gpg.format ssh)
is such a handler's, the command that edited the file makes that signed commit of exactly that
file; otherwise it leaves the change in the work tree and says exactly who must commit it, and how.
"""

from __future__ import annotations

from pathlib import Path

from saiken.checks.trust import Rules
from saiken.core.policy import Handler
from saiken.errors import SaikenError
from saiken.git import gitio, signing


def commit_rule_change(root: Path, paths: list[str], message: str) -> str:
    """Commit `paths` signed when this user may; the line to show the user either way."""
    rules = _trusted(root)
    mine = signing.user_signing_key(root)
    signer = next((h for h in rules.signers if h.signing_key == mine), None) if rules and mine else None
    listed = " ".join(paths)
    if signer is not None:
        commit = signing.signed_commit(root, paths, message)
        return (f"甲の取扱者 {signer.id} の署名付きコミット {commit[:10]} を作成しました（{listed}）。"
                "`git push` で送ってください。")
    commit_by_hand = f"git add {listed} && git commit -m \"{message}\" -- {listed}"
    if rules is None or not rules.signers:
        return ("まだ規則の変更に署名できる甲の取扱者（署名鍵のある者）がいないため、署名なしでも受け付けられます"
                f"（初期設定の間だけ）。確かめてコミットしてください: {commit_by_hand}")
    return (f"{listed} の変更は規則の変更です。{rules.who_may_sign()}の署名付きコミットでなければ、サーバで"
            f"受け付けられません（{_why(mine, rules.policy.handlers)}）。変更は作業ツリーに残しました。"
            f"甲の取扱者が確かめて署名付きでコミットします: git add {listed} && "
            f"git -c gpg.format=ssh commit -S -m \"{message}\" -- {listed}（署名鍵の設定は docs/keys.md）")


def _trusted(root: Path) -> Rules | None:
    """The rules of the last commit (None before the first one, or when they do not read)."""
    head = gitio.resolve_commit(root, "HEAD")
    if head is None:
        return None
    try:
        return Rules.load(root, head)
    except SaikenError:
        return None


def _why(mine: str | None, handlers: list[Handler]) -> str:
    if mine is None:
        return "この端末の git には ssh-ed25519 の署名鍵（user.signingkey）が設定されていません"
    owner = next((h for h in handlers if h.signing_key == mine), None)
    if owner is None:
        return "この端末の署名鍵（user.signingkey）はどの取扱者の署名鍵でもありません"
    state = "指定を解除された" if not owner.active else f"{owner.organisation}の"
    return f"この端末の署名鍵は{state}取扱者 {owner.id} のものです"
