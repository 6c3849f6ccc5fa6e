"""YAML in and out, in two speeds.

Bulk reads (list, check --all, rekey) use PyYAML's C safe loader: about 4 ms for a large record.
Edits that must keep the user's comments and layout use ruamel.yaml round-trip, which is ~10x
slower and so is used only for the one record being written. Both refuse YAML aliases in records
(an alias bomb expands a few bytes into gigabytes) and anything that is not plain data.
"""

from __future__ import annotations

import io
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError

from saiken.errors import SaikenError


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


def _position(exc: Exception) -> str:
    mark = getattr(exc, "problem_mark", None)
    return f"{mark.line + 1} 行 {mark.column + 1} 列" if mark is not None else ""


def _reject_shared(node: Any, seen: set[int]) -> None:
    # An alias makes two places share one Python object: refuse rather than walk it.
    if isinstance(node, (dict, list)):
        if id(node) in seen:
            raise SaikenError("YAML のエイリアス（& や *）は記録では使えません。", hint="値をそのまま書いてください。")
        seen.add(id(node))
        for child in node.values() if isinstance(node, dict) else node:
            _reject_shared(child, seen)


def fast_load(text: str, *, where: str | None = None, allow_aliases: bool = False) -> Any:
    try:
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - CSafeLoader is the safe loader
    except yaml.YAMLError as exc:
        raise SaikenError(f"YAML として読めません（{_position(exc)}: {getattr(exc, 'problem', exc)}）。",
                          where=where, hint="インデントや「:」のあとの空白を確かめてください。") from None
    except (ValueError, TypeError, RecursionError) as exc:  # constructors fail outside YAMLError
        raise SaikenError(f"YAML として読めません（{type(exc).__name__}）。", where=where) from None
    if not allow_aliases:
        try:
            _reject_shared(data, set())
        except SaikenError as exc:
            exc.where = where
            raise
    return data


class _RtConstructor(RoundTripConstructor):
    def construct_yaml_timestamp(self, node: Any, values: Any = None) -> Any:
        try:
            return super().construct_yaml_timestamp(node, values)
        except ValueError:  # an impossible date: leave it to the schema, as in fast_load
            return self.construct_scalar(node)


_RtConstructor.add_constructor("tag:yaml.org,2002:timestamp", _RtConstructor.construct_yaml_timestamp)


def _rt() -> YAML:
    y = YAML(typ="rt")
    y.Constructor = _RtConstructor
    y.preserve_quotes = True
    y.width = 4096
    y.allow_unicode = True
    y.indent(mapping=2, sequence=4, offset=2)
    return y


def rt_load(text: str, *, where: str | None = None) -> Any:
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
