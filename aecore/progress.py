"""The one progress protocol: every long computation (training, sweeps, t-SNE maps, transfer, the A/B runs,
the classifiers of feature extraction) reports objects that say how far it is, in one line of words, and what
it has so far. The job panel and the sidebar read only these three, whatever the job.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class Progress(Protocol):
    """What a job reports. ``fraction``: share of the planned work done, 0 to 1. ``line``: one line of plain
    text for a progress bar (no markdown, no job name: the panel adds whose job it is). ``partial``: what the
    computation has so far (reconstructions of preview images, a map while it forms, a finished part), or
    None."""

    @property
    def fraction(self) -> float: ...

    @property
    def line(self) -> str: ...

    @property
    def partial(self) -> Any: ...


@dataclass(frozen=True)
class Count:
    """Progress of work made of ``total`` like parts (a sweep's models, the classifiers fitted, the maps of
    several epochs): ``done`` of them are finished, the last one is ``partial``."""

    done: int
    total: int
    text: str
    partial: Any = None

    @property
    def fraction(self) -> float:
        return min(self.done / max(self.total, 1), 1.0)

    @property
    def line(self) -> str:
        return self.text
