"""Batch grading of submitted notebooks (``python -m dlweek8 grade``).

- :mod:`.discover` finds each answer by question id, from the ``dlweek8.check`` calls;
- :mod:`dlweek8.kernel_side` is the only grading code that runs inside a submission's kernel:
  it reads answers (or calls answer functions on the probes) and prints them as JSON;
- :mod:`.runner` executes one submission in fresh kernels, with time limits;
- :mod:`.judge` turns what came back into verdicts, in the grader's own process;
- :mod:`.report` writes ``grades.csv`` and one feedback file per submission;
- :mod:`.batch` runs a batch in parallel, and is the command line.
"""
