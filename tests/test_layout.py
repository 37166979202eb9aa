"""The package's layout: no import loop, and imports that point down only.

Every import counts: at the top of a module, inside a function, and by string (the package's lazy
``_LAZY`` table, ``importlib.import_module`` with a literal name). Imports under ``if
TYPE_CHECKING:`` never run and do not count. The graph is read from the source (no import runs),
so a loop that only a rare code path would enter is found too.
"""

from __future__ import annotations

import ast
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "cnnlessons"

LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "shared helpers",
        ("cnnlessons.profiles", "cnnlessons.course", "cnnlessons.frontend", "cnnlessons.i18n"),
    ),
    (
        "learner's library",
        (
            "cnnlessons.layers",
            "cnnlessons.measure",
            "cnnlessons.tensordata",
            "cnnlessons.data",
            "cnnlessons.datasources",
            "cnnlessons.dataloader",
            "cnnlessons.augmentation",
            "cnnlessons.devices",
            "cnnlessons.history",
            "cnnlessons.precision",
            "cnnlessons.training",
            "cnnlessons.resume",
            "cnnlessons.parallel",
            "cnnlessons.plots",
            "cnnlessons.notebook",
            "cnnlessons.models",
            "cnnlessons.views",
            "cnnlessons.claims",
            "cnnlessons.exercises",
        ),
    ),
    ("run machinery and shared widgets", ("cnnlessons.runs", "cnnlessons.explorers")),
    ("lessons", ("cnnlessons.lessons",)),
    ("instructor's tools", ("cnnlessons.instructor",)),
    (
        "the package's front and command line",
        (
            "cnnlessons",
            "cnnlessons.__main__",
            "cnnlessons.models.__main__",
            "cnnlessons.exercises.__main__",
        ),
    ),
)
"""Bottom to top. A module imports only from its own layer or those below: the machinery never
imports a lesson (what it needs of one reaches it through a registry or an argument), and no
lesson imports another. The root package, the notebooks' front (``cnnlessons.fit``,
``cnnlessons.check``), is on top: its checkers come from the lessons. It names only itself here;
every other module is placed by the longest prefix that names it."""

DYNAMIC = {"cnnlessons.views.source": "source_of() imports the module a learner names"}
"""Modules allowed an ``importlib.import_module`` of a computed name, and why."""


def _modules() -> dict[str, tuple[pathlib.Path, bool]]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        found[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return found


MODULES = _modules()


def _known(name: str) -> str | None:
    """The module ``name`` names, or that holds it (``cnnlessons.models.resnet18`` -> ``...models``)."""
    parts = name.split(".")
    while parts and ".".join(parts) not in MODULES:
        parts.pop()
    return ".".join(parts) or None


def _resolve(module: str, is_package: bool, level: int, name: str | None) -> str:
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join(base + ([name] if name else []))


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    return skip


def _lazy_table(tree: ast.AST) -> dict[str, str]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "_LAZY" for t in node.targets):
            return ast.literal_eval(node.value)
    return {}


def imports_of(module: str) -> tuple[set[str], list[str]]:
    """The package's modules that ``module`` imports, and its imports by a computed name."""
    path, is_package = MODULES[module]
    tree = ast.parse(path.read_text(), str(path))
    skip = _type_checking_nodes(tree)
    found: set[str | None] = set()
    computed: list[str] = []
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            found.update(_known(a.name) for a in node.names if a.name.split(".")[0] == "cnnlessons")
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(module, is_package, node.level, node.module) if node.level else node.module
            if not base or base.split(".")[0] != "cnnlessons":
                continue
            for alias in node.names:  # `from . import x` imports the module x, not the package
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else _known(base))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, (ast.Attribute, ast.Name))
            and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module"
        ):
            arg = node.args[0] if node.args else None
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                found.add(
                    _known(
                        _resolve(module, is_package, 1, arg.value[1:])
                        if arg.value.startswith(".")
                        else arg.value
                    )
                )
            elif module == "cnnlessons" and "_LAZY" in ast.unparse(arg):
                found.update(f"cnnlessons.{target}" for target in _lazy_table(tree).values())
            else:
                computed.append(ast.unparse(node))
    found.discard(None)
    found.discard(module)
    return {m for m in found if m}, computed


GRAPH = {module: imports_of(module)[0] for module in MODULES}


