"""Command line: ``python -m dlweek8 COMMAND``; ``--help`` lists the commands."""

from __future__ import annotations

import argparse
import importlib
import sys

#: command -> (module with add_arguments/run, one-line help)
COMMANDS = {
    "links": ("dlweek8.instructor.links", "print Binder and JupyterHub launch links for a repository URL"),
    "store-outputs": ("dlweek8.instructor.notebook_outputs", "re-execute solved notebooks and store their checked outputs"),
    "release": ("dlweek8.instructor.editions", "write the student editions in notebooks/ from the solved notebooks in solutions/"),
    "publish": ("dlweek8.instructor.publish", "write the student repository (editions, student build of the package, Binder files, README with links) into a folder"),
    "store-probes": ("dlweek8.instructor.solutions", "store the public cases of every function question (from the references) in the package"),
    "grade": ("dlweek8.instructor.grading.batch", "grade submitted notebooks in fresh kernels: grades.csv and a feedback file each"),
    "report": ("dlweek8.instructor.grading.outputs", "re-render a graded folder's class report (report.html, misconceptions.csv, gradebook files)"),
    "merge": ("dlweek8.instructor.grading.merge", "merge the folders of graded shards into one: grades, feedback, gradebook files and report"),
    "k8s-job": ("dlweek8.instructor.k8s", "print a Kubernetes Indexed Job that grades one submission per pod (its listing, NetworkPolicy) and write the listing"),
    "grade-entry": ("dlweek8.instructor.grading.listing", "grade the k8s-job listing's entry JOB_COMPLETION_INDEX (each pod's command)"),
}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dlweek8", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    modules = {}
    for name, (module_name, help_text) in COMMANDS.items():
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if not (exc.name or "").startswith("dlweek8.instructor"):
                raise
            continue  # a student build: the instructor's commands are not there
        command = sub.add_parser(name, help=help_text, description=help_text)
        modules[name] = module
        module.add_arguments(command)
    args = parser.parse_args(argv)
    return modules[args.command].run(args)


if __name__ == "__main__":
    sys.exit(main())
