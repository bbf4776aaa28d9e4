"""Install the course's JupyterLab settings (dlweek8.json: no "official Jupyter news?" prompt and no update notices
on a student's first open) where the JupyterLab of the python that runs this file reads them:
``<its application directory>/settings/overrides.d``. postBuild (Binder) and ``run.py``'s set-up run it."""

import shutil
from pathlib import Path

from jupyterlab.commands import get_app_dir

target = Path(get_app_dir()) / "settings" / "overrides.d" / "dlweek8.json"
target.parent.mkdir(parents=True, exist_ok=True)
shutil.copyfile(Path(__file__).with_name("dlweek8.json"), target)
print(f"JupyterLab settings for the course: {target}")
