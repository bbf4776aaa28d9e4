"""``python -m dlweek8 k8s-job``: a Kubernetes Indexed Job that grades a batch in shards.

Prints two manifests (YAML, one document each):

- an Indexed Job: pod ``$JOB_COMPLETION_INDEX`` runs ``python -m dlweek8 grade /submissions
  --shards N --out /results/shard-<index> --no-sandbox``. The pod is the sandbox: non-root,
  read-only root file system, no privilege escalation, no capabilities, no service-account
  token, CPU and memory limits, a private emptyDir for /tmp and HOME, the submissions volume
  mounted read-only, the results volume for its output, and nothing else (no solutions);
- a NetworkPolicy that denies those pods all egress (and ingress).

Then ``python -m dlweek8 merge /results/shard-* --out graded/`` assembles the batch.
"""

from __future__ import annotations

import re
import shlex

import yaml

#: Label every grading pod carries; the NetworkPolicy selects on it.
POD_LABEL = "dlweek8.grading/job"
SUBMISSIONS = "/submissions"
RESULTS = "/results"
HOME = "/home/grader"
UID = 1000


def _name(text: str) -> str:
    name = re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")[:52]
    if not name:
        raise ValueError(f"{text!r} gives no valid Kubernetes name")
    return name


def grade_command(shards: int, assignment: str | None, extra: list[str]) -> list[str]:
    """What each pod runs; ``$(JOB_COMPLETION_INDEX)`` is expanded by Kubernetes from the pod's env."""
    command = ["python", "-m", "dlweek8", "grade", SUBMISSIONS, "--shards", str(shards), "--out", f"{RESULTS}/shard-$(JOB_COMPLETION_INDEX)", "--no-sandbox"]
    if assignment:
        command += ["--assignment", assignment]
    return command + list(extra)


def manifests(*, name: str, image: str, submissions_pvc: str, results_pvc: str, shards: int, parallelism: int | None = None,
              namespace: str | None = None, assignment: str | None = None, cpu: str = "1", memory: str = "2Gi",
              deadline_s: int = 3600, retries_per_index: int = 1, jobs_per_pod: int | None = None, extra_args=(),
              pull_policy: str = "IfNotPresent") -> list[dict]:
    """The Job and the NetworkPolicy, as dicts."""
    if shards < 1:
        raise ValueError("--shards must be at least 1")
    name = _name(name)
    meta = {"name": name, "labels": {"app.kubernetes.io/name": "dlweek8-grader", POD_LABEL: name}}
    if namespace:
        meta["namespace"] = namespace
    extra = list(extra_args) + (["--jobs", str(jobs_per_pod)] if jobs_per_pod else [])
    container = {
        "name": "grader",
        "image": image,
        "imagePullPolicy": pull_policy,
        "args": grade_command(shards, assignment, extra),
        "workingDir": HOME,
        "env": [
            {"name": "JOB_COMPLETION_INDEX", "valueFrom": {"fieldRef": {"fieldPath": "metadata.annotations['batch.kubernetes.io/job-completion-index']"}}},
            {"name": "HOME", "value": HOME},
            {"name": "TMPDIR", "value": "/tmp"},
            {"name": "MPLCONFIGDIR", "value": f"{HOME}/.config/matplotlib"},
            {"name": "PYTHONDONTWRITEBYTECODE", "value": "1"},
        ],
        "resources": {"requests": {"cpu": cpu, "memory": memory}, "limits": {"cpu": cpu, "memory": memory, "ephemeral-storage": "1Gi"}},
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": UID,
            "runAsGroup": UID,
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "privileged": False,
            "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "volumeMounts": [
            {"name": "submissions", "mountPath": SUBMISSIONS, "readOnly": True},
            {"name": "results", "mountPath": RESULTS},
            {"name": "tmp", "mountPath": "/tmp"},
            {"name": "home", "mountPath": HOME},
        ],
    }
    pod = {
        "metadata": {"labels": dict(meta["labels"])},
        "spec": {
            "restartPolicy": "Never",
            "automountServiceAccountToken": False,
            "enableServiceLinks": False,
            "securityContext": {"runAsNonRoot": True, "runAsUser": UID, "runAsGroup": UID, "fsGroup": UID,
                                "seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [container],
            "volumes": [
                {"name": "submissions", "persistentVolumeClaim": {"claimName": submissions_pvc, "readOnly": True}},
                {"name": "results", "persistentVolumeClaim": {"claimName": results_pvc}},
                {"name": "tmp", "emptyDir": {"sizeLimit": "1Gi"}},
                {"name": "home", "emptyDir": {"sizeLimit": "256Mi"}},
            ],
        },
    }
    job = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": meta,
        "spec": {
            "completionMode": "Indexed",
            "completions": shards,
            "parallelism": min(parallelism or shards, shards),
            "backoffLimitPerIndex": retries_per_index,
            "activeDeadlineSeconds": deadline_s,
            "ttlSecondsAfterFinished": 7 * 24 * 3600,
            "podFailurePolicy": {
                "rules": [
                    # grade's exit 1 is a configuration error (no assignment, bad roster): every index would fail alike
                    {"action": "FailJob", "onExitCodes": {"containerName": "grader", "operator": "In", "values": [1]}},
                    # an evicted or pre-empted pod is not the submission's fault: retry without counting it
                    {"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget"}]},
                ]
            },
            "template": pod,
        },
    }
    policy = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {**{k: v for k, v in meta.items() if k != "name"}, "name": f"{name}-no-network"},
        "spec": {"podSelector": {"matchLabels": {POD_LABEL: name}}, "policyTypes": ["Ingress", "Egress"], "ingress": [], "egress": []},
    }
    return [job, policy]


