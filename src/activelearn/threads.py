"""How many BLAS/OpenMP and torch threads the loop's fits and predictions use.

On these 2-core machines a second OpenBLAS thread made the many small fits of
a run about 4x slower even on a quiet machine, and 8x when two runs shared
the cores (benchmarks/loop/RESULTS.md); big fits can gain from it. So
``"auto"`` uses one thread for work on fewer than ``SMALL_FIT_ROWS`` rows and
the libraries' own setting above; an integer pins that many; ``None`` leaves
the libraries alone.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from typing import Any

from activelearn.errors import ConfigError

SMALL_FIT_ROWS = 20_000


class ThreadLimits:
    """``limit(n_rows)``: a context in which BLAS/OpenMP (threadpoolctl) and torch use the
    threads ``threads`` asks for."""

    def __init__(self, threads: int | str | None = "auto") -> None:
        if not (threads in (None, "auto") or (isinstance(threads, int) and threads >= 1)):
            raise ConfigError(
                f"threads must be 'auto', None or a positive integer, not {threads!r}"
            )
        self.threads = threads
        self._controller: Any = None

    @contextlib.contextmanager
    def limit(self, n_rows: int) -> Iterator[None]:
        n = self.threads
        if n == "auto":
            n = 1 if n_rows < SMALL_FIT_ROWS else None
        if n is None:
            yield
            return
        if self._controller is None:  # scanning the loaded libraries costs ~2 ms: do it once
            from threadpoolctl import ThreadpoolController

            self._controller = ThreadpoolController()
        torch = sys.modules.get("torch")
        before = torch.get_num_threads() if torch is not None else None
        with self._controller.limit(limits=n):
            if torch is not None:
                torch.set_num_threads(n)
            try:
                yield
            finally:
                if torch is not None:
                    torch.set_num_threads(before)
