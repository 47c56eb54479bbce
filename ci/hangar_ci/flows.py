"""The three CI jobs, the same on GitHub and Azure DevOps:

- `plan` (pull request): validate, plan, save the plan and its metadata for the artifact, and
  post or update the pull request's one plan comment for this configuration;
- `apply` (merge): find the pull request that made this commit, download the plan reviewed on
  it, check it was made for the pull request's last commit, and apply exactly that plan
  (`hangar apply PLAN --config DIR --auto-approve`, which re-plans and refuses any difference);
- `drift` (schedule): one open issue (work item) per configuration while the tenant differs
  from Git, updated on every run, closed when it matches again.

Every body is composed in full before the one request that posts it: a comment is never half
written. A failed plan replaces the comment with the failure, so a stale plan is never left
standing as if it were current, and the job fails.
"""

import datetime
import json
import os
import sys

from . import report
from .errors import Refused, UsageError

METADATA = "hangar-ci.json"
PLAN = "plan.json"
METADATA_FORMAT = 1


def _now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def plan_artifact_name(key, number):
    return f"hangar-plan-pr{number}-{report.artifact_slug(key)}"


def _footer(host, lines):
    url = host.run_url()
    if url:
        lines.append(f"[{host.name} run]({url})")
    return "\n\n" + " · ".join(lines) + "\n"


def plan(host, hangar, config, out_dir):
    """Exit code: 0 planned and posted (the `changes` output says whether there are changes),
    1 failure (the failure posted when a comment could be)."""
    key = report.config_key(config)
    number, head = host.pull_request()
    mark = report.marker("plan", key)
    artifact = plan_artifact_name(key, number)
    os.makedirs(out_dir, exist_ok=True)
    plan_file = os.path.join(out_dir, PLAN)
    # A plan left from an earlier step must never be uploaded as this one.
    for name in (PLAN, METADATA, "plan.md"):
        path = os.path.join(out_dir, name)
        if os.path.exists(path):
            os.remove(path)
    commit = head or host.commit()
    heading = f"### hangar plan: `{key}`\n\n{mark}\n"
    at = f"commit `{commit[:12]}`" if commit else "this run"

    valid, diagnostics, validate_stderr = hangar.validate(config)
    if not valid:
        listed = report.diagnostics_list([d for d in diagnostics if d.get("severity") == "error"])
        detail = listed or report.fenced(report.tail(validate_stderr))
        body = (
            f"{heading}\n:x: **`hangar validate` failed** for {at}: nothing was planned.\n\n{detail}"
            + _footer(host, [f"{_now()}"])
        )
        _post(host, number, mark, body, failed=True)
        print(f"error: `{key}` is not valid; the pull request comment says why", file=sys.stderr)
        return 1
    warnings = [d for d in diagnostics if d.get("severity") != "error"]

    run = hangar.plan(config, plan_file)
    if run.code not in (0, 2):
        body = (
            f"{heading}\n:x: **`hangar plan` failed** for {at}: no plan was saved, nothing "
            f"will be applied.\n\n{report.fenced(report.tail(run.stderr))}"
            + _footer(host, [_now()])
        )
        _post(host, number, mark, body, failed=True)
        print(f"error: `hangar plan {key}` exited {run.code}", file=sys.stderr)
        return 1
    if not os.path.isfile(plan_file):
        raise UsageError(f"`hangar plan` exited {run.code} but saved no plan at `{plan_file}`")

    changes = run.code == 2
    metadata = {
        "format": METADATA_FORMAT,
        "config": key,
        "pull_request": number,
        "head_sha": head,
        "commit": host.commit(),
        "changes": changes,
        "artifact": artifact,
    }
    with open(os.path.join(out_dir, METADATA), "w", encoding="utf-8") as file:
        json.dump(metadata, file, indent=2)
        file.write("\n")
    with open(os.path.join(out_dir, "plan.md"), "w", encoding="utf-8") as file:
        file.write(run.stdout)

    sections = [heading]
    if warnings:
        sections.append(
            f"<details><summary>:warning: {len(warnings)} validation warning(s)</summary>\n\n"
            + report.diagnostics_list(warnings)
            + "\n\n</details>\n"
        )
    footer = _footer(
        host,
        [f"Planned at {at}, {_now()}", f"saved plan: artifact `{artifact}` (applied on merge, exactly as shown)"],
    )
    room = host.body_limit - sum(len(s) for s in sections) - len(footer) - report.FOOTER_ROOM
    plan_text, cut = report.truncate(
        run.stdout,
        room,
        f"**…the plan is cut here to fit a comment: the whole plan is in artifact `{artifact}`.**",
    )
    sections.append(plan_text)
    body = "\n".join(sections) + footer
    action, url = _post(host, number, mark, body, failed=False)
    host.set_output("changes", "true" if changes else "false")
    host.set_output("artifact", artifact)
    host.set_output("plan-dir", out_dir)
    host.summary(plan_text)
    print(
        f"{action} the plan comment for `{key}` on pull request {number}"
        + (f": {url}" if url else "")
        + (" (plan cut to fit)" if cut else ""),
        file=sys.stderr,
    )
    return 0


