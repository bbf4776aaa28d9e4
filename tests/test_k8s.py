"""The Kubernetes manifests ``k8s-job`` prints: valid against a current Kubernetes schema
(kubernetes-validate, offline, strict); one submission per pod, picked by the completion index from
the listing the command writes; each pod writes only its own results folder (a per-index subPath).
That a pod's command, run with these mounts, cannot write another index's results is shown by
``tests/test_shards.py::test_a_hostile_pod_cannot_write_another_index_s_results``; that the kernel container
(where a submission runs, in the student image) reaches nothing of the grader's, by ``tests/test_k8s_containers.py``."""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from dlweek8 import __main__ as cli
from dlweek8.instructor import k8s
from dlweek8.instructor.grading import listing as listings
from dlweek8.instructor.grading import sandbox

ROOT = Path(__file__).resolve().parents[1]
STUDENTS = ["zoe", "amir", "bo", "chen", "dara"]
GRADER_IMAGE, STUDENT_IMAGE = "registry.example.edu/course/grader:2026.11", "registry.example.edu/hub/singleuser:2026.11"
COMMON = ["--submissions-pvc", "week8-submissions", "--results-pvc", "week8-results", "--image", GRADER_IMAGE,
          "--parallelism", "4", "--namespace", "dl-course", "--assignment", "/opt/course/notebooks/02_conv_arithmetic.ipynb", "--grade-args", "--cell-timeout 30"]


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("course")
    edition = next((ROOT / "notebooks").glob("02_*.ipynb"))
    for student in STUDENTS:
        (folder / "submissions" / student).mkdir(parents=True)
        shutil.copy(edition, folder / "submissions" / student / edition.name)
    return folder


def printed(argv) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = cli.main(argv)
    return code, out.getvalue()


def k8s_job(course: Path, *extra: str) -> list[dict]:
    code, text = printed(["k8s-job", "--submissions", str(course / "submissions"), "--listing", str(course / "listing.json"), *COMMON, *extra])
    assert code == 0, text
    return list(yaml.safe_load_all(text))


@pytest.fixture(scope="module")
def documents(course) -> list[dict]:
    return k8s_job(course, "--kernel-image", STUDENT_IMAGE)


@pytest.fixture(scope="module")
def sandboxed(course, tmp_path_factory) -> list[dict]:
    other = tmp_path_factory.mktemp("sandboxed")
    shutil.copytree(course / "submissions", other / "submissions")
    return k8s_job(other, "--pod-sandbox", "--shards", "2", "--jobs-per-pod", "2")


def by_kind(documents, kind: str) -> dict:
    (found,) = [d for d in documents if d["kind"] == kind]
    return found


def pod_of(documents) -> dict:
    return by_kind(documents, "Job")["spec"]["template"]["spec"]


def test_the_manifests_are_valid_for_a_current_kubernetes(documents, sandboxed):
    version = kubernetes_validate.utils.latest_version()
    assert tuple(map(int, version.split(".")[:2])) >= (1, 33)
    for docs in (documents, sandboxed):
        assert [d["kind"] for d in docs] == ["ConfigMap", "Job", "NetworkPolicy"]
        for document in docs:
            kubernetes_validate.validate(document, version, strict=True)


def test_a_broken_manifest_is_caught_by_the_validator(documents):
    """The validation above can fail: a misspelt field, a wrong type and a subPath field that does not exist are rejected."""
    version = kubernetes_validate.utils.latest_version()
    for spoil in (lambda job: job["spec"].__setitem__("completionMod", job["spec"].pop("completionMode")),
                  lambda job: job["spec"].__setitem__("parallelism", "four"),
                  lambda job: job["spec"]["template"]["spec"]["containers"][1]["volumeMounts"][1].__setitem__("subPathExpresion", "x")):
        job = yaml.safe_load(yaml.safe_dump(by_kind(documents, "Job")))
        spoil(job)
        with pytest.raises(kubernetes_validate.ValidationError):
            kubernetes_validate.validate(job, version, strict=True)


