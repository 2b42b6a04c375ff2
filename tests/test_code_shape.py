"""The package's shape, as the README's "Where things are" states it: small modules, short
functions, and every platform module under the layers contract (pyproject.toml, checked by
lint-imports in .ci/run)."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import grimp

PACKAGE = Path(__file__).resolve().parent.parent / "trayagent"
MAX_MODULE_LINES = 300
MAX_FUNCTION_LINES = 60


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_no_module_is_over_300_lines():
    long = {str(p.relative_to(PACKAGE)): n for p in _modules()
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES}
    assert long == {}


def test_no_function_is_over_60_lines():
    long = {}
    for p in _modules():
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                n = (node.end_lineno or node.lineno) - node.lineno + 1
                if n > MAX_FUNCTION_LINES:
                    long[f"{p.relative_to(PACKAGE)}:{node.name}"] = n
    assert long == {}


def test_every_platform_module_is_in_the_layers_contract():
    """platform/ is named module by module (its language chooser sits below i18n): a new module
    left out would escape the layer rule."""
    config = tomllib.loads((PACKAGE.parent / "pyproject.toml").read_text(encoding="utf-8"))
    named = {m.strip() for c in config["tool"]["importlinter"]["contracts"] if c["type"] == "layers"
             for layer in c["layers"] for m in layer.replace("|", ":").split(":")}
    platform = PACKAGE / "platform"
    present = {f"trayagent.platform.{p.stem if p.is_file() else p.name}" for p in platform.iterdir()
               if (p.suffix == ".py" and p.stem != "__init__") or (p / "__init__.py").exists()}
    assert present - named == set()


def test_no_import_circle_anywhere():
    """No module imports, however indirectly, one that imports it back (TYPE_CHECKING imports count)."""
    graph = grimp.build_graph("trayagent")
    circles = {tuple(sorted((m, other))) for m in graph.modules for other in graph.find_modules_directly_imported_by(m)
               if graph.chain_exists(importer=other, imported=m)}
    assert circles == set()
