//! Where requests go: the tenant's cloud, or an explicit endpoint override, and the check every
//! outgoing URL passes before it is sent.

use hangar_model::Cloud;
use url::Url;

use crate::Error;

/// Environment variable the CLI reads for [`Endpoint::with_override`] (`--endpoint` wins).
pub const ENDPOINT_ENV: &str = "HANGAR_ENDPOINT";

/// Graph API version of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ApiVersion {
    /// `/v1.0`: groups, service principals, Autopilot device identities.
    V1,
    /// `/beta`: everything Intune enrollment needs that v1.0 lacks (profiles, full ESP, Device
    /// Preparation, domain join, per-platform restrictions, Autopilot sync).
    Beta,
}

impl ApiVersion {
    /// The path segment, `v1.0` or `beta`.
    pub fn segment(self) -> &'static str {
        match self {
            ApiVersion::V1 => "v1.0",
            ApiVersion::Beta => "beta",
        }
    }
}

/// Where an endpoint override points, as far as the credential is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// This machine: `127.0.0.0/8`, `::1`, `localhost`.
    Loopback,
    /// One of the tenant's cloud's own hosts.
    Cloud,
    /// A host of another cloud (`graph.microsoft.com` for a GCC High tenant).
    OtherCloud,
    /// Anything else (a proxy, a typo, an attacker).
    Elsewhere,
}

/// Whether an override is accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Allowed {
    /// Always.
    Yes,
    /// Only when the caller passes `outside_cloud` (the CLI's `--allow-endpoint-outside-cloud`).
    WithFlag,
    /// Never, for this reason.
    Never(&'static str),
}

/// One row of [`OVERRIDE_RULES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OverrideRule {
    /// Where the override points.
    pub place: Place,
    /// `http`, `https`, or `*` for both.
    pub scheme: &'static str,
    /// The verdict.
    pub allowed: Allowed,
}

/// Where an endpoint override may send the credential. The first row matching the override's
/// place and scheme decides.
pub const OVERRIDE_RULES: &[OverrideRule] = &[
    OverrideRule {
        place: Place::Loopback,
        scheme: "*",
        allowed: Allowed::Yes,
    },
    OverrideRule {
        place: Place::Cloud,
        scheme: "https",
        allowed: Allowed::Yes,
    },
    OverrideRule {
        place: Place::Elsewhere,
        scheme: "https",
        allowed: Allowed::WithFlag,
    },
    OverrideRule {
        place: Place::OtherCloud,
        scheme: "*",
        allowed: Allowed::Never("a host of another cloud"),
    },
    OverrideRule {
        place: Place::Cloud,
        scheme: "http",
        allowed: Allowed::Never(
            "plain `http` is allowed only to this machine (127.0.0.1, ::1, localhost): sign-in would send the credential across the network in clear text; use `https://`",
        ),
    },
    OverrideRule {
        place: Place::Elsewhere,
        scheme: "http",
        allowed: Allowed::Never(
            "plain `http` is allowed only to this machine (127.0.0.1, ::1, localhost): sign-in would send the credential across the network in clear text; use `https://`",
        ),
    },
];

/// Whether `url`'s host is this machine: an IPv4 address in `127.0.0.0/8`, `::1`, or
/// `localhost` (which RFC 6761 reserves for loopback).
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(name)) => name.trim_end_matches('.').eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// The hosts a client talks to: a cloud's Graph and sign-in hosts, or one override base URL
/// (a simulator) that serves both. The cloud always decides the token scope and the
/// client-assertion audience, override or not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    cloud: Cloud,
    /// Override base without a trailing slash, e.g. `http://127.0.0.1:8080`, and where it is.
    base_override: Option<(Url, Place)>,
}

impl Endpoint {
    /// The real hosts of `cloud`.
    pub fn new(cloud: Cloud) -> Endpoint {
        Endpoint {
            cloud,
            base_override: None,
        }
    }

