"""The instructor's half of dlweek8: references and hidden probes, editions, publishing, grading.

Nothing under ``dlweek8/instructor/`` ships to students: ``python -m dlweek8 publish`` copies
the package without this folder. Student-side code never imports from here.
"""