def test_the_listing_names_one_submission_per_index_in_a_file_and_a_configmap(course, documents):
    written = (course / "listing.json").read_text(encoding="utf-8")
    listing = listings.parse(written)
    assert listing.entries == tuple((f"{s}/02_conv_arithmetic.ipynb",) for s in sorted(STUDENTS))
    configmap = by_kind(documents, "ConfigMap")
    assert configmap["data"] == {k8s.LISTING_FILE: written} and configmap["immutable"] is True
    volumes = {v["name"]: v for v in pod_of(documents)["volumes"]}
    assert volumes["listing"]["configMap"]["name"] == configmap["metadata"]["name"]
    assert configmap["metadata"]["namespace"] == "dl-course"


def test_an_indexed_job_with_one_completion_per_submission(documents):
    spec = by_kind(documents, "Job")["spec"]
    assert spec["completionMode"] == "Indexed" and spec["completions"] == len(STUDENTS) and spec["parallelism"] == 4
    assert spec["backoffLimitPerIndex"] >= 0 and spec["activeDeadlineSeconds"] > 0
    rules = spec["podFailurePolicy"]["rules"]
    assert {"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget"}]} in rules
    # grade exiting 1 (a configuration error) fails the Job: no student code runs in the grader's container. Only that
    # container's exit: the submission runs in the kernel container, and must not be able to fail the whole Job.
    assert [r for r in rules if r["action"] == "FailJob"] == [{"action": "FailJob", "onExitCodes": {"containerName": "grader", "operator": "In", "values": [1]}}]
    assert spec["template"]["spec"]["restartPolicy"] == "Never"


def containers(pod: dict) -> tuple[dict, dict]:
    """The kernel container and the grader's, in that order (kubelet starts them in the order listed)."""
    kernel, grader = pod["containers"]
    assert (kernel["name"], grader["name"]) == ("kernel", "grader")
    return kernel, grader


