"""``python -m dlweek8 k8s-job``: a Kubernetes Indexed Job that grades one submission per pod.

Writes the listing (:mod:`.grading.listing`: entry I names what completion index I grades) to a
file for ``merge --listing``, and prints three manifests (YAML, one document each):

- a ConfigMap holding the same listing, mounted read-only in every pod;
- an Indexed Job with one completion per entry. Pod ``$JOB_COMPLETION_INDEX`` runs
  ``python -m dlweek8 grade-entry /submissions --listing /listing/listing.json --out /results``.
  ``/results`` is the folder ``shard-<index>`` of the results volume, through a per-index
  ``subPathExpr``: a pod can write its own results and nothing else, and sees no other pod's. The
  submissions volume is read-only; no solutions are mounted. By default each entry is one
  submission, graded by two containers of the pod (see :func:`manifests`):

  - the **kernel** container (``--kernel-image``: the class's student image, the hub's single-user
    image, with no ``dlweek8/instructor``) runs ``python -I -m dlweek8.confined --listen=/channel/kernel.sock``,
    where the submission's cells run. It mounts only emptyDirs (/tmp, HOME, /channel): no
    submissions, no results, no listing; it refuses to start where the instructor package is
    importable;
  - the **grader** container (``--image``: the instructor's image) runs ``grade-entry ...
    --kernel-socket /channel/kernel.sock``: it reads the submission, sends its cells to the kernel
    through that socket (pipe ends passed with ``SCM_RIGHTS``), and judges the answers.

  The ``/channel`` emptyDir is all they share; the pod does not share its PID namespace. Both are
  non-root, with a read-only root file system, all capabilities dropped, seccomp RuntimeDefault, no
  service-account token, CPU, memory and disk limits. With ``pod_sandbox`` each entry is a shard and
  one container grades it, bubblewrap confining each submission inside the pod, which then runs in
  its own user namespace (``hostUsers: false``) so that bubblewrap may create namespaces and mount;
- a NetworkPolicy that denies those pods all egress (and ingress).

Then ``python -m dlweek8 merge results/shard-* --listing LISTING --out graded/`` assembles the batch.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import yaml

from .grading import listing as listings
from .grading import sandbox
from .grading.merge import ShardError

#: Label every grading pod carries; the NetworkPolicy selects on it.
POD_LABEL = "dlweek8.grading/job"
SUBMISSIONS = "/submissions"
RESULTS = "/results"
LISTING_DIR = "/listing"
LISTING_FILE = "listing.json"
#: The whole results volume, as the init container sees it (it only makes the pod's folder there).
RESULTS_VOLUME = "/results-volume"
#: Each index's folder on the results volume; Kubernetes expands the variable from the pod's env.
INDEX_FOLDER = "shard-$(JOB_COMPLETION_INDEX)"
HOME = "/home/grader"
#: The emptyDir the kernel and grader containers share, and the kernel's socket on it.
CHANNEL = "/channel"
KERNEL_SOCKET = f"{CHANNEL}/kernel.sock"
#: Modules the kernel container imports before the grader connects (the notebooks' heavy ones; one that is missing is skipped).
KERNEL_MODULES = ("torch", *(f"dlweek8.checks.{m}" for m in ("backprop", "conv", "lstm", "network", "training")))
#: The grader container's own resources (it judges; the submission runs in the kernel container, which gets --cpu and --memory).
GRADER_RESOURCES = {"requests": {"cpu": "250m", "memory": "1Gi"}, "limits": {"cpu": "1", "memory": "1Gi", "ephemeral-storage": "1Gi"}}
UID = 1000
#: What both containers of a pod set: HOME and /tmp on their emptyDirs, matplotlib's cache in HOME.
CONTAINER_ENV = {"HOME": HOME, "TMPDIR": "/tmp", "MPLCONFIGDIR": f"{HOME}/.config/matplotlib"}
#: A ConfigMap holds at most 1 MiB.
CONFIGMAP_BYTES = 1_000_000


def _name(text: str) -> str:
    name = re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")[:52]
    if not name:
        raise ValueError(f"{text!r} gives no valid Kubernetes name")
    return name


def grade_command(assignment: str | None, extra: list[str], pod_sandbox: bool = False) -> list[str]:
    """What each pod runs; ``$(JOB_COMPLETION_INDEX)`` is expanded by Kubernetes from the pod's env."""
    command = ["python", "-m", "dlweek8", "grade-entry", SUBMISSIONS, "--listing", f"{LISTING_DIR}/{LISTING_FILE}", "--out", RESULTS]
    if not pod_sandbox:
        command += ["--kernel-socket", KERNEL_SOCKET, "--jobs", "1"]  # one submission, run in the kernel container
    if assignment:
        command += ["--assignment", assignment]
    return command + list(extra)


