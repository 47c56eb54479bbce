//! The Microsoft clouds hangar speaks to, and the hosts each one allows.
//!
//! This table is the single source of truth for hosts and scopes. A tenant in one cloud never
//! sends a request to another cloud's hosts: `hangar-graph` checks every outgoing URL against
//! [`Cloud::allows_host`] (or an explicit endpoint override) before sending it.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A Microsoft cloud (national deployment) a tenant lives in.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Cloud {
    /// Global Azure / Microsoft 365 commercial.
    Commercial,
    /// GCC (moderate): a US Government offering that uses the commercial endpoints.
    Gcc,
    /// GCC High (US Gov L4, "Fairfax").
    GccHigh,
    /// DoD (US Gov L5).
    Dod,
}

/// Hosts and identifiers of one cloud. One row of [`CLOUDS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CloudEndpoints {
    /// The cloud this row describes.
    pub cloud: Cloud,
    /// The name used in YAML and on the command line.
    pub name: &'static str,
    /// Microsoft Graph host.
    pub graph_host: &'static str,
    /// Entra ID sign-in (token) host.
    pub login_host: &'static str,
    /// The app-only scope: the Graph host's `.default`.
    pub scope: &'static str,
    /// Audience of a federated (workload identity) token exchanged for this cloud.
    pub federated_audience: &'static str,
    /// Whether classic Windows Autopilot deployment profiles (v1) exist in this cloud.
    pub classic_autopilot: bool,
}

/// The cloud table. Sources: learn.microsoft.com/graph/deployments and
/// `shared/domain/graph-api-notes.md` §9. DoD uses its own Graph host in the scope, as the
/// national-cloud rule requires ("any permission scope … MUST use the domain of the Microsoft
/// Graph service root endpoint for the national cloud").
pub const CLOUDS: [CloudEndpoints; 4] = [
    CloudEndpoints {
        cloud: Cloud::Commercial,
        name: "commercial",
        graph_host: "graph.microsoft.com",
        login_host: "login.microsoftonline.com",
        scope: "https://graph.microsoft.com/.default",
        federated_audience: "api://AzureADTokenExchange",
        classic_autopilot: true,
    },
    CloudEndpoints {
        cloud: Cloud::Gcc,
        name: "gcc",
        graph_host: "graph.microsoft.com",
        login_host: "login.microsoftonline.com",
        scope: "https://graph.microsoft.com/.default",
        federated_audience: "api://AzureADTokenExchange",
        classic_autopilot: true,
    },
    CloudEndpoints {
        cloud: Cloud::GccHigh,
        name: "gcc-high",
        graph_host: "graph.microsoft.us",
        login_host: "login.microsoftonline.us",
        scope: "https://graph.microsoft.us/.default",
        federated_audience: "api://AzureADTokenExchangeUSGov",
        classic_autopilot: false,
    },
    CloudEndpoints {
        cloud: Cloud::Dod,
        name: "dod",
        graph_host: "dod-graph.microsoft.us",
        login_host: "login.microsoftonline.us",
        scope: "https://dod-graph.microsoft.us/.default",
        federated_audience: "api://AzureADTokenExchangeUSGov",
        classic_autopilot: false,
    },
];

impl Cloud {
    /// Every cloud, in table order.
    pub const ALL: [Cloud; 4] = [Cloud::Commercial, Cloud::Gcc, Cloud::GccHigh, Cloud::Dod];

