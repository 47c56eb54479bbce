//! A fake GitHub for the Action's scripts: the REST endpoints they call (issue comments,
//! issues, pull requests of a commit, workflow artifacts with their redirect to storage), the
//! Actions OIDC token endpoint, and release downloads. Issues and pull requests share one
//! number space, as on GitHub.
#![allow(dead_code)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use crate::fake_rest::{Answer, Call, FakeRest};

pub const TOKEN: &str = "ghs_fake_installation_token";
pub const OIDC_REQUEST_TOKEN: &str = "oidc-request-token";
pub const REPOSITORY: &str = "contoso/autopilot";
pub const ISSUER: &str = "https://token.actions.githubusercontent.com";

#[derive(Debug, Clone)]
pub struct Comment {
    pub id: u64,
    pub issue: u64,
    pub body: String,
}

#[derive(Debug, Clone)]
pub struct Issue {
    pub number: u64,
    pub title: String,
    pub body: String,
    pub state: String,
    pub labels: Vec<String>,
    pub pull_request: bool,
}

#[derive(Debug, Clone)]
pub struct Artifact {
    pub id: u64,
    pub name: String,
    pub head_sha: String,
    pub created_at: String,
    pub zip: Vec<u8>,
}

#[derive(Debug, Default)]
pub struct GitHub {
    pub comments: Vec<Comment>,
    pub issues: Vec<Issue>,
    pub next_id: u64,
    /// `GET /repos/{r}/commits/{sha}/pulls`.
    pub pulls_of_commit: BTreeMap<String, Value>,
    pub artifacts: Vec<Artifact>,
    /// `GET /releases/download/{tag}/{name}`.
    pub release_files: BTreeMap<String, Vec<u8>>,
    /// The `sub` of the OIDC tokens handed out (the workflow job's identity).
    pub oidc_subject: String,
    /// Audiences the OIDC endpoint was asked for.
    pub oidc_audiences: Vec<String>,
    /// `(method, route fragment, status)`: answered with `status` before anything else.
    pub failures: Vec<(String, String, u16)>,
}

impl GitHub {
    pub fn new() -> GitHub {
        GitHub {
            next_id: 1000,
            oidc_subject: format!("repo:{REPOSITORY}:pull_request"),
            ..GitHub::default()
        }
    }

    fn id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    pub fn add_pull_request(&mut self, number: u64) {
        self.issues.push(Issue {
            number,
            title: format!("pull request {number}"),
            body: String::new(),
            state: "open".into(),
            labels: vec![],
            pull_request: true,
        });
    }

    pub fn add_comment(&mut self, issue: u64, body: &str) {
        let id = self.id();
        self.comments.push(Comment {
            id,
            issue,
            body: body.into(),
        });
    }

    pub fn comments_on(&self, issue: u64) -> Vec<&Comment> {
        self.comments.iter().filter(|c| c.issue == issue).collect()
    }

    pub fn drift_issues(&self) -> Vec<&Issue> {
        self.issues.iter().filter(|i| !i.pull_request).collect()
    }

    pub fn open_drift_issues(&self) -> Vec<&Issue> {
        self.drift_issues()
            .into_iter()
            .filter(|i| i.state == "open")
            .collect()
    }
}

pub fn start() -> FakeRest<GitHub> {
    FakeRest::start(GitHub::new(), handle)
}

fn error(status: u16, message: &str) -> Answer {
    Answer::json(
        status,
        json!({ "message": message, "documentation_url": "https://docs.github.com/rest" }),
    )
}

/// A page of `items` and the `Link` header to the next one.
fn page(items: Vec<Value>, call: &Call, base: &str) -> Answer {
    let per_page: usize = call.query("per_page").and_then(|v| v.parse().ok()).unwrap_or(30);
    let number: usize = call.query("page").and_then(|v| v.parse().ok()).unwrap_or(1);
    let start = (number - 1) * per_page;
    let slice: Vec<Value> = items.iter().skip(start).take(per_page).cloned().collect();
    let mut answer = Answer::json(200, Value::Array(slice));
    if start + per_page < items.len() {
        let query: Vec<String> = call
            .path
            .split_once('?')
            .map(|(_, q)| q)
            .unwrap_or("")
            .split('&')
            .filter(|p| !p.is_empty() && !p.starts_with("page="))
            .map(str::to_owned)
            .chain([format!("page={}", number + 1)])
            .collect();
        let next = format!("{base}{}?{}", call.route(), query.join("&"));
        answer = answer.header("link", &format!("<{next}>; rel=\"next\", <{next}>; rel=\"last\""));
    }
    answer
}

