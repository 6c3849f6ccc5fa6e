"""YAML in and out, in two speeds.

Bulk reads (list, check --all) use yaml-rs (a Rust parser), about 10x faster again than PyYAML's
C safe loader (~4 ms for a large record, mostly building Python event objects); anything yaml-rs
refuses is handed to PyYAML, so errors read the same. Other reads use PyYAML's C safe loader.
Edits that must keep the user's comments and layout use ruamel.yaml round-trip, which is ~10x
slower and so is used only for the one file being written. All three refuse YAML anchors and
aliases (an alias bomb expands a few bytes into gigabytes) – yaml-rs by its alias limits, the other
two by one scan of the C parser's events that names the line (refuse_anchors) – and anything that is
not plain data. Policy and ledger files are also capped in size (size_limit).
"""

from __future__ import annotations

import functools
import io
from typing import Any, Iterator

import yaml

from saiken.errors import SaikenError

try:
    import yaml_rs
    _NO_ALIASES = yaml_rs.AliasLimits(max_alias_expansions_per_anchor=0, max_replay_stack_depth=0,
                                      max_total_replayed_events=0)
except ImportError:  # a platform without its wheel: PyYAML alone, only slower
    yaml_rs = None


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """The C safe loader, except that an impossible date (2021-02-30) stays a string.

    PyYAML raises a bare ValueError for it; as a string it reaches the schema, which names the field.
    """


def _timestamp(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    try:
        return yaml.constructor.SafeConstructor.construct_yaml_timestamp(loader, node)
    except ValueError:
        return loader.construct_scalar(node)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)


def decode(raw: bytes, *, where: str) -> str:
    """A YAML file's bytes as text: UTF-8 (a leading BOM, as Windows editors write it, dropped).
    Anything else – typically Shift_JIS from a ward PC – is refused with the command that converts it."""
    try:
        return raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError:
        pass
    try:
        raw.decode("cp932")
        found, source = "Shift_JIS（CP932）で保存されているようです", "CP932"
    except UnicodeDecodeError:
        found, source = "文字コードが分かりません", "元の文字コード"
    raise SaikenError(f"UTF-8 のテキストではありません（{found}）。", where=where,
                      hint=f"エディタで文字コードを UTF-8 にして保存し直すか、`iconv -f {source} -t UTF-8 {where} "
                           f"> {where}.utf8 && mv {where}.utf8 {where}` で変換してください。")


def _position(exc: Exception) -> str:
    mark = getattr(exc, "problem_mark", None)
    return f"{mark.line + 1} 行 {mark.column + 1} 列" if mark is not None else ""


# Caps on the size of a file of rules (policies/, ledger/consents.yaml) and of any other ledger
# file (a log that grows for years): a few MB of YAML is read in well under a second.
MAX_RULES_BYTES = 1 << 20
MAX_LEDGER_BYTES = 16 << 20
RULES = "ポリシー・台帳のファイル"  # what a message calls the files these caps are for


def size_limit(rel: str) -> int:
    """The cap for a policy or ledger file by its path."""
    return MAX_LEDGER_BYTES if rel.startswith("ledger/") and rel != "ledger/consents.yaml" else MAX_RULES_BYTES


def refuse_oversize(size: int, *, where: str, limit: int) -> None:
    if size > limit:
        raise SaikenError(f"ファイルが大きすぎます（{size:,} バイト。上限は {limit:,} バイト）。", where=where,
                          hint=f"`git log -p -- {where}` で、いつ大きくなったかを確かめてください。")


def refuse_anchors(text: str, *, where: str | None = None, what: str = RULES) -> None:
    """Refuse a YAML anchor (&name) or alias (*name), naming its line: an alias lets a few bytes
    stand for gigabytes (a 1.7 KB "alias bomb" grows to 3 GB when walked), and no file saiken reads
    needs one. Read as YAML events by the C parser, before any loader builds anything; text without
    `&` or `*` cannot hold either, and is not read twice. Syntax errors are the loader's to name."""
    if "&" not in text and "*" not in text:
        return
    try:
        for event in yaml.parse(text, Loader=_Loader):
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                line = event.start_mark.line + 1
                raise SaikenError(f"YAML のエイリアス（& や *）は{what}では使えません（{line} 行目）。",
                                  where=where, hint="同じ内容を、使う場所ごとにそのまま書いてください。")
    except yaml.YAMLError:
        return


