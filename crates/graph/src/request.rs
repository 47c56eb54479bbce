//! [`GraphRequest`]: a request as a value, built without IO and inspected before it is sent.

use reqwest::Method;
use serde_json::Value;
use url::Url;

use crate::Error;
use crate::endpoint::{ApiVersion, Endpoint};
use crate::retry::RequestKind;

/// Whether repeating a request after an unknown outcome is harmless.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Repeat {
    /// Reads, replace-all actions (`assign`, `setPriority`, PUT), PATCH and DELETE: repeating
    /// gives the same end state, so a dropped connection is retried.
    Safe,
    /// Creates and appends (POST to a collection, `owners/$ref`, `import`, `sync`): a dropped
    /// connection after sending gives [`Error::OutcomeUnknown`], never a blind retry.
    Unsafe,
}

/// Which throttling budget a request draws on (graph-api-notes §8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Service {
    /// Intune (`/deviceManagement/…`): 100 writes and 1,000 requests per 20 s per app per tenant.
    Intune,
    /// Entra directory (`/groups`, `/servicePrincipals`, …): token-bucket budgets.
    Directory,
}

impl Service {
    /// The budget a Graph path belongs to.
    pub fn of_path(path: &str) -> Service {
        let trimmed = path.trim_start_matches('/');
        let first = trimmed.split(['/', '?', '(']).next().unwrap_or("");
        if first.eq_ignore_ascii_case("deviceManagement") || first.eq_ignore_ascii_case("deviceAppManagement")
        {
            Service::Intune
        } else {
            Service::Directory
        }
    }
}

/// One Graph request, fully built: method, absolute URL, headers (never `Authorization`, which
/// the client adds when sending) and JSON body. Tests walk these values to prove every URL
/// stays inside its cloud.
#[derive(Debug, Clone, PartialEq)]
pub struct GraphRequest {
    /// HTTP method.
    pub method: Method,
    /// API version of the URL.
    pub version: ApiVersion,
    /// Path and query relative to the version root (`/groups?$select=id`), as `$batch` takes it.
    pub relative: String,
    /// Absolute URL.
    pub url: Url,
    /// Extra headers (e.g. `ConsistencyLevel`). `Authorization` and `client-request-id` are
    /// added by the client.
    pub headers: Vec<(String, String)>,
    /// JSON body, if any.
    pub body: Option<Value>,
    /// Whether the request may be repeated after an unknown outcome.
    pub repeat: Repeat,
    /// The throttling budget it draws on.
    pub service: Service,
}

impl GraphRequest {
    /// A request to `relative` (a path with a leading slash, optionally with a query).
    pub fn new(
        endpoint: &Endpoint,
        method: Method,
        version: ApiVersion,
        relative: impl Into<String>,
        body: Option<Value>,
        repeat: Repeat,
    ) -> Result<GraphRequest, Error> {
        let relative = relative.into();
        let url = endpoint.graph_url(version, &relative)?;
        let service = Service::of_path(&relative);
        Ok(GraphRequest {
            method,
            version,
            relative,
            url,
            headers: Vec::new(),
            body,
            repeat,
            service,
        })
    }

    /// A GET.
    pub fn get(
        endpoint: &Endpoint,
        version: ApiVersion,
        relative: impl Into<String>,
    ) -> Result<GraphRequest, Error> {
        GraphRequest::new(endpoint, Method::GET, version, relative, None, Repeat::Safe)
    }

    /// A request to an absolute URL returned by Graph (a `@odata.nextLink`), followed verbatim.
    /// Its relative form is derived from the endpoint root when it has one.
    pub fn follow(
        endpoint: &Endpoint,
        version: ApiVersion,
        url: Url,
        headers: Vec<(String, String)>,
    ) -> GraphRequest {
        let root = endpoint.graph_root(version);
        let relative = url
            .as_str()
            .strip_prefix(&root)
            .unwrap_or(url.as_str())
            .to_owned();
        let service = Service::of_path(
            url.path()
                .strip_prefix(&format!("/{}", version.segment()))
                .unwrap_or(url.path()),
        );
        GraphRequest {
            method: Method::GET,
            version,
            relative,
            url,
            headers,
            body: None,
            repeat: Repeat::Safe,
            service,
        }
    }

