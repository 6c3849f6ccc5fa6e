"""The trusted base: which rules judge a commit, and who may change them.

Whoever can push could otherwise weaken the rules in the very push they judge (a shorter `scan:`,
a thinner lexicon, one more handler, a consent 甲 never gave). So the rules – the protected paths:
policies/, ledger/consents.yaml, the hook configuration, .gitattributes, mkdocs.yml, and whatever
policies/trust.yaml adds – are never read from the change under judgement:

  * A range of commits is judged from a trusted base: the previous tip of the protected branch
    (policies/trust.yaml `protected_branch`, default main) – for another branch too, whose commits
    from its merge base with it are judged by the tip's rules, never the merge base's older ones –
    and for `saiken check --range OLD..NEW` the commit OLD or `--rules REV` (saiken.checks.bases).
  * Each commit is judged by the rules in force after its first parent. A commit that changes a
    protected path (added, changed or removed) must be signed – git's SSH signing – by an active
    handler of 甲 with a `signing_key` in the rules it is judged by; then, and only then, its tree's
    rules are in force for the commits after it (within one push: commit k's accepted change applies
    to commit k+1). Its new rules are read in full first: one that does not read (an alias bomb,
    a broken handlers.yaml) is refused even when signed. A merge that takes the rules of one of its
    parents as they are needs no signature of its own.
  * Setting up: while the rules in force name no active 甲 handler with a signing key (a repository
    made by `saiken init`), a change to them is let in unsigned, with a warning that says so. The
    first 甲 handler registered with a signing key closes that window for good.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from saiken.checks import ERROR, WARNING, Finding, FindingMaker
from saiken.checks.context import CONSENTS_FILE, CheckInput, Context, is_rule_file
from saiken.checks.rules import ID, TERMS  # the check that reports what this module finds
from saiken.checks.runner import read_every_policy
from saiken.checks.sources import policy_from_reader
from saiken.core.policy import HANDLERS_FILE, Handler, Policy, parse_yaml
from saiken.errors import SaikenError
from saiken.git import gitio, signing

TRUST_FILE = "policies/trust.yaml"
DEFAULT_BRANCH = "main"
# protected whatever policies/trust.yaml says: it can add paths, never take one of these away
PROTECTED = ("policies/", CONSENTS_FILE, ".pre-commit-config.yaml", ".gitattributes", "mkdocs.yml")
_found = FindingMaker(ID, TERMS, ERROR)
HOW_TO_SIGN = ("甲の取扱者が署名鍵で署名し直してから push してください: git commit --amend -S"
               "（gpg.format ssh と user.signingkey の設定は docs/keys.md）。")


def _matches(path: str, patterns: tuple[str, ...]) -> bool:
    return any(path.startswith(p) if p.endswith("/") else path == p for p in patterns)


@dataclass
class Rules:
    """The rules as one commit's tree holds them: the protected files, the policy, and who may sign."""

    cwd: Path
    commit: str
    files: dict[str, str]  # every protected path of that tree → blob id
    blobs: dict[str, bytes | None]  # the rule files read so far
    branch: str = DEFAULT_BRANCH
    extra: tuple[str, ...] = ()  # protected paths policies/trust.yaml adds
    _policy: Policy | None = None

    def read(self, rel: str) -> bytes | None:
        """A file of the rules (policies/, the consents) as this tree holds it."""
        if rel not in self.files:
            return None
        if rel not in self.blobs:
            self.blobs[rel] = dict(gitio.cat_blobs(self.cwd, [self.files[rel]])).get(self.files[rel])
        return self.blobs[rel]

    @property
    def policy(self) -> Policy:
        if self._policy is None:
            self._policy = policy_from_reader(self.read, self.cwd)
        return self._policy

    def is_protected(self, path: str) -> bool:
        return _matches(path, PROTECTED + self.extra)

    @property
    def signers(self) -> list[Handler]:
        """Who may sign a change to these rules: the active 甲 handlers with a signing key."""
        return [h for h in self.policy.handlers if h.may_sign_rules]

    @property
    def signer_keys(self) -> list[tuple[str, str]]:
        """Every handler's signing key (of 乙 and deactivated ones too, so a refusal can say whose)."""
        return [(h.id, h.signing_key) for h in self.policy.handlers if h.signing_key]

    def who_may_sign(self) -> str:
        names = "、".join(h.id for h in self.signers)
        return f"甲の有効な取扱者（{names}）" if names else "署名鍵（signing_key）のある甲の有効な取扱者（未登録）"

    @classmethod
    def load(cls, cwd: Path, commit: str) -> "Rules":
        """The rules of `commit`'s tree, every file of them read and checked: a SaikenError names
        the file that does not read (too large, an alias, not YAML, a handler without a key …)."""
        files = _protected_files(cwd, commit, PROTECTED)
        wanted = [p for p in files if p.endswith((".yaml", ".yml")) and is_rule_file(p)]
        blobs = dict(gitio.cat_blobs(cwd, [files[p] for p in wanted]))
        rules = cls(cwd, commit, files, {p: blobs.get(files[p]) for p in wanted})
        rules.branch, rules.extra = _trust_conf(rules.read(TRUST_FILE))
        if rules.extra:
            rules.files.update(_protected_files(cwd, commit, rules.extra))
        check_readable(rules)
        return rules

    @classmethod
    def load_base(cls, cwd: Path, commit: str) -> "Rules":
        """The rules of the trusted base; rules that do not read there stop everything, so the
        message says how the server's administrator puts them right."""
        try:
            return cls.load(cwd, commit)
        except SaikenError as exc:
            raise SaikenError(f"信頼の基点（コミット {commit[:10]}）の規則を読めないため、検査できません"
                              f"（{exc.where + ': ' if exc.where else ''}{exc.message}）。", where=exc.where,
                              hint="そのファイルを直す署名付きのコミットを、サーバの管理者がフックを通さずに取り込みます"
                                   "（docs/procedures/server-hook.md の「信頼の基点の規則が読めないとき」）。") from None


