"""The run's cgroups: pids (RLIMIT_NPROC exempts a grader running as root) and memory (RLIMIT_AS is per process).

The end-to-end promises (a fork bomb in a real ``grade`` run stays within 3x the limit, as root too;
four processes holding 6 GB are stopped) are in ``test_hostile_submissions.py``; here, one sandbox
template with a small limit, the cgroup the submission cannot reach, the clean-up, the fallback, how
the hierarchy is found (v1 and v2), and the limits a submission's folder gets in either version.
"""

from __future__ import annotations

import functools
import os
import re
import time

import pytest

from dlweek8 import confined, protocol
from dlweek8.instructor.grading import runner, sandbox

LIMIT = 20
FORK_BOMB = f"""
import os, signal
children = []
try:
    while len(children) < {5 * LIMIT}: children.append(os.posix_spawn('/bin/sleep', ['sleep', '60'], {{}}))
except OSError: pass
for pid in children: os.kill(pid, signal.SIGKILL); os.waitpid(pid, 0)
mounts = open('/proc/self/mountinfo').read()
try: where = [line.split(':')[2].strip() for line in open('/proc/self/cgroup') if ':pids:' in line or line.startswith('0::')]
except OSError: where = []
raised = 'no'
for folder in ({', '.join(map(repr, sandbox.CGROUP_MOUNTS))}, '/sys/fs/cgroup/pids', '/sys/fs/cgroup'):
    try: names = os.listdir(folder)
    except OSError: names = []
    for name in names:
        try:
            with open(os.path.join(folder, name, 'pids.max'), 'w') as limit: limit.write('max')
            raised = os.path.join(folder, name)
        except OSError: pass
leak = f"forked={{len(children)}} cgroup_mounted={{' cgroup' in mounts}} raised={{raised}} in={{','.join(where)}}"
"""

needs_sandbox = pytest.mark.skipif(sandbox.unavailable_reason() is not None, reason=str(sandbox.unavailable_reason()))


def _run(template: sandbox.Template, code: str) -> dict[str, str]:
    limits = runner.Limits(processes=LIMIT, cell_timeout=60, notebook_timeout=120)
    result = runner.execute(runner.Job("fork-bomb", [(1, code)], [("q", "leak", None)], limits), template)
    assert "q" in result.replies, result
    return dict(re.findall(r"(\w+)=([^ ]*)", result.replies["q"]["value"]))


@functools.cache
def _root_with_cgroup() -> str | None:
    """Why the cgroup cannot be tested here, or None (tried once: it makes and removes a real cgroup)."""
    if os.geteuid() != 0:
        return "the grader is not root here: RLIMIT_NPROC binds, and no pids cgroup is made"
    try:
        sandbox.remove_cgroup(sandbox.make_run_cgroup())
    except OSError as exc:
        return f"no writable pids cgroup here ({exc})"
    return None