def find_loop(graph: dict[str, set[str]]) -> list[str] | None:
    """One import loop of ``graph`` (``[a, b, ..., a]``), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return path[path.index(target) :] + [target]
            if target not in state and (loop := visit(target)):
                return loop
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (loop := visit(node)):
            return loop
    return None


def layer_of(module: str) -> tuple[int, str]:
    """(rank, layer name) of ``module``: the layer whose longest prefix names it."""
    best: tuple[int, int, str] | None = None
    for rank, (name, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if module == prefix or (prefix != "cnnlessons" and module.startswith(prefix + ".")):
                if best is None or len(prefix) > best[0]:
                    best = (len(prefix), rank, name)
    if best is None:
        raise AssertionError(f"{module} is in no layer of tests/test_layout.py's LAYERS: place it")
    return best[1], best[2]


def test_the_import_graph_sees_imports_inside_functions_and_by_string():
    # The loops this test was written against were made of such imports; if the reader stops
    # seeing them, the tests below pass for nothing.
    assert "cnnlessons.dataloader" in GRAPH["cnnlessons.tensordata"]  # inside make_loaders
    assert {"cnnlessons.data", "cnnlessons.training", "cnnlessons.exercises"} <= GRAPH["cnnlessons"]  # _LAZY
    assert "cnnlessons.runs.recipes" not in GRAPH["cnnlessons.runs.runcache"]  # not even under TYPE_CHECKING
    assert find_loop({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert find_loop({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


def test_the_package_has_no_import_loop():
    loop = find_loop(GRAPH)
    assert loop is None, "import loop: " + " -> ".join(loop)


def test_imports_point_down_only():
    upward = []
    for module, targets in sorted(GRAPH.items()):
        rank, layer = layer_of(module)
        for target in sorted(targets):
            target_rank, target_layer = layer_of(target)
            if target_rank > rank or (target_rank == rank and target_layer != layer):
                upward.append(f"{module} ({layer}) imports {target} ({target_layer})")
    same_rank = {name for _, (name, _) in enumerate(LAYERS)}
    assert len(same_rank) == len(LAYERS)
    assert not upward, "imports that point up:\n" + "\n".join(upward)


def test_imports_by_a_computed_name_are_the_known_ones():
    computed = {module: found for module in MODULES if (found := imports_of(module)[1])}
    assert set(computed) == set(DYNAMIC), f"imports by a computed name: {computed}"


def test_no_alias_module_is_left():
    """The old paths (``cnnlessons.recipes``, ...) went with 0.2.0: a released notebook installs the
    version it was written for, and a module has one path."""
    import importlib.util

    for name in ("recipes", "results", "estimate", "runcache", "prepare", "reproduce", "bench"):
        assert importlib.util.find_spec(f"cnnlessons.{name}") is None, name
        assert importlib.import_module(f"cnnlessons.runs.{name}")


def module_map_names(text: str) -> set[str]:
    """The files and folders CONTRIBUTING.md's module map names: full paths (``cnnlessons/x.py``,
    ``cnnlessons/models/``) anywhere in it, and the bare ``name.py`` in a folder's row."""
    start, end = text.index("<!-- module map -->"), text.index("<!-- end of module map -->")
    named: set[str] = set()
    for line in text[start:end].splitlines():
        tokens = re.findall(r"`([^`]+)`", line)
        named.update(t for t in tokens if re.fullmatch(r"cnnlessons(/\w+)*(/|\.py)", t))
        if line.startswith("| `cnnlessons/") and tokens[0].endswith("/"):
            named.update(tokens[0] + t for t in tokens[1:] if re.fullmatch(r"\w+\.py", t))
    return named


def test_the_module_map_names_every_module_and_no_other():
    named = module_map_names((ROOT / "CONTRIBUTING.md").read_text())
    modules = {
        p.relative_to(ROOT).as_posix()
        for p in PACKAGE.rglob("*.py")
        if not (p.name == "__init__.py" and not p.read_text().strip())
    }
    folders = {p.parent.relative_to(ROOT).as_posix() + "/" for p in PACKAGE.rglob("__init__.py")}
    # A package's __init__.py is what its folder's row describes.
    named |= {folder + "__init__.py" for folder in named & folders}
    missing = sorted(modules - named)
    gone = sorted(name for name in named if not (ROOT / name).exists())
    assert not missing, f"CONTRIBUTING.md's module map does not name: {missing}"
    assert not gone, f"CONTRIBUTING.md's module map names what is not in the package: {gone}"


def test_the_module_map_reader_sees_a_missing_and_a_gone_module():
    text = (
        "<!-- module map -->\n| `cnnlessons/views/` | `cam.py`, `gone.py` |\n"
        "| `cnnlessons/x.py` | y |\n<!-- end of module map -->"
    )
    assert module_map_names(text) == {
        "cnnlessons/views/",
        "cnnlessons/views/cam.py",
        "cnnlessons/views/gone.py",
        "cnnlessons/x.py",
    }
