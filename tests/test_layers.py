"""The package's import rules, read from the source (every import, lazy ones included).

A module may import from its own room (the same entry in ``LAYERS``) and from
lower layers, never upwards or sideways: the analysis cannot reach the radio,
a sensor family cannot reach the recorder, and only the CLI sees everything.
No module imports another module's private (``_name``) objects, and the pure
analysis neither prints nor opens files.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import REPO

PACKAGE = REPO / "hipsense"

#: Lowest first. Each entry is a module or a package (which covers its submodules).
LAYERS: list[list[str]] = [
    ["hipsense.version", "hipsense.errors", "hipsense.consts"],
    ["hipsense.exercises", "hipsense.core"],
    ["hipsense.io", "hipsense.analysis", "hipsense.ble"],
    ["hipsense"],  # the package's own facade: analyze_session, read_session
    ["hipsense.sensors.base", "hipsense.sensors.clock"],
    ["hipsense.sensors.hipsense", "hipsense.sensors.polar", "hipsense.sensors.witmotion"],
    ["hipsense.sensors"],  # the registry and the scan across families
    ["hipsense.sim"],
    ["hipsense.virtual"],
    ["hipsense.history", "hipsense.live"],
    ["hipsense.report"],
    ["hipsense.record"],
    ["hipsense.demo"],
    ["hipsense.cli"],
    ["hipsense.__main__"],
]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _room(module: str) -> tuple[int, str]:
    """(layer index, entry) of the longest LAYERS entry that covers ``module``."""
    best: tuple[int, str] | None = None
    for rank, entries in enumerate(LAYERS):
        for entry in entries:
            covers = module == entry or (entry != "hipsense" and module.startswith(entry + "."))
            if covers and (best is None or len(entry) > len(best[1])):
                best = (rank, entry)
    assert best is not None, f"{module} has no place in LAYERS; add it"
    return best


def _imports(path: Path, source: str) -> list[tuple[int, str, str | None]]:
    """(line, imported hipsense module, imported name or None) for every import in a file."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(source, str(path))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target == "hipsense" or target.startswith("hipsense."):
                found += [(node.lineno, target, alias.name) for alias in node.names]
        elif isinstance(node, ast.Import):
            found += [(node.lineno, alias.name, None) for alias in node.names
                      if alias.name.split(".")[0] == "hipsense"]
    return found


SOURCES = sorted(PACKAGE.rglob("*.py"))


def test_every_module_has_a_layer():
    assert len(SOURCES) > 60
    for path in SOURCES:
        _room(_module_name(path))


def _upward_imports(path: Path, source: str) -> list[str]:
    """The imports in ``source`` (the text of ``path``) that break the layers."""
    rank, entry = _room(_module_name(path))
    wrong = []
    for line, target, name in _imports(path, source):
        # ``from hipsense.pkg import submodule`` imports the submodule itself
        if name is not None and (PACKAGE.parent / f"{target}.{name}".replace(".", "/")).with_suffix(
                ".py").exists():
            target = f"{target}.{name}"
        their_rank, their_entry = _room(target)
        if their_entry != entry and their_rank >= rank:
            wrong.append(f"line {line}: {target} ({their_entry}, layer {their_rank})")
    return wrong


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(REPO)))
def test_imports_go_down_the_layers_only(path):
    wrong = _upward_imports(path, path.read_text())
    assert not wrong, f"{_module_name(path)} {_room(_module_name(path))} imports upwards: {wrong}"


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(REPO)))
def test_no_private_names_across_modules(path):
    module = _module_name(path)
    private = [f"line {line}: {target}.{name}"
               for line, target, name in _imports(path, path.read_text())
               if name and name.startswith("_") and not name.startswith("__")
               and target != module]
    assert not private, f"{module} imports private names: {private}"


@pytest.mark.parametrize("path", sorted((PACKAGE / "analysis").rglob("*.py")),
                         ids=lambda p: p.name)
def test_the_analysis_does_no_io(path):
    calls = [f"line {node.lineno}: {node.func.id}()"
             for node in ast.walk(ast.parse(path.read_text()))
             if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
             and node.func.id in {"print", "open", "input"}]
    assert not calls, f"{path.name} does I/O: {calls}"


def test_the_rules_catch_upward_and_sideways_imports():
    """The check itself flags an analysis module that imports the recorder or the radio."""
    path = PACKAGE / "analysis" / "segmentation.py"
    source = path.read_text()
    assert _upward_imports(path, source) == []
    bad = source + "\nfrom hipsense.record.recorder import Recorder\nimport hipsense.ble.client\n"
    wrong = _upward_imports(path, bad)
    assert len(wrong) == 2
    assert "hipsense.record.recorder (hipsense.record" in wrong[0]
    assert "hipsense.ble.client (hipsense.ble" in wrong[1]