def test_each_pod_grades_its_listing_entry_into_its_own_folder(documents):
    pod = pod_of(documents)
    _, container = containers(pod)
    assert container["image"] == GRADER_IMAGE
    assert container["args"] == ["python", "-m", "dlweek8", "grade-entry", "/submissions", "--listing", "/listing/listing.json", "--out", "/results",
                                 "--kernel-socket", "/channel/kernel.sock", "--jobs", "1", "--assignment", "/opt/course/notebooks/02_conv_arithmetic.ipynb",
                                 "--cell-timeout", "30"]
    env = {e["name"]: e for e in container["env"]}
    assert env["JOB_COMPLETION_INDEX"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.annotations['batch.kubernetes.io/job-completion-index']"
    assert env["HOME"]["value"] == k8s.HOME
    mounts = {m["mountPath"]: m for m in container["volumeMounts"]}
    assert mounts["/results"] == {"name": "results", "mountPath": "/results", "subPathExpr": "shard-$(JOB_COMPLETION_INDEX)"}
    # only the init container sees the whole results volume, and all it runs is a mkdir of the pod's own folder
    (init,) = pod["initContainers"]
    assert init["volumeMounts"] == [{"name": "results", "mountPath": k8s.RESULTS_VOLUME}]
    assert init["args"][:2] == ["python", "-c"] and "makedirs" in init["args"][2] and init["args"][3:] == [f"{k8s.RESULTS_VOLUME}/shard-$(JOB_COMPLETION_INDEX)"]
    assert init["securityContext"] == container["securityContext"]


def test_both_containers_are_confined(documents):
    pod = pod_of(documents)
    assert pod["automountServiceAccountToken"] is False and pod["securityContext"]["runAsNonRoot"] is True and "hostUsers" not in pod
    for container in containers(pod):
        security = container["securityContext"]
        assert security["runAsNonRoot"] and security["runAsUser"] != 0 and security["readOnlyRootFilesystem"]
        assert security["allowPrivilegeEscalation"] is False and security["capabilities"] == {"drop": ["ALL"]} and not security["privileged"]
        assert security["seccompProfile"] == {"type": "RuntimeDefault"} and "procMount" not in security and "appArmorProfile" not in security
        resources = container["resources"]
        assert resources["limits"]["cpu"] and resources["limits"]["memory"] and resources["limits"]["ephemeral-storage"] and resources["requests"]["memory"]
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert volumes["submissions"]["persistentVolumeClaim"] == {"claimName": "week8-submissions", "readOnly": True}
    assert volumes["results"]["persistentVolumeClaim"]["claimName"] == "week8-results"
    assert "solution" not in yaml.safe_dump(pod).lower(), "no solutions mounted"


def test_the_submission_runs_in_a_kernel_container_of_the_student_image_that_mounts_nothing_of_the_grader_s(documents):
    """The kernel container (where the cells run) is the student image and mounts only emptyDirs: its /tmp and HOME, and
    /channel, the one volume it shares with the grader's container (its socket). No submissions, results or listing;
    its memory limit is the submission's. The grader's container mounts the rest and its own /tmp and HOME."""
    pod = pod_of(documents)
    kernel, grader = containers(pod)
    assert kernel["image"] == STUDENT_IMAGE
    assert kernel["args"] == ["python", "-I", "-m", "dlweek8.confined", "--listen=/channel/kernel.sock", *k8s.KERNEL_MODULES]
    volumes = {v["name"]: v for v in pod["volumes"]}
    kernel_mounts = {m["mountPath"]: m["name"] for m in kernel["volumeMounts"]}
    grader_mounts = {m["mountPath"]: m for m in grader["volumeMounts"]}
    assert set(kernel_mounts) == {"/tmp", k8s.HOME, "/channel"}
    assert all(set(volumes[name]) == {"name", "emptyDir"} for name in kernel_mounts.values()), "the kernel container mounts emptyDirs only"
    # in memory, within its memory limit: nothing the submission writes lands on the node's disk
    assert all(volumes[name]["emptyDir"]["medium"] == "Memory" and volumes[name]["emptyDir"]["sizeLimit"] for name in kernel_mounts.values())
    assert set(grader_mounts) == {"/submissions", "/results", "/listing", "/tmp", k8s.HOME, "/channel"}
    assert grader_mounts["/submissions"]["readOnly"] is True and grader_mounts["/listing"]["readOnly"] is True
    assert not grader_mounts["/results"].get("readOnly")
    shared = {m["name"] for m in kernel["volumeMounts"]} & {m["name"] for m in grader["volumeMounts"]}
    assert shared == {"channel"}, "the socket's folder is all the two containers share"
    assert "shareProcessNamespace" not in pod, "each container has its own PID namespace"
    assert kernel["resources"]["limits"]["memory"] == "2Gi" and kernel["resources"]["requests"] == {"cpu": "1", "memory": "2Gi"}
    env = {e["name"]: e.get("value") for e in kernel["env"]}
    assert "PATH" not in env and env["HOME"] == k8s.HOME and env["OMP_NUM_THREADS"] == "1" and "JOB_COMPLETION_INDEX" not in env


def test_the_kernel_refuses_to_run_where_the_instructor_package_is_importable(tmp_path):
    """The kernel container's command, with the whole package importable (a wrong --kernel-image), exits 1 with one
    line and never makes its socket: the grader then finds no kernel and exits 1, which fails the Job."""
    kernel = k8s.kernel_command()
    socket_path = tmp_path / "kernel.sock"
    command = [sys.executable, *[a.replace(k8s.KERNEL_SOCKET, str(socket_path)) for a in kernel[1:]]]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, env={**os.environ, "HOME": str(tmp_path)})
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("dlweek8.confined: refusing to run submissions: the instructor package is importable here ("), done.stderr
    assert not socket_path.exists()