def _protected_files(cwd: Path, commit: str, patterns: tuple[str, ...]) -> dict[str, str]:
    out = gitio.run(["--literal-pathspecs", "ls-tree", "-r", "-z", "--full-tree", commit, "--",
                     *(p.rstrip("/") for p in patterns)], cwd)
    entries: dict[str, str] = {}
    for item in out.decode("utf-8", "surrogateescape").split("\0"):
        if item:
            meta, path = item.split("\t", 1)
            _mode, kind, oid = meta.split(" ")
            if kind == "blob" and _matches(path, patterns):
                entries[path] = oid
    return entries


def _trust_conf(raw: bytes | None) -> tuple[str, tuple[str, ...]]:
    """(protected branch, protected paths added) from policies/trust.yaml."""
    data: Any = parse_yaml(raw, TRUST_FILE, {}) if raw is not None else {}
    branch = data.get("protected_branch", DEFAULT_BRANCH)
    if not isinstance(branch, str) or not branch.strip() or any(c.isspace() for c in branch):
        raise SaikenError("protected_branch はブランチ名（例: main）です。", where=TRUST_FILE)
    paths = data.get("protected_paths") or []
    if not isinstance(paths, list) or not all(isinstance(p, str) and p.strip() for p in paths):
        raise SaikenError("protected_paths は保護するパス（フォルダは / で終える）の並びです。", where=TRUST_FILE)
    return branch.strip(), tuple(p.strip() for p in paths)


def branch_named(cwd: Path, commit: str) -> str:
    """The protected branch `commit`'s policies/trust.yaml names (main when it names none or does
    not read: the rules of a base are read in full, and refused by name, before anything is judged)."""
    try:
        return _trust_conf(gitio.file_at(cwd, [commit], TRUST_FILE)[0])[0]
    except SaikenError:
        return DEFAULT_BRANCH


def check_readable(rules: Rules) -> None:
    """Every file of the rules reads as the commands will read it (saiken.checks.runner
    read_every_policy); raises SaikenError naming the first that does not."""
    inp = CheckInput.prepare([], Context(rules.policy, rules.read))
    read_every_policy(inp, [p for p in rules.files if p.startswith("policies/") and p.endswith(".yaml")])
    inp.file_yaml(CONSENTS_FILE)


# --- judging a range, commit by commit ---------------------------------------------------------------

@dataclass
class Verdict:
    """The rules one commit is judged by, and what is wrong with its own change to them."""

    rules: Rules
    findings: list[Finding] = field(default_factory=list)


