"""Record text quoted in a finding, and the rule for when it is hidden.

A check that repeats what a record says – a value the schema refuses, the words around a
prohibited term, a key the schema does not know, a party's name found in a file name – wraps
that text with `quoted()`. The wrapping is two private-use characters, so the quoted parts travel
inside ordinary strings (a validator's problem, a finding's message, field path or file) and
are dealt with once, where a finding is printed:

    shown(text)     the handler's own terminal: the wrapping removed, the text as it is
    redacted(text)  a log: each quoted part replaced by MARK

Where the output is a log – a CI job (the `CI` variable that CI systems set), the server's
`saiken hook pre-receive` (shown to the pusher and kept in server logs), or `saiken check
--redact` – findings are redacted (`wanted`). The check id, the special terms, the file, the
field path, the category and the fix command stay; the handler opens the record locally to see
the text.
"""

from __future__ import annotations

import os
import re

OPEN, CLOSE = "\ue000", "\ue001"
MARK = "〔省略〕"
NOTE = (f"記録の文言は{MARK}と表示しています（出力がログに残るため）。鍵を持つ取扱者が手元で "
        "`saiken check` を実行すると、その箇所の文言が表示されます。")
_QUOTED = re.compile(f"{OPEN}[^{CLOSE}]*{CLOSE}")
_FALSE = ("", "0", "false", "no", "off")


def quoted(value: object) -> str:
    """`value` as text marked as the record's own; wrapping characters inside it are dropped, so a
    value cannot close its quote early and leave the rest in the open."""
    text = str(value).replace(OPEN, "").replace(CLOSE, "")
    return f"{OPEN}{text}{CLOSE}"


def shown(text: str) -> str:
    return text.replace(OPEN, "").replace(CLOSE, "") if OPEN in text else text


def redacted(text: str) -> str:
    if OPEN not in text:
        return text
    out = _QUOTED.sub(MARK, text)
    if OPEN in out:  # a quote that was cut off (never made by quoted()): hide the rest rather than show it
        out = out[:out.index(OPEN)] + MARK
    return out.replace(CLOSE, "")


def has_quotes(text: str | None) -> bool:
    return bool(text) and OPEN in text  # type: ignore[operator]


def view(text: str, redact: bool) -> str:
    return redacted(text) if redact else shown(text)


def wanted(explicit: bool = False) -> bool:
    """Redact when asked to, or when running in CI (`CI` set to anything but false/0/no/off)."""
    return explicit or os.environ.get("CI", "").strip().lower() not in _FALSE
