"""The modules of r1cli import each other top-down, with no cycles.

Every import counts: at the top of a module, inside a function (the lazy imports that keep
`r1 --help` fast) and under TYPE_CHECKING. Run alone with `pytest tests/unit/test_import_graph.py`.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "r1cli"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """module -> the r1cli modules it imports (a `from pkg import name` of a submodule names the submodule)."""
    files = {module_name(path): path for path in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {name: set() for name in files}
    for name, path in files.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                targets = [
                    f"{base}.{alias.name}" if f"{base}.{alias.name}" in files else base
                    for alias in node.names
                ]
            graph[name].update(t for t in targets if t in files and t != name)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
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

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_graph_is_read() -> None:
    graph = import_graph()
    assert "r1cli.recipe.provenance" in graph["r1cli.recipe.layering"]
    assert "r1cli.plumbing.rundir" in graph["r1cli.train.output"]
    assert "r1cli.train.reward_log" in graph["r1cli.train.zero"]  # an import inside a function counts too


def test_cycles_are_found() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles_in_r1cli() -> None:
    found = cycles(import_graph())
    assert not found, "import cycles: " + "; ".join(" <-> ".join(cycle) for cycle in found)


def package_graph(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """The graph with each subpackage (r1cli.recipe, r1cli.data, ...) drawn as one node."""

    def node(module: str) -> str:
        parts = module.split(".")
        return ".".join(parts[:2]) if len(parts) > 2 and (PACKAGE / parts[1]).is_dir() else module

    grouped: dict[str, set[str]] = {}
    for source, targets in graph.items():
        grouped.setdefault(node(source), set()).update(node(t) for t in targets if node(t) != node(source))
    return grouped


def test_packages_import_top_down_too() -> None:
    """A package is one layer: nothing it imports may import it back, by any path (recipe validation,
    which calls the builders, sits above them in r1cli.preflight.validate, not inside r1cli.recipe)."""
    found = cycles(package_graph(import_graph()))
    assert not found, "packages that import each other: " + "; ".join(" <-> ".join(c) for c in found)


# The layers, top to bottom. A module may import its own layer (no cycles, tested above) and the layers
# below it, never one above: the stages use models and recipes, which use rewards and plumbing.
LAYERS: dict[str, tuple[str, ...]] = {
    "cli": ("cli",),
    "stages": (
        "pipeline",
        "preflight",
        "data",
        "train",
        "coldstart",
        "sample",
        "distill",
        "evaluate",
        "report",
        "chat",
        "generation",
    ),
    "models": ("models",),
    "recipe": ("recipe",),
    "rewards": ("rewards",),
    "plumbing": ("plumbing",),
}


def layer_of(module: str) -> int:
    """The layer index of an r1cli module (0 = top); the package root (its version) is below everything."""
    parts = module.split(".")
    if len(parts) == 1:
        return len(LAYERS)
    for index, tops in enumerate(LAYERS.values()):
        if parts[1] in tops:
            return index
    raise AssertionError(f"{module} is in no layer: add its package to LAYERS")


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    return sorted(
        f"{source} -> {target}"
        for source, targets in graph.items()
        for target in targets
        if layer_of(target) < layer_of(source)
    )


def test_every_top_level_name_is_in_a_layer() -> None:
    names = {
        path.stem for path in PACKAGE.iterdir() if path.suffix == ".py" or (path / "__init__.py").exists()
    }
    names.discard("__init__")
    assert names == {name for tops in LAYERS.values() for name in tops}


def test_an_upward_import_is_found() -> None:
    assert upward_imports({"r1cli.plumbing.files": {"r1cli.recipe.schema"}}) == [
        "r1cli.plumbing.files -> r1cli.recipe.schema"
    ]
    assert upward_imports({"r1cli.cli.main": {"r1cli.plumbing.files"}}) == []


def test_imports_run_down_the_layers() -> None:
    """cli -> stages -> models -> recipe -> rewards -> plumbing; `pytest -s` prints the layers."""
    graph = import_graph()
    for name, tops in LAYERS.items():
        print(f"{name:>9}: {', '.join(tops)}")
    found = upward_imports(graph)
    assert not found, "imports that run up the layers: " + "; ".join(found)
