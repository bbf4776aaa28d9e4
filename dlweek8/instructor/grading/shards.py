"""Cutting a batch into shards: ``grade --shard I/N``, the index from ``JOB_COMPLETION_INDEX``, and
the record of a shard that ``merge`` checks (its names' digest and its place in the batch)."""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import asdict, dataclass


INDEX_VARIABLE = "JOB_COMPLETION_INDEX"


class ShardError(ValueError):
    """A shard cannot be chosen or the parts cannot be merged (one line says why)."""


@dataclass(frozen=True)
class Shard:
    index: int
    count: int
    batch_size: int  # submissions in the whole batch
    batch_digest: str  # SHA-256 of the whole batch's sorted names
    names: tuple[str, ...]  # this shard's submissions

    def to_json(self) -> dict:
        data = asdict(self)
        data["names"] = list(self.names)
        return data

    @classmethod
    def from_json(cls, data: dict) -> "Shard":
        return cls(int(data["index"]), int(data["count"]), int(data["batch_size"]), str(data["batch_digest"]), tuple(data["names"]))


def digest(names) -> str:
    """SHA-256 of a list of names, as JSON (any character in a name is safe)."""
    return hashlib.sha256(json.dumps(sorted(names), ensure_ascii=False).encode("utf-8")).hexdigest()


def parse_shard(text: str) -> tuple[int, int]:
    """``"I/N"`` -> (I, N), with 0 <= I < N."""
    found = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text or "")
    if not found:
        raise ShardError(f"--shard takes I/N, e.g. 0/4 (shards are numbered from 0), not {text!r}")
    index, count = int(found.group(1)), int(found.group(2))
    _check(index, count)
    return index, count


def index_from_environment(count: int, environ=os.environ) -> tuple[int, int]:
    """(I, N) with I from ``JOB_COMPLETION_INDEX``."""
    value = environ.get(INDEX_VARIABLE)
    if value is None or not value.strip().isdigit():
        raise ShardError(f"--shards {count} needs {INDEX_VARIABLE} set to this shard's index (0 to {count - 1}); got {value!r}")
    index = int(value)
    _check(index, count)
    return index, count


def _check(index: int, count: int) -> None:
    if count < 1:
        raise ShardError(f"the number of shards must be at least 1, not {count}")
    if not 0 <= index < count:
        raise ShardError(f"shard index {index} is outside 0 to {count - 1} (shards are numbered from 0)")


def select(names: list[str], index: int, count: int) -> tuple[list[str], Shard]:
    """The ``index``-th of ``count`` contiguous slices of ``names`` sorted, and its :class:`Shard`."""
    ordered = sorted(names)
    start, stop = index * len(ordered) // count, (index + 1) * len(ordered) // count
    chosen = ordered[start:stop]
    return chosen, Shard(index, count, len(ordered), digest(ordered), tuple(chosen))


# -- merging ------------------------------------------------------------------------------------
