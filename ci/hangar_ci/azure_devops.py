"""Azure DevOps: the pull request's one plan thread, one drift work item per configuration,
and the reviewed plan of a completed pull request (a pipeline artifact of its last PR build).

Reads the predefined variables a pipeline exports (`SYSTEM_COLLECTIONURI`,
`SYSTEM_TEAMPROJECT`, `BUILD_REPOSITORY_ID`, `SYSTEM_PULLREQUEST_PULLREQUESTID`,
`SYSTEM_PULLREQUEST_SOURCECOMMITID`, `BUILD_SOURCEVERSION`, `BUILD_BUILDID`,
`SYSTEM_DEFINITIONID`) and `SYSTEM_ACCESSTOKEN`, which a step must map explicitly
(`env: SYSTEM_ACCESSTOKEN: $(System.AccessToken)`).

REST reference: Git "Pull Request Threads" and "Pull Request Thread Comments", "Pull Request
Query" (7.1-preview.1), Work Item Tracking "Wiql" and "Work Items" (JSON Patch), Build
"Builds - List" and "Artifacts - Get Artifact", all api-version 7.1.
"""

import html
import urllib.parse

from . import report
from .errors import Refused, UsageError
from .github import _extract_zip
from .rest import ApiError, Client

API = "api-version=7.1"
PR_QUERY_API = "api-version=7.1-preview.1"
DRIFT_TAG = "hangar-drift"
# Thread status: `active` blocks completion where the branch policy requires comment
# resolution (right for a failed plan); `closed` informs without blocking.
ACTIVE, CLOSED = "active", "closed"


def _required(env, name, hint):
    value = env.get(name, "").strip()
    if not value:
        raise UsageError(f"`{name}` is not set: {hint}")
    return value


def _wiql_string(value):
    return "'" + value.replace("'", "''") + "'"


