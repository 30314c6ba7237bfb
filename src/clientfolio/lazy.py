"""Lazy exports for the packages' ``__init__``: each exported name is imported
from its module on first use, so that importing a package (``import
clientfolio``, the command's start-up) does not load what it does not use."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
from importlib import import_module
from types import ModuleType
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(package: str, homes: Mapping[str, Sequence[str]]) -> Callable[[str], Any]:
    """The module ``__getattr__`` of ``package``: a name of ``homes`` (module ->
    the names it exports) is taken from its module, imported on first access.

    A name that is also its module's name (``protect.backup``, the function of
    ``protect/backup.py``) stays the export once the module is imported: the
    import system's binding of the submodule on the package is ignored."""
    where = {name: module for module, names in homes.items() for name in names}
    shadowed = {name for name in where if f"{package}.{name}" in homes}

    def __getattr__(name: str) -> Any:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(import_module(module), name)

    if shadowed:

        class _Package(ModuleType):
            def __setattr__(self, name: str, value: Any) -> None:
                if not (name in shadowed and isinstance(value, ModuleType)):
                    super().__setattr__(name, value)

        sys.modules[package].__class__ = _Package
    return __getattr__