    /// `cloud`'s scope, but every request (sign-in and Graph) goes to `base` instead, e.g. a
    /// simulator at `http://127.0.0.1:8080`: sign-in at `{base}/{tenant}/oauth2/v2.0/token`,
    /// Graph at `{base}/v1.0` and `{base}/beta`.
    ///
    /// Sign-in sends the credential to `base`, so where it may point is limited
    /// ([`OVERRIDE_RULES`]): this machine (loopback) over `http` or `https`; one of `cloud`'s own
    /// hosts over `https`; another `https` host only with `outside_cloud` (a proxy the caller
    /// trusts, named by an explicit flag); never plain `http` across the network, and never a
    /// host of another cloud.
    pub fn with_override(cloud: Cloud, base: &str, outside_cloud: bool) -> Result<Endpoint, Error> {
        let invalid = |reason: &str| Error::InvalidEndpoint {
            url: base.to_owned(),
            reason: reason.to_owned(),
        };
        let url = Url::parse(base.trim_end_matches('/')).map_err(|e| invalid(&e.to_string()))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(invalid("the scheme must be `http` or `https`"));
        }
        if url.host_str().is_none() {
            return Err(invalid("the URL has no host"));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(invalid("the URL must not have a query or fragment"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(invalid("the URL must not carry credentials"));
        }
        let host = url.host_str().unwrap_or_default().trim_end_matches('.');
        let place = if is_loopback(&url) {
            Place::Loopback
        } else if cloud.allows_host(host) {
            Place::Cloud
        } else if Cloud::ALL.iter().any(|other| other.allows_host(host)) {
            Place::OtherCloud
        } else {
            Place::Elsewhere
        };
        let rule = OVERRIDE_RULES
            .iter()
            .find(|rule| rule.place == place && (rule.scheme == url.scheme() || rule.scheme == "*"))
            .map_or(Allowed::Never(""), |rule| rule.allowed);
        match rule {
            Allowed::Yes => {}
            Allowed::WithFlag if outside_cloud => {}
            Allowed::WithFlag => {
                return Err(Error::EndpointOutsideCloud {
                    url: url.as_str().trim_end_matches('/').to_owned(),
                    host: host_and_port(&url),
                    cloud,
                    clouds_of_host: String::new(),
                });
            }
            Allowed::Never(_) if place == Place::OtherCloud => {
                let owners: Vec<&str> = Cloud::ALL
                    .iter()
                    .filter(|other| other.allows_host(host))
                    .map(|other| other.name())
                    .collect();
                return Err(Error::EndpointOutsideCloud {
                    url: url.as_str().trim_end_matches('/').to_owned(),
                    host: host_and_port(&url),
                    cloud,
                    clouds_of_host: owners.join("`, `"),
                });
            }
            Allowed::Never(reason) => return Err(invalid(reason)),
        }
        Ok(Endpoint {
            cloud,
            base_override: Some((url, place)),
        })
    }

    /// The tenant's cloud.
    pub fn cloud(&self) -> Cloud {
        self.cloud
    }

    /// The override base URL, when set.
    pub fn override_base(&self) -> Option<&Url> {
        self.base_override.as_ref().map(|(url, _)| url)
    }

    /// Where the override points, when set: [`Place::Elsewhere`] means the credential goes
    /// to a host outside the cloud (allowed only by the caller's explicit flag).
    pub fn override_place(&self) -> Option<Place> {
        self.base_override.as_ref().map(|(_, place)| *place)
    }

    /// The `.default` scope to request tokens for: always the cloud's, even with an override.
    pub fn scope(&self) -> &'static str {
        self.cloud.scope()
    }

    fn base(&self, host: &str) -> String {
        match &self.base_override {
            Some((url, _)) => url.as_str().trim_end_matches('/').to_owned(),
            None => format!("https://{host}"),
        }
    }

    /// Graph service root for `version`, e.g. `https://graph.microsoft.us/beta`.
    pub fn graph_root(&self, version: ApiVersion) -> String {
        format!("{}/{}", self.base(self.cloud.graph_host()), version.segment())
    }

    /// A Graph URL from a path relative to the service root (`/groups`, with a leading slash).
    pub fn graph_url(&self, version: ApiVersion, path_and_query: &str) -> Result<Url, Error> {
        let text = format!("{}{}", self.graph_root(version), path_and_query);
        Url::parse(&text).map_err(|e| Error::InvalidEndpoint {
            url: text.clone(),
            reason: e.to_string(),
        })
    }

