"""Launch links are made from the URL the instructor passes, in the formats Binder and nbgitpuller expect."""

from urllib.parse import parse_qs, urlparse

import pytest

from dlweek8.instructor import links
from dlweek8.__main__ import main


def test_binder_link_opens_lab_on_the_notebooks():
    assert links.binder_link("https://github.com/org/week8.git") == (
        "https://mybinder.org/v2/gh/org/week8/main?urlpath=lab%2Ftree%2Fnotebooks"
    )
    assert links.binder_link("https://github.com/org/week8", "dev", "02_conv_arithmetic.ipynb").endswith(
        "/dev?urlpath=lab%2Ftree%2Fnotebooks%2F02_conv_arithmetic.ipynb"
    )


def test_binder_needs_a_github_url():
    with pytest.raises(ValueError, match="GitHub"):
        links.binder_link("https://gitlab.com/org/week8")


def test_nbgitpuller_link_round_trips_its_query():
    link = links.nbgitpuller_link("https://hub.example.edu/", "https://github.com/org/week8", "main")
    parts = urlparse(link)
    assert parts.netloc == "hub.example.edu" and parts.path == "/hub/user-redirect/git-pull"
    query = parse_qs(parts.query)
    assert query == {"repo": ["https://github.com/org/week8"], "branch": ["main"], "urlpath": ["lab/tree/week8/notebooks"]}


def test_links_command_prints_both(capsys):
    assert main(["links", "https://github.com/org/week8", "--hub", "https://hub.example.edu"]) == 0
    out = capsys.readouterr().out
    assert "mybinder.org/v2/gh/org/week8/main" in out and "hub.example.edu/hub/user-redirect/git-pull" in out
