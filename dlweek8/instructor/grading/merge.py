"""Shards of a batch, and their merge (``python -m dlweek8 merge``).

Shards are numbered from 0, like Kubernetes' ``JOB_COMPLETION_INDEX``: ``--shard 0/3``,
``--shard 1/3`` and ``--shard 2/3`` grade the three contiguous slices of the submissions sorted
by name. ``--shards 3`` takes the index from ``JOB_COMPLETION_INDEX``. Each shard's folder holds
its ``results.jsonl`` and, in ``run.json``, a :class:`Shard`: which shard of how many, and the
size and SHA-256 of the full sorted list of submission names, so that the merge can prove that
every submission of the batch was graded exactly once.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import asdict, dataclass
from pathlib import Path

from . import gradebook, report

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


@dataclass
class Part:
    folder: Path
    info: report.RunInfo
    shard: Shard
    rows: list[report.Row]


def read_part(folder: Path) -> Part:
    try:
        info, rows = report.read_run(folder)
    except FileNotFoundError as exc:
        raise ShardError(f"{folder} is not a graded shard (no {Path(exc.filename).name})") from None
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise ShardError(f"{folder}: cannot read its run.json ({type(exc).__name__})") from None
    if not info.shard:
        raise ShardError(f"{folder} was graded as a whole batch, not as a shard (--shard I/N or --shards N)")
    return Part(Path(folder), info, Shard.from_json(info.shard), rows)


def combine(parts: list[Part]) -> tuple[report.RunInfo, list[report.Row]]:
    """The whole batch's info and rows; :class:`ShardError` unless the parts are exactly its shards."""
    if not parts:
        raise ShardError("no shard folders given")
    first = parts[0]
    for part in parts[1:]:
        for what, mine, theirs in (
            ("assignment", part.info.assignment, first.info.assignment),
            ("question ids", part.info.question_ids, first.info.question_ids),
            ("number of shards", part.shard.count, first.shard.count),
            ("batch of submissions", (part.shard.batch_size, part.shard.batch_digest), (first.shard.batch_size, first.shard.batch_digest)),
            ("roster", part.info.roster, first.info.roster),
        ):
            if mine != theirs:
                raise ShardError(f"{part.folder} and {first.folder} are shards of different runs (their {what} differ)")
    count = first.shard.count
    seen: dict[int, list[Path]] = {}
    for part in parts:
        seen.setdefault(part.shard.index, []).append(part.folder)
    duplicated = {i: folders for i, folders in seen.items() if len(folders) > 1}
    missing = [i for i in range(count) if i not in seen]
    if duplicated or missing:
        problems = [f"shard {i} given {len(f)} times ({', '.join(map(str, f))})" for i, f in sorted(duplicated.items())]
        problems += [f"missing shard{'s' if len(missing) > 1 else ''} {', '.join(map(str, missing))} of 0 to {count - 1}"] if missing else []
        raise ShardError("refusing to merge: " + "; ".join(problems))
    rows = [row for part in parts for row in part.rows]
    names = [row.submission for row in rows]
    for part in parts:
        graded = sorted(row.submission for row in part.rows)
        if graded != sorted(part.shard.names):
            lost = sorted(set(part.shard.names) - set(graded))
            raise ShardError(f"refusing to merge: {part.folder} is incomplete ({len(lost)} of its submissions have no row, e.g. {lost[:3]})")
    if len(names) != first.shard.batch_size or len(set(names)) != len(names) or digest(names) != first.shard.batch_digest:
        raise ShardError("refusing to merge: the shards' submissions are not the batch they were cut from")
    info = report.RunInfo(first.info.assignment, first.info.question_ids, None, first.info.roster, first.info.notices, first.info.title,
                          first.info.memory)
    return info, rows


def merge(folders: list[Path], out: Path) -> tuple[report.RunInfo, list[report.Row]]:
    """Merge shard folders into ``out``: grades.csv, feedback, gradebook files and report."""
    info, rows = combine([read_part(Path(f)) for f in folders])
    report.write_all(out, info.question_ids, rows, info.assignment, roster=gradebook.roster_from_json(info.roster),
                     notices=info.notices, title=info.title, memory=info.memory)
    return info, rows


def add_arguments(parser) -> None:
    parser.add_argument("parts", nargs="+", type=Path, help="the --out folders of every shard (grade --shard I/N or --shards N)")
    parser.add_argument("--out", type=Path, required=True, help="folder for the merged grades.csv, feedback, gradebook files and report")


def run(args) -> int:
    try:
        info, rows = merge(args.parts, args.out)
    except ShardError as exc:
        print(f"merge: {exc}")
        return 1
    from .classreport import mismatch_lines

    for line in mismatch_lines(info, rows):
        print(line)
    print(f"merged {len(args.parts)} shards: {len(rows)} submissions of {info.assignment}: {args.out / 'grades.csv'}")
    return 0
