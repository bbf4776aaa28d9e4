"""Batch grading of submitted notebooks (``python -m dlweek8 grade``).

- :mod:`.discover` finds each answer by question id, from the notebook's top-level ``dlweek8.check`` calls;
- :mod:`.sandbox` starts one bubblewrap sandbox per run; in it, :mod:`dlweek8.confined` (student-side
  code) forks one confined process per submission that runs its cells, and :mod:`dlweek8.kernel_side`
  reads its answers (or calls answer functions on the probes the job carries);
- :mod:`.runner` executes one submission with time limits and reads its bounded stream of events
  (the job and the events are the typed, versioned messages of :mod:`dlweek8.protocol`);
- :mod:`.judge` turns what came back into verdicts, in the grader's own process;
- :mod:`.report` writes every output (``results.jsonl``, ``grades.csv``, feedback as Markdown
  and HTML), atomically and safe against formulas and markup;
- :mod:`.classreport` the class report (``report.html``, ``misconceptions.csv``; ``report``);
- :mod:`.gradebook` the roster and the Canvas and Moodle files;
- :mod:`.merge` shards of a batch and their merge (``merge``);
- :mod:`.batch` runs a batch in parallel, and is the command line.
"""
