"""Batch grading of submitted notebooks (``python -m dlweek8 grade``).

- :mod:`.discover` finds each answer by question id, from the ``dlweek8.check`` calls;
- :mod:`dlweek8.kernel_side` is the only grading code that runs inside a submission's kernel:
  it reads answers (or calls answer functions on the probes) and prints them as JSON;
- :mod:`.runner` executes one submission in fresh kernels, with time limits;
- :mod:`.judge` turns what came back into verdicts, in the grader's own process;
- :mod:`.report` writes every output (``results.jsonl``, ``grades.csv``, feedback as Markdown
  and HTML), atomically and safe against formulas and markup;
- :mod:`.classreport` the class report (``report.html``, ``misconceptions.csv``; ``report``);
- :mod:`.gradebook` the roster and the Canvas and Moodle files;
- :mod:`.merge` shards of a batch and their merge (``merge``);
- :mod:`.batch` runs a batch in parallel, and is the command line.
"""
