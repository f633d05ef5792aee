"""Imports point one way: ui -> workflow -> context -> engine, never in a circle, never private
names across modules; source files stay small. Checked on the source text."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Iterator

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "desktop_app"
FORBIDDEN = {
    "engine": ("PySide6", "desktop_app.context", "desktop_app.workflow", "desktop_app.ui"),
    "context": ("PySide6", "desktop_app.workflow", "desktop_app.ui"),
    "workflow": ("PySide6", "desktop_app.ui"),
}
IMPORT = re.compile(r"^\s*(?:from|import)\s+([\w.]+)", re.MULTILINE)


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_imports_point_one_way(layer: str) -> None:
    files = sorted((PACKAGE / layer).rglob("*.py"))
    assert files, f"no sources under {layer}/"
    offenders = [
        f"{path.relative_to(PACKAGE)} imports {name}"
        for path in files
        for name in IMPORT.findall(path.read_text(encoding="utf-8"))
        if name.startswith(FORBIDDEN[layer])
    ]
    assert offenders == []


# ------------------------------------------------------------------ the module import graph


def _modules(package: Path) -> dict[str, Path]:
    """Dotted module name -> source file, for every module of ``package``."""
    modules = {}
    for path in sorted(package.rglob("*.py")):
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


MODULES = _modules(PACKAGE)


def _imports(name: str, path: Path) -> Iterator[tuple[str, str | None, int]]:
    """(module, imported name or None, line) for every import statement in module ``name``
    (at ``path``), wherever it stands: top level, inside functions, under ``if TYPE_CHECKING``."""
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, None, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against this module's package
                parent = package[:len(package) - (node.level - 1)]
                base = ".".join(parent + ([base] if base else []))
            for alias in node.names:
                yield base, alias.name, node.lineno


def _import_graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    """Module -> the modules among ``modules`` it imports. ``from package import module`` points
    at the module; ``from package import name`` at the package's ``__init__``."""
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for module, imported, _ in _imports(name, path):
            if f"{module}.{imported}" in modules:
                graph[name].add(f"{module}.{imported}")
            elif module in modules:
                graph[name].add(module)
        graph[name].discard(name)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return sorted(found)


def test_cycle_finder_sees_lazy_and_type_checking_imports(tmp_path: Path) -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}) == [["a", "b", "c"]]
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    for name, text in {
        "__init__.py": "",
        "sub/__init__.py": "",
        "top.py": "def later():\n    from pkg.sub import deep\n",           # lazy, in a function
        "sub/deep.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ..top import later\n",
        "alone.py": "import pkg.top\n",
    }.items():
        (pkg / name).write_text(text, encoding="utf-8")
    graph = _import_graph(_modules(pkg))
    assert graph["pkg.alone"] == {"pkg.top"} and graph["pkg.top"] == {"pkg.sub.deep"}
    assert _cycles(graph) == [["pkg.sub.deep", "pkg.top"]]


def test_no_import_cycles() -> None:
    """Imports never go round in a circle, not even lazily or under TYPE_CHECKING."""
    cycles = _cycles(_import_graph(MODULES))
    assert cycles == []


def _private_imports(modules: dict[str, Path], package: str) -> set[tuple[str, str, str]]:
    """(importer, module, name) for every ``from module import _name`` within ``package``."""
    return {
        (name, module, imported)
        for name, path in modules.items()
        for module, imported, _ in _imports(name, path)
        if module.split(".")[0] == package and imported is not None
        and imported.startswith("_") and not imported.startswith("__")
    }


def test_private_import_finder(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("", encoding="utf-8")
    (pkg / "a.py").write_text("_hidden = 1\n__all__ = ['_hidden']\n", encoding="utf-8")
    (pkg / "b.py").write_text("def f():\n    from pkg.a import _hidden, __all__\n    from os import _exit\n",
                              encoding="utf-8")
    assert _private_imports(_modules(pkg), "pkg") == {("pkg.b", "pkg.a", "_hidden")}


def test_no_private_names_imported_across_modules() -> None:
    assert _private_imports(MODULES, "desktop_app") == set()


MAX_LINES = 500   # issue 14: "files over 500 lines" hold more than one idea


def test_no_source_file_is_over_500_lines() -> None:
    too_long = {
        path.relative_to(PACKAGE.parent).as_posix(): lines
        for path in MODULES.values()
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert too_long == {}
