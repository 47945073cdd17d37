"""The package layers hold: no import cycle between top-level hegui packages, and the duty packages
never reach into the gateway (docs/architecture.md, "Layers").

The graph is read from the source (the AST of every module under ``src/hegui``), so an import that
only runs inside a function counts too. Imports under ``if TYPE_CHECKING:`` never run; they may
point up to the composition root (``hegui.app``) for the ``Services`` annotation, and are left out
of the cycle check — but not of the gateway check: a duty package does not name the gateway at all.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import hegui

SRC = Path(hegui.__file__).parent
DUTIES_WITHOUT_GATEWAY = ("cases", "console", "obligations", "records", "identity", "moderation", "labeling", "filing",
                          "storage", "web", "hooks", "governance", "annotation", "assessment", "corpus",
                          "likeness", "synthesis", "provenance")


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.AST, module: str, is_package: bool) -> list[tuple[str, bool]]:
    """``(imported module, type-only)`` for every import statement in ``tree``."""
    found: list[tuple[str, bool]] = []

    def visit(node: ast.AST, type_only: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _type_checking(child):
                for stmt in child.body:
                    visit_stmt(stmt, True)
                for stmt in child.orelse:
                    visit_stmt(stmt, type_only)
            else:
                visit_stmt(child, type_only)

    def visit_stmt(node: ast.AST, type_only: bool) -> None:
        if isinstance(node, ast.Import):
            found.extend((alias.name, type_only) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against this module's package
                package = module.split(".") if is_package else module.split(".")[:-1]
                base = package[: len(package) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.append((target, type_only))
        visit(node, type_only)

    visit(tree, False)
    return found


def package_graph(src: Path) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """Edges between top-level packages (and top-level modules) of the tree at ``src``:
    ``(run-time edges, type-only edges)``."""
    runtime: dict[str, set[str]] = defaultdict(set)
    typing_only: dict[str, set[str]] = defaultdict(set)
    root = src.name
    for path in sorted(src.rglob("*.py")):
        parts = path.relative_to(src.parent).with_suffix("").parts
        is_package = parts[-1] == "__init__"
        module = ".".join(parts[:-1] if is_package else parts)
        top = parts[1] if len(parts) > 1 and not (len(parts) == 2 and is_package) else "<root>"
        for target, type_only in _imports(ast.parse(path.read_text(encoding="utf-8")), module, is_package):
            bits = target.split(".")
            if bits[0] != root or len(bits) < 2 or bits[1] == top:
                continue
            (typing_only if type_only else runtime)[top].add(bits[1])
    return runtime, typing_only


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as a path that returns to its start, or ``None``."""
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    path: list[str] = []

    def walk(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (cycle := walk(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := walk(node)):
            return cycle
    return None


def test_no_import_cycle_between_top_level_packages() -> None:
    runtime, _ = package_graph(SRC)
    assert find_cycle(runtime) is None, " → ".join(find_cycle(runtime) or [])


def test_duty_packages_do_not_import_the_gateway() -> None:
    runtime, typing_only = package_graph(SRC)
    offenders = {p for p in DUTIES_WITHOUT_GATEWAY if "gateway" in runtime[p] | typing_only[p]}
    assert not offenders, f"import hegui.gateway: {sorted(offenders)}"


def test_only_the_composition_root_and_the_commands_above_it_import_it_at_run_time() -> None:
    runtime, _ = package_graph(SRC)
    importers = {p for p, targets in runtime.items() if "app" in targets}
    assert importers <= {"<root>", "cli", "bootstrap"}, sorted(importers)


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    src = tmp_path / "hegui"
    for name, text in files.items():
        path = src / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return src


def test_the_check_sees_a_cycle_through_a_function_level_import(tmp_path: Path) -> None:
    src = _tree(tmp_path, {
        "__init__.py": "",
        "cases/__init__.py": "",
        "cases/desk.py": "def f():\n    from hegui.console.render import render\n",
        "console/__init__.py": "",
        "console/views.py": "from hegui.cases import desk\n",
        "console/render.py": "",
    })
    runtime, _ = package_graph(src)
    assert find_cycle(runtime) in (["cases", "console", "cases"], ["console", "cases", "console"])


def test_the_check_leaves_type_only_imports_out_of_cycles_but_sees_relative_ones(tmp_path: Path) -> None:
    src = _tree(tmp_path, {
        "__init__.py": "",
        "app/__init__.py": "from ..cases import desk\n",
        "cases/__init__.py": "",
        "cases/desk.py": ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                          "    from hegui.app import Services\n    from hegui.gateway import x\n"),
    })
    runtime, typing_only = package_graph(src)
    assert runtime["app"] == {"cases"} and find_cycle(runtime) is None
    assert typing_only["cases"] == {"app", "gateway"}
