"""Running the `hangar` binary: validate, plan, drift, apply. Its stderr is passed through to
the CI log as it is; its stdout (the data) is returned."""

import json
import subprocess
import sys


class HangarError(Exception):
    """hangar could not be run, or answered something these scripts cannot read."""


class Run:
    def __init__(self, argv, code, stdout, stderr):
        self.argv = argv
        self.code = code
        self.stdout = stdout
        self.stderr = stderr


class Hangar:
    def __init__(self, binary):
        self.binary = binary

    def run(self, *args):
        argv = [self.binary, *args]
        print(f"$ hangar {' '.join(args)}", file=sys.stderr, flush=True)
        try:
            done = subprocess.run(argv, capture_output=True, stdin=subprocess.DEVNULL)
        except OSError as error:
            raise HangarError(
                f"cannot run `{self.binary}`: {error.strerror or error}; install hangar first "
                "(the action's `version` input) or set `HANGAR_BIN`"
            ) from None
        stderr = done.stderr.decode("utf-8", "replace")
        sys.stderr.write(stderr)
        sys.stderr.flush()
        return Run(argv, done.returncode, done.stdout.decode("utf-8", "replace"), stderr)

    def validate(self, config):
        """`(ok, diagnostics)`: findings as `hangar validate --format json` lists them."""
        run = self.run("validate", config, "--format", "json")
        if run.code not in (0, 1):
            raise HangarError(f"`hangar validate` exited {run.code}:\n{run.stderr.strip()}")
        try:
            diagnostics = json.loads(run.stdout) if run.stdout.strip() else []
        except ValueError:
            # No JSON: hangar could not even load the directory; its stderr says why.
            return False, [], run.stderr
        if not isinstance(diagnostics, list):
            raise HangarError("`hangar validate --format json` did not print a list")
        return run.code == 0, diagnostics, run.stderr

    def plan(self, config, plan_file):
        """`hangar plan --format markdown --out FILE --detailed-exitcode`: 0 none, 2 changes,
        1 error (no plan saved)."""
        return self.run(
            "plan", config, "--format", "markdown", "--out", plan_file, "--detailed-exitcode"
        )

    def drift(self, config):
        return self.run("drift", config, "--format", "markdown")

    def apply(self, plan_file, config, report_file):
        """Applies exactly the saved plan: hangar re-plans `config` against the tenant and
        refuses unless the result equals the saved plan."""
        return self.run(
            "apply", plan_file, "--config", config, "--auto-approve", "--report", report_file
        )