def _security(pod_sandbox: bool) -> dict:
    """The container's securityContext. With ``pod_sandbox``, bubblewrap must create namespaces and mount
    inside the pod's user namespace: RuntimeDefault seccomp and the runtime's AppArmor profile refuse
    both, and a masked /proc cannot be mounted again, so those three are relaxed for this container only."""
    security = {
        "runAsNonRoot": True,
        "runAsUser": UID,
        "runAsGroup": UID,
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "privileged": False,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    if pod_sandbox:
        security |= {"seccompProfile": {"type": "Unconfined"}, "appArmorProfile": {"type": "Unconfined"}, "procMount": "Unmasked"}
    return security


INDEX_ENV = {"name": "JOB_COMPLETION_INDEX", "valueFrom": {"fieldRef": {"fieldPath": "metadata.annotations['batch.kubernetes.io/job-completion-index']"}}}


def kernel_command() -> list[str]:
    """What the kernel container runs: the template of :mod:`dlweek8.confined`, listening on the shared socket
    (``-I``: dlweek8 comes from the image's site-packages, never from the working folder)."""
    return ["python", "-I", "-m", "dlweek8.confined", f"--listen={KERNEL_SOCKET}", *KERNEL_MODULES]


def kernel_env() -> list[dict]:
    """The kernel container's environment: the sandbox's own (:func:`.grading.sandbox.minimal_env`, so that a
    submission runs as under ``grade``), with the container's HOME and /tmp, and the image's own PATH."""
    env = {**sandbox.minimal_env(), **CONTAINER_ENV}
    return _env_list({k: v for k, v in env.items() if k != "PATH"})


def _env_list(env: dict) -> list[dict]:
    """A container's ``env`` from a dict."""
    return [{"name": k, "value": v} for k, v in env.items()]


def manifests(*, name: str, image: str, submissions_pvc: str, results_pvc: str, listing: listings.Listing, pod_sandbox: bool = False,
              kernel_image: str | None = None, parallelism: int | None = None, namespace: str | None = None, assignment: str | None = None,
              cpu: str = "1", memory: str = "2Gi", deadline_s: int = 3600, retries_per_index: int = 1, jobs_per_pod: int | None = None,
              extra_args=(), pull_policy: str = "IfNotPresent") -> list[dict]:
    """The listing's ConfigMap, the Job and the NetworkPolicy, as dicts. Without ``pod_sandbox`` each pod has a
    kernel container (``kernel_image``, the student image) beside the grader's (``image``)."""
    name = _name(name)
    count = len(listing.entries)
    if count > 1 and not pod_sandbox and max(map(len, listing.entries)) > 1:
        raise ValueError("without --pod-sandbox each pod grades one submission (a listing of one per entry)")
    if not pod_sandbox and not kernel_image:
        raise ValueError("without --pod-sandbox the submissions run in a kernel container: give --kernel-image (the hub's student image)")
    if pod_sandbox and kernel_image:
        raise ValueError("--kernel-image is for the default mode: with --pod-sandbox bubblewrap confines each submission in the grader's container")
    text = listing.to_json()
    if len(text.encode("utf-8")) > CONFIGMAP_BYTES:
        raise ValueError(f"the listing of {len(listing.names)} submissions is larger than a ConfigMap holds (1 MB)")
    meta = {"name": name, "labels": {"app.kubernetes.io/name": "dlweek8-grader", POD_LABEL: name}}
    if namespace:
        meta["namespace"] = namespace
    extra = list(extra_args) + (["--jobs", str(jobs_per_pod)] if jobs_per_pod and pod_sandbox else [])
    env = [INDEX_ENV, *_env_list({**CONTAINER_ENV, "PYTHONDONTWRITEBYTECODE": "1"})]
    resources = {"requests": {"cpu": cpu, "memory": memory}, "limits": {"cpu": cpu, "memory": memory, "ephemeral-storage": "1Gi"}}
    container = {
        "name": "grader",
        "image": image,
        "imagePullPolicy": pull_policy,
        "args": grade_command(assignment, extra, pod_sandbox),
        "workingDir": HOME,
        "env": env,
        "resources": resources if pod_sandbox else GRADER_RESOURCES,
        "securityContext": _security(pod_sandbox),
        "volumeMounts": [
            {"name": "submissions", "mountPath": SUBMISSIONS, "readOnly": True},
            {"name": "results", "mountPath": RESULTS, "subPathExpr": INDEX_FOLDER},
            {"name": "listing", "mountPath": LISTING_DIR, "readOnly": True},
            {"name": "tmp", "mountPath": "/tmp"},
            {"name": "home", "mountPath": HOME},
            *([] if pod_sandbox else [{"name": "channel", "mountPath": CHANNEL}]),
        ],
    }
    # The submission's own container: the student image, nothing mounted but its emptyDirs and the socket's folder.
    # Its memory limit is the submission's (all its processes together); its end ends whatever the submission left.
    kernel = {
        "name": "kernel",
        "image": kernel_image,
        "imagePullPolicy": pull_policy,
        "args": kernel_command(),
        "workingDir": HOME,
        "env": kernel_env(),
        "resources": resources,
        "securityContext": _security(False),
        "volumeMounts": [
            {"name": "kernel-tmp", "mountPath": "/tmp"},
            {"name": "kernel-home", "mountPath": HOME},
            {"name": "channel", "mountPath": CHANNEL},
        ],
    }
    # kubelet would make the subPath folder owned by root; this makes it the grader's, before any
    # submission runs (it is the only container that sees the whole results volume)
    results_folder = {
        "name": "results-folder",
        "image": image,
        "imagePullPolicy": pull_policy,
        "args": ["python", "-c", "import os, sys; os.makedirs(sys.argv[1], mode=0o700, exist_ok=True)", f"{RESULTS_VOLUME}/{INDEX_FOLDER}"],
        "env": [INDEX_ENV],
        "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"cpu": "500m", "memory": "256Mi"}},
        "securityContext": _security(False),
        "volumeMounts": [{"name": "results", "mountPath": RESULTS_VOLUME}],
    }
    pod_spec = {
        "restartPolicy": "Never",
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "securityContext": {"runAsNonRoot": True, "runAsUser": UID, "runAsGroup": UID, "fsGroup": UID, "seccompProfile": {"type": "RuntimeDefault"}},
        "initContainers": [results_folder],
        # the kernel first: kubelet starts (and pulls) the containers in this order, so its socket is there soon
        "containers": [container] if pod_sandbox else [kernel, container],
        "volumes": [
            {"name": "submissions", "persistentVolumeClaim": {"claimName": submissions_pvc, "readOnly": True}},
            {"name": "results", "persistentVolumeClaim": {"claimName": results_pvc}},
            {"name": "listing", "configMap": {"name": f"{name}-listing", "defaultMode": 0o444}},
            {"name": "tmp", "emptyDir": {"sizeLimit": "1Gi"}},
            {"name": "home", "emptyDir": {"sizeLimit": "256Mi"}},
        ],
    }
    if not pod_sandbox:
        # In memory: what the submission writes counts against the kernel container's memory limit (as its tmpfs does
        # in the local sandbox) and ends in ENOSPC or an OOM kill of its own container, never on the node's disk, where
        # filling it would have kubelet evict the pod (an eviction is retried without being counted, see below).
        pod_spec["volumes"] += [
            {"name": "channel", "emptyDir": {"medium": "Memory", "sizeLimit": "1Mi"}},
            {"name": "kernel-tmp", "emptyDir": {"medium": "Memory", "sizeLimit": "256Mi"}},
            {"name": "kernel-home", "emptyDir": {"medium": "Memory", "sizeLimit": "64Mi"}},
        ]
        # Never shareProcessNamespace: the kernel container must not see (nor signal, nor read the /proc of) the
        # grader's processes, and its own PID 1 leaving must end every process the submission started.
    if pod_sandbox:
        pod_spec["hostUsers"] = False  # the pod's own user namespace: bubblewrap's namespaces nest in it
    rules = [
        # an evicted or pre-empted pod is not the submission's fault: retry without counting it
        {"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget"}]},
    ]
    # grade's exit 1 is a configuration error (no assignment, a wrong listing, no kernel container answering): every
    # index would fail alike. No student code runs in the grader's container in either mode (by default it runs in the
    # kernel container, with --pod-sandbox in bubblewrap), so a submission cannot make grade exit 1. Not the kernel
    # container's exit: the submission runs there.
    rules.insert(0, {"action": "FailJob", "onExitCodes": {"containerName": "grader", "operator": "In", "values": [1]}})
    job = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": meta,
        "spec": {
            "completionMode": "Indexed",
            "completions": count,
            "parallelism": min(parallelism or count, count),
            "backoffLimitPerIndex": retries_per_index,
            "activeDeadlineSeconds": deadline_s,
            "ttlSecondsAfterFinished": 7 * 24 * 3600,
            "podFailurePolicy": {"rules": rules},
            "template": {"metadata": {"labels": dict(meta["labels"])}, "spec": pod_spec},
        },
    }
    others = {k: v for k, v in meta.items() if k != "name"}
    configmap = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {**others, "name": f"{name}-listing"}, "immutable": True,
                 "data": {LISTING_FILE: text}}
    policy = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {**others, "name": f"{name}-no-network"},
        "spec": {"podSelector": {"matchLabels": {POD_LABEL: name}}, "policyTypes": ["Ingress", "Egress"], "ingress": [], "egress": []},
    }
    return [configmap, job, policy]


