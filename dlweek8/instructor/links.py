"""Launch links for Binder and for a class JupyterHub (nbgitpuller), made from a repository URL.

No URL is hard-coded: the instructor passes the repository (and hub) they publish.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode, urlparse

NOTEBOOK_DIR = "notebooks"


def binder_link(repo_url: str, branch: str = "main", notebook: str | None = None) -> str:
    """mybinder.org link that opens JupyterLab on ``notebooks/`` (or on one notebook)."""
    parts = urlparse(repo_url)
    if parts.netloc not in ("github.com", "www.github.com"):
        raise ValueError(f"Binder links are made for GitHub repositories, not {repo_url!r}")
    path = parts.path.strip("/").removesuffix(".git")
    target = f"lab/tree/{NOTEBOOK_DIR}" + (f"/{notebook}" if notebook else "")
    return f"https://mybinder.org/v2/gh/{path}/{quote(branch, safe='')}?urlpath={quote(target, safe='')}"


def nbgitpuller_link(hub_url: str, repo_url: str, branch: str = "main", notebook: str | None = None) -> str:
    """Link that pulls the repository into each student's home on a JupyterHub and opens it."""
    folder = urlparse(repo_url).path.strip("/").removesuffix(".git").split("/")[-1]
    target = f"lab/tree/{folder}/{NOTEBOOK_DIR}" + (f"/{notebook}" if notebook else "")
    query = urlencode({"repo": repo_url, "branch": branch, "urlpath": target})
    return f"{hub_url.rstrip('/')}/hub/user-redirect/git-pull?{query}"


def add_arguments(parser) -> None:
    parser.add_argument("repo_url", help="the repository students open, e.g. https://github.com/ORG/REPO")
    parser.add_argument("--branch", default="main")
    parser.add_argument("--hub", help="the class JupyterHub, e.g. https://hub.example.edu")
    parser.add_argument("--notebook", help="open this notebook instead of the folder")


def run(args) -> int:
    print("Binder:     ", binder_link(args.repo_url, args.branch, args.notebook))
    if args.hub:
        print("JupyterHub: ", nbgitpuller_link(args.hub, args.repo_url, args.branch, args.notebook))
    return 0
