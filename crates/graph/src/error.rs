//! The one error type of this crate, and the parsing of Graph's error bodies.

use std::fmt;

use hangar_model::Cloud;
use serde_json::Value;

/// Everything that can go wrong talking to Microsoft.
///
/// Every variant keeps the evidence needed to report or look up a failure (status, Graph code,
/// `request-id`, `client-request-id`, method and URL, retry count) and never a secret: URLs
/// carry no credentials, bodies are not kept, tokens are [`crate::Secret`]s.
///
/// The largest payloads are boxed ([`ApiError`], [`DecodeError`]) so that the enum stays under
/// clippy's `result_large_err` threshold and callers can hold it without boxing it again.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A request would have left the tenant's cloud. It was not sent.
    #[error(
        "refused to send {method} {url}: host `{host}` is not part of cloud `{cloud}` (allowed: {allowed})"
    )]
    CloudBoundary {
        /// The tenant's cloud.
        cloud: Cloud,
        /// HTTP method of the refused request.
        method: String,
        /// The refused URL (query values of non-OData parameters removed).
        url: String,
        /// Its host (and port, if any).
        host: String,
        /// The hosts this client may talk to.
        allowed: String,
    },

    /// The endpoint override points outside the tenant's cloud: a host of another cloud
    /// (`clouds_of_host` names them; never allowed), or another host without the explicit
    /// permission to send the credential there (`clouds_of_host` empty).
    #[error(
        "the endpoint override `{url}` is outside cloud `{cloud}`: {}",
        if clouds_of_host.is_empty() {
            format!("`{host}` is not one of its hosts (`{}`, `{}`), and sign-in would send the credential there; if it is a proxy you trust with it, add `--allow-endpoint-outside-cloud`", cloud.graph_host(), cloud.login_host())
        } else {
            format!("`{host}` belongs to cloud `{clouds_of_host}`; a `{cloud}` tenant is reached only at `{}` and `{}` (remove the override, or check the `Tenant` document's `cloud`)", cloud.graph_host(), cloud.login_host())
        }
    )]
    EndpointOutsideCloud {
        /// The override.
        url: String,
        /// Its host (and port).
        host: String,
        /// The tenant's cloud.
        cloud: Cloud,
        /// The clouds the host belongs to (`commercial`, `gcc`), empty for an unknown host.
        clouds_of_host: String,
    },

    /// The endpoint override is not a usable base URL.
    #[error("invalid endpoint override `{url}`: {reason}")]
    InvalidEndpoint {
        /// The value given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },

    /// No credential could be selected or a token could not be acquired.
    #[error(transparent)]
    Credential(#[from] crate::credential::CredentialError),

    /// Graph refused the token (HTTP 401 after a fresh token): usually a token for another
    /// cloud or an app registered in another cloud.
    #[error(
        "graph refused the access token for cloud `{cloud}` (scope `{scope}`): {source}; check that the app registration and the token belong to cloud `{cloud}`"
    )]
    Unauthorized {
        /// The tenant's cloud.
        cloud: Cloud,
        /// The scope the token was requested for.
        scope: String,
        /// Graph's answer.
        #[source]
        source: Box<ApiError>,
    },

    /// Graph answered with an error status.
    #[error(transparent)]
    Api(Box<ApiError>),

    /// The request could not be sent or its response not received (connection refused, reset,
    /// timeout) on a request that is safe to repeat, after the retries the policy allows.
    #[error(
        "{method} {url} failed after {}: {message} (client-request-id {client_request_id})",
        hangar_model::plural::count(*retries as usize, "retry", "retries")
    )]
    Transport {
        /// HTTP method.
        method: String,
        /// URL without secrets.
        url: String,
        /// Retries made before giving up.
        retries: u32,
        /// `client-request-id` sent with the last attempt.
        client_request_id: String,
        /// What the transport said.
        message: String,
    },

    /// The host cannot be reached in a way retrying does not fix: its name does not resolve,
    /// or a host that is not this machine refused the connection. Nothing was sent.
    #[error(
        "cannot reach `{host}`: {reason}; {method} {url} was not sent: check the host name, DNS and the network (proxy, firewall)"
    )]
    Unreachable {
        /// HTTP method.
        method: String,
        /// URL without secrets.
        url: String,
        /// The host (and port, if any).
        host: String,
        /// `its name does not resolve (…)` or `it refused the connection (…)`.
        reason: String,
    },

    /// A write whose outcome is unknown: it was sent, and the connection dropped or timed out
    /// before the answer came. It was **not** retried; the caller must look the object up
    /// before deciding to repeat it.
    #[error(
        "outcome of {method} {url} is unknown: {message}; it was not retried, look the object up before repeating it (client-request-id {client_request_id})"
    )]
    OutcomeUnknown {
        /// HTTP method.
        method: String,
        /// URL without secrets.
        url: String,
        /// Retries made before the attempt whose outcome is unknown.
        retries: u32,
        /// `client-request-id` of that attempt (Intune shows it as "Activity ID").
        client_request_id: String,
        /// What the transport said.
        message: String,
    },

    /// A response arrived but its body could not be decoded as expected.
    #[error(transparent)]
    Decode(Box<DecodeError>),

    /// A `$count` answer was not a plain-text number.
    #[error("GET {url} answered `{answer}`, not a count")]
    NotACount {
        /// The request URL.
        url: String,
        /// The answer (at most 40 characters).
        answer: String,
    },

    /// A `@odata.nextLink` chain could not be followed to the end.
    #[error("paging {url} failed: {reason}")]
    Paging {
        /// The first URL of the chain.
        url: String,
        /// What went wrong (a repeated link, a link that is not a URL).
        reason: String,
    },

    /// A request body is not acceptable for the resource (for example a write without the
    /// `@odata.type` the resource needs). Nothing was sent.
    #[error("invalid request body for {resource}: {reason}")]
    InvalidBody {
        /// Resource collection.
        resource: &'static str,
        /// What is wrong.
        reason: String,
    },

    /// Intune accepted `setEnrollmentTimeDeviceMembershipTarget` with HTTP 200 but reported that
    /// validation failed (for example `securityGroupNotFound` right after the group was created,
    /// or `firstPartyAppNotAnOwner`).
    #[error("device preparation policy `{policy_id}` refused its device group: {statuses}")]
    MembershipTargetRejected {
        /// The policy.
        policy_id: String,
        /// `targetId: errorCode` pairs as Graph reported them.
        statuses: String,
        /// The error codes alone, for callers that retry `securityGroupNotFound`.
        codes: Vec<String>,
    },
}

