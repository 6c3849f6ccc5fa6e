"""Benchmark the server's pre-receive hook: a push of C commits into a repository of N records.

    .venv/bin/python scripts/bench/bench_receive.py 10000            # 100 commits, temp dir removed after
    .venv/bin/python scripts/bench/bench_receive.py 10000 --commits 100 --keep DIR

Builds the repository of scripts/bench/bench_check.py (N fictional records, 架空, encrypted
in-process), with one 甲 handler who signs (an ssh-ed25519 signing key made with ssh-keygen) and the
乙 handler who writes records; pushes it into a bare repository before the hook is installed (the
server's history), then installs the documented hook (`exec saiken hook pre-receive`, with the
server's identity) and times, through real `git push`:

    first push, cold cache    one commit, the server's cache still empty (opens every record once)
    C commits                 C commits, each changing one record and its manifest line
    C commits + signed rules  the same, the first of them a signed change of policies/ (the rules
                              of the commits after it come from that commit)
    refused: unsigned rules   C commits, the first an unsigned change of policies/ (refused)

Prints wall and CPU seconds (user+sys of every process the push started, the hook included), and
those of the same push into a copy of the server without the hook (git's own share).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from faker import Faker

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_check import SAIKEN, make_repo, record_text, run_timed  # noqa: E402
from bench_hooks import timed as must  # noqa: E402  (exits on failure)
from saiken.core import crypto, layout, manifest, policy  # noqa: E402

EMAIL = "otsu-01@example.invalid"
WARD_EMAIL = "kou-01@example.invalid"


def signing_key(base: Path) -> tuple[Path, str]:
    key = base / "kou-01-signing"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "kou-01", "-f", str(key)], check=True)
    return key, " ".join(key.with_suffix(".pub").read_text().split()[:2])


def ward(public_key: str) -> tuple[str, str]:
    """kou-01 (甲, 取扱責任者) with a signing key: its line of policies/handlers.yaml and age key."""
    _secret, age_public = crypto.generate_identity()
    return (f"  - {{id: kou-01, name: 架空 花子, organisation: 甲, role: 取扱責任者, public_key: {age_public}, "
            f"signing_key: {public_key}, designated: 2021-04-01, active: true, email: {WARD_EMAIL}}}\n"), age_public


def give_email(root: Path) -> None:
    """The records' handler commits with its e-mail (term 13)."""
    handlers = root / "policies" / "handlers.yaml"
    text = handlers.read_text(encoding="utf-8")
    handlers.write_text(text.replace("active: true}\n", f"active: true, email: {EMAIL}}}\n", 1), encoding="utf-8")


