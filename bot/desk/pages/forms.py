"""What the desk's forms share: a value that cannot be used, and what was typed to show again."""

from __future__ import annotations

from starlette.datastructures import FormData


class FormError(ValueError):
    """A posted value cannot be used: ``key`` names the desk text that says why, ``field`` the input's id."""

    def __init__(self, key: str, field: str):
        super().__init__(key)
        self.key = key
        self.field = field


def kept_fields(form: FormData, *names: str) -> dict[str, str]:
    """What was typed in the form's fields ``names``, to show again beside an error."""
    return {name: str(value) for name, value in form.items() if name in names and isinstance(value, str)}
