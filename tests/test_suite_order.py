"""tests/conftest.py: scopes are handed to the workers slowest first, each scope's tests together and in order;
what the collection made is frozen out of the garbage collector's reach."""

import importlib.util
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _conftest():
    spec = importlib.util.spec_from_file_location("dlweek8_tests_conftest", HERE / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_scopes_are_what_loadscope_hands_out():
    scope_of = _conftest().scope_of
    assert scope_of("tests/test_a.py::test_x[1-2]") == "tests/test_a.py"
    assert scope_of("tests/test_a.py::TestC::test_x") == "tests/test_a.py::TestC"
    assert scope_of("notebooks/01.ipynb::Cell 3") == "notebooks/01.ipynb"


def test_slowest_scope_first_and_unknown_scopes_keep_their_place_after_the_known_ones():
    conftest = _conftest()
    nodeids = ["tests/a.py::t1", "tests/a.py::t2", "tests/new.py::t", "nb/x.ipynb::Cell 0", "nb/x.ipynb::Cell 1", "tests/b.py::t"]
    seconds = {"tests/a.py": 1.0, "nb/x.ipynb": 9.0, "tests/b.py": 3.0}
    order = [nodeids[i] for i in conftest.slowest_scopes_first(nodeids, seconds)]
    assert order == ["nb/x.ipynb::Cell 0", "nb/x.ipynb::Cell 1", "tests/b.py::t", "tests/a.py::t1", "tests/a.py::t2", "tests/new.py::t"]


def test_a_missing_or_broken_durations_file_changes_nothing(tmp_path):
    conftest = _conftest()
    assert conftest.known_durations(tmp_path / "absent.json") == {}
    (tmp_path / "broken.json").write_text("{not json")
    assert conftest.known_durations(tmp_path / "broken.json") == {}
    (tmp_path / "ok.json").write_text(json.dumps({"seconds": {"tests/a.py": 2}}))
    assert conftest.known_durations(tmp_path / "ok.json") == {"tests/a.py": 2.0}


def test_what_the_collection_made_is_out_of_the_garbage_collectors_reach():
    import gc

    assert gc.get_freeze_count() > 0  # tests/conftest.py: pytest_collection_finish
