"""python-dotenv's parser (``dotenv.parser``, ``dotenv.variables``) without python-dotenv's
package: ``import dotenv.parser`` runs ``dotenv/__init__`` first, and that loads ``logging``,
``tempfile`` and ``shutil`` for ``dotenv_values``, a quarter of a full check's imports. The two
modules import only the standard library, so they are loaded from the installed package's own
files, under their own names, without registering them (a later ``import dotenv`` loads its
usual copies). When they cannot be found that way, they are imported as usual."""

from __future__ import annotations

import sys
from types import ModuleType
from typing import TYPE_CHECKING


def _load(name: str) -> ModuleType:
    if "dotenv" not in sys.modules:
        import importlib.util
        from importlib.machinery import PathFinder

        package = PathFinder.find_spec("dotenv")
        where = package.submodule_search_locations if package else None
        spec = PathFinder.find_spec(f"dotenv.{name}", where) if where else None
        if spec is not None and spec.loader is not None:
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            return module
    import importlib

    return importlib.import_module(f"dotenv.{name}")


if TYPE_CHECKING:
    from dotenv.parser import Binding, parse_stream
    from dotenv.variables import Variable, parse_variables
else:
    _parser, _variables = _load("parser"), _load("variables")
    Binding, parse_stream = _parser.Binding, _parser.parse_stream
    Variable, parse_variables = _variables.Variable, _variables.parse_variables

__all__ = ["Binding", "Variable", "parse_stream", "parse_variables"]
