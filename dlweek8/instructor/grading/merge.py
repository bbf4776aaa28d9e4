"""Shards of a batch, and their merge (``python -m dlweek8 merge``).

Shards are numbered from 0, like Kubernetes' ``JOB_COMPLETION_INDEX``: ``--shard 0/3``,
``--shard 1/3`` and ``--shard 2/3`` grade the three contiguous slices of the submissions sorted
by name. ``--shards 3`` takes the index from ``JOB_COMPLETION_INDEX``. Each shard's folder holds
its ``results.jsonl`` and, in ``run.json``, a :class:`Shard`: which shard of how many, and the
size and SHA-256 of the full sorted list of submission names, so that the merge can prove that
every submission of the batch was graded exactly once.

The folders a Kubernetes Job wrote are merged against its listing (``merge --listing``,
:mod:`.listing`): each ``shard-I`` folder is checked against entry I alone, and a folder that fails
(say, a row naming another entry's submission) is refused by itself, never trusted.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from . import gradebook, outputs, report
from .shards import Shard, ShardError, digest

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
    except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
        raise ShardError(f"{folder}: cannot read its run.json ({type(exc).__name__})") from None
    if not info.shard:
        raise ShardError(f"{folder} was graded as a whole batch, not as a shard (--shard I/N or --shards N)")
    try:
        shard = Shard.from_json(info.shard)
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise ShardError(f"{folder}: its run.json does not say which shard it is ({type(exc).__name__})") from None
    return Part(Path(folder), info, shard, rows)


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


def merge(folders: list[Path], out: Path, listing=None) -> tuple[report.RunInfo, list[report.Row], list[str]]:
    """Merge shard folders into ``out``: grades.csv, feedback, gradebook files and report.

    With a ``listing`` (:mod:`.listing`), each folder is checked against it alone, and a folder that
    fails is refused: its listed submissions get a "not graded" row and the reason is returned."""
    if listing is None:
        info, rows = combine([read_part(Path(f)) for f in folders])
        refusals = []
    else:
        info, rows, refusals = combine_listed([Path(f) for f in folders], listing)
    outputs.write_all(out, info.question_ids, rows, info.assignment, roster=gradebook.roster_from_json(info.roster),
                     notices=info.notices, title=info.title, memory=info.memory)
    return info, rows, refusals


# -- merging what a Kubernetes Job wrote, against its listing -----------------------------------------

#: The folder each index of the Job writes (its per-index subPath on the results volume).
FOLDER_PATTERN = re.compile(r"shard-(\d+)")
#: Largest run.json, and results.jsonl per listed submission, read from a pod's folder.
MAX_RUN_BYTES = 1 << 20
MAX_RESULTS_BYTES_PER_SUBMISSION = 16 << 20


def index_of_folder(folder: Path) -> int:
    found = FOLDER_PATTERN.fullmatch(folder.name)
    if not found:
        raise ShardError(f"with --listing, give the shard-I folders the Job wrote, not {folder}")
    return int(found.group(1))


def _regular_file(path: Path, limit: int) -> None:
    if path.is_symlink() or not path.is_file():
        raise ShardError(f"its {path.name} is missing or not a regular file")
    if path.stat().st_size > limit:
        raise ShardError(f"its {path.name} is larger than {limit >> 20} MB")


def _listed_part(folder: Path, index: int, listing) -> Part:
    """The part in ``folder``, or :class:`ShardError` (one line) saying why entry ``index`` refuses it."""
    expected = listing.shard(index)
    _regular_file(folder / report.RUN_INFO, MAX_RUN_BYTES)
    _regular_file(folder / report.RESULTS, MAX_RESULTS_BYTES_PER_SUBMISSION * len(expected.names))
    try:
        part = read_part(folder)
    except ShardError as exc:
        raise ShardError(str(exc).removeprefix(f"{folder} ").removeprefix(f"{folder}: ")) from None
    except Exception as exc:  # noqa: BLE001 - whatever a pod wrote, its folder is refused, never the merge
        raise ShardError(f"its results cannot be read ({type(exc).__name__})") from None
    claimed = (part.shard.index, part.shard.count, part.shard.batch_size, part.shard.batch_digest)
    if claimed != (expected.index, expected.count, expected.batch_size, expected.batch_digest):
        raise ShardError(f"its run.json claims shard {part.shard.index} of {part.shard.count} of another listing or index")
    names = [row.submission for row in part.rows]
    for name in names:
        if name not in expected.names:
            owner = listing.owner(name)
            where = f"which the listing assigns to shard {owner}" if owner is not None else "which is not in the listing"
            raise ShardError(f"its rows name {name!r}, {where}")
    if len(set(names)) != len(names):
        raise ShardError("it holds two rows for one submission")
    if lost := sorted(set(expected.names) - set(names)):
        raise ShardError(f"it is incomplete ({len(lost)} of its submissions have no row, e.g. {lost[:3]})")
    return part


def _run_key(info: report.RunInfo) -> str:
    return json.dumps([info.assignment, info.question_ids, info.roster, info.notices, info.title], sort_keys=True, default=str)


def combine_listed(folders: list[Path], listing) -> tuple[report.RunInfo, list[report.Row], list[str]]:
    """The batch's info and rows from the folders of the listing's entries; a folder that fails its
    entry's checks (or disagrees with most others on what was graded) is refused alone: its listed
    submissions get a "not graded" row, and one line per refused folder says why."""
    count = len(listing.entries)
    by_index: dict[int, list[Path]] = {}
    for folder in folders:
        by_index.setdefault(index_of_folder(folder), []).append(folder)
    problems = [f"shard {i} given {len(f)} times ({', '.join(map(str, f))})" for i, f in sorted(by_index.items()) if len(f) > 1]
    problems += [f"shard-{i} is not an index of the listing (0 to {count - 1})" for i in sorted(by_index) if i >= count]
    missing = [i for i in range(count) if i not in by_index]
    if missing:
        problems.append(f"missing shard{'s' if len(missing) > 1 else ''} {', '.join(map(str, missing[:10]))}{' …' if len(missing) > 10 else ''} "
                        f"of 0 to {count - 1}")
    if problems:
        raise ShardError("refusing to merge: " + "; ".join(problems))
    accepted: dict[int, Part] = {}
    reasons: dict[int, str] = {}
    for index in range(count):
        folder = by_index[index][0]
        try:
            accepted[index] = _listed_part(folder, index, listing)
        except ShardError as exc:
            reasons[index] = str(exc)
    keys = Counter(_run_key(part.info) for part in accepted.values())
    if not keys:
        raise ShardError("refusing to merge: no shard passed its checks (" + "; ".join(f"shard {i}: {r}" for i, r in sorted(reasons.items())[:3]) + ")")
    key, votes = keys.most_common(1)[0]
    if 2 * votes <= len(accepted) and len(keys) > 1:
        raise ShardError("refusing to merge: the shards disagree on the assignment, questions, roster or notices they were graded with")
    for index, part in list(accepted.items()):
        if _run_key(part.info) != key:
            reasons[index] = "it was graded with another assignment, questions, roster or notices than most shards"
            del accepted[index]
    reference = next(part.info for part in accepted.values() if _run_key(part.info) == key)
    rows: dict[str, report.Row] = {}
    for index in range(count):
        if index in accepted:
            rows.update((row.submission, row) for row in accepted[index].rows)
        else:
            for name in listing.entries[index]:
                rows[name] = report.Row(name, notes=[f"not graded: the results of shard {index} were refused ({reasons[index]}); grade it again"])
    refusals = [f"refused shard {i} ({by_index[i][0]}): {reason}; its {len(listing.entries[i])} submission(s) are marked not graded"
                for i, reason in sorted(reasons.items())]
    info = report.RunInfo(reference.assignment, reference.question_ids, None, reference.roster, reference.notices, reference.title,
                          reference.memory)
    return info, [rows[name] for name in listing.names], refusals


def add_arguments(parser) -> None:
    parser.add_argument("parts", nargs="+", type=Path, help="the --out folders of every shard (grade --shard I/N or --shards N), or the shard-I folders of a k8s-job")
    parser.add_argument("--out", type=Path, required=True, help="folder for the merged grades.csv, feedback, gradebook files and report")
    parser.add_argument("--listing", type=Path,
                        help="the listing k8s-job wrote: a shard whose rows name a submission not listed for it is refused, and only it")


def run(args) -> int:
    from . import listing

    try:
        info, rows, refusals = merge(args.parts, args.out, listing.read(args.listing) if args.listing else None)
    except ShardError as exc:
        print(f"merge: {exc}")
        return 1
    from .classreport import mismatch_lines

    for line in refusals:
        print(f"merge: {line}")
    for line in mismatch_lines(info, rows):
        print(line)
    print(f"merged {len(args.parts)} shards: {len(rows)} submissions of {info.assignment}: {args.out / 'grades.csv'}")
    return 1 if refusals else 0
