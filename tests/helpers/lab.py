"""What JupyterLab run by a given python reads as its settings overrides (the course's lab-settings among them)."""

from __future__ import annotations

import json
import subprocess

#: Run by that python (jupyterlab_server is the lab server's own reader, not imported here).
READ_OVERRIDES = """
import json, os
from jupyterlab.commands import get_app_dir
from jupyterlab_server.settings_utils import _get_overrides
overrides, error = _get_overrides(os.path.join(get_app_dir(), "settings"))
assert not error, error
print(json.dumps(overrides))
"""
#: What lab-settings/dlweek8.json must give JupyterLab's notification plugin.
QUIET = {"fetchNews": "false", "checkForUpdates": False}


def notification_settings(python: str, env: dict, cwd=None) -> dict | None:
    """The notification plugin's overrides that JupyterLab run by ``python`` in ``env`` reads (None: none)."""
    done = subprocess.run([python, "-P", "-c", READ_OVERRIDES], env=env, cwd=cwd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout).get("@jupyterlab/apputils-extension:notification")