fn comment_json(comment: &Comment, base: &str) -> Value {
    json!({
        "id": comment.id,
        "body": comment.body,
        "html_url": format!("{base}/{REPOSITORY}/pull/{}#issuecomment-{}", comment.issue, comment.id),
        "user": { "login": "github-actions[bot]", "type": "Bot" },
    })
}

fn issue_json(issue: &Issue, base: &str) -> Value {
    let mut value = json!({
        "number": issue.number,
        "title": issue.title,
        "body": issue.body,
        "state": issue.state,
        "labels": issue.labels.iter().map(|l| json!({ "name": l })).collect::<Vec<_>>(),
        "html_url": format!("{base}/{REPOSITORY}/issues/{}", issue.number),
    });
    if issue.pull_request {
        value["pull_request"] = json!({ "url": "…" });
    }
    value
}

fn handle(state: &mut GitHub, call: &Call, base: &str) -> Answer {
    let route = call.route().to_owned();
    let segments: Vec<&str> = route.trim_start_matches('/').split('/').collect();
    for (method, fragment, status) in &state.failures {
        if *method == call.method && route.contains(fragment.as_str()) {
            return error(*status, "Server Error");
        }
    }
    // Storage behind the artifact redirect: refuses a request that carries a token, as Azure
    // storage does with a SAS URL.
    if let ["blob", id] = segments.as_slice() {
        if call.authorization.is_some() {
            return error(400, "storage does not accept an Authorization header with a SAS");
        }
        let id: u64 = id.parse().unwrap_or(0);
        return match state.artifacts.iter().find(|a| a.id == id) {
            Some(artifact) => Answer::bytes(200, artifact.zip.clone()),
            None => error(404, "Not Found"),
        };
    }
    if let ["releases", "download", tag, name] = segments.as_slice() {
        return match state.release_files.get(&format!("{tag}/{name}")) {
            Some(data) => Answer::bytes(200, data.clone()),
            None => error(404, "Not Found"),
        };
    }
    if segments.first() == Some(&"oidc") {
        if call.authorization.as_deref() != Some(&format!("Bearer {OIDC_REQUEST_TOKEN}")) {
            return error(401, "bad request token");
        }
        let audience = call.query("audience").unwrap_or_default();
        state.oidc_audiences.push(audience.clone());
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let encode = |value: Value| URL_SAFE_NO_PAD.encode(serde_json::to_vec(&value).unwrap());
        let token = format!(
            "{}.{}.{}",
            encode(json!({ "alg": "RS256", "typ": "JWT", "kid": "fake" })),
            encode(json!({
                "iss": ISSUER, "sub": state.oidc_subject, "aud": audience,
                "iat": now, "nbf": now - 5, "exp": now + 600,
            })),
            URL_SAFE_NO_PAD.encode(b"unsigned")
        );
        return Answer::json(200, json!({ "count": 1, "value": token }));
    }
    if call.authorization.as_deref() != Some(&format!("Bearer {TOKEN}")) {
        return error(401, "Bad credentials");
    }
    let repo: Vec<&str> = REPOSITORY.split('/').collect();
    let rest = match segments.as_slice() {
        ["repos", owner, name, rest @ ..] if *owner == repo[0] && *name == repo[1] => rest.to_vec(),
        _ => return error(404, "Not Found"),
    };
    let body = call.json();
    match (call.method.as_str(), rest.as_slice()) {
        ("GET", ["issues", number, "comments"]) => {
            let number: u64 = number.parse().unwrap_or(0);
            let items = state
                .comments_on(number)
                .into_iter()
                .map(|c| comment_json(c, base))
                .collect();
            page(items, call, base)
        }
        ("POST", ["issues", number, "comments"]) => {
            let number: u64 = number.parse().unwrap_or(0);
            if !state.issues.iter().any(|i| i.number == number) {
                return error(404, "Not Found");
            }
            let Some(text) = body["body"].as_str() else {
                return error(422, "body is required");
            };
            if text.chars().count() > 65536 {
                return error(422, "Body is too long (maximum is 65536 characters)");
            }
            let id = state.id();
            let comment = Comment {
                id,
                issue: number,
                body: text.into(),
            };
            let value = comment_json(&comment, base);
            state.comments.push(comment);
            Answer::json(201, value)
        }
        ("PATCH", ["issues", "comments", id]) => {
            let id: u64 = id.parse().unwrap_or(0);
            let Some(text) = body["body"].as_str() else {
                return error(422, "body is required");
            };
            if text.chars().count() > 65536 {
                return error(422, "Body is too long (maximum is 65536 characters)");
            }
            match state.comments.iter_mut().find(|c| c.id == id) {
                Some(comment) => {
                    comment.body = text.into();
                    Answer::json(200, comment_json(comment, base))
                }
                None => error(404, "Not Found"),
            }
        }
        ("GET", ["issues"]) => {
            let wanted_state = call.query("state").unwrap_or_else(|| "open".into());
            let label = call.query("labels");
            let items = state
                .issues
                .iter()
                .filter(|i| wanted_state == "all" || i.state == wanted_state)
                .filter(|i| label.as_ref().is_none_or(|l| i.labels.contains(l)))
                .map(|i| issue_json(i, base))
                .collect();
            page(items, call, base)
        }
        ("POST", ["issues"]) => {
            let number = state.issues.iter().map(|i| i.number).max().unwrap_or(0).max(99) + 1;
            let issue = Issue {
                number,
                title: body["title"].as_str().unwrap_or_default().into(),
                body: body["body"].as_str().unwrap_or_default().into(),
                state: "open".into(),
                labels: body["labels"]
                    .as_array()
                    .map(|a| a.iter().filter_map(|l| l.as_str().map(str::to_owned)).collect())
                    .unwrap_or_default(),
                pull_request: false,
            };
            let value = issue_json(&issue, base);
            state.issues.push(issue);
            Answer::json(201, value)
        }
        ("PATCH", ["issues", number]) => {
            let number: u64 = number.parse().unwrap_or(0);
            match state.issues.iter_mut().find(|i| i.number == number) {
                Some(issue) => {
                    if let Some(title) = body["title"].as_str() {
                        issue.title = title.into();
                    }
                    if let Some(text) = body["body"].as_str() {
                        issue.body = text.into();
                    }
                    if let Some(new_state) = body["state"].as_str() {
                        issue.state = new_state.into();
                    }
                    Answer::json(200, issue_json(issue, base))
                }
                None => error(404, "Not Found"),
            }
        }
        ("GET", ["commits", sha, "pulls"]) => {
            Answer::json(200, state.pulls_of_commit.get(*sha).cloned().unwrap_or(json!([])))
        }
        ("GET", ["actions", "artifacts"]) => {
            let name = call.query("name");
            let items: Vec<Value> = state
                .artifacts
                .iter()
                .filter(|a| name.as_ref().is_none_or(|n| &a.name == n))
                .map(|a| {
                    json!({
                        "id": a.id, "name": a.name, "expired": false, "created_at": a.created_at,
                        "size_in_bytes": a.zip.len(),
                        "archive_download_url": format!("{base}/repos/{REPOSITORY}/actions/artifacts/{}/zip", a.id),
                        "workflow_run": { "id": 1, "head_sha": a.head_sha },
                    })
                })
                .collect();
            let total = items.len();
            let mut answer = page(items, call, base);
            // This list is wrapped in an object, unlike the others.
            let list: Value = serde_json::from_slice(&answer.body).unwrap();
            answer.body = serde_json::to_vec(&json!({ "total_count": total, "artifacts": list })).unwrap();
            answer
        }
        ("GET", ["actions", "artifacts", id, "zip"]) => {
            // To storage, on another host name than the API's.
            let port = base.rsplit(':').next().unwrap_or("0");
            Answer::bytes(302, Vec::new()).header("location", &format!("http://localhost:{port}/blob/{id}"))
        }
        _ => error(404, "Not Found"),
    }
}