impl Error {
    /// HTTP status of an API error, if this is one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api(api) => Some(api.status),
            Error::Unauthorized { source, .. } => Some(source.status),
            Error::Decode(decode) => Some(decode.status),
            _ => None,
        }
    }

    /// Whether this is a 404 (the object does not exist).
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    /// Whether the outcome of a write is unknown (see [`Error::OutcomeUnknown`]).
    pub fn is_outcome_unknown(&self) -> bool {
        matches!(self, Error::OutcomeUnknown { .. })
    }

    /// The API error, if this is one.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            Error::Api(api) => Some(api),
            Error::Unauthorized { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// A response whose body could not be decoded as expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{method} {url} returned {status} with a body that could not be decoded: {reason} (starts with `{snippet}`, request-id {request_id})"
)]
pub struct DecodeError {
    /// HTTP method.
    pub method: String,
    /// URL without secrets.
    pub url: String,
    /// HTTP status.
    pub status: u16,
    /// The decoder's complaint.
    pub reason: String,
    /// The first bytes of the body.
    pub snippet: String,
    /// `request-id` response header, when present.
    pub request_id: String,
}

impl From<DecodeError> for Error {
    fn from(error: DecodeError) -> Error {
        Error::Decode(Box::new(error))
    }
}

/// An error status from Graph, with Graph's error body unpacked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP method.
    pub method: String,
    /// URL without secrets.
    pub url: String,
    /// HTTP status.
    pub status: u16,
    /// `error.code` (e.g. `BadRequest`, `ResourceNotFound`, `Request_ResourceNotFound`).
    pub code: String,
    /// `error.message`; for Intune, the `Message` of the JSON document nested inside it.
    pub message: String,
    /// `request-id` (response header, else `innerError.request-id`).
    pub request_id: String,
    /// `client-request-id` this client sent.
    pub client_request_id: String,
    /// Retries made before this answer was accepted as final.
    pub retries: u32,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} returned {}", self.method, self.url, self.status)?;
        if !self.code.is_empty() {
            write!(f, " `{}`", self.code)?;
        }
        if !self.message.is_empty() {
            write!(f, ": {}", self.message)?;
        }
        write!(
            f,
            " (request-id {}, client-request-id {}",
            self.request_id, self.client_request_id
        )?;
        if self.retries > 0 {
            write!(
                f,
                ", after {}",
                hangar_model::plural::count(self.retries as usize, "retry", "retries")
            )?;
        }
        f.write_str(")")?;
        if let Some(needed) = self.missing_permission() {
            write!(f, "; {needed}")?;
        }
        Ok(())
    }
}