class Pusher:
    def __init__(self, root: Path, env: dict[str, str], key: Path, sign_key: Path) -> None:
        self.root, self.env, self.sign_key = root, env, sign_key
        self.identity = crypto.load_identities([key])[0]
        self.keys = [crypto.RecipientKey.parse(h.public_key) for h in policy.load_handlers(root)]
        self.fake = Faker("ja_JP")
        self.serial = 0

    def record_commits(self, count: int) -> None:
        """`count` commits by the 乙 handler, each one record rewritten (and its manifest line)."""
        for _ in range(count):
            self.serial += 1
            i = self.serial % 5000 + 1
            victim = self.root / layout.record_rel(f"C-B{i:07d}")
            data = crypto.encrypt(record_text(i, self.fake).encode(), self.keys)  # as saiken writes: provable
            victim.write_bytes(data)
            manifest.record_written(self.root, victim.name[: -len(".yaml.age")], data, self.keys)
            must(self.root, self.env, "git", "add", str(victim), layout.manifest_rel(f"C-B{i:07d}"))
            must(self.root, self.env, "git", "commit", "-q", "--no-verify", "-m", f"事案 C-B{i:07d} を更新")

    def rules_commit(self, signed: bool) -> None:
        """The ward changes the rules (one more prohibited word): signed, or not."""
        lexicon = self.root / "policies" / "prohibited-categories.yaml"
        self.serial += 1
        lexicon.write_text(lexicon.read_text(encoding="utf-8") + f"# 改訂 {self.serial}\n", encoding="utf-8")
        must(self.root, self.env, "git", "add", str(lexicon))
        sign = ["-c", "gpg.format=ssh", "-c", f"user.signingkey={self.sign_key}", "commit", "-S"] if signed \
            else ["commit"]
        must(self.root, {**self.env, "GIT_AUTHOR_EMAIL": WARD_EMAIL, "GIT_COMMITTER_EMAIL": WARD_EMAIL},
             "git", *sign, "-q", "--no-verify", "-m", "収集禁止の語を改訂")

    def push(self, label: str, *, refused: bool = False) -> None:
        """The push to the server (hook included), then the same push to a copy without a hook: the
        difference is what the hook costs."""
        wall, cpu, proc = run_timed(["git", "push", "-q", "--no-verify", "origin", "HEAD:main"], self.root, self.env)
        if (proc.returncode != 0) != refused:
            raise SystemExit(f"{label}: push {'accepted' if refused else 'refused'}:\n{proc.stdout}\n{proc.stderr}")
        plain_wall, plain_cpu = must(self.root, self.env, "git", "push", "-q", "--force", "plain", "HEAD:main")
        print(f"{label:<34} {wall:6.2f} s wall {cpu:6.2f} s cpu  {'refused' if refused else 'accepted'}"
              f"   (without the hook: {plain_wall:5.2f} s wall {plain_cpu:5.2f} s cpu)")
        if refused:  # as the server has it
            must(self.root, self.env, "git", "push", "-q", "--force", "plain", "origin/main:main")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("n", type=int)
    ap.add_argument("--commits", type=int, default=100)
    ap.add_argument("--keep", type=Path)
    a = ap.parse_args()
    base = a.keep or Path(tempfile.mkdtemp(prefix="saiken-bench-receive-"))
    root, bare = base / "repo", base / "server.git"
    try:
        base.mkdir(parents=True, exist_ok=True)
        sign_key, sign_public = signing_key(base)
        line, ward_public = ward(sign_public)
        key = make_repo(root, a.n, 1, line, (ward_public,))
        give_email(root)
        env = {"PATH": f"{SAIKEN.parent}:/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": str(base),
               "GIT_AUTHOR_NAME": "架空 太郎", "GIT_AUTHOR_EMAIL": EMAIL, "GIT_CONFIG_NOSYSTEM": "1",
               "GIT_COMMITTER_NAME": "架空 太郎", "GIT_COMMITTER_EMAIL": EMAIL}
        must(root, env, "git", "add", "-A")
        must(root, env, "git", "commit", "-q", "--no-verify", "-m", "記録を登録（ベンチマーク）")
        must(base, env, "git", "init", "-q", "--bare", str(bare))
        must(root, env, "git", "remote", "add", "origin", str(bare))
        must(root, env, "git", "push", "-q", "origin", "HEAD:main")
        must(base, env, "git", "clone", "-q", "--bare", str(bare), str(base / "plain.git"))
        must(root, env, "git", "remote", "add", "plain", str(base / "plain.git"))
        must(root, env, "git", "fetch", "-q", "origin")
        hook = bare / "hooks" / "pre-receive"
        hook.write_text(f"#!/bin/sh\nexport SAIKEN_IDENTITY='{key}'\nexec '{SAIKEN}' hook pre-receive\n")
        hook.chmod(0o755)
        pusher = Pusher(root, env, key, sign_key)
        print(f"{a.n} records, pushes of {a.commits} commits through the pre-receive hook")
        pusher.record_commits(1)
        pusher.push("first push, cold cache (1 commit)")
        pusher.record_commits(a.commits)
        pusher.push(f"{a.commits} commits")
        pusher.rules_commit(signed=True)
        pusher.record_commits(a.commits - 1)
        pusher.push(f"{a.commits} commits, 1st signed rules")
        pusher.rules_commit(signed=False)
        pusher.record_commits(a.commits - 1)
        pusher.push(f"{a.commits} commits, 1st unsigned rules", refused=True)
    finally:
        if a.keep is None:
            shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