    /// Token endpoint of `tenant`.
    pub fn token_url(&self, tenant: &str) -> Result<Url, Error> {
        let text = format!(
            "{}/{}/oauth2/v2.0/token",
            self.base(self.cloud.login_host()),
            tenant
        );
        Url::parse(&text).map_err(|e| Error::InvalidEndpoint {
            url: text.clone(),
            reason: e.to_string(),
        })
    }

    /// `aud` of a client-assertion JWT: the cloud's real token URL, even with an override (the
    /// assertion is minted for the authority the app is registered with).
    pub fn assertion_audience(&self, tenant: &str) -> String {
        format!("https://{}/{}/oauth2/v2.0/token", self.cloud.login_host(), tenant)
    }

    /// `@odata.id` of a directory object, as `…/owners/$ref` takes it.
    pub fn directory_object_ref(&self, object_id: &str) -> String {
        format!(
            "{}/directoryObjects/{}",
            self.graph_root(ApiVersion::V1),
            object_id
        )
    }

    /// The hosts requests may go to, for messages.
    pub fn allowed_hosts(&self) -> String {
        match &self.base_override {
            Some((url, _)) => format!("`{}` (endpoint override)", host_and_port(url)),
            None => {
                let (graph, login) = (self.cloud.graph_host(), self.cloud.login_host());
                format!("`{graph}`, `{login}`")
            }
        }
    }

    /// Checks that `url` stays inside this endpoint: the override's scheme, host and port, or an
    /// `https` URL on one of the cloud's hosts (default port). Called on every URL before it is
    /// sent, including followed `@odata.nextLink`s.
    pub fn check(&self, method: &str, url: &Url) -> Result<(), Error> {
        let allowed = match &self.base_override {
            Some((base, _)) => {
                url.scheme() == base.scheme()
                    && url
                        .host_str()
                        .is_some_and(|h| base.host_str().is_some_and(|b| h.eq_ignore_ascii_case(b)))
                    && url.port_or_known_default() == base.port_or_known_default()
            }
            None => {
                url.scheme() == "https"
                    && url.port().is_none()
                    && url.host_str().is_some_and(|host| self.cloud.allows_host(host))
            }
        };
        let clean = url.username().is_empty() && url.password().is_none();
        if allowed && clean {
            return Ok(());
        }
        Err(Error::CloudBoundary {
            cloud: self.cloud,
            method: method.to_owned(),
            url: display_url(url),
            host: host_and_port(url),
            allowed: self.allowed_hosts(),
        })
    }
}

/// `host` or `host:port` of a URL, for messages.
pub(crate) fn host_and_port(url: &Url) -> String {
    let host = url.host_str().unwrap_or("");
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    }
}