def to_yaml(documents: list[dict]) -> str:
    return yaml.safe_dump_all(documents, sort_keys=False, default_flow_style=False, width=200)


def add_arguments(parser) -> None:
    parser.add_argument("--submissions", type=Path, required=True, help="the submissions folder, as copied to the submissions volume (to list them)")
    parser.add_argument("--listing", type=Path, required=True, help="file to write the listing to (merge --listing reads it; the pods get it in a ConfigMap)")
    parser.add_argument("--submissions-pvc", required=True, help="PersistentVolumeClaim holding the submissions (mounted read-only at /submissions)")
    parser.add_argument("--results-pvc", required=True, help="PersistentVolumeClaim for the results (index I writes only its folder shard-I)")
    parser.add_argument("--image", required=True, help="the grader's container image: the project (dlweek8 with its instructor part) installed")
    parser.add_argument("--kernel-image", help="without --pod-sandbox (required there): the image the submissions run in, the class's student "
                        "image (the hub's single-user image, dlweek8 without its instructor part)")
    parser.add_argument("--pod-sandbox", action="store_true",
                        help="grade a shard per pod, each submission in bubblewrap inside the pod (needs user namespaces: hostUsers: false)")
    parser.add_argument("--shards", type=int, help="with --pod-sandbox: the number of shards (pods that succeed)")
    parser.add_argument("--parallelism", type=int, help="pods at once (default: all)")
    parser.add_argument("--name", default="dlweek8-grade", help="Job name (default %(default)s)")
    parser.add_argument("--namespace", help="namespace of the Job, its ConfigMap and NetworkPolicy")
    parser.add_argument("--assignment", help="path, inside the image or the submissions volume, of the student edition to grade against")
    parser.add_argument("--cpu", default="1", help="CPU request and limit per pod (default %(default)s)")
    parser.add_argument("--memory", default="2Gi", help="memory request and limit per pod (default %(default)s)")
    parser.add_argument("--deadline", type=int, default=3600, help="activeDeadlineSeconds of the whole Job (default %(default)s)")
    parser.add_argument("--retries-per-index", type=int, default=1, help="backoffLimitPerIndex (default %(default)s)")
    parser.add_argument("--jobs-per-pod", type=int, help="with --pod-sandbox: submissions graded at once in a pod (grade --jobs; default: its cores)")
    parser.add_argument("--grade-args", default="", help="further arguments for grade, e.g. \"--cell-timeout 30\"")