class AzureDevOps:
    name = "Azure DevOps"
    body_limit = report.AZURE_DEVOPS_BODY_LIMIT

    def __init__(self, env, work_item_type="Issue", closed_state="Done"):
        token = _required(
            env,
            "SYSTEM_ACCESSTOKEN",
            "map it in the step (`env: SYSTEM_ACCESSTOKEN: $(System.AccessToken)`); the template "
            "does this",
        )
        collection = _required(env, "SYSTEM_COLLECTIONURI", "run inside an Azure Pipelines job")
        self.project = _required(env, "SYSTEM_TEAMPROJECT", "run inside an Azure Pipelines job")
        self.env = env
        self.work_item_type = work_item_type
        self.closed_state = closed_state
        base = collection.rstrip("/") + "/" + urllib.parse.quote(self.project)
        self.api = Client(base, f"Bearer {token}", {"Accept": "application/json"}, _azure_devops_host)

    def _repo(self):
        repo = _required(self.env, "BUILD_REPOSITORY_ID", "run inside an Azure Pipelines job")
        return f"/_apis/git/repositories/{urllib.parse.quote(repo)}"

    def run_url(self):
        collection = self.env.get("SYSTEM_COLLECTIONURI", "").rstrip("/")
        build = self.env.get("BUILD_BUILDID")
        if not build:
            return None
        return f"{collection}/{urllib.parse.quote(self.project)}/_build/results?buildId={build}"

    def commit(self):
        return self.env.get("BUILD_SOURCEVERSION", "")

    def pull_request(self):
        number = self.env.get("SYSTEM_PULLREQUEST_PULLREQUESTID", "").strip()
        if not number.isdigit():
            raise UsageError(
                "this build is not for a pull request (`SYSTEM_PULLREQUEST_PULLREQUESTID` is "
                "unset): run `plan` from the branch policy's build validation"
            )
        return int(number), self.env.get("SYSTEM_PULLREQUEST_SOURCECOMMITID", "")

    # -- the plan thread ---------------------------------------------------------------------

    def upsert_plan_comment(self, number, mark, body, failed):
        threads_path = f"{self._repo()}/pullRequests/{number}/threads"
        status = ACTIVE if failed else CLOSED
        answer = self.api.get_json(f"{threads_path}?{API}") or {}
        for thread in answer.get("value", []):
            comments = thread.get("comments") or []
            if thread.get("isDeleted") or not comments:
                continue
            first = comments[0]
            if report.carries_marker(first.get("content"), mark) and not first.get("isDeleted"):
                self.api.send_json(
                    "PATCH",
                    f"{threads_path}/{thread['id']}/comments/{first['id']}?{API}",
                    {"content": body},
                )
                self.api.send_json("PATCH", f"{threads_path}/{thread['id']}?{API}", {"status": status})
                return "updated", None
        self.api.send_json(
            "POST",
            f"{threads_path}?{API}",
            {
                "comments": [{"parentCommentId": 0, "content": body, "commentType": "text"}],
                "status": status,
            },
        )
        return "created", None

    # -- drift work items --------------------------------------------------------------------

    def _title(self, key):
        return f"hangar drift: {key}"

    def find_drift_issue(self, key, _mark):
        query = (
            "SELECT [System.Id] FROM WorkItems WHERE [System.TeamProject] = @project "
            f"AND [System.Tags] CONTAINS {_wiql_string(DRIFT_TAG)} "
            f"AND [System.Title] = {_wiql_string(self._title(key))} "
            f"AND [System.State] <> {_wiql_string(self.closed_state)} ORDER BY [System.Id]"
        )
        answer = self.api.send_json("POST", f"/_apis/wit/wiql?{API}", {"query": query}) or {}
        items = answer.get("workItems") or []
        return {"id": items[0]["id"]} if items else None

    def _description(self, body):
        # Work item descriptions are HTML; the drift report is kept readable as preformatted text.
        return "<pre>" + html.escape(body) + "</pre>"

    def open_drift_issue(self, key, _title, body):
        patch = [
            {"op": "add", "path": "/fields/System.Title", "value": self._title(key)},
            {"op": "add", "path": "/fields/System.Description", "value": self._description(body)},
            {"op": "add", "path": "/fields/System.Tags", "value": DRIFT_TAG},
        ]
        # `$Issue` as the REST reference writes it; a space in a type name is still encoded.
        kind = urllib.parse.quote("$" + self.work_item_type, safe="$")
        answer = self.api.send_json(
            "POST", f"/_apis/wit/workitems/{kind}?{API}", patch, "application/json-patch+json"
        )
        return _work_item_url(answer)

    def update_drift_issue(self, issue, _title, body):
        patch = [
            {"op": "add", "path": "/fields/System.Description", "value": self._description(body)},
            {"op": "add", "path": "/fields/System.History", "value": "hangar: the tenant still differs from Git."},
        ]
        answer = self.api.send_json(
            "PATCH", f"/_apis/wit/workitems/{issue['id']}?{API}", patch, "application/json-patch+json"
        )
        return _work_item_url(answer)

    def close_drift_issue(self, issue, comment):
        patch = [
            {"op": "add", "path": "/fields/System.State", "value": self.closed_state},
            {"op": "add", "path": "/fields/System.History", "value": html.escape(comment)},
        ]
        answer = self.api.send_json(
            "PATCH", f"/_apis/wit/workitems/{issue['id']}?{API}", patch, "application/json-patch+json"
        )
        return _work_item_url(answer)

    # -- the reviewed plan -------------------------------------------------------------------

    def merged_pull_request(self):
        sha = _required(self.env, "BUILD_SOURCEVERSION", "run inside an Azure Pipelines job")
        answer = self.api.send_json(
            "POST",
            f"{self._repo()}/pullrequestquery?{PR_QUERY_API}",
            {"queries": [{"type": "lastMergeCommit", "items": [sha]}]},
        ) or {}
        for result in answer.get("results") or []:
            for pull in result.get(sha) or []:
                head = (pull.get("lastMergeSourceCommit") or {}).get("commitId", "")
                return int(pull["pullRequestId"]), head
        raise Refused(
            f"commit {sha[:12]} was not made by completing a pull request, so there is no "
            "reviewed plan to apply: changes reach the tenant only through a reviewed pull request"
        )

    def download_artifact(self, name, head_sha, dest, number=None):
        branch = urllib.parse.quote(f"refs/pull/{number}/merge", safe="")
        query = f"branchName={branch}&reasonFilter=pullRequest&queryOrder=finishTimeDescending"
        definition = self.env.get("SYSTEM_DEFINITIONID", "").strip()
        if definition:
            query += f"&definitions={urllib.parse.quote(definition)}"
        builds = (self.api.get_json(f"/_apis/build/builds?{query}&{API}") or {}).get("value") or []
        for build in builds:
            try:
                found = self.api.request(
                    "GET",
                    f"/_apis/build/builds/{build['id']}/artifacts?artifactName={urllib.parse.quote(name)}&{API}",
                )
            except ApiError as error:
                if error.status == 404:  # this build published no such artifact
                    continue
                raise
            if not found.body:
                continue
            artifact = found.json() or {}
            url = (artifact.get("resource") or {}).get("downloadUrl")
            if not url:
                continue
            response = self.api.request("GET", url)
            _extract_zip(response.body, dest, url)
            return
        raise Refused(
            f"no pipeline artifact `{name}` from a build of pull request {number}: its plan did "
            "not finish, or the artifact was deleted; re-run the pull request's build"
        )

    # -- step outputs ------------------------------------------------------------------------

    def set_output(self, name, value):
        print(f"##vso[task.setvariable variable={name};isOutput=true]{value}")

    def summary(self, _text):
        pass


def _azure_devops_host(host):
    """Hosts of Azure DevOps Services that serve its artifacts and need the job's token."""
    host = host.lower()
    return host == "dev.azure.com" or host.endswith(".visualstudio.com")


def _work_item_url(answer):
    links = (answer or {}).get("_links") or {}
    return (links.get("html") or {}).get("href") or (answer or {}).get("url")
