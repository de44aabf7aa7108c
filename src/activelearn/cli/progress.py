"""Progress bars for the loop's events (tqdm, on stderr)."""

from __future__ import annotations

from tqdm.auto import tqdm

from activelearn.loop import Event


class LoopProgress:
    """One bar over rounds, and a transient bar while a large pool is scored."""

    def __init__(self, total_rounds: int | None, description: str) -> None:
        self.rounds = tqdm(total=total_rounds, desc=description, unit="round", leave=True)
        self.scoring: tqdm | None = None

    def __call__(self, event: Event) -> None:
        if event.kind == "scoring":
            total = event.data["total"]
            if self.scoring is None and total > event.data["done"]:
                self.scoring = tqdm(total=total, desc="  scoring pool", unit="item", leave=False)
            if self.scoring is not None:
                self.scoring.n = event.data["done"]
                self.scoring.refresh()
                if event.data["done"] >= total:
                    self.scoring.close()
                    self.scoring = None
        elif event.kind == "evaluated":
            self.rounds.update(1)
            metric = event.data.get("accuracy", event.data.get("val_accuracy"))
            if metric is not None:
                self.rounds.set_postfix(accuracy=f"{metric:.4f}")
        elif event.kind == "stopped":
            self.rounds.set_postfix_str(event.data["reason"])

    def close(self) -> None:
        self.rounds.close()
