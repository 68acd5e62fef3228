"""The package's layout: imports run one way, foundations stay few, modules stay short."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "otp_pipeline"
FOUNDATIONS_MAX = 8
MODULE_LINES_MAX = 400


def _imported_modules(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in found if name.startswith("otp_pipeline.")}


def _modules(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*.py") if path.name != "__init__.py")


def test_lib_never_imports_defs():
    offenders = {
        str(path.relative_to(PACKAGE)): sorted(name for name in _imported_modules(path)
                                               if name.startswith("otp_pipeline.defs"))
        for path in _modules(PACKAGE / "lib")
    }  # fmt: skip
    assert {path: names for path, names in offenders.items() if names} == {}


def test_foundations_never_import_a_group():
    groups = {path.name for path in (PACKAGE / "lib").iterdir() if path.is_dir()} - {"__pycache__"}
    offenders = {}
    for path in (PACKAGE / "lib").glob("*.py"):
        names = [name for name in _imported_modules(path)
                 if name.split(".")[2:3] and name.split(".")[2] in groups]  # fmt: skip
        if names:
            offenders[path.name] = sorted(names)
    assert offenders == {}


def test_at_most_eight_foundations_at_lib_root():
    root = [path.name for path in (PACKAGE / "lib").glob("*.py") if path.name != "__init__.py"]
    assert len(root) <= FOUNDATIONS_MAX, sorted(root)


def test_every_defs_group_with_python_behind_it_has_its_lib_folder():
    for group in ("ingestion", "quality", "publication", "operations"):
        assert (PACKAGE / "defs" / group).is_dir() and (PACKAGE / "lib" / group).is_dir(), group


def test_no_module_over_400_lines():
    long = {
        str(path.relative_to(PACKAGE)): lines
        for path in _modules(PACKAGE)
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MODULE_LINES_MAX
    }
    assert long == {}