class YamlSyntaxError(SaikenError):
    """Text that is not YAML. The parser's `problem` may repeat a piece of the text (an alias, a
    tag, a character), so it is kept apart from the `position`: a check that reports a broken
    record quotes the problem as the record's own text (saiken.redaction)."""

    def __init__(self, position: str, problem: str, *, where: str | None = None) -> None:
        super().__init__(f"YAML として読めません（{position}: {problem}）。", where=where,
                         hint="インデントや「:」のあとの空白を確かめてください。")
        self.position = position
        self.problem = problem


def leaves(node: Any) -> Iterator[Any]:
    """Every value in a tree of mappings and lists that is neither (strings, numbers, dates…)."""
    if isinstance(node, dict):
        for child in node.values():
            yield from leaves(child)
    elif isinstance(node, list):
        for child in node:
            yield from leaves(child)
    else:
        yield node


def fast_load(text: str, *, where: str | None = None, what: str = "記録") -> Any:
    """PyYAML's C safe loader; an anchor or alias is refused first, with its line (refuse_anchors)."""
    refuse_anchors(text, where=where, what=what)
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - CSafeLoader is the safe loader
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(_position(exc), str(getattr(exc, "problem", exc)), where=where) from None
    except (ValueError, TypeError, RecursionError) as exc:  # constructors fail outside YAMLError
        raise SaikenError(f"YAML として読めません（{type(exc).__name__}）。", where=where) from None


def bulk_load(text: str, *, where: str | None = None) -> Any:
    """The fast path for reading many records. Its values go through the same schema validation
    as fast_load's. Differences are YAML 1.2's: `yes` stays text (a validation error either way for
    a flag), `2021-05-10 10:00` is read as a datetime (the schema turns the text into one too)."""
    if yaml_rs is None or "&" in text:  # an anchor without an alias passes yaml-rs's limits
        return fast_load(text, where=where)
    try:
        return yaml_rs.loads(text, alias_limits=_NO_ALIASES)
    except Exception:  # aliases, bad syntax, tags, duplicate keys: PyYAML gives the user's message
        return fast_load(text, where=where)


@functools.cache
def _rt_class() -> Any:
    """ruamel.yaml's YAML class with saiken's constructor; imported on first use (it costs a
    hook 20 ms at start-up, and only commands that write a record need it)."""
    from ruamel.yaml import YAML
    from ruamel.yaml.constructor import RoundTripConstructor

    class _RtConstructor(RoundTripConstructor):
        def construct_yaml_timestamp(self, node: Any, values: Any = None) -> Any:
            try:
                return super().construct_yaml_timestamp(node, values)
            except ValueError:  # an impossible date: leave it to the schema, as in fast_load
                return self.construct_scalar(node)

    _RtConstructor.add_constructor("tag:yaml.org,2002:timestamp", _RtConstructor.construct_yaml_timestamp)
    return YAML, _RtConstructor


def _rt() -> Any:
    yaml_class, constructor = _rt_class()
    y = yaml_class(typ="rt")
    y.Constructor = constructor
    y.preserve_quotes = True
    y.width = 4096
    y.allow_unicode = True
    y.indent(mapping=2, sequence=4, offset=2)
    # one object in two places (a date given to two fields) is written out twice, never as an
    # anchor and alias: every reader refuses those (refuse_anchors)
    y.representer.ignore_aliases = lambda data: True
    return y


def rt_load(text: str, *, where: str | None = None) -> Any:
    """ruamel.yaml round-trip (comments kept), for a file about to be edited; no anchor or alias
    (refuse_anchors), so nothing is shared between two places of the edited data."""
    from ruamel.yaml.error import MarkedYAMLError

    if where is not None and where.startswith(("policies/", "ledger/")):
        refuse_oversize(len(text.encode("utf-8")), where=where, limit=size_limit(where))
    refuse_anchors(text, where=where, what="記録・ポリシー・台帳のファイル")
    try:
        return _rt().load(text)
    except MarkedYAMLError as exc:
        raise SaikenError(f"YAML として読めません（{_position(exc)}: {exc.problem}）。", where=where,
                          hint="インデントや「:」のあとの空白を確かめてください。") from None
    except Exception as exc:  # ruamel raises several unrelated types for bad input
        raise SaikenError(f"YAML として読めません（{exc}）。", where=where) from None


def rt_dump(data: Any) -> str:
    buf = io.StringIO()
    _rt().dump(data, buf)
    return buf.getvalue()
