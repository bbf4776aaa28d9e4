"""The Kubernetes Indexed Job ``k8s-job`` prints: valid against a current Kubernetes schema
(kubernetes-validate, offline, strict), and the pod is a sandbox."""

from __future__ import annotations

import kubernetes_validate
import pytest
import yaml

from dlweek8 import __main__ as cli
from dlweek8.instructor import k8s

ARGS = ["k8s-job", "--submissions-pvc", "week8-submissions", "--results-pvc", "week8-results", "--image", "registry.example.edu/hub/singleuser:2026.11",
        "--shards", "8", "--parallelism", "4", "--namespace", "dl-course", "--assignment", "/submissions/02_conv_arithmetic.ipynb",
        "--grade-args", "--cell-timeout 30"]


@pytest.fixture(scope="module")
def documents() -> list[dict]:
    import contextlib
    import io

    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert cli.main(ARGS) == 0
    return list(yaml.safe_load_all(printed.getvalue()))


def by_kind(documents, kind: str) -> dict:
    (found,) = [d for d in documents if d["kind"] == kind]
    return found


def test_the_manifests_are_valid_for_a_current_kubernetes(documents):
    version = kubernetes_validate.utils.latest_version()
    assert tuple(map(int, version.split(".")[:2])) >= (1, 33)
    assert [d["kind"] for d in documents] == ["Job", "NetworkPolicy"]
    for document in documents:
        kubernetes_validate.validate(document, version, strict=True)


def test_a_broken_manifest_is_caught_by_the_validator(documents):
    """The validation above can fail: a misspelt field and a wrong type are rejected."""
    job = yaml.safe_load(yaml.safe_dump(by_kind(documents, "Job")))
    job["spec"]["completionMod"] = job["spec"].pop("completionMode")
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(job, kubernetes_validate.utils.latest_version(), strict=True)
    job = yaml.safe_load(yaml.safe_dump(by_kind(documents, "Job")))
    job["spec"]["parallelism"] = "four"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(job, kubernetes_validate.utils.latest_version(), strict=True)


def test_an_indexed_job_with_per_index_retries_a_failure_policy_and_a_deadline(documents):
    spec = by_kind(documents, "Job")["spec"]
    assert spec["completionMode"] == "Indexed" and spec["completions"] == 8 and spec["parallelism"] == 4
    assert spec["backoffLimitPerIndex"] >= 0 and spec["activeDeadlineSeconds"] > 0
    rules = spec["podFailurePolicy"]["rules"]
    assert {"action": "FailJob", "onExitCodes": {"containerName": "grader", "operator": "In", "values": [1]}} in rules
    assert {"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget"}]} in rules
    assert spec["template"]["spec"]["restartPolicy"] == "Never"


def test_each_pod_grades_its_shard_into_its_own_results_folder(documents):
    (container,) = by_kind(documents, "Job")["spec"]["template"]["spec"]["containers"]
    assert container["args"] == ["python", "-m", "dlweek8", "grade", "/submissions", "--shards", "8", "--out", "/results/shard-$(JOB_COMPLETION_INDEX)",
                                 "--no-sandbox", "--assignment", "/submissions/02_conv_arithmetic.ipynb", "--cell-timeout", "30"]
    env = {e["name"]: e for e in container["env"]}
    assert env["JOB_COMPLETION_INDEX"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.annotations['batch.kubernetes.io/job-completion-index']"
    assert env["HOME"]["value"] == k8s.HOME


def test_the_pod_is_the_sandbox(documents):
    pod = by_kind(documents, "Job")["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert pod["automountServiceAccountToken"] is False and pod["securityContext"]["runAsNonRoot"] is True
    security = container["securityContext"]
    assert security["runAsNonRoot"] and security["runAsUser"] != 0 and security["readOnlyRootFilesystem"]
    assert security["allowPrivilegeEscalation"] is False and security["capabilities"] == {"drop": ["ALL"]} and not security["privileged"]
    resources = container["resources"]
    assert resources["limits"]["cpu"] and resources["limits"]["memory"] and resources["requests"]["memory"]
    mounts = {m["mountPath"]: m for m in container["volumeMounts"]}
    assert set(mounts) == {"/submissions", "/results", "/tmp", k8s.HOME}
    assert mounts["/submissions"]["readOnly"] is True and not mounts["/results"].get("readOnly")
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert volumes["submissions"]["persistentVolumeClaim"] == {"claimName": "week8-submissions", "readOnly": True}
    assert volumes["results"]["persistentVolumeClaim"]["claimName"] == "week8-results"
    assert "emptyDir" in volumes["tmp"] and "emptyDir" in volumes["home"]
    assert "solution" not in yaml.safe_dump(pod).lower(), "no solutions mounted"


def test_a_network_policy_denies_the_grading_pods_all_egress(documents):
    job, policy = by_kind(documents, "Job"), by_kind(documents, "NetworkPolicy")
    labels = job["spec"]["template"]["metadata"]["labels"]
    selector = policy["spec"]["podSelector"]["matchLabels"]
    assert selector.items() <= labels.items() and selector
    assert "Egress" in policy["spec"]["policyTypes"] and policy["spec"]["egress"] == []
    assert policy["metadata"]["namespace"] == job["metadata"]["namespace"] == "dl-course"


def test_bad_arguments_get_one_line(capsys):
    args = [a if a != "8" else "0" for a in ARGS]
    assert cli.main(args) == 1
    assert capsys.readouterr().out == "k8s-job: --shards must be at least 1\n"
