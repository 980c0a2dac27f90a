"""The public surface: a sorted, complete ``__all__`` and a package that stands alone."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import claimflow.x12 as x12
from claimflow.x12.errors import X12Error

PACKAGE = Path(x12.__file__).parent


def test_all_is_sorted_and_complete() -> None:
    assert x12.__all__ == sorted(x12.__all__)
    for name in x12.__all__:
        assert hasattr(x12, name), name
    public = {
        n for n in vars(x12) if not n.startswith("_") and not inspect.ismodule(getattr(x12, n))
    }
    assert public - {"annotations"} == set(x12.__all__)


def test_engine_imports_nothing_else_of_claimflow_and_no_third_party() -> None:
    import sys

    allowed = set(sys.stdlib_module_names) | {"claimflow"}
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            else:
                continue
            for name in names:
                assert name.split(".")[0] in allowed, (path, name)
                if name.startswith("claimflow"):
                    assert name.startswith("claimflow.x12"), (path, name)


def test_exception_tree_is_drawn_and_rooted() -> None:
    from claimflow.x12 import errors

    assert errors.__doc__ is not None
    for name in (
        "X12Error",
        "X12SyntaxError",
        "EnvelopeError",
        "StructureError",
        "ElementError",
        "BalancingError",
        "UnsupportedGuideError",
        "X12WriteError",
    ):
        assert name in errors.__doc__
        assert issubclass(getattr(errors, name), X12Error)


def test_public_functions_have_docstrings() -> None:
    for name in (
        "parse_file",
        "parse_bytes",
        "parse_stream",
        "write_999",
        "write_837",
        "iter_segments",
    ):
        doc = getattr(x12, name).__doc__
        assert (doc and "Returns:" in doc) or "Yields:" in (doc or ""), name
