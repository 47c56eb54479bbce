//! Responses and Graph-style errors, before they become HTTP.
//!
//! Route code returns a [`Reply`] or a [`GraphError`]; the server (or `$batch`) renders the
//! error into Graph's JSON with the request's ids. Three error shapes exist, as in Graph:
//!
//! - plain Graph/OData errors (`BadRequest`, `InvalidAuthenticationToken`, …);
//! - directory errors (`Request_BadRequest`, `Request_ResourceNotFound`, …), same envelope;
//! - Intune business errors, whose `message` is itself a JSON string
//!   (`{"_version":3,"Message":"… - Activity ID: <client-request-id> - Url: …", …}`).

use serde_json::{Value, json};

/// Which Intune front-end service an error claims to come from (the `Url:` in the message).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IntuneService {
    /// Autopilot, enrollment configurations, device identities.
    Enrollment,
    /// `deviceConfigurations`.
    DeviceConfiguration,
    /// Settings Catalog `configurationPolicies`.
    DeviceConfigV2,
}

impl IntuneService {
    fn url_prefix(self) -> &'static str {
        match self {
            IntuneService::Enrollment => {
                "https://fef.msua06.manage.microsoft.com/DeviceEnrollmentFE/StatelessDeviceEnrollmentFEService"
            }
            IntuneService::DeviceConfiguration => {
                "https://fef.msua06.manage.microsoft.com/DeviceConfiguration_2601/StatelessDeviceConfigurationFEService"
            }
            IntuneService::DeviceConfigV2 => {
                "https://fef.msua06.manage.microsoft.com/DeviceConfigV2/StatelessDeviceConfigV2FEService"
            }
        }
    }
}

/// A Graph error, not yet rendered.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct GraphError {
    pub status: u16,
    pub code: String,
    pub message: String,
    /// Intune business error: wrap `message` in Intune's JSON string.
    pub intune: Option<IntuneService>,
    /// Extra response headers (e.g. `Retry-After`, `WWW-Authenticate`).
    pub headers: Vec<(String, String)>,
}

impl GraphError {
    pub fn new(status: u16, code: &str, message: impl Into<String>) -> GraphError {
        GraphError {
            status,
            code: code.to_owned(),
            message: message.into(),
            intune: None,
            headers: Vec::new(),
        }
    }

    /// An Intune front-end error (JSON inside `message`).
    pub fn intune(status: u16, code: &str, service: IntuneService, message: impl Into<String>) -> GraphError {
        GraphError {
            intune: Some(service),
            ..GraphError::new(status, code, message)
        }
    }

    pub fn bad_request(message: impl Into<String>) -> GraphError {
        GraphError::new(400, "BadRequest", message)
    }

    /// Intune's answer for a body its model refuses (missing, unknown or wrongly typed values).
    pub fn model_validation(message: impl Into<String>) -> GraphError {
        GraphError::new(400, "ModelValidationFailure", message)
    }

    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> GraphError {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    /// Graph's answer for a path segment it does not know (also: beta-only paths under v1.0).
    pub fn segment_not_found(segment: &str) -> GraphError {
        GraphError::bad_request(format!("Resource not found for the segment '{segment}'."))
    }

    /// A directory object that does not exist.
    pub fn directory_not_found(id: &str) -> GraphError {
        GraphError::new(
            404,
            "Request_ResourceNotFound",
            format!(
                "Resource '{id}' does not exist or one of its queried reference-property objects are not present."
            ),
        )
    }

    /// An Intune object that does not exist.
    pub fn intune_not_found(service: IntuneService, entity: &str, id: &str) -> GraphError {
        GraphError::intune(
            404,
            "ResourceNotFound",
            service,
            format!("{entity} with id '{id}' was not found"),
        )
    }

    /// Renders the body: `{"error":{"code","message","innerError":{…}}}`.
    pub fn body(&self, ids: &RequestIds, path: &str) -> Value {
        let message = match self.intune {
            None => self.message.clone(),
            Some(service) => {
                let activity = ids
                    .client_request_id
                    .clone()
                    .unwrap_or_else(|| ids.request_id.clone());
                let inner = json!({
                    "_version": 3,
                    "Message": format!(
                        "{} - Operation ID (for customer support): 00000000-0000-0000-0000-000000000000 - Activity ID: {activity} - Url: {}{path}?api-version=5026-07-01",
                        self.message,
                        service.url_prefix()
                    ),
                    "CustomApiErrorPhrase": "",
                    "RetryAfter": null,
                    "ErrorSourceService": "",
                    "HttpHeaders": "{}"
                });
                inner.to_string()
            }
        };
        let mut inner = json!({ "date": ids.date, "request-id": ids.request_id });
        if let Some(client) = &ids.client_request_id {
            inner["client-request-id"] = json!(client);
        }
        if self.status == 429 {
            inner["code"] = json!("429");
            inner["status"] = json!(429);
        }
        json!({ "error": { "code": self.code, "message": message, "innerError": inner } })
    }
}

/// The ids a response carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RequestIds {
    pub request_id: String,
    pub client_request_id: Option<String>,
    /// `innerError.date`.
    pub date: String,
}

/// A successful (or deliberately odd) response, before it becomes HTTP.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Reply {
    pub status: u16,
    pub body: Option<Value>,
    /// A body already serialised (large pages), sent instead of `body`.
    pub raw: Option<Vec<u8>>,
    pub headers: Vec<(String, String)>,
}

impl Reply {
    pub fn json(status: u16, body: Value) -> Reply {
        Reply {
            status,
            body: Some(body),
            raw: None,
            headers: Vec::new(),
        }
    }

    pub fn raw(status: u16, bytes: Vec<u8>) -> Reply {
        Reply {
            status,
            body: None,
            raw: Some(bytes),
            headers: Vec::new(),
        }
    }

    pub fn ok(body: Value) -> Reply {
        Reply::json(200, body)
    }

    pub fn created(body: Value) -> Reply {
        Reply::json(201, body)
    }

    pub fn no_content() -> Reply {
        Reply {
            status: 204,
            body: None,
            raw: None,
            headers: Vec::new(),
        }
    }

    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Reply {
        self.headers.push((name.to_owned(), value.into()));
        self
    }
}

pub(crate) type Outcome = Result<Reply, GraphError>;

#[cfg(test)]
mod tests {
    use super::*;

    fn ids() -> RequestIds {
        RequestIds {
            request_id: "rid".into(),
            client_request_id: Some("cid".into()),
            date: "2025-01-01T00:00:00".into(),
        }
    }

    #[test]
    fn plain_error_shape() {
        let body = GraphError::segment_not_found("x").body(&ids(), "/groups");
        assert_eq!(body["error"]["code"], "BadRequest");
        assert_eq!(body["error"]["innerError"]["request-id"], "rid");
        assert_eq!(body["error"]["innerError"]["client-request-id"], "cid");
    }

    #[test]
    fn intune_error_wraps_json_in_message() {
        let err = GraphError::intune(
            400,
            "BadRequest",
            IntuneService::Enrollment,
            "Another Profile p is already assigned to All Devices",
        );
        let body = err.body(&ids(), "/deviceManagement/windowsAutopilotDeploymentProfiles");
        let message: Value = serde_json::from_str(body["error"]["message"].as_str().unwrap()).unwrap();
        let text = message["Message"].as_str().unwrap();
        assert!(text.starts_with("Another Profile p is already assigned to All Devices - "));
        assert!(text.contains("Activity ID: cid"));
        assert_eq!(message["_version"], 3);
    }
}
