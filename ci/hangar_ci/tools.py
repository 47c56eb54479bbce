"""Tools the test suite needs from PyPI, installed into a virtual environment under `target/`
(never vendored): `check-jsonschema`, which ships SchemaStore's schemas for GitHub workflows,
GitHub actions and Azure Pipelines as built-ins, and `kubernetes-validate`, which ships the
Kubernetes API's JSON schemas (for `deploy/kubernetes/`)."""

import os
import shutil
import subprocess
import sys
import tempfile

from .errors import UsageError

CHECK_JSONSCHEMA = "check-jsonschema==0.39.0"
KUBERNETES_VALIDATE = "kubernetes-validate==1.37.0"
# Everything the environment holds, as its stamp records it.
PACKAGES = [CHECK_JSONSCHEMA, KUBERNETES_VALIDATE]
STAMP = "hangar-tool.txt"


def _python(venv):
    if os.name == "nt":
        return os.path.join(venv, "Scripts", "python.exe")
    return os.path.join(venv, "bin", "python")


def _ready(venv):
    try:
        with open(os.path.join(venv, STAMP), encoding="utf-8") as file:
            return file.read().split() == PACKAGES and os.path.isfile(_python(venv))
    except OSError:
        return False


def check_jsonschema(venv):
    """The command (`[python, -m, check_jsonschema]`) of the pinned `check-jsonschema` in
    `venv`, creating the environment when it is missing or holds another version.

    The environment is built in a sibling folder and renamed into place, so a concurrent run
    never sees half of one; it is run as `python -m`, which does not depend on the folder's
    name (script shebangs would)."""
    command = [_python(venv), "-m", "check_jsonschema"]
    if _ready(venv):
        return command
    parent = os.path.dirname(os.path.abspath(venv))
    os.makedirs(parent, exist_ok=True)
    building = tempfile.mkdtemp(prefix=".venv-building-", dir=parent)
    try:
        _call([sys.executable, "-m", "venv", building], "create a virtual environment")
        _call(
            [_python(building), "-m", "pip", "install", "--quiet", *PACKAGES],
            f"install `{' '.join(PACKAGES)}` from PyPI",
        )
        with open(os.path.join(building, STAMP), "w", encoding="utf-8") as file:
            file.write("\n".join(PACKAGES) + "\n")
        if _ready(venv):  # another run finished first
            return command
        if os.path.isdir(venv):
            shutil.rmtree(venv)
        os.replace(building, venv)
    finally:
        if os.path.isdir(building):
            shutil.rmtree(building, ignore_errors=True)
    return command


def kubernetes_validate(venv):
    """The command (`[python, -m, kubernetes_validate]`) of the pinned `kubernetes-validate`,
    from the same environment as `check_jsonschema`."""
    check_jsonschema(venv)
    return [_python(venv), "-m", "kubernetes_validate"]


def _call(argv, what):
    done = subprocess.run(argv, capture_output=True)
    if done.returncode != 0:
        raise UsageError(
            f"cannot {what}: `{' '.join(argv)}` exited {done.returncode}:\n"
            + done.stderr.decode("utf-8", "replace")[-2000:]
        )
