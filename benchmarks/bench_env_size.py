"""Size of the installed environment (the virtual environment running this script) and torch's share."""

from __future__ import annotations

import os
import sys
import sysconfig
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run_all import Size  # noqa: E402

GOAL_BYTES = int(1.3e9)
#: Installed distributions that exist for torch alone (CPU wheel: torch itself; CUDA wheels add nvidia-*, triton).
TORCH_PARTS = ("torch", "functorch", "torchgen", "nvidia", "triton")


def disk_usage(path: Path) -> int:
    """Bytes allocated on disk under ``path`` (what ``du -s`` reports), links not followed."""
    total = 0
    for root, dirs, files in os.walk(path):
        for name in dirs + files:
            try:
                stat = os.lstat(os.path.join(root, name))
            except OSError:
                continue
            total += stat.st_blocks * 512 if hasattr(stat, "st_blocks") else stat.st_size
    return total


def top_level_sizes(site_packages: Path) -> dict[str, int]:
    """Disk usage of each top-level entry of site-packages, dist-info folders included with their package."""
    sizes: dict[str, int] = {}
    for entry in site_packages.iterdir():
        name = entry.name.split("-")[0].lower() if entry.name.endswith((".dist-info", ".egg-info")) else entry.name.lower()
        size = disk_usage(entry) if entry.is_dir() and not entry.is_symlink() else entry.lstat().st_size
        sizes[name.removesuffix(".py")] = sizes.get(name.removesuffix(".py"), 0) + size
    return sizes


def _canonical(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def runtime_distributions(root: str = "dlweek8") -> set[str]:
    """``root`` and everything its runtime requirements pull in (no extras), as canonical names."""
    from importlib import metadata

    from packaging.requirements import Requirement

    wanted, todo = set(), [(root, ())]
    while todo:
        name, extras = todo.pop()
        key = _canonical(name)
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        first_visit = key not in wanted
        wanted.add(key)
        for text in dist.requires or []:
            requirement = Requirement(text)
            marker = requirement.marker
            if marker is None or any(marker.evaluate({"extra": extra}) for extra in ("", *extras)):
                if first_visit or requirement.extras:
                    todo.append((requirement.name, tuple(requirement.extras)))
    return wanted


def distribution_bytes(names: set[str]) -> int:
    """Bytes of the files the installed distributions ``names`` recorded (their RECORD)."""
    from importlib import metadata

    total = 0
    for dist in metadata.distributions():
        if _canonical(dist.metadata["Name"]) in names:
            for file in dist.files or []:
                path = Path(dist.locate_file(file))
                if path.is_file() and not path.is_symlink():
                    total += path.stat().st_size
    return total


def sizes() -> list[Size]:
    prefix = Path(sys.prefix)
    site_packages = Path(sysconfig.get_paths()["purelib"])
    total = disk_usage(prefix)
    parts = top_level_sizes(site_packages)
    torch = sum(size for name, size in parts.items() if name.startswith(TORCH_PARTS))
    others = sorted(((size, name) for name, size in parts.items() if not name.startswith(TORCH_PARTS)), reverse=True)[:4]
    found = [
        Size(f"environment size ({prefix.name})", total, GOAL_BYTES),
        Size("  of which torch", torch, note=f"{torch / total:.0%} of the environment"),
    ]
    found += [Size(f"  of which {name}", size, note=f"{size / total:.0%}") for size, name in others]
    runtime = runtime_distributions()
    found.append(Size("runtime packages only (what `run.py lab` installs)", distribution_bytes(runtime), GOAL_BYTES,
                      note=f"{len(runtime)} distributions, without the test extra"))
    return found
