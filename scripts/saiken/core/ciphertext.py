"""Whether an age file's payload is ciphertext, judged without any key.

A server that holds no key cannot decrypt, so a file with a genuine age header followed by plaintext
would pass a header check alone. After the header, age writes a 16-byte nonce and the STREAM: chunks
of 64 KiB of plaintext, each followed by a 16-byte tag; only the last chunk may be shorter, and it
is empty only when the whole plaintext is. Ciphertext cannot be told from random bytes, so:

    size      the payload must be 16 + a valid chunking: at least one tag; a last chunk of 1–64 KiB
              plus its tag (0 bytes only as the sole chunk)
    text      random bytes hold no long run of text: 40 printable ASCII characters in a row, or eight
              UTF-8 kana/kanji with only ASCII between them, occur in random data once in ~10^16
              places – in a plaintext YAML, on every line
    variety   a sample of 256 bytes from the start and one from the end hold about 162 distinct byte
              values when random (never fewer than 142 in 20,000 tries; 5 is one standard deviation);
              text in any encoding (UTF-16, Shift_JIS, EUC-JP) holds at most ~100. Fewer than 80 % of
              the expected count (for samples of 256 bytes: a shorter payload is judged by
              its size and runs of text alone) is refused.
Each test is one pass of C code over the bytes (bytes.translate, a substring search, a set of the
sample's bytes): the checks' budget per record is a fraction of a millisecond.

What cannot be known without a key: a few bytes of text shorter than the runs above (a name of four
kanji alone in a file), data compressed or encrypted by something else, and whether the MAC and tags
are right – a holder of a key finds those when the record does not open (the recipients check).
"""

from __future__ import annotations

from saiken.core import agefile

NONCE = 16
TAG = 16
CHUNK = 64 * 1024
# Each byte as its class: a printable ASCII, L the lead byte of a 3-byte UTF-8 kana/kanji, c a
# continuation byte, . anything else
_CLASSES = bytes(ord("a") if b in b"\t\n\r" or 0x20 <= b <= 0x7E else ord("L") if 0xE3 <= b <= 0xE9
                 else ord("c") if 0x80 <= b <= 0xBF else ord(".") for b in range(256))
_ASCII_RUN = b"a" * 40
_UTF8_RUN = b"Lcc" * 8
_ASCII_PRINTABLE = bytes(b for b in range(256) if b in b"\t\n\r" or 0x20 <= b <= 0x7E)
_SAMPLE = 256
# 80 % of the distinct byte values expected in 256 random bytes (~162; one standard deviation is 5)
_FEWEST_VALUES = 0.8 * 256 * (1 - (255 / 256) ** _SAMPLE)


def payload_start(binary: bytes) -> int:
    """Where the payload begins in a binary age file whose header parsed (after the MAC line)."""
    return binary.index(b"\n", binary.index(b"\n--- ") + 1) + 1


def payload_problem(data: bytes) -> str | None:
    """Why the payload of an age file (binary or armored) is not ciphertext, in Japanese; None
    when it looks like ciphertext. The header must already have parsed (saiken.core.agefile)."""
    _, binary = agefile.parse(data)
    payload = binary[payload_start(binary):]
    why = size_problem(len(payload))
    if why is None and _holds_text(payload):
        why = "暗号文にはない、文字の並びがあります"
    if why is None and _too_few_byte_values(payload):
        why = "暗号文にはない偏りがあります（使われているバイトの種類が少なすぎます）"
    return why


def size_problem(size: int) -> str | None:
    """Why a payload of `size` bytes cannot be nonce + STREAM chunks, or None."""
    body = size - NONCE
    if body < TAG:
        return "暗号文が短すぎます"
    last = body % (CHUNK + TAG)
    if body > CHUNK + TAG and last == TAG:
        return "暗号文の長さが age の形式と合いません（空の最後のかたまり）"
    if 0 < last < TAG:
        return "暗号文の長さが age の形式と合いません"
    return None


def _holds_text(payload: bytes) -> bool:
    if _ASCII_RUN in payload.translate(_CLASSES):
        return True
    return _UTF8_RUN in payload.translate(_CLASSES, _ASCII_PRINTABLE)  # kana/kanji with ASCII between dropped


def _too_few_byte_values(payload: bytes) -> bool:
    if len(payload) < _SAMPLE:
        return False  # judged by its size and runs of text alone
    samples = (payload[:_SAMPLE], payload[-_SAMPLE:]) if len(payload) >= 2 * _SAMPLE else (payload[:_SAMPLE],)
    return any(len(set(sample)) < _FEWEST_VALUES for sample in samples)
