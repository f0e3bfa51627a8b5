"""``make lint``: no module over 400 lines and no function over 60 lines in the front door's code.

Small modules and functions are read at once; a longer one is a sign that it does two jobs.
Prints each that is too long, with its span, and exits 1 if there is any.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60
FOLDERS = ("bot", "actions")
SKIPPED = ("migrations",)


def too_long(path: Path) -> list[str]:
    """What in ``path`` is over its limit, one line each."""
    text = path.read_text(encoding="utf-8")
    problems = []
    lines = len(text.splitlines())
    if lines > MAX_MODULE_LINES:
        problems.append(f"{path}: {lines} lines (at most {MAX_MODULE_LINES}): split it by what its parts do")
    for node in ast.walk(ast.parse(text, filename=str(path))):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            span = (node.end_lineno or node.lineno) - node.lineno + 1
            if span > MAX_FUNCTION_LINES:
                problems.append(
                    f"{path}:{node.lineno}: {node.name}() spans {span} lines (at most {MAX_FUNCTION_LINES})"
                )
    return problems


def main(root: Path) -> int:
    problems = [
        problem
        for folder in FOLDERS
        for path in sorted((root / folder).rglob("*.py"))
        if not any(part in SKIPPED for part in path.relative_to(root).parts)
        for problem in too_long(path.relative_to(root))
    ]
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(Path.cwd()))