def _post(host, number, mark, body, failed):
    return host.upsert_plan_comment(number, mark, body, failed)


def apply(host, hangar, config, out_dir):
    key = report.config_key(config)
    number, head = host.merged_pull_request()
    artifact = plan_artifact_name(key, number)
    os.makedirs(out_dir, exist_ok=True)
    for name in (PLAN, METADATA):
        path = os.path.join(out_dir, name)
        if os.path.exists(path):
            os.remove(path)
    print(f"pull request {number} (last commit {head[:12]}): downloading `{artifact}`", file=sys.stderr)
    host.download_artifact(artifact, head, out_dir, number=number)
    plan_file = os.path.join(out_dir, PLAN)
    try:
        with open(os.path.join(out_dir, METADATA), encoding="utf-8") as file:
            metadata = json.load(file)
    except (OSError, ValueError) as error:
        raise Refused(f"artifact `{artifact}` has no readable `{METADATA}`: {error}") from None
    if not os.path.isfile(plan_file):
        raise Refused(f"artifact `{artifact}` holds no `{PLAN}`")
    checks = [
        ("format", METADATA_FORMAT),
        ("config", key),
        ("pull_request", number),
    ]
    if head:
        checks.append(("head_sha", head))
    for field, expected in checks:
        if metadata.get(field) != expected:
            raise Refused(
                f"artifact `{artifact}` was made for {field} `{metadata.get(field)}`, not "
                f"`{expected}`: it is not the plan reviewed on the merged commit"
            )
    report_file = os.path.join(out_dir, "apply-report.json")
    run = hangar.apply(plan_file, config, report_file)
    sys.stdout.write(run.stdout)
    host.set_output("report", report_file)
    host.summary(
        f"### hangar apply: `{key}`\n\nThe plan reviewed on pull request {number} "
        + ("was applied." if run.code == 0 else f"was **not** fully applied (exit {run.code}): see the log.")
    )
    if run.code != 0:
        print(f"error: `hangar apply` exited {run.code}; nothing beyond what it reported was changed", file=sys.stderr)
        return 1
    return 0


def drift(host, hangar, config):
    """Exit code 0 whether or not there is drift (the issue is the signal); 1 when the tenant
    could not be compared, in which case no issue is touched."""
    key = report.config_key(config)
    mark = report.marker("drift", key)
    run = hangar.drift(config)
    if run.code not in (0, 2):
        print(
            f"error: `hangar drift {key}` exited {run.code}: the tenant could not be compared, so "
            "no drift issue was opened, updated or closed",
            file=sys.stderr,
        )
        return 1
    issue = host.find_drift_issue(key, mark)
    title = f"hangar: the tenant of `{key}` differs from Git"
    if run.code == 0:
        host.set_output("drift", "false")
        if issue:
            url = host.close_drift_issue(
                issue, f"The tenant matches Git again ({_now()}). Closed by hangar." + _footer(host, [])
            )
            print(f"no drift in `{key}`: closed {url or 'the drift issue'}", file=sys.stderr)
        else:
            print(f"no drift in `{key}`", file=sys.stderr)
        return 0
    footer = _footer(host, [f"Last checked {_now()}", "this issue is updated every run and closed when the drift clears"])
    room = host.body_limit - len(mark) - len(footer) - report.FOOTER_ROOM
    text, _ = report.truncate(run.stdout, room, "**…cut to fit: run `hangar drift` for the whole report.**")
    body = f"{mark}\n\n{text}{footer}"
    if issue:
        url = host.update_drift_issue(issue, title, body)
        print(f"drift in `{key}`: updated {url or 'the drift issue'}", file=sys.stderr)
    else:
        url = host.open_drift_issue(key, title, body)
        print(f"drift in `{key}`: opened {url or 'a drift issue'}", file=sys.stderr)
    host.set_output("drift", "true")
    return 0
