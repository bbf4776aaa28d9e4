"""Student editions: solution regions become stubs, nothing of the answer leaks, edits are never lost."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from dlweek8 import __main__ as cli
from dlweek8.instructor import editions
from dlweek8.instructor.editions import ReleaseError, strip_code

ROOT = Path(__file__).resolve().parents[1]


# -- the text transform ------------------------------------------------------------------------


def test_a_region_in_a_function_body_becomes_raise_not_implemented():
    source = 'def out_size(n, k):\n    """Output length."""\n    ### BEGIN SOLUTION\n    m = n - k\n    return m + 1\n    ### END SOLUTION\n'
    assert strip_code(source) == 'def out_size(n, k):\n    """Output length."""\n    raise NotImplementedError  # your code here\n'


def test_a_region_nested_in_a_loop_inside_a_function_is_still_code():
    source = "def f(xs):\n    for x in xs:\n        ### BEGIN SOLUTION\n        print(x)\n        ### END SOLUTION\n    return 0\n"
    assert strip_code(source) == "def f(xs):\n    for x in xs:\n        raise NotImplementedError  # your code here\n    return 0\n"


def test_top_level_assignments_keep_their_names_and_other_lines_go():
    source = "### BEGIN SOLUTION\nn_out = (78 - 3) // 3 + 1\nprint('working')\npair, other = (1,\n    2)\nweights: int = 4\n### END SOLUTION\ncheck(n_out)\n"
    assert strip_code(source) == (
        "n_out = ...  # your answer here\npair, other = ..., ...  # your answer here\nweights = ...  # your answer here\ncheck(n_out)\n"
    )


def test_a_top_level_function_keeps_its_signature_and_docstring():
    source = '### BEGIN SOLUTION\n@decorate\ndef grad(x,\n         y):\n    """The gradient.\n\n    More."""\n    return x * y\n### END SOLUTION\n'
    assert strip_code(source) == (
        '@decorate\ndef grad(x,\n         y):\n    """The gradient.\n\n    More."""\n    raise NotImplementedError  # your code here\n'
    )


def test_the_line_marker_blanks_one_assignment_or_return():
    source = "size_78x84 = (26, 28)  ### SOLUTION\ndef f(x):\n    y = 2 * x  ### SOLUTION\n    return y  ### SOLUTION\n"
    assert strip_code(source) == (
        "size_78x84 = ...  # your answer here\ndef f(x):\n    y = ...  # your answer here\n"
        "    raise NotImplementedError  # your code here\n"
    )


def test_lines_without_markers_are_untouched():
    source = "import numpy as np\nx = np.zeros(3)  # SOLUTION is only a word here\n# ### BEGIN SOLUTION in prose\n"
    assert strip_code(source) == source


@pytest.mark.parametrize(
    "source, problem",
    [
        ("### BEGIN SOLUTION\nx = 1\n", "no matching ### END SOLUTION"),
        ("x = 1\n### END SOLUTION\n", "without ### BEGIN SOLUTION"),
        ("### BEGIN SOLUTION\nx = 1\n### BEGIN SOLUTION\ny = 2\n### END SOLUTION\n", "no matching"),
        ("print(42)  ### SOLUTION\n", "neither an assignment nor a return"),
        ("### BEGIN SOLUTION\nx = (1,\n### END SOLUTION\n", "does not parse"),
    ],
)
def test_malformed_markers_are_refused_with_the_place(source, problem):
    with pytest.raises(ReleaseError, match=problem) as info:
        strip_code(source, where="solutions/x.ipynb, cell 3")
    assert "cell 3" in str(info.value)


# -- notebooks ---------------------------------------------------------------------------------


def solved_fixture() -> nbformat.NotebookNode:
    """A small solved notebook with every kind of cell the convention knows."""
    answer = new_code_cell("size_78x84 = (26, 28)  ### SOLUTION", execution_count=3)
    answer.outputs = [new_output("stream", name="stdout", text="(26, 28)\n")]
    check = new_code_cell('dlweek8.check("conv.size_78x84", size_78x84)', execution_count=4)
    check.metadata["tags"] = ["nbval-check-output"]
    check.outputs = [new_output("execute_result", data={"text/plain": "✔ Correct"}, execution_count=4)]
    widget = new_code_cell("explorer()")
    widget.metadata["tags"] = ["nbval-ignore-output", "nbval-check-output"]
    secret = new_code_cell("assert size_78x84 == (26, 28)")
    secret.metadata["tags"] = ["instructor-only"]
    written = new_markdown_cell("Why floor?\n\n### BEGIN SOLUTION\nBecause a window must fit.\n### END SOLUTION")
    nb = new_notebook(cells=[new_markdown_cell("# Sizes"), answer, check, widget, secret, written])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    return nb


def test_student_edition_strips_answers_outputs_and_instructor_cells():
    solved = solved_fixture()
    student = editions.student_edition(solved, "solutions/x.ipynb")
    sources = [cell.source for cell in student.cells]
    assert sources == [
        "# Sizes",
        "size_78x84 = ...  # your answer here",
        'dlweek8.check("conv.size_78x84", size_78x84)',
        "explorer()",
        "Why floor?\n\n_Your answer here._",
    ]
    text = nbformat.writes(student)
    assert "26, 28" not in text and "window must fit" not in text and "instructor-only" not in text
    code = [cell for cell in student.cells if cell.cell_type == "code"]
    assert all(cell.outputs == [] and cell.execution_count is None for cell in code)
    assert "tags" not in code[1].metadata  # the check cell lost nbval-check-output
    assert code[2].metadata["tags"] == ["nbval-ignore-output"]
    assert "widgets" not in student.metadata and student.metadata["kernelspec"]["name"] == "python3"
    record = student.metadata["dlweek8"]
    assert record == {"assignment": "x", "edition": "student", "written_sha256": editions.content_hash(student)}


def test_the_student_edition_neither_names_nor_hashes_its_solved_source():
    solved = solved_fixture()
    student = editions.student_edition(solved, "solutions/x.ipynb")
    text = nbformat.writes(student)
    assert "solutions" not in text
    solved_hashes = {editions.content_hash(solved), hashlib.sha256(nbformat.writes(solved).encode()).hexdigest()}
    assert not any(h in text for h in solved_hashes)
    # the hash kept is of the student edition: the same for any solution behind the same stubs
    other = nbformat.from_dict(json.loads(json.dumps(solved)))  # same cell ids
    other.cells[1].source = "size_78x84 = (1, 2)  ### SOLUTION"
    assert editions.student_edition(other, "solutions/x.ipynb").metadata["dlweek8"] == student.metadata["dlweek8"]


def test_the_grader_reads_the_assignment_and_older_source_records():
    from dlweek8.instructor.grading import discover

    student = editions.student_edition(solved_fixture(), "solutions/x.ipynb")
    assert discover.read_notebook(nbformat.writes(student).encode()).source == "solutions/x.ipynb"
    student.metadata["dlweek8"] = {"edition": "student", "source": "solutions/old.ipynb"}
    assert discover.read_notebook(nbformat.writes(student).encode()).source == "solutions/old.ipynb"


def test_the_source_hash_follows_the_source_content_but_not_its_outputs():
    solved = solved_fixture()
    before = editions.content_hash(solved)
    solved.cells[1].outputs = []
    assert editions.content_hash(solved) == before
    solved.cells[1].source = "size_78x84 = (26, 29)  ### SOLUTION"
    assert editions.content_hash(solved) != before


def test_answered_puts_the_solutions_back_by_cell_id():
    solved = solved_fixture()
    student = editions.student_edition(solved, "solutions/x.ipynb")
    student.cells.insert(0, student.cells.pop(2))  # a student moved a cell
    full = editions.answered(student, solved)
    assert full.cells[0].source == solved.cells[2].source and full.cells[2].source == "size_78x84 = (26, 28)  ### SOLUTION"
    assert full.metadata["dlweek8"]["assignment"] == "x"
    student.cells.append(new_code_cell("mine = 1"))
    with pytest.raises(ReleaseError, match="not in the solved notebook"):
        editions.answered(student, solved)


def test_the_solved_notebook_is_not_modified():
    solved = solved_fixture()
    before = nbformat.writes(solved)
    editions.student_edition(solved, "solutions/x.ipynb")
    assert nbformat.writes(solved) == before


# -- release: never lose work ------------------------------------------------------------------


@pytest.fixture
def course(tmp_path):
    (tmp_path / "solutions").mkdir()
    source = tmp_path / "solutions" / "01_sizes.ipynb"
    nbformat.write(solved_fixture(), source)
    return source, tmp_path / "notebooks" / "01_sizes.ipynb"


def test_release_writes_then_leaves_an_unchanged_edition_alone(course):
    source, target = course
    assert editions.release_one(source, target).action == "written"
    first = target.read_bytes()
    assert editions.release_one(source, target).action == "unchanged"
    assert target.read_bytes() == first
    assert nbformat.read(target, as_version=4).metadata["dlweek8"]["assignment"] == "01_sizes"


def test_release_updates_an_unedited_edition_when_the_source_changes(course):
    source, target = course
    editions.release_one(source, target)
    solved = nbformat.read(source, as_version=4)
    solved.cells[0].source = "# Sizes, revised"
    nbformat.write(solved, source)
    assert editions.release_one(source, target).action == "written"
    assert "# Sizes, revised" in target.read_text()


def _edit(target: Path) -> bytes:
    nb = nbformat.read(target, as_version=4)
    nb.cells[1].source = "size_78x84 = (1, 1)  # a student's or a colleague's edit"
    nbformat.write(nb, target)
    return target.read_bytes()


def test_release_refuses_to_overwrite_an_edited_edition(course):
    source, target = course
    editions.release_one(source, target)
    edited = _edit(target)
    result = editions.release_one(source, target)
    assert result.action == "refused" and "edited after" in result.detail and "--force" in result.detail
    assert target.read_bytes() == edited
    assert list(target.parent.iterdir()) == [target]  # no backup, nothing written


def test_release_refuses_to_overwrite_a_notebook_it_did_not_write(course):
    source, target = course
    target.parent.mkdir()
    nbformat.write(new_notebook(cells=[new_code_cell("mine = 1")]), target)
    result = editions.release_one(source, target)
    assert result.action == "refused" and "not written by `release`" in result.detail


def test_force_keeps_a_timestamped_backup_first(course):
    source, target = course
    editions.release_one(source, target)
    edited = _edit(target)
    result = editions.release_one(source, target, force=True)
    assert result.action == "replaced"
    assert sorted(p.name for p in target.parent.iterdir()) == [".backups", "01_sizes.ipynb"]
    backups = list((target.parent / ".backups").iterdir())
    assert len(backups) == 1 and re.fullmatch(r"01_sizes\.\d{8}-\d{6}\.ipynb", backups[0].name)
    assert backups[0].read_bytes() == edited and str(backups[0]) in result.detail
    assert target.read_text() == editions.render(source)
    # a second forced release within the same second keeps both backups
    _edit(target)
    editions.release_one(source, target, force=True)
    assert len(list((target.parent / ".backups").iterdir())) == 2


def test_the_command_reports_and_fails_on_refusal(course, capsys):
    source, target = course
    assert cli.main(["release", str(source), "--out", str(target.parent)]) == 0
    _edit(target)
    assert cli.main(["release", str(source), "--out", str(target.parent)]) == 1
    assert "refused" in capsys.readouterr().out
    assert cli.main(["release", str(source), "--out", str(target.parent), "--force"]) == 0


def test_a_broken_source_is_reported_not_half_written(course, capsys):
    source, target = course
    solved = nbformat.read(source, as_version=4)
    solved.cells[1].source = "### BEGIN SOLUTION\nsize_78x84 = (26, 28)"
    nbformat.write(solved, source)
    assert cli.main(["release", str(source), "--out", str(target.parent)]) == 1
    assert "cell 2" in capsys.readouterr().out and not target.exists()


# -- the committed student editions --------------------------------------------------------------

SOLVED = editions.solved_notebooks(ROOT / "solutions")


@pytest.mark.parametrize("source", SOLVED, ids=[p.name for p in SOLVED])
def test_committed_student_edition_is_what_release_writes_now(source):
    target = ROOT / "notebooks" / source.name
    assert target.exists(), f"{target.name} is missing: run `python -m dlweek8 release`"
    assert target.read_text(encoding="utf-8") == editions.render(source), (
        f"{target.name} is out of date with {source.name}: run `python -m dlweek8 release`"
    )


def test_every_student_notebook_has_a_solved_source():
    orphans = {p.name for p in (ROOT / "notebooks").glob("*.ipynb")} - {p.name for p in SOLVED}
    assert not orphans, f"student notebooks without a source in solutions/: {sorted(orphans)}"


def test_students_never_import_nbformat():
    code = "import sys, dlweek8; dlweek8.check('conv.nothing', 1); import dlweek8.instructor.editions; print('nbformat' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
