"""CSV cells that a spreadsheet shows as text instead of running them as formulas.

Spreadsheets run a cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return as a formula: a review or a note can then fetch URLs or run
commands on the reader's machine (CSV injection). Every CSV this project
writes for people (label exports, file-oracle batches) writes such cells
with a leading ``'`` (OWASP's advice), except plain numbers such as ``-1``;
:func:`literal` undoes it where a CSV is read back, so ids still match.
It lives in the store, the bottom layer, so that the store's exports and the
loop's file oracle share it without the store importing anything above it.
"""

from __future__ import annotations

import re
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def _runs(value: str) -> bool:
    """Whether a spreadsheet would run ``value`` as a formula."""
    return value.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(value)


def _quoted(value: str) -> bool:
    """Whether ``value`` reads as a cell :func:`inert` quoted (a ``'`` and then a formula)."""
    return value.startswith("'") and (_runs(value[1:]) or _quoted(value[1:]))


def inert(value: Any) -> Any:
    """``value`` as a CSV cell no spreadsheet runs. A value that already reads as a quoted
    cell (``'=x``) is quoted once more, so :func:`literal` gives it back unchanged."""
    if isinstance(value, str) and (_runs(value) or _quoted(value)):
        return "'" + value
    return value


def literal(value: Any) -> Any:
    """The value :func:`inert` was given (a spreadsheet that saved the file may have
    dropped the ``'`` already: then the value is returned as it is)."""
    if isinstance(value, str) and _quoted(value):
        return value[1:]
    return value