/// A URL as it may appear in logs and errors: no user info, and only OData system query options
/// (`$filter`, `$select`, `$skiptoken`, …) keep their values.
pub fn display_url(url: &Url) -> String {
    let mut shown = url.clone();
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    let hides_something = url.query_pairs().any(|(k, _)| !k.starts_with('$'));
    if hides_something {
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| {
                let value = if k.starts_with('$') {
                    v.into_owned()
                } else {
                    "…".to_owned()
                };
                (k.into_owned(), value)
            })
            .collect();
        shown.set_query(None);
        if !pairs.is_empty() {
            shown.query_pairs_mut().extend_pairs(pairs);
        }
    }
    shown.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roots_follow_the_cloud_table() {
        let dod = Endpoint::new(Cloud::Dod);
        assert_eq!(
            dod.graph_root(ApiVersion::Beta),
            "https://dod-graph.microsoft.us/beta"
        );
        assert_eq!(
            dod.token_url("t").unwrap().as_str(),
            "https://login.microsoftonline.us/t/oauth2/v2.0/token"
        );
        assert_eq!(dod.scope(), "https://dod-graph.microsoft.us/.default");
        let gcc = Endpoint::new(Cloud::Gcc);
        assert_eq!(gcc.graph_root(ApiVersion::V1), "https://graph.microsoft.com/v1.0");
    }

    #[test]
    fn override_changes_hosts_not_scope() {
        let sim = Endpoint::with_override(Cloud::GccHigh, "http://127.0.0.1:8080/", false).unwrap();
        assert_eq!(sim.graph_root(ApiVersion::V1), "http://127.0.0.1:8080/v1.0");
        assert_eq!(
            sim.token_url("t").unwrap().as_str(),
            "http://127.0.0.1:8080/t/oauth2/v2.0/token"
        );
        assert_eq!(sim.scope(), "https://graph.microsoft.us/.default");
        assert_eq!(
            sim.assertion_audience("t"),
            "https://login.microsoftonline.us/t/oauth2/v2.0/token"
        );
        let ok = Url::parse("http://127.0.0.1:8080/beta/x?$skiptoken=1").unwrap();
        assert!(sim.check("GET", &ok).is_ok());
        for bad in [
            "http://127.0.0.1:8081/v1.0/x",
            "https://127.0.0.1:8080/v1.0",
            "https://graph.microsoft.us/v1.0/groups",
        ] {
            assert!(sim.check("GET", &Url::parse(bad).unwrap()).is_err(), "{bad}");
        }
    }

    #[test]
    fn invalid_overrides_are_refused() {
        for bad in ["ftp://x", "not a url", "http://u:p@host", "http://host/?a=1"] {
            assert!(
                Endpoint::with_override(Cloud::Commercial, bad, true).is_err(),
                "{bad}"
            );
        }
    }

    /// Issue 12 item 6: where an override may send the credential.
    #[test]
    fn overrides_send_the_credential_only_where_allowed() {
        let ok = |cloud, url, flag| Endpoint::with_override(cloud, url, flag).is_ok();
        // This machine, either scheme, no flag: the simulator and `--local`.
        for url in [
            "http://127.0.0.1:8080",
            "http://127.9.9.9:1",
            "http://[::1]:8080",
            "http://localhost:8080",
            "https://LOCALHOST.:8443",
        ] {
            assert!(ok(Cloud::GccHigh, url, false), "{url}");
        }
        // Plain http across the network: never, flag or not.
        for url in [
            "http://evil.example",
            "http://graph.microsoft.us",
            "http://10.0.0.5:8080",
            "http://127.0.0.1.evil.example",
        ] {
            let err = Endpoint::with_override(Cloud::GccHigh, url, true).unwrap_err();
            assert!(err.to_string().contains("clear text"), "{url}: {err}");
        }
        // Another https host: only with the flag, and the refusal says which flag.
        let err = Endpoint::with_override(Cloud::Commercial, "https://proxy.example", false).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("--allow-endpoint-outside-cloud"), "{text}");
        assert!(text.contains("`commercial`"), "{text}");
        assert!(ok(Cloud::Commercial, "https://proxy.example", true));
        // The cloud's own hosts are fine; another cloud's never, and the error names both clouds.
        assert!(ok(Cloud::GccHigh, "https://graph.microsoft.us", false));
        assert!(ok(Cloud::Gcc, "https://graph.microsoft.com", false));
        let err = Endpoint::with_override(Cloud::GccHigh, "https://graph.microsoft.com", true).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("cloud `gcc-high`"), "{text}");
        assert!(text.contains("`commercial`"), "{text}");
        assert!(!text.contains("app registration"), "{text}");
    }

    #[test]
    fn check_refuses_other_clouds_and_tricks() {
        let high = Endpoint::new(Cloud::GccHigh);
        let good = [
            "https://graph.microsoft.us/v1.0/groups",
            "https://login.microsoftonline.us/t/oauth2/v2.0/token",
        ];
        for url in good {
            assert!(high.check("GET", &Url::parse(url).unwrap()).is_ok(), "{url}");
        }
        let bad = [
            "https://graph.microsoft.com/v1.0/groups",
            "http://graph.microsoft.us/v1.0/groups",
            "https://graph.microsoft.us:444/v1.0/groups",
            "https://graph.microsoft.us.evil.example/v1.0",
            "https://dod-graph.microsoft.us/v1.0/groups",
            "https://user@graph.microsoft.us/v1.0/groups",
        ];
        for url in bad {
            let err = high.check("GET", &Url::parse(url).unwrap()).unwrap_err();
            assert!(err.to_string().contains("gcc-high"), "{err}");
        }
    }

    #[test]
    fn display_url_hides_non_odata_query_values() {
        let url = Url::parse(
            "https://x.example/a?audience=api%3A%2F%2Fx&$filter=displayName%20eq%20'a'&code=s3cret",
        )
        .unwrap();
        let shown = display_url(&url);
        assert!(!shown.contains("s3cret"));
        assert!(shown.contains("displayName"));
    }
}
