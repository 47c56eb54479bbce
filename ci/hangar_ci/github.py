"""GitHub: the pull request's one plan comment, one drift issue per configuration, and the
reviewed plan of a merged pull request (an artifact of its last plan run).

Reads the variables GitHub Actions sets (`GITHUB_API_URL`, `GITHUB_REPOSITORY`,
`GITHUB_EVENT_PATH`, `GITHUB_SHA`, `GITHUB_SERVER_URL`, `GITHUB_RUN_ID`) and `GITHUB_TOKEN`.
"""

import io
import json
import os
import zipfile

from . import report
from .errors import Refused, UsageError
from .rest import ApiError, Client

API_VERSION = "2022-11-28"
DRIFT_LABEL = "hangar-drift"


def _required(env, name, hint):
    value = env.get(name, "").strip()
    if not value:
        raise UsageError(f"`{name}` is not set: {hint}")
    return value


class GitHub:
    name = "GitHub"
    body_limit = report.GITHUB_BODY_LIMIT

    def __init__(self, env):
        token = _required(
            env,
            "GITHUB_TOKEN",
            "pass the action's `github-token` input (default `${{ github.token }}`), with the "
            "permissions the workflow examples grant",
        )
        self.repository = _required(env, "GITHUB_REPOSITORY", "run inside GitHub Actions")
        if self.repository.count("/") != 1:
            raise UsageError(f"`GITHUB_REPOSITORY` is `{self.repository}`, expected `owner/name`")
        self.env = env
        self.api = Client(
            env.get("GITHUB_API_URL") or "https://api.github.com",
            f"Bearer {token}",
            {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": API_VERSION},
        )
        self.repo_path = f"/repos/{self.repository}"

    # -- where this run is -------------------------------------------------------------------

    def run_url(self):
        server = self.env.get("GITHUB_SERVER_URL") or "https://github.com"
        run_id = self.env.get("GITHUB_RUN_ID")
        if not run_id:
            return None
        return f"{server}/{self.repository}/actions/runs/{run_id}"

    def commit(self):
        return self.env.get("GITHUB_SHA", "")

    def pull_request(self):
        """`(number, head sha)` of the pull request this run plans, from the event payload."""
        path = _required(self.env, "GITHUB_EVENT_PATH", "run inside GitHub Actions")
        try:
            with open(path, encoding="utf-8") as file:
                event = json.load(file)
        except (OSError, ValueError) as error:
            raise UsageError(f"cannot read the event payload `{path}`: {error}") from None
        pull = event.get("pull_request") if isinstance(event, dict) else None
        if not isinstance(pull, dict) or "number" not in pull:
            raise UsageError(
                "this event is not a pull request: run `plan` on `pull_request` events "
                "(`apply` on `push` to the default branch, `drift` on a schedule)"
            )
        return int(pull["number"]), str(pull.get("head", {}).get("sha", ""))

    # -- the plan comment --------------------------------------------------------------------

    def upsert_plan_comment(self, number, mark, body, _failed):
        """Updates hangar's comment for this configuration on pull request `number`, or creates
        it when there is none: one comment per configuration, whatever the number of runs."""
        existing = None
        for comment in self.api.paginate(f"{self.repo_path}/issues/{number}/comments?per_page=100"):
            if report.carries_marker(comment.get("body"), mark):
                existing = comment
                break
        if existing:
            answer = self.api.send_json(
                "PATCH", f"{self.repo_path}/issues/comments/{existing['id']}", {"body": body}
            )
            return "updated", (answer or {}).get("html_url") or existing.get("html_url")
        answer = self.api.send_json("POST", f"{self.repo_path}/issues/{number}/comments", {"body": body})
        return "created", (answer or {}).get("html_url")

    # -- drift issues ------------------------------------------------------------------------

    def find_drift_issue(self, key, mark):
        """The open issue that carries `mark`, oldest first if people duplicated it."""
        found = []
        for issue in self.api.paginate(
            f"{self.repo_path}/issues?state=open&labels={DRIFT_LABEL}&per_page=100"
        ):
            if "pull_request" in issue:
                continue
            if report.carries_marker(issue.get("body"), mark):
                found.append(issue)
        found.sort(key=lambda issue: issue["number"])
        return found[0] if found else None

    def open_drift_issue(self, key, title, body):
        answer = self.api.send_json(
            "POST", f"{self.repo_path}/issues", {"title": title, "body": body, "labels": [DRIFT_LABEL]}
        )
        return (answer or {}).get("html_url")

    def update_drift_issue(self, issue, title, body):
        self.api.send_json(
            "PATCH", f"{self.repo_path}/issues/{issue['number']}", {"title": title, "body": body}
        )
        return issue.get("html_url")

    def close_drift_issue(self, issue, comment):
        self.api.send_json("POST", f"{self.repo_path}/issues/{issue['number']}/comments", {"body": comment})
        self.api.send_json(
            "PATCH",
            f"{self.repo_path}/issues/{issue['number']}",
            {"state": "closed", "state_reason": "completed"},
        )
        return issue.get("html_url")

    # -- the reviewed plan -------------------------------------------------------------------

    def merged_pull_request(self):
        """`(number, head sha)` of the pull request whose merge made this commit."""
        sha = _required(self.env, "GITHUB_SHA", "run inside GitHub Actions")
        pulls = self.api.get_json(f"{self.repo_path}/commits/{sha}/pulls") or []
        for pull in pulls:
            if pull.get("merged_at") and pull.get("merge_commit_sha") == sha:
                return int(pull["number"]), str(pull.get("head", {}).get("sha", ""))
        raise Refused(
            f"commit {sha[:12]} was not made by merging a pull request, so there is no reviewed "
            "plan to apply: changes reach the tenant only through a reviewed pull request"
        )

    def download_artifact(self, name, head_sha, dest, number=None):
        """Extracts the newest unexpired artifact `name` made for `head_sha` into `dest`."""
        candidates = [
            artifact
            for artifact in self.api.paginate(f"{self.repo_path}/actions/artifacts?name={name}&per_page=100")
            if artifact.get("name") == name and not artifact.get("expired")
        ]
        if not candidates:
            raise Refused(
                f"no artifact `{name}`: the pull request's plan job did not finish, or its "
                "artifact expired; re-run the plan, or apply from a new pull request"
            )
        candidates.sort(key=lambda artifact: artifact.get("created_at") or "", reverse=True)
        for artifact in candidates:
            made_for = (artifact.get("workflow_run") or {}).get("head_sha")
            if made_for and head_sha and made_for != head_sha:
                continue
            response = self.api.request("GET", artifact["archive_download_url"])
            _extract_zip(response.body, dest, artifact["archive_download_url"])
            return
        latest = (candidates[0].get("workflow_run") or {}).get("head_sha", "?")
        raise Refused(
            f"the newest plan `{name}` was made for commit {latest[:12]}, but the pull request "
            f"was merged at {head_sha[:12]}: the last commit was never planned and reviewed"
        )

    # -- step outputs ------------------------------------------------------------------------

    def set_output(self, name, value):
        path = self.env.get("GITHUB_OUTPUT")
        if path:
            with open(path, "a", encoding="utf-8") as file:
                file.write(f"{name}={value}\n")

    def summary(self, text):
        path = self.env.get("GITHUB_STEP_SUMMARY")
        if path:
            with open(path, "a", encoding="utf-8") as file:
                file.write(text.rstrip() + "\n")


def _extract_zip(data, dest, source):
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise ApiError("GET", source, 200, "the download is not a zip archive") from None
    os.makedirs(dest, exist_ok=True)
    for entry in archive.infolist():
        name = entry.filename.replace("\\", "/")
        # Only plain files at the top or one folder down; nothing that climbs out of `dest`.
        if entry.is_dir() or name.startswith("/") or ".." in name.split("/"):
            continue
        target = os.path.join(dest, os.path.basename(name))
        with archive.open(entry) as source_file, open(target, "wb") as out:
            out.write(source_file.read())