def to_yaml(documents: list[dict]) -> str:
    return yaml.safe_dump_all(documents, sort_keys=False, default_flow_style=False, width=200)


def add_arguments(parser) -> None:
    parser.add_argument("--submissions-pvc", required=True, help="PersistentVolumeClaim holding the submissions (mounted read-only at /submissions)")
    parser.add_argument("--results-pvc", required=True, help="PersistentVolumeClaim for the results (each shard writes /results/shard-I)")
    parser.add_argument("--image", required=True, help="container image: the hub's single-user image with dlweek8 installed")
    parser.add_argument("--shards", type=int, required=True, help="number of shards (pods that succeed); each grades 1/N of the sorted submissions")
    parser.add_argument("--parallelism", type=int, help="pods at once (default: all shards)")
    parser.add_argument("--name", default="dlweek8-grade", help="Job name (default %(default)s)")
    parser.add_argument("--namespace", help="namespace of the Job and NetworkPolicy")
    parser.add_argument("--assignment", help="path, inside the image or the submissions volume, of the student edition to grade against")
    parser.add_argument("--cpu", default="1", help="CPU request and limit per pod (default %(default)s)")
    parser.add_argument("--memory", default="2Gi", help="memory request and limit per pod (default %(default)s)")
    parser.add_argument("--deadline", type=int, default=3600, help="activeDeadlineSeconds of the whole Job (default %(default)s)")
    parser.add_argument("--retries-per-index", type=int, default=1, help="backoffLimitPerIndex (default %(default)s)")
    parser.add_argument("--jobs-per-pod", type=int, help="submissions graded at once in a pod (grade --jobs; default: its cores)")
    parser.add_argument("--grade-args", default="", help="further arguments for grade, e.g. \"--cell-timeout 30\"")


def run(args) -> int:
    try:
        documents = manifests(
            name=args.name, image=args.image, submissions_pvc=args.submissions_pvc, results_pvc=args.results_pvc, shards=args.shards,
            parallelism=args.parallelism, namespace=args.namespace, assignment=args.assignment, cpu=args.cpu, memory=args.memory,
            deadline_s=args.deadline, retries_per_index=args.retries_per_index, jobs_per_pod=args.jobs_per_pod,
            extra_args=shlex.split(args.grade_args),
        )
    except ValueError as exc:
        print(f"k8s-job: {exc}")
        return 1
    print(to_yaml(documents), end="")
    return 0
