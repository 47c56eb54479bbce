"""hangar's CI scripts: the GitHub Action, the Azure DevOps template and the release
packaging. Python 3.9+ standard library only (docs/adr/0003-ci-scripts-in-python.md).

Run them through `ci/hangar-ci.py` (see `cli.py` for the commands)."""
