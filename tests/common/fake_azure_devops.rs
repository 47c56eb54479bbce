//! A fake Azure DevOps for the pipeline template's scripts: pull request threads and their
//! comments, WIQL and work items (JSON Patch), the pull request query by merge commit, builds
//! and their artifacts.
#![allow(dead_code)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::fake_rest::{Answer, Call, FakeRest};

pub const TOKEN: &str = "ado-job-access-token";
pub const ORGANIZATION: &str = "contoso";
pub const PROJECT: &str = "Autopilot";
pub const REPOSITORY_ID: &str = "5f0c2b4e-0000-4000-8000-00000000c0de";

#[derive(Debug, Clone)]
pub struct Thread {
    pub id: u64,
    pub pull_request: u64,
    pub status: String,
    /// `(id, content)`.
    pub comments: Vec<(u64, String)>,
}

#[derive(Debug, Clone)]
pub struct WorkItem {
    pub id: u64,
    pub kind: String,
    pub title: String,
    pub description: String,
    pub tags: String,
    pub state: String,
    pub history: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Build {
    pub id: u64,
    pub branch: String,
    pub artifacts: BTreeMap<String, Vec<u8>>,
}

#[derive(Debug, Default)]
pub struct AzureDevOps {
    pub threads: Vec<Thread>,
    pub work_items: Vec<WorkItem>,
    /// Merge commit → `(pull request id, last merge source commit)`.
    pub completed: BTreeMap<String, (u64, String)>,
    pub builds: Vec<Build>,
    next_id: u64,
    /// The state a new work item starts in (Basic: To Do).
    pub new_state: String,
}

impl AzureDevOps {
    fn id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    pub fn open_work_items(&self, closed_state: &str) -> Vec<&WorkItem> {
        self.work_items
            .iter()
            .filter(|w| w.state != closed_state)
            .collect()
    }
}

pub fn start() -> FakeRest<AzureDevOps> {
    FakeRest::start(
        AzureDevOps {
            next_id: 100,
            new_state: "To Do".into(),
            ..AzureDevOps::default()
        },
        handle,
    )
}

fn error(status: u16, message: &str) -> Answer {
    Answer::json(
        status,
        json!({ "$id": "1", "message": message, "typeKey": "TestError" }),
    )
}

fn thread_json(thread: &Thread) -> Value {
    json!({
        "id": thread.id,
        "status": thread.status,
        "isDeleted": false,
        "comments": thread.comments.iter().map(|(id, content)| json!({
            "id": id, "parentCommentId": 0, "content": content, "commentType": "text",
        })).collect::<Vec<_>>(),
    })
}

fn work_item_json(item: &WorkItem, base: &str) -> Value {
    json!({
        "id": item.id,
        "fields": {
            "System.WorkItemType": item.kind, "System.Title": item.title, "System.State": item.state,
            "System.Tags": item.tags, "System.Description": item.description,
        },
        "_links": { "html": { "href": format!("{base}/{ORGANIZATION}/{PROJECT}/_workitems/edit/{}", item.id) } },
    })
}

/// The single-quoted value after `field op` in a WIQL query (`''` unescaped).
fn wiql_value(query: &str, field_op: &str) -> Option<String> {
    let start = query.find(field_op)? + field_op.len();
    let rest = query[start..].trim_start().strip_prefix('\'')?;
    let mut value = String::new();
    let mut chars = rest.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\'' {
            if chars.peek() == Some(&'\'') {
                value.push('\'');
                chars.next();
            } else {
                return Some(value);
            }
        } else {
            value.push(c);
        }
    }
    None
}