    /// This cloud's row of the table.
    pub fn endpoints(self) -> &'static CloudEndpoints {
        // The table is indexed by the enum's declaration order; a unit test proves they agree.
        &CLOUDS[self as usize]
    }

    /// The name used in YAML and on the command line (`commercial`, `gcc`, `gcc-high`, `dod`).
    pub fn name(self) -> &'static str {
        self.endpoints().name
    }

    /// Graph host, e.g. `graph.microsoft.us`.
    pub fn graph_host(self) -> &'static str {
        self.endpoints().graph_host
    }

    /// Sign-in host, e.g. `login.microsoftonline.us`.
    pub fn login_host(self) -> &'static str {
        self.endpoints().login_host
    }

    /// Graph base URL without version, e.g. `https://graph.microsoft.us`.
    pub fn graph_base_url(self) -> String {
        format!("https://{}", self.graph_host())
    }

    /// Sign-in base URL, e.g. `https://login.microsoftonline.us`.
    pub fn login_base_url(self) -> String {
        format!("https://{}", self.login_host())
    }

    /// The `.default` scope a client-credentials token must request in this cloud.
    pub fn scope(self) -> &'static str {
        self.endpoints().scope
    }

    /// Audience for federated credentials (GitHub Actions OIDC) in this cloud.
    pub fn federated_audience(self) -> &'static str {
        self.endpoints().federated_audience
    }

    /// Whether classic Autopilot deployment profiles exist (false in GCC High and DoD, where
    /// Device Preparation is the only Autopilot generation).
    pub fn has_classic_autopilot(self) -> bool {
        self.endpoints().classic_autopilot
    }

    /// Whether `host` (without scheme or port) belongs to this cloud: its Graph or sign-in host.
    pub fn allows_host(self, host: &str) -> bool {
        let host = host.trim_end_matches('.');
        host.eq_ignore_ascii_case(self.graph_host()) || host.eq_ignore_ascii_case(self.login_host())
    }
}

impl fmt::Display for Cloud {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A cloud name that is not in the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownCloud(pub String);

impl fmt::Display for UnknownCloud {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown cloud `{}`: expected one of commercial, gcc, gcc-high, dod",
            self.0
        )
    }
}

impl std::error::Error for UnknownCloud {}

impl FromStr for Cloud {
    type Err = UnknownCloud;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CLOUDS
            .iter()
            .find(|row| row.name.eq_ignore_ascii_case(s))
            .map(|row| row.cloud)
            .ok_or_else(|| UnknownCloud(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_rows_match_enum_order() {
        for cloud in Cloud::ALL {
            assert_eq!(cloud.endpoints().cloud, cloud);
        }
    }

    #[test]
    fn names_round_trip() {
        for cloud in Cloud::ALL {
            assert_eq!(cloud.name().parse::<Cloud>(), Ok(cloud));
            let json = serde_json::to_string(&cloud).unwrap();
            assert_eq!(json, format!("\"{}\"", cloud.name()));
        }
        assert!("azure-china".parse::<Cloud>().is_err());
    }

    #[test]
    fn scopes_use_the_clouds_own_graph_host() {
        for cloud in Cloud::ALL {
            assert_eq!(cloud.scope(), format!("https://{}/.default", cloud.graph_host()));
        }
    }

    #[test]
    fn sovereign_clouds_never_allow_commercial_hosts() {
        for cloud in [Cloud::GccHigh, Cloud::Dod] {
            assert!(!cloud.allows_host("graph.microsoft.com"));
            assert!(!cloud.allows_host("login.microsoftonline.com"));
            assert!(cloud.allows_host("login.microsoftonline.us"));
        }
        assert!(!Cloud::GccHigh.allows_host("dod-graph.microsoft.us"));
        assert!(!Cloud::Dod.allows_host("graph.microsoft.us"));
        assert!(!Cloud::Commercial.allows_host("graph.microsoft.us"));
        assert!(Cloud::Gcc.allows_host("graph.microsoft.com"));
    }

    #[test]
    fn only_commercial_and_gcc_have_classic_autopilot() {
        assert!(Cloud::Commercial.has_classic_autopilot());
        assert!(Cloud::Gcc.has_classic_autopilot());
        assert!(!Cloud::GccHigh.has_classic_autopilot());
        assert!(!Cloud::Dod.has_classic_autopilot());
    }
}
