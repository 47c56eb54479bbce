//! Test context: a simulator, an HTTP client and a token.

use hangar_sim::{Sim, SimConfig};
use reqwest::header::HeaderMap;
use serde_json::Value;

pub const CLIENT_ID: &str = "11111111-2222-3333-4444-555555555555";

pub struct Resp {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The Graph error code.
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }

    /// The Graph error message, with Intune's JSON string unwrapped.
    pub fn message(&self) -> String {
        let message = self.body["error"]["message"].as_str().unwrap_or("").to_owned();
        match serde_json::from_str::<Value>(&message) {
            Ok(inner) => inner["Message"].as_str().unwrap_or("").to_owned(),
            Err(_) => message,
        }
    }
}

pub struct T {
    pub sim: Sim,
    pub http: reqwest::Client,
    pub token: String,
}

impl T {
    pub async fn new(config: SimConfig) -> T {
        let sim = Sim::start(config).await.expect("simulator starts");
        let token = sim.issue_token(CLIENT_ID);
        T {
            sim,
            http: reqwest::Client::new(),
            token,
        }
    }

    pub async fn default() -> T {
        T::new(SimConfig::default()).await
    }

    pub fn url(&self, path: &str) -> String {
        if path.starts_with("http") {
            path.to_owned()
        } else {
            format!("{}{path}", self.sim.url())
        }
    }

    pub async fn send(&self, method: &str, path: &str, body: Option<Value>) -> Resp {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self.http.request(method, self.url(path)).bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request is answered");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.unwrap();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).expect("JSON body")
        };
        Resp {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.send("GET", path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Resp {
        self.send("POST", path, Some(body)).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> Resp {
        self.send("PATCH", path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> Resp {
        self.send("DELETE", path, None).await
    }

    /// Follows `@odata.nextLink` to the end; returns every item and the number of pages.
    pub async fn get_all(&self, path: &str) -> (Vec<Value>, usize) {
        let mut items = Vec::new();
        let mut pages = 0;
        let mut next = Some(self.url(path));
        while let Some(url) = next {
            let page = self.get(&url).await;
            assert_eq!(page.status, 200, "{url}: {}", page.body);
            pages += 1;
            items.extend(page.body["value"].as_array().unwrap().iter().cloned());
            next = page.body["@odata.nextLink"].as_str().map(str::to_owned);
            assert!(pages < 100_000, "next links never end");
        }
        (items, pages)
    }

    /// Creates a security group and returns its id.
    pub async fn create_group(&self, name: &str, dynamic_rule: Option<&str>) -> String {
        let mut body = serde_json::json!({
            "displayName": name, "mailEnabled": false, "mailNickname": name.replace(' ', "-"), "securityEnabled": true,
            "groupTypes": []
        });
        if let Some(rule) = dynamic_rule {
            body["groupTypes"] = serde_json::json!(["DynamicMembership"]);
            body["membershipRule"] = serde_json::json!(rule);
            body["membershipRuleProcessingState"] = serde_json::json!("On");
        }
        let created = self.post("/v1.0/groups", body).await;
        assert_eq!(created.status, 201, "{}", created.body);
        created.body["id"].as_str().unwrap().to_owned()
    }
}