class RuleWalk:
    """The rules in force after each commit of a range, from a trusted base.

    `after` may be shared by the walks of one push (each ref has its own base), so that a commit
    built on another ref's accepted change sees that change in force."""

    def __init__(self, cwd: Path, base: Rules, after: dict[str, Rules] | None = None) -> None:
        self.cwd, self.base = cwd, base
        self.after: dict[str, Rules] = {} if after is None else after
        self._signatures: dict[tuple[str, str], signing.Signature] = {}

    def prepare(self, changes: dict[str, list[tuple[str, str, str]]]) -> None:
        """Verify at once the signatures of every commit that touches the base's protected paths."""
        touching = [c for c, items in changes.items() if any(self.base.is_protected(p) for _, p, _ in items)]
        self._verify(touching, self.base)

    def _verify(self, commits: list[str], rules: Rules) -> None:
        todo = [c for c in commits if (c, rules.commit) not in self._signatures]
        for c, sig in signing.verify(self.cwd, todo, rules.signer_keys).items():
            self._signatures[(c, rules.commit)] = sig

    def rules_after(self, commit: str) -> Rules:
        return self.after.get(commit, self.base)

    def judge(self, commit: str, parents: list[str], changes: list[tuple[str, str, str]],
              tree_of: Any) -> Verdict:
        """The verdict on `commit` (its parents and its changes against the first one);
        `tree_of(commit)` gives path → blob id of any commit's tree (for merges)."""
        if commit == self.base.commit:  # the base itself (the root commit of a first push)
            self.after[commit] = self.base
            return Verdict(self.base)
        rules = self.rules_after(parents[0]) if parents else self.base
        touched = sorted({p for _, p, _ in changes if rules.is_protected(p)})
        adopted: Rules | None = rules
        findings: list[Finding] = []
        if touched:
            taken = self._taken_from_a_parent(commit, parents, rules, tree_of)
            adopted, findings = (taken, []) if taken is not None else self._signed_change(commit, touched, rules)
        self.after[commit] = adopted or rules
        return Verdict(rules, findings)

    def _taken_from_a_parent(self, commit: str, parents: list[str], rules: Rules, tree_of: Any) -> Rules | None:
        """A merge whose protected files are exactly those of another parent whose rules are in force."""
        if len(parents) < 2:
            return None
        mine = {p: o for p, o in tree_of(commit).items() if rules.is_protected(p)}
        for parent in parents[1:]:
            theirs = self.rules_after(parent)
            if theirs.files == mine and {p: o for p, o in tree_of(parent).items() if rules.is_protected(p)} == mine:
                return theirs
        return None

    def _signed_change(self, commit: str, touched: list[str], rules: Rules) -> tuple[Rules | None, list[Finding]]:
        self._verify([commit], rules)
        sig = self._signatures[(commit, rules.commit)]
        signer = rules.policy.handler(sig.principal) if sig.good else None
        where, what = touched[0], _paths(touched)
        if signer is None or not signer.may_sign_rules:
            if rules.signers:
                return None, [_found(where, None, f"規則のファイル（{what}）を変更するコミットですが、"
                                     f"{_why_not(sig, signer)}規則の変更は、{rules.who_may_sign()}が署名したコミット"
                                     f"でなければ受け付けません（信頼の基点 {rules.commit[:10]} の {HANDLERS_FILE}）。"
                                     + HOW_TO_SIGN)]
            window = _found(where, None, f"規則のファイル（{what}）の変更を署名なしで受け付けました。{HANDLERS_FILE} に"
                            "署名鍵のある甲の有効な取扱者がまだいないためです（初期設定の間だけ）。甲の取扱者を署名鍵つきで"
                            "登録してください: saiken handler signing-key ID --key \"$(cat ~/.ssh/saiken_signing.pub)\"",
                            severity=WARNING)
            return self._adopt(commit, what, rules, [window])
        return self._adopt(commit, what, rules, [])

    def _adopt(self, commit: str, what: str, rules: Rules, findings: list[Finding]) -> tuple[Rules | None, list[Finding]]:
        """The commit's own rules, read in full, in force from the next commit on."""
        try:
            new = Rules.load(self.cwd, commit)
        except SaikenError as exc:
            place = f"{exc.where}: " if exc.where else ""
            return None, findings + [_found(exc.where or what, None, f"このコミットの規則を読めないため、受け付けません"
                                            f"（{place}{exc.message}）。{exc.hint or ''}")]
        if rules.signers and not new.signers:  # the set-up window, once closed, stays closed
            return None, findings + [_found(HANDLERS_FILE, None, "このコミットのあとには、規則の変更に署名できる甲の有効な"
                                            "取扱者（署名鍵のある者）がいなくなります。後任を署名鍵つきで先に登録してから"
                                            "解除してください: saiken handler add … --org 甲 --signing-key …")]
        return new, findings


def _paths(paths: list[str]) -> str:
    return "、".join(paths[:5]) + (f" ほか {len(paths) - 5} 件" if len(paths) > 5 else "")


def _why_not(sig: signing.Signature, signer: Handler | None) -> str:
    if signer is not None:
        if not signer.active:
            return f"署名は指定を解除された取扱者 {signer.id} の鍵によるものです。"
        return f"署名は{signer.organisation}の取扱者 {signer.id} の鍵によるものです。"
    return {
        "N": "署名がありません。",
        "U": f"署名の鍵（{sig.fingerprint}）は {HANDLERS_FILE} のどの取扱者の署名鍵（signing_key）でもありません。",
        "B": "署名が正しくありません（署名したあとでコミットが変えられています）。",
    }.get(sig.status, "署名を確かめられません（SSH の署名ではないか、ssh-keygen がありません）。")
