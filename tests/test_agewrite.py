"""saiken's age writer and the stanza proof, against the real age CLI and real pyrage.

Files saiken writes open with `age -d` and pyrage (X25519 and ssh-ed25519 identities, empty,
one-chunk, multi-chunk and exactly-64-KiB payloads, binary and armored); a holder of the file key
proves every stanza, and an outsider's, a substituted, a duplicated stanza or a file written by age
or pyrage is told apart from a proven one. Plaintexts are random bytes or fictional text (架空).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pyrage
import pytest
from pyrage import x25519

from saiken.core import agefile, agewrite, crypto, stanzas

CHUNK = agewrite.CHUNK_SIZE
SIZES = [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, 3 * CHUNK + 17]


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    d = tmp_path_factory.mktemp("keys")
    age_key = d / "age.txt"
    subprocess.run(["age-keygen", "-o", str(age_key)], check=True, capture_output=True)
    ssh_key = d / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "fictional@example.invalid",
                    "-f", str(ssh_key)], check=True)
    other = d / "other.txt"
    subprocess.run(["age-keygen", "-o", str(other)], check=True, capture_output=True)
    loaded = {p: crypto.load_identities([p])[0] for p in (age_key, ssh_key, other)}
    return {"age": age_key, "ssh": ssh_key, "other": other, "loaded": loaded,
            "age_pub": loaded[age_key].public, "ssh_pub": ssh_key.with_name("id_ed25519.pub").read_text().strip(),
            "other_pub": loaded[other].public, "dir": d}


def _age_decrypt(key: Path, data: bytes) -> bytes:
    proc = subprocess.run(["age", "-d", "-i", str(key)], input=data, capture_output=True)
    assert proc.returncode == 0, proc.stderr.decode()
    return proc.stdout


def _recipients(*texts: str) -> list[crypto.RecipientKey]:
    return [crypto.RecipientKey.parse(t) for t in texts]


def _holder(keys: dict[str, object], name: str) -> stanzas.Holder:
    ident = keys["loaded"][keys[name]]  # type: ignore[index]
    return stanzas.holder(ident.public, ident.scalar)


def _handlers(keys: dict[str, object], *names: str) -> list[tuple[str, str]]:
    return [(n, crypto.RecipientKey.parse(str(keys[f"{n}_pub"])).text) for n in names]


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("armored", [False, True], ids=["binary", "armored"])
def test_written_files_open_with_the_age_cli_and_pyrage(keys: dict[str, object], size: int, armored: bool) -> None:
    plain = os.urandom(size)
    data = crypto.encrypt(plain, _recipients(str(keys["age_pub"]), str(keys["ssh_pub"])), armored=armored)
    assert data.startswith(b"-----BEGIN AGE ENCRYPTED FILE-----\n" if armored else b"age-encryption.org/v1\n")
    assert _age_decrypt(keys["age"], data) == plain  # type: ignore[arg-type]
    assert _age_decrypt(keys["ssh"], data) == plain  # type: ignore[arg-type]
    for path in (keys["age"], keys["ssh"]):
        assert crypto.decrypt(data, [keys["loaded"][path]]) == plain  # type: ignore[index]
    assert pyrage.decrypt(agefile.parse(data)[1], [keys["loaded"][keys["age"]].identity]) == plain  # type: ignore[index]


def test_payload_is_chunked_as_the_spec_says(keys: dict[str, object]) -> None:
    """STREAM: 64 KiB chunks plus 16-byte tags, the last one flagged; an exact multiple of 64 KiB
    ends with a full chunk (no empty one), and an empty payload is one empty chunk."""
    header = len(crypto.encrypt(b"", _recipients(str(keys["age_pub"])))) - agewrite.NONCE_SIZE - 16
    for size, chunks in ((0, 1), (1, 1), (CHUNK, 1), (CHUNK + 1, 2), (2 * CHUNK, 2)):
        data = crypto.encrypt(b"\0" * size, _recipients(str(keys["age_pub"])))
        assert len(data) == header + agewrite.NONCE_SIZE + size + 16 * chunks


def test_age_cli_and_pyrage_files_still_open_in_saiken(keys: dict[str, object]) -> None:
    plain = "case_id: C-TEST0001\nnote: 架空\n".encode()
    by_cli = subprocess.run(["age", "-r", str(keys["age_pub"]), "-R", str(keys["ssh"]) + ".pub"], input=plain,
                            capture_output=True, check=True).stdout
    by_pyrage = pyrage.encrypt(plain, [x25519.Recipient.from_str(str(keys["age_pub"]))])
    for data in (by_cli, by_pyrage):
        assert crypto.decrypt(data, [keys["loaded"][keys["age"]]]) == plain  # type: ignore[index]
    assert crypto.decrypt(by_cli, [keys["loaded"][keys["ssh"]]]) == plain  # type: ignore[index]


def test_stanzas_are_reproducible_from_the_file_key_and_fresh_per_write(keys: dict[str, object]) -> None:
    recipients = _recipients(str(keys["age_pub"]), str(keys["ssh_pub"]))
    one, two = (agefile.parse(crypto.encrypt(b"x", recipients))[0] for _ in range(2))
    assert one.stanzas != two.stanzas  # a fresh file key each time: nothing links two writes
    assert [s.type for s in one.stanzas] == ["X25519", "ssh-ed25519"]
    for h in (_holder(keys, "age"), _holder(keys, "ssh")):
        opened = stanzas.open_file_key(one, [h])
        assert opened is not None
        file_key = opened[0]
        assert [stanzas.wrap(file_key, stanzas.target(r.text)) for r in recipients] == list(one.stanzas)


def test_proof_of_a_saiken_file(keys: dict[str, object]) -> None:
    data = crypto.encrypt(b"x", _recipients(str(keys["age_pub"]), str(keys["ssh_pub"])))
    header = agefile.parse(data)[0]
    handlers = _handlers(keys, "age", "ssh")
    for name in ("age", "ssh"):
        assert stanzas.prove(header, [_holder(keys, name)], handlers).state == stanzas.PROVEN
    assert stanzas.prove(header, [_holder(keys, "other")], handlers).state == stanzas.UNOPENED
    # the same file judged against a policy with one more handler: that handler's stanza is missing
    more = stanzas.prove(header, [_holder(keys, "age")], handlers + _handlers(keys, "other"))
    assert (more.state, more.missing, more.extra) == (stanzas.MISMATCH, ("other",), 0)


def _rebuild(data: bytes, keep: list[agefile.Stanza], holder: stanzas.Holder) -> bytes:
    """The same file (same file key, same payload) with other stanzas and a valid MAC: what a
    holder of the file key who wants to hand the record to someone else would write."""
    header, binary = agefile.parse(data)
    opened = stanzas.open_file_key(header, [holder])
    assert opened is not None
    payload = binary[len(header.mac_input):].split(b"\n", 1)[1]  # after "--- MAC\n"
    return agewrite.encode_header(keep, opened[0]) + payload


def test_outsider_added_and_handler_dropped_is_caught(keys: dict[str, object]) -> None:
    plain = b"case_id: C-TEST0001\n"
    data = crypto.encrypt(plain, _recipients(str(keys["age_pub"]), str(keys["ssh_pub"])))
    header = agefile.parse(data)[0]
    age_h = _holder(keys, "age")
    file_key = stanzas.open_file_key(header, [age_h])[0]  # type: ignore[index]
    outsider = stanzas.wrap(file_key, stanzas.target(str(keys["other_pub"])))
    for stanza_list, missing, extra in (
            ([header.stanzas[0], header.stanzas[1], outsider], (), 1),  # outsider added
            ([header.stanzas[0], outsider], ("ssh",), 1),  # ssh handler swapped for an outsider
            ([header.stanzas[0], header.stanzas[1], header.stanzas[1]], (), 1),  # a duplicate is extra
            ([header.stanzas[0]], ("ssh",), 0)):  # dropped
        forged = _rebuild(data, stanza_list, age_h)
        assert _age_decrypt(keys["age"], forged) == plain  # type: ignore[arg-type]  (still valid age)
        proof = stanzas.prove(agefile.parse(forged)[0], [age_h], _handlers(keys, "age", "ssh"))
        assert (proof.state, proof.missing, proof.extra) == (stanzas.MISMATCH, missing, extra)
    assert _age_decrypt(keys["other"], _rebuild(data, [header.stanzas[0], outsider], age_h)) == plain  # type: ignore[arg-type]


def test_a_substituted_random_stanza_for_a_handler_is_caught(keys: dict[str, object]) -> None:
    """Same count, same key for the handler, but a stanza age would write (random ephemeral):
    it opens for that handler, yet it is not the one saiken writes, so it proves nothing."""
    data = crypto.encrypt(b"x", _recipients(str(keys["age_pub"]), str(keys["other_pub"])))
    header = agefile.parse(data)[0]
    age_h = _holder(keys, "age")
    file_key = stanzas.open_file_key(header, [age_h])[0]  # type: ignore[index]
    by_pyrage = agefile.parse(pyrage.encrypt(b"", [x25519.Recipient.from_str(str(keys["other_pub"]))]))[0]
    foreign = [s for s in by_pyrage.stanzas if s.type == "X25519"][0]  # wraps another file key
    forged = _rebuild(data, [header.stanzas[0], foreign], age_h)
    proof = stanzas.prove(agefile.parse(forged)[0], [age_h], _handlers(keys, "age", "other"))
    assert (proof.state, proof.missing, proof.extra) == (stanzas.MISMATCH, ("other",), 1)
    assert file_key != stanzas.open_file_key(by_pyrage, [_holder(keys, "other")])[0]  # type: ignore[index]


@pytest.mark.parametrize("writer", ["age", "pyrage"])
def test_files_of_other_writers_cannot_be_proven(keys: dict[str, object], writer: str) -> None:
    plain = b"case_id: C-TEST0001\n"
    if writer == "age":
        data = subprocess.run(["age", "-r", str(keys["age_pub"]), "-R", str(keys["ssh"]) + ".pub"], input=plain,
                              capture_output=True, check=True).stdout
    else:
        data = pyrage.encrypt(plain, [r.recipient for r in _recipients(str(keys["age_pub"]), str(keys["ssh_pub"]))])
    proof = stanzas.prove(agefile.parse(data)[0], [_holder(keys, "age")], _handlers(keys, "age", "ssh"))
    assert proof.state == stanzas.UNPROVABLE and proof.missing == ("age", "ssh")


def test_a_header_edited_without_the_file_key_fails_the_mac(keys: dict[str, object]) -> None:
    data = crypto.encrypt(b"x", _recipients(str(keys["age_pub"])))
    header, binary = agefile.parse(data)
    extra = agewrite.encode_stanza(agefile.Stanza("X25519", header.stanzas[0].args, bytes(32)))
    forged = binary.replace(b"\n---", b"\n" + extra[:-1] + b"\n---", 1)
    proof = stanzas.prove(agefile.parse(forged)[0], [_holder(keys, "age")], _handlers(keys, "age"))
    assert proof.state == stanzas.BAD_MAC


def test_proof_takes_stanzas_in_any_order(keys: dict[str, object]) -> None:
    data = crypto.encrypt(b"x", _recipients(str(keys["age_pub"]), str(keys["ssh_pub"]), str(keys["other_pub"])))
    header = agefile.parse(data)[0]
    swapped = _rebuild(data, list(reversed(header.stanzas)), _holder(keys, "age"))
    proof = stanzas.prove(agefile.parse(swapped)[0], [_holder(keys, "ssh")], _handlers(keys, "age", "ssh", "other"))
    assert proof.state == stanzas.PROVEN


def test_the_holders_own_stanza_must_be_the_derived_one_too(keys: dict[str, object],
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """The proof saves work on the holder's own stanza (it opened already); a stanza that opens for
    the holder under the same file key but was written as age writes it (random ephemeral) still
    does not count as the holder's."""
    recipients = _recipients(str(keys["age_pub"]), str(keys["ssh_pub"]))
    data = crypto.encrypt(b"x", recipients)
    header = agefile.parse(data)[0]
    for name, index in (("age", 0), ("ssh", 1)):
        h = _holder(keys, name)
        file_key = stanzas.open_file_key(header, [h])[0]  # type: ignore[index]
        with monkeypatch.context() as m:
            m.setattr(stanzas, "ephemeral", lambda _key, _t: os.urandom(32))
            random_own = stanzas.wrap(file_key, stanzas.target(recipients[index].text))
        assert stanzas.unwrap(random_own, h) == file_key
        others = [s for i, s in enumerate(header.stanzas) if i != index]
        forged = _rebuild(data, [random_own, *others], h)
        proof = stanzas.prove(agefile.parse(forged)[0], [h], _handlers(keys, "age", "ssh"))
        assert (proof.state, proof.missing, proof.extra) == (stanzas.MISMATCH, (name,), 1)