impl ApiError {
    /// For a refusal (HTTP 403: the directory's `Authorization_RequestDenied`, Intune's
    /// `Forbidden` with the scopes in its nested message), the permission the request needs,
    /// from the table in [`crate::permissions`].
    pub fn missing_permission(&self) -> Option<crate::permissions::Needed> {
        (self.status == 403)
            .then(|| crate::permissions::for_method_and_url(&self.method, &self.url))
            .flatten()
    }
}

impl std::error::Error for ApiError {}

/// `code`, `message` and `request-id` read from a Graph error body. Intune nests a JSON document
/// in `error.message` (`{"_version":3,"Message":"…","CustomApiErrorPhrase":…}`); its `Message`
/// is what is returned. Keys are matched case-insensitively (`innerError` / `innererror`).
pub fn parse_error_body(body: &[u8]) -> (String, String, Option<String>) {
    let Ok(value) = serde_json::from_slice::<Value>(body) else {
        let text = String::from_utf8_lossy(body);
        return (String::new(), truncate(text.trim(), 300), None);
    };
    let error = get_ci(&value, "error").unwrap_or(&value);
    let code = get_ci(error, "code")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let raw_message = get_ci(error, "message")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let message = unpack_intune_message(raw_message).unwrap_or_else(|| raw_message.to_owned());
    let request_id = get_ci(error, "innerError")
        .and_then(|inner| get_ci(inner, "request-id"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    (code, truncate(&message, 2000), request_id)
}

fn unpack_intune_message(message: &str) -> Option<String> {
    let trimmed = message.trim();
    if !trimmed.starts_with('{') {
        return None;
    }
    let nested: Value = serde_json::from_str(trimmed).ok()?;
    get_ci(&nested, "Message")
        .and_then(Value::as_str)
        .map(str::to_owned)
}

fn get_ci<'v>(value: &'v Value, key: &str) -> Option<&'v Value> {
    let object = value.as_object()?;
    object.get(key).or_else(|| {
        object
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

pub(crate) fn truncate(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_graph_error() {
        let body = br#"{"error":{"code":"Request_ResourceNotFound","message":"Resource 'x' does not exist.","innerError":{"date":"2025-02-13T10:17:05","request-id":"rid-1","client-request-id":"cid-1"}}}"#;
        let (code, message, request_id) = parse_error_body(body);
        assert_eq!(code, "Request_ResourceNotFound");
        assert_eq!(message, "Resource 'x' does not exist.");
        assert_eq!(request_id.as_deref(), Some("rid-1"));
    }

    #[test]
    fn intune_message_is_unpacked() {
        let inner = r#"{"_version":3,"Message":"Another Profile abc is already assigned to All Devices - Operation ID (for customer support): 00000000-0000-0000-0000-000000000000 - Activity ID: cid - Url: https://fef.msub02.manage.microsoft.com/DeviceEnrollmentFE/StatelessDeviceEnrollmentFEService/x","CustomApiErrorPhrase":"","RetryAfter":null,"ErrorSourceService":"","HttpHeaders":"{}"}"#;
        let body = serde_json::json!({"error": {"code": "BadRequest", "message": inner, "innererror": {"request-id": "r"}}});
        let (code, message, request_id) = parse_error_body(body.to_string().as_bytes());
        assert_eq!(code, "BadRequest");
        assert!(message.starts_with("Another Profile abc is already assigned to All Devices"));
        assert_eq!(request_id.as_deref(), Some("r"));
    }

    #[test]
    fn garbage_bodies_do_not_panic() {
        for body in [
            &b""[..],
            b"<html>oops</html>",
            b"{\"error\":3}",
            b"[1,2]",
            b"{\"error\":{\"message\":\"{not json\"}}",
        ] {
            let _ = parse_error_body(body);
        }
        let (_, message, _) = parse_error_body(b"<html>oops</html>");
        assert_eq!(message, "<html>oops</html>");
    }

    /// Callers hold `Error` unboxed (`hangar-apply` wraps it in its own enum); a variant that
    /// grows past this boxes its payload.
    #[test]
    #[cfg(target_pointer_width = "64")]
    fn the_error_stays_small() {
        assert!(
            std::mem::size_of::<Error>() <= 112,
            "{}",
            std::mem::size_of::<Error>()
        );
    }

    #[test]
    fn truncate_respects_char_boundaries() {
        assert_eq!(truncate("ééé", 3), "é…");
        assert_eq!(truncate("abc", 3), "abc");
    }
}
