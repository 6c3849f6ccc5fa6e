"""Where each pushed ref's trusted base is (saiken.checks.trust), on the server and before a push.

The protected branch is the one policies/trust.yaml names (`protected_branch`, default main), read
from the tip of the receiving side's default branch (HEAD) or of main.

    the protected branch, updated   the base is its previous tip; every commit not reachable from
                                    it is judged – also commits the server already had on another
                                    branch (a fast-forward onto them is judged by its rules). It
                                    may only move forward: a deletion or a rewind is refused (it
                                    would bring back rules that signed commits had replaced).
    the protected branch, created   the tip of the branch whose rules named it; in a repository
                                    with no branch at all, none: the first push is trusted as it
                                    comes (its first commit's rules judge the commits after it) –
                                    the bootstrap, see docs/procedures/server-hook.md
    a branch, tag or note           the protected branch's tip: its rules judge every commit from
                                    the merge base of the new tip with it (or the whole branch when
                                    their histories meet nowhere) – never the older rules of the
                                    merge base. While there is no protected branch, refused.
    any other ref (refs/replace/…)  refused: a replacement makes git show one commit for another, the
                                    trusted base too; other namespaces are unknown (default deny).
                                    saiken's own git reads ignore replacements (GIT_NO_REPLACE_OBJECTS,
                                    set for every saiken process by core.process_guard).
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from saiken.checks import ERROR, Finding, FindingMaker
from saiken.checks.rules import ID, TERMS
from saiken.checks.trust import DEFAULT_BRANCH, TRUST_FILE, branch_named
from saiken.git import gitio

_found = FindingMaker(ID, TERMS, ERROR)


@dataclass(frozen=True)
class Plan:
    """One pushed ref: the trusted base (None: trusted on first push) and the commits to judge."""

    ref: str
    base: str | None
    rev_args: list[str]


@dataclass(frozen=True)
class Side:
    """The branches of the side a push goes to, as this repository sees them."""

    cwd: Path
    prefix: str  # "refs/heads/" on the server; "refs/remotes/origin/" before a push to origin
    not_there: tuple[str, ...]  # rev-list arguments that leave out what that side has

    @classmethod
    def server(cls, cwd: Path) -> "Side":
        return cls(cwd, "refs/heads/", ("--not", "--all"))

    @classmethod
    def remote(cls, cwd: Path, remote: str) -> "Side":
        return cls(cwd, f"refs/remotes/{remote}/", ("--not", f"--remotes={remote}"))

    def tip(self, branch: str) -> str | None:
        return gitio.resolve_commit(self.cwd, self.prefix + branch)

    def default_branch(self) -> str | None:
        head = "HEAD" if self.prefix == "refs/heads/" else self.prefix + "HEAD"
        proc = subprocess.run(["git", "symbolic-ref", "-q", head], cwd=self.cwd, capture_output=True, text=True)
        target = proc.stdout.strip()
        return target[len(self.prefix):] if proc.returncode == 0 and target.startswith(self.prefix) else None

    def has_branches(self) -> bool:
        out = gitio.text(["for-each-ref", "--format=%(refname)", self.prefix], self.cwd)
        return any(not line.endswith("/HEAD") for line in out.splitlines())


def protected_branch(side: Side) -> tuple[str, str | None]:
    """(name, tip) of the protected branch; while it does not exist, the tip of the branch whose
    rules named it stands for it (None in a repository without branches)."""
    for candidate in dict.fromkeys(b for b in (side.default_branch(), DEFAULT_BRANCH) if b):
        tip = side.tip(candidate)
        if tip is not None:
            name = branch_named(side.cwd, tip)
            return name, side.tip(name) or tip
    return DEFAULT_BRANCH, None


def plan_push(side: Side, updates: list[tuple[str, str, str]]) -> tuple[list[Plan], list[Finding]]:
    """The plan for each (old, new, ref) a push updates, and the updates refused outright."""
    name, tip = protected_branch(side)
    commits = [None if gitio.is_zero(new) else gitio.resolve_commit(side.cwd, new) for _, new, _ in updates]
    refs = [ref for _, _, ref in updates]
    if tip is None and not side.has_branches():  # the first push: the branch its own rules name
        name = next((ref[len("refs/heads/"):] for ref, c in zip(refs, commits) if c is not None
                     and ref == "refs/heads/" + branch_named(side.cwd, c)), name)
    protected_ref = "refs/heads/" + name
    created = next((c for ref, c in zip(refs, commits) if ref == protected_ref and c is not None), None)
    plans: list[Plan] = []
    refused: list[Finding] = []
    for (old, new, ref), commit in zip(updates, commits):
        if not ref.startswith(PUSHABLE) and ref not in ("HEAD", "-"):  # (pre-commit's pre-push names these)
            if not gitio.is_zero(new):  # deleting one that is there already is allowed
                refused.append(_found(ref, None, _not_pushable(ref)))
            continue
        if ref == protected_ref:
            plan, why = _protected(side, old, commit, ref, tip)
        elif commit is None:
            continue  # a deletion, or no commit (a tag of a tree): nothing to judge here
        else:
            plan, why = _other(side, commit, ref, tip or created, protected_ref)
        if plan is not None:
            plans.append(plan)
        if why is not None:
            refused.append(_found(ref, None, why))
    return plans, refused


# the refs a push may create or move: branches, tags and notes (each judged). refs/replace/ would make
# git show one commit for another – the trusted base among them –, and any other namespace is
# unknown: default deny
PUSHABLE = ("refs/heads/", "refs/tags/", "refs/notes/")


def _not_pushable(ref: str) -> str:
    what = ("置き換え（git replace）の参照です。git がコミットを別のコミットとして見せるため、検査の基点の規則まで"
            "すり替えられてしまいます" if ref.startswith("refs/replace/") else
            "ブランチ（refs/heads/）・タグ（refs/tags/）・ノート（refs/notes/）のどれでもない参照です")
    return (f"{what}。受け付けません（既定で拒否）。push する参照から外してください（手元の参照は "
            f"`git update-ref -d {ref}` で削除できます）。")


def _protected(side: Side, old: str, commit: str | None, ref: str, tip: str | None) -> tuple[Plan | None, str | None]:
    if commit is None:
        return None, (f"保護するブランチ {ref} は削除できません（削除すると、署名で変えてきた規則を最初から作り直せて"
                      "しまいます）。")
    if not gitio.is_zero(old) and gitio.resolve_commit(side.cwd, old) is not None:
        if not gitio.is_ancestor(side.cwd, old, commit):
            return None, (f"保護するブランチ {ref} は巻き戻せません（force push。前の規則に戻せてしまいます）。"
                          "git pull --rebase で取り込んでから、先へ進める形で push してください。")
        return Plan(ref, old, [commit, "--not", old]), None
    if tip is not None:
        return _from_merge_base(side, commit, ref, tip), None
    return Plan(ref, None, [commit]), None  # nothing to trust yet: the first push


def _other(side: Side, commit: str, ref: str, tip: str | None, protected_ref: str) -> tuple[Plan | None, str | None]:
    if tip is None:
        return None, (f"保護するブランチ {protected_ref} がまだないため、{ref} は受け付けません。最初に {protected_ref} を"
                      f"push してください（その最初のコミットの規則が信頼の基点になります。{TRUST_FILE}）。")
    return _from_merge_base(side, commit, ref, tip), None


def _from_merge_base(side: Side, commit: str, ref: str, tip: str) -> Plan:
    """The commits from the merge base on, judged by the rules of the protected tip: a branch begun
    before a signed change (a handler deactivated, a word added) must not be judged by the rules that
    change replaced – its new records would still be encrypted to a handler who is an outsider now."""
    base = gitio.merge_base(side.cwd, commit, tip)
    if base is None:  # histories that meet nowhere: all of it
        return Plan(ref, tip, [commit, *side.not_there])
    return Plan(ref, tip, [commit, "--not", base])
