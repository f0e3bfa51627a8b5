"""Files written by people (the network file, the offerings catalogue): their problems, their YAML, their changes.

Such a file is read whole and checked; what cannot be used is named with
where it is, every problem at once, in a :class:`FileProblems`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


class FileProblems(ValueError):
    """A file written by people cannot be used; ``problems`` names each reason with where it is."""

    what = "file"

    def __init__(self, path: Path, problems: list[str]):
        self.path = path
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{path}: {len(problems)} problem(s) in the {self.what}:\n{lines}")


def parse_yaml(path: Path, text: str, error: type[FileProblems]) -> Any:
    """A people-written file's YAML, or ``error`` naming the line and column where it breaks."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise error(path, [f"{where}not valid YAML ({getattr(exc, 'problem', None) or exc})"]) from None


def file_stamp(path: Path) -> tuple[int, int]:
    """When a file last changed and its size: what tells a running process to read it again ((0, 0): no file)."""
    try:
        info = path.stat()
    except OSError:
        return (0, 0)
    return (info.st_mtime_ns, info.st_size)
