"""Commit signatures made and verified by git itself, with SSH keys (gpg.format ssh).

A change to the rules (saiken.checks.trust) is let in only when its commit carries a good signature
by a key the trusted rules name. git does the cryptography: `git log --format=%G?` asks ssh-keygen
(`-Y find-principals`, then `-Y verify`) against an allowed-signers file written from the trusted
policies/handlers.yaml – one line per handler with a `signing_key`, the handler id as principal:

    kou-01 namespaces="git" ssh-ed25519 AAAAC3Nza…

git's verdict per commit (%G?) is G (good, and the key is in the file: %GS names the principal),
U (good signature, but by a key the file does not list), N (no signature), B (bad: the commit was
changed after it was signed) or E (could not be checked: no ssh-keygen, or not an SSH signature).
Which principal may sign what is decided by the caller; this module only says who signed.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from saiken.core import sshkey
from saiken.errors import SaikenError
from saiken.git import gitio

# A principal is a pattern list for ssh-keygen (`*`, `?`, `,` and `!` mean something there): only
# plain names are written, so that one handler's line can never match another's key.
_PRINCIPAL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
_FORMAT = "%H%x00%G?%x00%GS%x00%GF%x00"


@dataclass(frozen=True)
class Signature:
    status: str  # git's %G?
    principal: str = ""  # the allowed-signers name of the key (with status G)
    fingerprint: str = ""  # SHA256:… of the key that signed, as ssh-keygen -l shows it

    @property
    def good(self) -> bool:
        """A good signature by a key of the allowed-signers file."""
        return self.status == "G" and bool(self.principal)


def allowed_signers(signers: Iterable[tuple[str, str]]) -> str:
    """The allowed-signers file for (principal, ssh-ed25519 public key) pairs."""
    return "".join(f'{name} namespaces="git" {key}\n' for name, key in signers if _PRINCIPAL.match(name))


def verify(cwd: Path, commits: list[str], signers: Iterable[tuple[str, str]]) -> dict[str, Signature]:
    """Each commit's signature as git verifies it against `signers`, in one `git log`."""
    if not commits:
        return {}
    with tempfile.NamedTemporaryFile("w", prefix="saiken-signers-", suffix=".txt", encoding="utf-8") as fh:
        fh.write(allowed_signers(signers))
        fh.flush()
        out = gitio.text(["-c", "gpg.format=ssh", "-c", f"gpg.ssh.allowedSignersFile={fh.name}",
                          "-c", "gpg.ssh.program=ssh-keygen", "-c", "log.showSignature=false",
                          "log", "--no-walk=unsorted", "--stdin", f"--format={_FORMAT}"], cwd,
                         input="".join(c + "\n" for c in commits).encode())
    found: dict[str, Signature] = {}
    fields = out.split("\0")
    for i in range(0, len(fields) - 4, 4):
        commit, status, principal, fp = (f.strip() for f in fields[i:i + 4])
        found[commit] = Signature(status or "E", principal, fp)
    return {c: found.get(c, Signature("E")) for c in commits}


# --- the user's own key ---------------------------------------------------------------------------

def user_signing_key(cwd: Path) -> str | None:
    """The ssh-ed25519 public key git would sign with here (`user.signingkey`: a key file, its .pub,
    or the key itself), or None when none is set or it is not an ssh-ed25519 key."""
    value = gitio.config_get(cwd, "user.signingkey")
    if not value:
        return None
    value = value.removeprefix("key::")
    if value.startswith("ssh-"):
        return _public_text(value)
    path = Path(value).expanduser()
    path = path if path.is_absolute() else cwd / path
    for candidate in ((path,) if path.suffix == ".pub" else (path.with_name(path.name + ".pub"), path)):
        try:
            data = candidate.read_bytes()
        except OSError:
            continue
        if sshkey.looks_like_openssh(data):
            try:
                return _public_text(sshkey.read_private_key_info(data).public_text)
            except sshkey.SSHKeyFormatError:
                return None
        return _public_text(data.decode("utf-8", "replace"))
    return None


def _public_text(text: str) -> str | None:
    try:
        return sshkey.ed25519_public_text(text)
    except sshkey.SSHKeyFormatError:
        return None


def signed_commit(cwd: Path, paths: list[str], message: str) -> str:
    """Stage and commit exactly `paths`, signed with the user's SSH key; returns the commit id."""
    gitio.run(["add", "--", *paths], cwd)
    try:
        gitio.run(["-c", "gpg.format=ssh", "commit", "-q", "-S", "-m", message, "--", *paths], cwd)
    except gitio.GitError as exc:
        raise SaikenError("署名付きのコミットに失敗しました（変更は作業ツリーに残っています）。\n" + exc.stderr.strip(),
                          hint="`git config user.signingkey` の鍵と ssh-agent を確かめ、`git commit -S -- "
                               + " ".join(paths) + "` でコミットしてください（docs/keys.md）。") from None
    return gitio.text(["rev-parse", "HEAD"], cwd).strip()
