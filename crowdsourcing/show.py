"""Show the source of a helper module's definitions in the notebook, as a Python code block."""

from __future__ import annotations

import ast
import inspect
from types import ModuleType

from IPython.display import Markdown

__all__ = ["show_source"]


def show_source(module: ModuleType, *names: str) -> Markdown:
    """The top-level definitions `names` of `module` (decorators included), in module order."""
    source = inspect.getsource(module)
    lines = source.splitlines()
    found = {}
    for node in ast.parse(source).body:
        targets = getattr(node, "targets", None) or [node]
        for target in targets:
            name = getattr(target, "name", None) or getattr(target, "id", None)
            if name in names:
                first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
                found[name] = "\n".join(lines[first - 1 : node.end_lineno])
    missing = set(names) - set(found)
    if missing:
        raise ValueError(f"{module.__name__} defines no {sorted(missing)}")
    return Markdown("```python\n" + "\n\n\n".join(found.values()) + "\n```")
