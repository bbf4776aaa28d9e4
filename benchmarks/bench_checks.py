"""``dlweek8.check`` latency for every question of the week, right and wrong, from the instructor's side.

The questions come from ``dlweek8.questions()`` (notebook order) and each right answer from
``dlweek8.instructor.solutions.solution(question).answer``, so a new question is timed with no
edit here. A reference function is wrapped in a function of this module, as a student hands one
in (the check refuses dlweek8's own functions). Per question:

- the right answer (it must pass);
- a function question: its first catalogued wrong function (it must fail), the path that
  matches the outputs against every named mistake;
- a value question: its first unnamed wrong answer, if it has one (it must fail), the longest
  path: every named mistake is tried before the generic message.

Goals: a numeric or conceptual answer within 1 ms, a function answer within 20 ms (the public
cases are read once and cached, as in a notebook; the first check is in bench_first_feedback),
and a written answer's form check (sentences, length, own words) within 20 ms too: it reads prose,
not a number, and a person grades its content.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import Case  # noqa: E402

VALUE_GOAL_S = 0.001
FUNCTION_GOAL_S = 0.020
WRITTEN_GOAL_S = 0.020



def check_case(label: str, question, answer, passes: bool) -> Case:
    import dlweek8
    from dlweek8.question import FunctionQuestion
    from dlweek8.written import is_written

    function = isinstance(question, FunctionQuestion)
    goal = FUNCTION_GOAL_S if function else WRITTEN_GOAL_S if is_written(question.id) else VALUE_GOAL_S

    def run():
        feedback = dlweek8.check(question.id, answer)
        assert feedback.passed == passes, f"{question.id}: expected passed={passes}, got {feedback}"

    return Case(f"check {question.id} ({label})", run, goal_s=goal,
                repeat=30 if function else 200)


def cases() -> list[Case]:
    import dlweek8
    from dlweek8.instructor.solutions import as_student, solution
    from dlweek8.question import FunctionQuestion

    found = []
    for question in dlweek8.questions():
        known = solution(question)
        found.append(check_case("right", question, as_student(known.answer), passes=True))
        if isinstance(question, FunctionQuestion):
            mistake, wrong = next(((name, f) for name, f in known.wrong.items() if callable(f)), (None, None))
            if wrong is not None:
                found.append(check_case(f"wrong: {mistake}", question, as_student(wrong), passes=False))
        elif known.unnamed:
            found.append(check_case("unrecognised", question, known.unnamed[0], passes=False))
    return found


if __name__ == "__main__":
    from harness import measure

    for case in cases():
        print(measure(case).line())
