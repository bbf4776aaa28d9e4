"""Reference answers, hidden probes and catalogues of wrong answers, one module per topic.

Question ``TOPIC.NAME`` has its :class:`~dlweek8.instructor.solutions.Solution` here as
``TOPIC.NAME``. Nothing in this folder ships to students.
"""
