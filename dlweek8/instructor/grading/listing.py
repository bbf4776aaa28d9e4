"""The listing of a Kubernetes grading Job: which submissions each completion index grades.

``k8s-job`` writes it (a file, for ``merge --listing``, and the same JSON in a ConfigMap that every
pod mounts read-only). Entry I lists the submissions of index I: one each by default, or a shard
each with ``--pod-sandbox``. ``grade-entry`` (each pod's command) grades entry
``$JOB_COMPLETION_INDEX`` after checking that the submissions volume holds exactly the listed
batch; ``merge --listing`` refuses a shard whose rows name a submission not listed for it.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from . import batch, shards

#: Largest listing read (a ConfigMap holds at most 1 MiB).
MAX_BYTES = 1 << 20
FORMAT = "dlweek8-listing/1"


@dataclass(frozen=True)
class Listing:
    entries: tuple[tuple[str, ...], ...]  # entry I: the submissions completion index I grades

    @property
    def names(self) -> list[str]:
        return sorted(name for entry in self.entries for name in entry)

    def owner(self, name: str) -> int | None:
        """The index whose entry lists ``name``, or None."""
        return next((i for i, entry in enumerate(self.entries) if name in entry), None)

    def shard(self, index: int) -> shards.Shard:
        """Entry ``index`` as the :class:`.shards.Shard` its run.json records."""
        names = self.names
        return shards.Shard(index, len(self.entries), len(names), shards.digest(names), self.entries[index])

    def to_json(self) -> str:
        return json.dumps({"format": FORMAT, "entries": [list(e) for e in self.entries]}, ensure_ascii=False, indent=0) + "\n"


def of_batch(names: list[str], count: int | None = None) -> Listing:
    """``count`` entries cut as ``grade --shard I/count`` cuts (:func:`.shards.select`); one submission each by default."""
    if not names:
        raise shards.ShardError("no submissions to list")
    count = len(names) if count is None else count
    if not 1 <= count <= len(names):
        raise shards.ShardError(f"the number of shards must be between 1 and the {len(names)} submissions, not {count}")
    return Listing(tuple(tuple(shards.select(names, index, count)[0]) for index in range(count)))


def names_in(folder: Path) -> list[str]:
    """The submissions' names as ``grade`` names them."""
    return batch._distinct(batch._names(batch.submission_paths([folder])))


def parse(text: str) -> Listing:
    data = json.loads(text)
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("entries"), list):
        raise ValueError("not a listing")
    entries = tuple(tuple(entry) for entry in data["entries"])
    if not entries or not all(entry and all(isinstance(n, str) for n in entry) for entry in entries):
        raise ValueError("an entry is empty or not a list of names")
    names = [n for entry in entries for n in entry]
    if len(set(names)) != len(names):
        raise ValueError("a submission is listed twice")
    return Listing(entries)


def read(path: Path) -> Listing:
    """The listing in ``path``; :class:`.shards.ShardError` with one line if it cannot be read."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_BYTES + 1)
        if len(data) > MAX_BYTES:
            raise ValueError("larger than 1 MiB")
        return parse(data.decode("utf-8"))
    except OSError as exc:
        raise shards.ShardError(f"cannot read the listing {path} ({exc.strerror or type(exc).__name__})") from None
    except (ValueError, TypeError) as exc:
        raise shards.ShardError(f"{path} is not a k8s-job listing ({exc})") from None


def entry_for_this_pod(listing: Listing, submissions: Path, environ=None) -> tuple[int, int]:
    """(I, N) for ``grade --shard I/N``, I from ``JOB_COMPLETION_INDEX``, once the submissions
    folder is seen to hold exactly the listed batch and that shard is exactly entry I."""
    index, count = shards.index_from_environment(len(listing.entries), os.environ if environ is None else environ)
    found = names_in(submissions)
    if sorted(found) != listing.names:
        extra, lost = sorted(set(found) - set(listing.names)), sorted(set(listing.names) - set(found))
        example = f"{extra[0]!r} is not listed" if extra else f"{lost[0]!r} is missing"
        raise shards.ShardError(f"{submissions} does not hold the listed batch ({len(found)} found, {len(listing.names)} listed; {example})")
    chosen, _ = shards.select(found, index, count)
    if tuple(chosen) != listing.entries[index]:
        raise shards.ShardError(f"entry {index} of the listing is not shard {index}/{count} of the batch (a listing not written by k8s-job?)")
    return index, count


# -- the pod's command: ``python -m dlweek8 grade-entry`` ---------------------------------------------


def add_arguments(parser) -> None:
    batch.add_arguments(parser)
    parser.add_argument("--listing", type=Path, required=True, help="the k8s-job listing; this pod grades entry JOB_COMPLETION_INDEX")


def run(args) -> int:
    if args.shard or args.shards or len(args.submissions) != 1:
        print("grade-entry: give one submissions folder and --listing (the entry comes from JOB_COMPLETION_INDEX), not --shard/--shards")
        return 1
    try:
        index, count = entry_for_this_pod(read(args.listing), args.submissions[0])
    except shards.ShardError as exc:
        print(f"grade-entry: {exc}")
        return 1
    args.shard = f"{index}/{count}"
    return batch.run(args)