def test_the_grader_without_a_kernel_says_so_in_one_line(tmp_path, capsys):
    """No kernel container answering at the socket is a configuration error: one line, exit 1 (the Job then fails)."""
    edition = next((ROOT / "notebooks").glob("02_*.ipynb"))
    (tmp_path / "subs" / "zoe").mkdir(parents=True)
    shutil.copy(edition, tmp_path / "subs" / "zoe" / edition.name)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sandbox, "KERNEL_STARTUP_S", 0.5)
        code = cli.main(["grade", str(tmp_path / "subs"), "--out", str(tmp_path / "out"), "--kernel-socket", str(tmp_path / "none.sock"), "--notes-numbers"])
    out = capsys.readouterr().out
    assert code == 1 and out.count("\n") == 1, out
    assert out.startswith(f"grade: no kernel container answered at {tmp_path / 'none.sock'} within 0.5 s"), out
    assert cli.main(["grade", str(tmp_path / "subs"), "--out", str(tmp_path / "out"), "--kernel-socket", "k.sock", "--no-sandbox"]) == 1
    assert capsys.readouterr().out.startswith("grade: give --kernel-socket or --no-sandbox, not both")


def test_the_pod_sandbox_keeps_bubblewrap_in_a_user_namespace_with_a_shard_per_pod(sandboxed):
    listing = listings.parse(by_kind(sandboxed, "ConfigMap")["data"][k8s.LISTING_FILE])
    assert [len(entry) for entry in listing.entries] == [2, 3] and len(listing.names) == len(STUDENTS)
    spec = by_kind(sandboxed, "Job")["spec"]
    assert spec["completions"] == 2
    assert {"action": "FailJob", "onExitCodes": {"containerName": "grader", "operator": "In", "values": [1]}} in spec["podFailurePolicy"]["rules"]
    pod = spec["template"]["spec"]
    (container,) = pod["containers"]
    assert pod["hostUsers"] is False
    assert "--no-sandbox" not in container["args"] and container["args"][container["args"].index("--jobs") + 1] == "2"
    security = container["securityContext"]
    assert security["procMount"] == "Unmasked" and security["seccompProfile"] == {"type": "Unconfined"} and security["appArmorProfile"] == {"type": "Unconfined"}
    assert security["runAsNonRoot"] and security["readOnlyRootFilesystem"] and security["capabilities"] == {"drop": ["ALL"]}
    assert security["allowPrivilegeEscalation"] is False
    # the init container, which sees the whole results volume, keeps the strict profile
    assert pod["initContainers"][0]["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    mounts = {m["mountPath"]: m for m in container["volumeMounts"]}
    assert mounts["/results"]["subPathExpr"] == "shard-$(JOB_COMPLETION_INDEX)"


def test_a_network_policy_denies_the_grading_pods_all_egress(documents):
    job, policy = by_kind(documents, "Job"), by_kind(documents, "NetworkPolicy")
    labels = job["spec"]["template"]["metadata"]["labels"]
    selector = policy["spec"]["podSelector"]["matchLabels"]
    assert selector.items() <= labels.items() and selector
    assert "Egress" in policy["spec"]["policyTypes"] and policy["spec"]["egress"] == []
    assert policy["metadata"]["namespace"] == job["metadata"]["namespace"] == "dl-course"


@pytest.mark.parametrize("extra, line", [
    (["--shards", "2"], "k8s-job: --shards needs --pod-sandbox: without it each pod grades one submission\n"),
    (["--pod-sandbox"], "k8s-job: --pod-sandbox needs --shards N\n"),
    (["--jobs-per-pod", "2"], "k8s-job: --jobs-per-pod needs --pod-sandbox: without it each pod grades one submission\n"),
    (["--pod-sandbox", "--shards", "0"], "k8s-job: the number of shards must be between 1 and the 5 submissions, not 0\n"),
    (["--pod-sandbox", "--shards", "6"], "k8s-job: the number of shards must be between 1 and the 5 submissions, not 6\n"),
    ([], "k8s-job: without --pod-sandbox the submissions run in a kernel container: give --kernel-image (the hub's student image)\n"),
    (["--pod-sandbox", "--shards", "2", "--kernel-image", STUDENT_IMAGE],
     "k8s-job: --kernel-image is for the default mode: with --pod-sandbox bubblewrap confines each submission in the grader's container\n"),
])
def test_bad_arguments_get_one_line(course, tmp_path, extra, line):
    code, out = printed(["k8s-job", "--submissions", str(course / "submissions"), "--listing", str(tmp_path / "l.json"), *COMMON, *extra])
    assert (code, out) == (1, line)
    assert not (tmp_path / "l.json").exists()


def test_an_empty_or_missing_submissions_folder_gets_one_line(tmp_path):
    (tmp_path / "empty").mkdir()
    for folder, line in ((tmp_path / "empty", "k8s-job: no submissions to list\n"), (tmp_path / "nowhere", f"k8s-job: {tmp_path / 'nowhere'} is not a folder\n")):
        assert printed(["k8s-job", "--submissions", str(folder), "--listing", str(tmp_path / "l.json"), *COMMON, "--kernel-image", STUDENT_IMAGE]) == (1, line)


def test_a_listing_that_is_not_one_is_refused_in_one_line(tmp_path):
    for text in ("", "[]", json.dumps({"format": "dlweek8-listing/1", "entries": [["a"], ["a"]]}),
                 json.dumps({"format": "dlweek8-listing/1", "entries": [[]]}), json.dumps({"format": "other", "entries": [["a"]]})):
        (tmp_path / "l.json").write_text(text)
        with pytest.raises(listings.shards.ShardError) as info:
            listings.read(tmp_path / "l.json")
        assert "\n" not in str(info.value) and "is not a k8s-job listing" in str(info.value)


def test_the_pod_grades_exactly_the_entry_its_index_names(course, tmp_path):
    listing = listings.of_batch(listings.names_in(course / "submissions"))
    for index, entry in enumerate(listing.entries):
        chosen = listings.entry_for_this_pod(listing, course / "submissions", {"JOB_COMPLETION_INDEX": str(index)})
        assert chosen == (index, len(STUDENTS))
        assert listings.shards.select(listing.names, *chosen)[0] == list(entry)
    assert listing.shard(1).names == ("bo/02_conv_arithmetic.ipynb",) and listing.owner("zoe/02_conv_arithmetic.ipynb") == 4


@pytest.mark.parametrize("change, line", [
    (lambda folder: shutil.copytree(folder / "zoe", folder / "eve"), "6 found, 5 listed; 'eve/02_conv_arithmetic.ipynb' is not listed)"),
    (lambda folder: shutil.rmtree(folder / "bo"), "4 found, 5 listed; 'bo/02_conv_arithmetic.ipynb' is missing)"),
])
def test_a_pod_whose_volume_is_not_the_listed_batch_refuses_in_one_line(course, tmp_path, capsys, change, line):
    folder = tmp_path / "submissions"
    shutil.copytree(course / "submissions", folder)
    change(folder)
    argv = ["grade-entry", str(folder), "--listing", str(course / "listing.json"), "--out", str(tmp_path / "out"), "--no-sandbox"]
    with pytest.MonkeyPatch.context() as env:
        env.setenv("JOB_COMPLETION_INDEX", "1")
        assert cli.main(argv) == 1
        out = capsys.readouterr().out
        assert out == f"grade-entry: {folder} does not hold the listed batch ({line}\n" and out.count("\n") == 1
        env.setenv("JOB_COMPLETION_INDEX", "5")
        shutil.rmtree(folder)
        shutil.copytree(course / "submissions", folder)
        assert cli.main(argv) == 1
        assert capsys.readouterr().out == "grade-entry: shard index 5 is outside 0 to 4 (shards are numbered from 0)\n"
        assert cli.main([*argv, "--shards", "2"]) == 1
        assert capsys.readouterr().out.startswith("grade-entry: give one submissions folder and --listing")
    assert not (tmp_path / "out").exists()
