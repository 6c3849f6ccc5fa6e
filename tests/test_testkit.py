"""Every age test vector either opens to its payload or fails with a clear error of the right kind."""

from __future__ import annotations

import hashlib
import zlib
from pathlib import Path

import pytest

from conftest import DATA
from saiken.core import crypto
from saiken.errors import DecryptFailure, SaikenError

VECTORS = DATA / "age-testkit"
KINDS = {"success": "success", "HMAC failure": "hmac", "header failure": "header", "armor failure": "armor",
         "payload failure": "payload", "no match": "no match"}


def _public_test_identity() -> str:
    """The kit's own public test key, for the two vectors that name none (they fail before it is used)."""
    head = (VECTORS / "x25519").read_bytes().partition(b"\n\n")[0].decode()
    return next(line.split(": ", 1)[1] for line in head.splitlines() if line.startswith("identity: "))


def _vector(name: str) -> tuple[dict[str, list[str]], bytes]:
    raw = (VECTORS / name).read_bytes()
    head, _, body = raw.partition(b"\n\n")
    meta: dict[str, list[str]] = {}
    for line in head.decode().splitlines():
        key, _, value = line.partition(": ")
        meta.setdefault(key, []).append(value)
    if meta.get("compressed") == ["zlib"]:
        body = zlib.decompress(body)
    return meta, body


NAMES = sorted(p.name for p in VECTORS.iterdir() if p.name not in ("README.md", "LICENSE"))


def test_all_143_vectors_present() -> None:
    assert len(NAMES) == 143


@pytest.mark.parametrize("name", NAMES)
def test_vector(name: str) -> None:
    meta, body = _vector(name)
    expected = KINDS[meta["expect"][0]]
    if name.startswith(("hybrid", "armor_hybrid")):
        # Post-quantum identities: saiken refuses them clearly rather than half-supporting them.
        with pytest.raises(SaikenError, match="ポスト量子"):
            crypto.parse_identities(Path(name), "\n".join(meta["identity"]).encode())
        return
    try:
        if "passphrase" in meta:
            plain = crypto.decrypt_with_passphrase(body, meta["passphrase"][0], where=name)
        else:
            ids = crypto.parse_identities(Path(name), "\n".join(meta.get("identity", [_public_test_identity()])).encode())
            plain = crypto.decrypt(body, ids, where=name)
    except DecryptFailure as exc:
        assert exc.kind == expected, exc.render()
        assert exc.message and "Traceback" not in exc.render()
        assert exc.where == name
        return
    assert expected == "success", f"{name} opened but should fail with {expected}"
    assert hashlib.sha256(plain).hexdigest() == meta["payload"][0]
