"""The package's layers: each subpackage imports only from itself and the layers below it.

    (top) errors, redaction, textwidth, wareki < core < git < checks < casework < ledger
          < publishing < scaffold < server < commands < cli, cli_errors, cli_help, entry, __main__

A module-level cycle is impossible across layers, and inside a layer the test looks for cycles too.
Imports inside functions count: a cycle hidden in a function is a cycle all the same.
"""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import ROOT

PACKAGE = ROOT / "scripts" / "saiken"
LAYERS = ["foundation", "core", "git", "checks", "casework", "ledger", "publishing", "scaffold", "server", "commands", "entry"]
FOUNDATION = {"errors", "redaction", "textwidth", "wareki", "__init__"}
ENTRY = {"cli", "cli_errors", "cli_help", "entry", "__main__"}


def _module(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _layer(module: str) -> str:
    parts = module.split(".")
    if len(parts) == 1:
        return "foundation"
    if (PACKAGE / parts[1]).is_dir():
        return parts[1]
    if parts[1] in FOUNDATION:
        return "foundation"
    if parts[1] in ENTRY:
        return "entry"
    raise AssertionError(f"{module}: a top-level module in no layer; put it in a subpackage or name its layer here")


def _imports(path: Path) -> set[str]:
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module and node.module.split(".")[0] == "saiken":
            if node.module == "saiken":
                out |= {f"saiken.{a.name}" for a in node.names}
            else:
                out.add(node.module)
                out |= {f"{node.module}.{a.name}" for a in node.names
                        if (PACKAGE.parent / f"{node.module}.{a.name}".replace(".", "/")).with_suffix(".py").exists()}
        elif isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.split(".")[0] == "saiken"}
    return out


def _graph() -> dict[str, set[str]]:
    modules = {_module(p): p for p in PACKAGE.rglob("*.py")}
    return {m: {i for i in _imports(p) if i in modules and i != m} for m, p in modules.items()}


def test_every_import_goes_down_the_layers() -> None:
    wrong = []
    for module, imported in _graph().items():
        rank = LAYERS.index(_layer(module))
        for target in imported:
            if LAYERS.index(_layer(target)) > rank:
                wrong.append(f"{module} ({_layer(module)}) imports {target} ({_layer(target)})")
    assert not wrong, "\n".join(sorted(wrong))


def test_no_import_cycles_between_modules() -> None:
    graph = _graph()
    # a package's __init__ importing its own submodule is not a cycle of the design: leave those edges out
    edges = {m: {t for t in ts if not t.startswith(m + ".")} for m, ts in graph.items()}
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(edges[node]):
            if state.get(nxt) == 1:
                cycles.append(path[path.index(nxt):] + [nxt] if nxt in path else [node, nxt])
            elif nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = 2

    for start in sorted(edges):
        if start not in state:
            visit(start, [start])
    assert not cycles, "\n".join(" -> ".join(c) for c in cycles)