@needs_sandbox
@pytest.mark.skipif(_root_with_cgroup() is not None, reason=str(_root_with_cgroup()))
def test_a_fork_bomb_stops_at_the_limit_and_cannot_raise_it():
    template = sandbox.Template([])
    run_cgroup = template.pids_cgroup
    try:
        assert run_cgroup is not None and template.notice is None
        got = _run(template, FORK_BOMB)
        assert 0 < int(got["forked"]) < LIMIT, got  # the submission process counts too
        assert got["cgroup_mounted"] == "False" and got["raised"] == "no", got
        assert "/submission-" in got["in"], got  # its folder of the run's cgroup
        deadline = time.monotonic() + 10  # the supervisor removes the submission's folder once it ended
        while any(name.startswith("submission-") for name in os.listdir(run_cgroup)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(name.startswith("submission-") for name in os.listdir(run_cgroup)), os.listdir(run_cgroup)
    finally:
        template.close()
    assert not os.path.exists(run_cgroup), "the run's cgroup must be removed when the sandbox ended"
    assert template.pids_cgroup is None


@needs_sandbox
def test_without_a_pids_cgroup_grading_still_runs_and_says_so_once(monkeypatch, capsys):
    def no_cgroup(controller="pids", shared=None):
        raise OSError(f"no {controller} cgroup hierarchy is mounted")

    monkeypatch.setattr(sandbox, "make_run_cgroup", no_cgroup)
    monkeypatch.setattr(sandbox.os, "geteuid", lambda: 0)
    template = sandbox.Template([])
    try:
        assert template.pids_cgroup is None
        got = _run(template, FORK_BOMB.replace(f"{5 * LIMIT}", "3"))
        assert got["forked"] == "3", got
        _run(template, "leak = 'forked=0'")
    finally:
        template.close()
    lines = [line for line in capsys.readouterr().err.splitlines() if "process limit" in line]
    assert lines == [f"grade: {template.notice}"], lines
    assert "RLIMIT_NPROC" in template.notice and "no pids cgroup hierarchy is mounted" in template.notice


HYBRID_MOUNTS = """\
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
"""


@pytest.mark.parametrize(("mountinfo", "cgroups", "expected"), [
    (HYBRID_MOUNTS, "8:pids:/\n4:memory:/a\n0::/", [(1, "/sys/fs/cgroup/pids"), (2, "/sys/fs/cgroup/unified")]),
    (HYBRID_MOUNTS, "8:pids:/ci/job 7\n0::/", [(1, "/sys/fs/cgroup/pids/ci/job 7"), (2, "/sys/fs/cgroup/unified")]),
    # v2 only: the grader's own cgroup, seen from the root or from a container whose mount is its cgroup
    ("30 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate\n", "0::/user.slice/grader.scope", [(2, "/sys/fs/cgroup/user.slice/grader.scope")]),
    ("30 23 0:26 /kubepods/pod1 /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n", "0::/kubepods/pod1/c", [(2, "/sys/fs/cgroup/c")]),
    ("30 23 0:26 /other /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n", "0::/kubepods/pod1", []),  # its cgroup is not under that mount
    # no pids: only other v1 controllers, or nothing mounted
    ("35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n", "4:memory:/", []),
    ("", "", []),
])
def test_the_pids_hierarchy_is_the_graders_own_cgroup(mountinfo, cgroups, expected):
    assert sandbox.cgroup_hierarchies(mountinfo, cgroups, "pids") == expected


def test_the_memory_hierarchy_is_found_the_same_way():
    cgroups = "8:pids:/\n4:memory:/process_api/7\n0::/"
    assert sandbox.cgroup_hierarchies(HYBRID_MOUNTS, cgroups, "memory") == [(1, "/sys/fs/cgroup/memory/process_api/7"), (2, "/sys/fs/cgroup/unified")]


V1_FILES = ("memory.limit_in_bytes", "memory.memsw.limit_in_bytes", "memory.oom_control", "cgroup.event_control", "cgroup.procs")
V2_FILES = ("pids.max", "memory.max", "memory.swap.max", "memory.oom.group", "memory.events", "cgroup.procs")


@pytest.mark.parametrize("files", [V1_FILES, V2_FILES], ids=["v1", "v2"])
def test_a_submissions_folder_gets_every_limit_its_controllers_offer(tmp_path, files):
    """The supervisor's folder (a plain folder standing in for cgroupfs, whose files the kernel would make):
    the process limit where pids is offered, the memory limit without swap, and how an OOM kill is told
    (v1: an eventfd registered on memory.oom_control; v2: the whole folder killed); then the count is read."""
    folder = tmp_path / f"submission-{os.getpid()}"
    folder.mkdir()
    for name in files:
        (folder / name).write_text("oom_kill_disable 0\noom_kill 0\n" if name in ("memory.oom_control", "memory.events") else "")
    expected = str(confined.submission_memory_bytes(protocol.Start(tmp_mb=100, memory_bytes=1000 * 2**20)))
    assert expected == str((1000 + 100 + confined.SHM_MB) * 2**20)
    cgroup = confined._CgroupFolder(str(tmp_path), 20, int(expected))
    try:
        written = {name: (folder / name).read_text() for name in files}
        if files is V1_FILES:
            assert written["memory.limit_in_bytes"] == written["memory.memsw.limit_in_bytes"] == expected
            assert cgroup.oom_alarm is not None and written["cgroup.event_control"].startswith(f"{cgroup.oom_alarm} ")
            counts = "memory.oom_control"
        else:
            assert (written["pids.max"], written["memory.max"], written["memory.swap.max"], written["memory.oom.group"]) == ("20", expected, "0", "1")
            assert cgroup.oom_alarm is None
            counts = "memory.events"
        assert not cgroup.ran_out_of_memory()
        (folder / counts).write_text("oom 1\noom_kill 1\n")
        assert cgroup.ran_out_of_memory()
    finally:
        for name in files:
            (folder / name).unlink()
        cgroup.remove()
    assert not folder.exists()