fn apply_patch(item: &mut WorkItem, operations: &Value) -> Result<(), String> {
    for operation in operations.as_array().ok_or("a JSON Patch document is an array")? {
        if operation["op"] != "add" {
            return Err(format!("unexpected op {}", operation["op"]));
        }
        let value = operation["value"].as_str().unwrap_or_default().to_owned();
        match operation["path"].as_str().unwrap_or_default() {
            "/fields/System.Title" => item.title = value,
            "/fields/System.Description" => item.description = value,
            "/fields/System.Tags" => item.tags = value,
            "/fields/System.State" => item.state = value,
            "/fields/System.History" => item.history.push(value),
            other => return Err(format!("unknown field path {other}")),
        }
    }
    Ok(())
}

fn handle(state: &mut AzureDevOps, call: &Call, base: &str) -> Answer {
    if call.authorization.as_deref() != Some(&format!("Bearer {TOKEN}")) {
        return Answer::bytes(401, b"TF400813: The user is not authorized".to_vec());
    }
    let route = call.route().to_owned();
    let prefix = format!("/{ORGANIZATION}/{PROJECT}/_apis/");
    let Some(rest) = route.strip_prefix(&prefix) else {
        return error(404, "not found");
    };
    let segments: Vec<&str> = rest.split('/').collect();
    let body = call.json();
    if !call.query("api-version").is_some_and(|v| v.starts_with("7.1")) {
        return error(400, "api-version 7.1 is expected");
    }
    match (call.method.as_str(), segments.as_slice()) {
        ("GET", ["git", "repositories", repo, "pullRequests", number, "threads"])
            if *repo == REPOSITORY_ID =>
        {
            let number: u64 = number.parse().unwrap_or(0);
            let value: Vec<Value> = state
                .threads
                .iter()
                .filter(|t| t.pull_request == number)
                .map(thread_json)
                .collect();
            Answer::json(200, json!({ "count": value.len(), "value": value }))
        }
        ("POST", ["git", "repositories", repo, "pullRequests", number, "threads"])
            if *repo == REPOSITORY_ID =>
        {
            let number: u64 = number.parse().unwrap_or(0);
            let Some(content) = body["comments"][0]["content"].as_str() else {
                return error(400, "a thread needs a comment");
            };
            let id = state.id();
            let thread = Thread {
                id,
                pull_request: number,
                status: body["status"].as_str().unwrap_or("active").into(),
                comments: vec![(1, content.into())],
            };
            let value = thread_json(&thread);
            state.threads.push(thread);
            Answer::json(200, value)
        }
        (
            "PATCH",
            [
                "git",
                "repositories",
                _,
                "pullRequests",
                _,
                "threads",
                thread,
                "comments",
                comment,
            ],
        ) => {
            let (thread, comment): (u64, u64) = (thread.parse().unwrap_or(0), comment.parse().unwrap_or(0));
            let Some(found) = state.threads.iter_mut().find(|t| t.id == thread) else {
                return error(404, "thread not found");
            };
            let Some(entry) = found.comments.iter_mut().find(|(id, _)| *id == comment) else {
                return error(404, "comment not found");
            };
            entry.1 = body["content"].as_str().unwrap_or_default().into();
            Answer::json(200, json!({ "id": comment, "content": entry.1 }))
        }
        ("PATCH", ["git", "repositories", _, "pullRequests", _, "threads", thread]) => {
            let thread: u64 = thread.parse().unwrap_or(0);
            let Some(found) = state.threads.iter_mut().find(|t| t.id == thread) else {
                return error(404, "thread not found");
            };
            found.status = body["status"].as_str().unwrap_or_default().into();
            Answer::json(200, thread_json(found))
        }
        ("POST", ["wit", "wiql"]) => {
            let query = body["query"].as_str().unwrap_or_default();
            let title = wiql_value(query, "[System.Title] =");
            let not_state = wiql_value(query, "[System.State] <>");
            let tag = wiql_value(query, "[System.Tags] CONTAINS");
            let items: Vec<Value> = state
                .work_items
                .iter()
                .filter(|w| title.as_ref().is_none_or(|t| &w.title == t))
                .filter(|w| not_state.as_ref().is_none_or(|s| &w.state != s))
                .filter(|w| {
                    tag.as_ref()
                        .is_none_or(|t| w.tags.split(';').any(|x| x.trim() == t))
                })
                .map(|w| json!({ "id": w.id, "url": format!("{base}/_apis/wit/workItems/{}", w.id) }))
                .collect();
            Answer::json(200, json!({ "queryType": "flat", "workItems": items }))
        }
        ("POST", ["wit", "workitems", kind]) if kind.starts_with('$') => {
            if call.content_type.as_deref() != Some("application/json-patch+json") {
                return error(415, "work item changes are application/json-patch+json");
            }
            let id = state.id();
            let mut item = WorkItem {
                id,
                kind: kind.trim_start_matches('$').into(),
                title: String::new(),
                description: String::new(),
                tags: String::new(),
                state: state.new_state.clone(),
                history: vec![],
            };
            if let Err(message) = apply_patch(&mut item, &body) {
                return error(400, &message);
            }
            let value = work_item_json(&item, base);
            state.work_items.push(item);
            Answer::json(200, value)
        }
        ("PATCH", ["wit", "workitems", id]) => {
            if call.content_type.as_deref() != Some("application/json-patch+json") {
                return error(415, "work item changes are application/json-patch+json");
            }
            let id: u64 = id.parse().unwrap_or(0);
            let Some(item) = state.work_items.iter_mut().find(|w| w.id == id) else {
                return error(404, "work item not found");
            };
            if let Err(message) = apply_patch(item, &body) {
                return error(400, &message);
            }
            Answer::json(200, work_item_json(item, base))
        }
        ("POST", ["git", "repositories", repo, "pullrequestquery"]) if *repo == REPOSITORY_ID => {
            let query = &body["queries"][0];
            if query["type"] != "lastMergeCommit" {
                return error(400, "unexpected query type");
            }
            let mut result = serde_json::Map::new();
            for sha in query["items"].as_array().cloned().unwrap_or_default() {
                let sha = sha.as_str().unwrap_or_default().to_owned();
                let pulls = match state.completed.get(&sha) {
                    Some((number, source)) => json!([{
                        "pullRequestId": number, "status": "completed",
                        "lastMergeCommit": { "commitId": sha }, "lastMergeSourceCommit": { "commitId": source },
                    }]),
                    None => json!([]),
                };
                result.insert(sha, pulls);
            }
            Answer::json(200, json!({ "queries": body["queries"], "results": [result] }))
        }
        ("GET", ["build", "builds"]) => {
            let branch = call.query("branchName").unwrap_or_default();
            let value: Vec<Value> = state
                .builds
                .iter()
                .rev()
                .filter(|b| b.branch == branch)
                .map(|b| json!({ "id": b.id, "sourceBranch": b.branch, "reason": "pullRequest" }))
                .collect();
            Answer::json(200, json!({ "count": value.len(), "value": value }))
        }
        ("GET", ["build", "builds", id, "artifacts"]) => {
            let id: u64 = id.parse().unwrap_or(0);
            let name = call.query("artifactName").unwrap_or_default();
            match state
                .builds
                .iter()
                .find(|b| b.id == id && b.artifacts.contains_key(&name))
            {
                Some(build) => Answer::json(
                    200,
                    json!({ "id": 7, "name": name, "resource": { "type": "PipelineArtifact",
                        "downloadUrl": format!("{base}{prefix}resources/artifacts/{}/{name}?format=zip&api-version=7.1", build.id) } }),
                ),
                None => error(404, &format!("Artifact {name} not found for build {id}")),
            }
        }
        ("GET", ["resources", "artifacts", id, name]) => {
            let id: u64 = id.parse().unwrap_or(0);
            match state
                .builds
                .iter()
                .find(|b| b.id == id)
                .and_then(|b| b.artifacts.get(*name))
            {
                Some(zip) => Answer::bytes(200, zip.clone()),
                None => error(404, "not found"),
            }
        }
        _ => error(404, &format!("no route for {} {route}", call.method)),
    }
}
