//! Graph as the admin center uses it, for tests that seed a tenant the way an admin would.

use hangar_sim::Sim;
use serde_json::Value;

/// Graph as the admin center uses it: a signed-in admin's token, JSON in and out.
pub struct Portal {
    url: String,
    token: String,
    runtime: tokio::runtime::Runtime,
    http: reqwest::Client,
}

impl Portal {
    pub fn new(sim: &Sim) -> Portal {
        Portal {
            url: sim.url(),
            token: sim.issue_token("portal-admin"),
            runtime: tokio::runtime::Runtime::new().unwrap(),
            http: reqwest::Client::new(),
        }
    }

    pub fn send(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        self.runtime.block_on(async {
            let mut request = self
                .http
                .request(method.clone(), format!("{}{path}", self.url))
                .bearer_auth(&self.token);
            if let Some(body) = body {
                request = request.json(&body);
            }
            let response = request.send().await.unwrap();
            let status = response.status();
            let text = response.text().await.unwrap();
            assert!(status.is_success(), "{method} {path}: {status}\n{text}");
            if text.is_empty() {
                Value::Null
            } else {
                serde_json::from_str(&text).unwrap()
            }
        })
    }

    pub fn post(&self, path: &str, body: Value) -> Value {
        self.send(reqwest::Method::POST, path, Some(body))
    }

    pub fn patch(&self, path: &str, body: Value) {
        self.send(reqwest::Method::PATCH, path, Some(body));
    }

    pub fn get(&self, path: &str) -> Value {
        self.send(reqwest::Method::GET, path, None)
    }
}