def run(args) -> int:
    try:
        if args.shards is not None and not args.pod_sandbox:
            raise ValueError("--shards needs --pod-sandbox: without it each pod grades one submission")
        if args.pod_sandbox and args.shards is None:
            raise ValueError("--pod-sandbox needs --shards N")
        if args.jobs_per_pod is not None and not args.pod_sandbox:
            raise ValueError("--jobs-per-pod needs --pod-sandbox: without it each pod grades one submission")
        if not args.submissions.is_dir():
            raise ValueError(f"{args.submissions} is not a folder")
        listing = listings.of_batch(listings.names_in(args.submissions), args.shards)
        documents = manifests(
            name=args.name, image=args.image, submissions_pvc=args.submissions_pvc, results_pvc=args.results_pvc, listing=listing,
            pod_sandbox=args.pod_sandbox, kernel_image=args.kernel_image, parallelism=args.parallelism, namespace=args.namespace, assignment=args.assignment, cpu=args.cpu,
            memory=args.memory, deadline_s=args.deadline, retries_per_index=args.retries_per_index, jobs_per_pod=args.jobs_per_pod,
            extra_args=shlex.split(args.grade_args),
        )
        args.listing.write_text(listing.to_json(), encoding="utf-8")
    except (ValueError, ShardError, OSError) as exc:
        print(f"k8s-job: {exc}")
        return 1
    print(to_yaml(documents), end="")
    return 0