    /// Adds a header.
    pub fn with_header(mut self, name: &str, value: &str) -> GraphRequest {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// What repeating the request risks ([`RequestKind`]): a GET, a `retrieve…` action or a
    /// `$batch` of GETs is a read; otherwise [`GraphRequest::repeat`] decides.
    pub fn kind(&self) -> RequestKind {
        let path = self.url.path();
        let reads_only = self.method == Method::GET
            || path.contains("/retrieve")
            || (path.ends_with("/$batch")
                && self
                    .body
                    .as_ref()
                    .and_then(|body| body.get("requests"))
                    .and_then(Value::as_array)
                    .is_some_and(|inner| {
                        inner
                            .iter()
                            .all(|item| item.get("method").and_then(Value::as_str) == Some("GET"))
                    }));
        match (reads_only, self.repeat) {
            (true, _) => RequestKind::Read,
            (false, Repeat::Safe) => RequestKind::SafeWrite,
            (false, Repeat::Unsafe) => RequestKind::UnsafeWrite,
        }
    }

    /// Whether the request changes the tenant (anything but GET, and POST actions that only
    /// read: `$batch` is counted per inner request, `retrieve…` actions are reads).
    pub fn is_write(&self) -> bool {
        if self.method == Method::GET {
            return false;
        }
        let path = self.url.path();
        !(path.ends_with("/$batch") || path.contains("/retrieve"))
    }
}

/// Percent-encodes a value for use inside a single-quoted OData string literal in a query
/// (`displayName eq '…'`): quotes are doubled, then the whole is URL-encoded.
pub fn odata_string(value: &str) -> String {
    let quoted = value.replace('\'', "''");
    url::form_urlencoded::byte_serialize(quoted.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

/// Percent-encodes a path segment (an id).
pub fn segment(id: &str) -> String {
    url::form_urlencoded::byte_serialize(id.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

#[cfg(test)]
mod tests {
    use hangar_model::Cloud;

    use super::*;

    #[test]
    fn services_by_path() {
        assert_eq!(
            Service::of_path("/deviceManagement/windowsAutopilotDeploymentProfiles"),
            Service::Intune
        );
        assert_eq!(Service::of_path("/groups?$filter=x"), Service::Directory);
        assert_eq!(
            Service::of_path("/servicePrincipals(appId='x')"),
            Service::Directory
        );
    }

    #[test]
    fn odata_strings_are_quoted_and_encoded() {
        assert_eq!(odata_string("O'Brien & co"), "O%27%27Brien%20%26%20co");
    }

    #[test]
    fn kinds_follow_method_and_repeat() {
        let ep = Endpoint::new(Cloud::Commercial);
        let get = GraphRequest::get(&ep, ApiVersion::V1, "/groups").unwrap();
        assert_eq!(get.kind(), RequestKind::Read);
        let batch = |method: &str| {
            GraphRequest::new(
                &ep,
                Method::POST,
                ApiVersion::V1,
                "/$batch",
                Some(serde_json::json!({"requests": [{"id": "1", "method": "GET", "url": "/groups"}, {"id": "2", "method": method, "url": "/groups"}]})),
                Repeat::Safe,
            )
            .unwrap()
        };
        assert_eq!(batch("GET").kind(), RequestKind::Read);
        assert_eq!(batch("PATCH").kind(), RequestKind::SafeWrite);
        let create =
            GraphRequest::new(&ep, Method::POST, ApiVersion::V1, "/groups", None, Repeat::Unsafe).unwrap();
        assert_eq!(create.kind(), RequestKind::UnsafeWrite);
        let retrieve = GraphRequest::new(
            &ep,
            Method::POST,
            ApiVersion::Beta,
            "/deviceManagement/configurationPolicies/x/retrieveEnrollmentTimeDeviceMembershipTarget",
            None,
            Repeat::Unsafe,
        )
        .unwrap();
        assert_eq!(retrieve.kind(), RequestKind::Read);
    }

    #[test]
    fn follow_keeps_the_link_verbatim() {
        let ep = Endpoint::new(Cloud::Commercial);
        let link =
            Url::parse("https://graph.microsoft.com/beta/deviceManagement/x?$skiptoken=abc%3D%3D").unwrap();
        let req = GraphRequest::follow(&ep, ApiVersion::Beta, link.clone(), vec![]);
        assert_eq!(req.url, link);
        assert_eq!(req.service, Service::Intune);
        assert_eq!(req.relative, "/deviceManagement/x?$skiptoken=abc%3D%3D");
    }
}
