//! Credentials: which one the environment selects, and the cached token each one yields.
//!
//! Selected from the environment with the Azure SDK names, in this order:
//!
//! 1. `HANGAR_ACCESS_TOKEN`: a pre-acquired (delegated) token, used as is;
//! 2. `AZURE_CLIENT_SECRET`: client credentials with a secret;
//! 3. `AZURE_CLIENT_CERTIFICATE_PATH` (+ `AZURE_CLIENT_CERTIFICATE_PASSWORD`): a PEM or PFX
//!    certificate, sent as an RS256 client assertion with `x5t`;
//! 4. `AZURE_FEDERATED_TOKEN_FILE`: a workload-identity token file, read at each acquisition;
//! 5. `ACTIONS_ID_TOKEN_REQUEST_URL` + `ACTIONS_ID_TOKEN_REQUEST_TOKEN`: GitHub Actions OIDC,
//!    with the federated audience of the tenant's cloud.
//!
//! 2–5 need `AZURE_TENANT_ID` and `AZURE_CLIENT_ID`. Tokens are cached and refreshed before
//! they expire. Every secret is a [`Secret`].

mod certificate;
mod claims;
mod token;

pub use certificate::ClientCertificate;
pub use claims::{TokenClaims, TokenKind};
pub(crate) use token::transport_reason as transport_reason_pub;
pub(crate) use token::unreachable_reason;
pub use token::{AccessToken, TokenProvider};

use std::path::PathBuf;

use hangar_model::Cloud;

use crate::Secret;

/// Environment variable of a pre-acquired access token.
pub const ACCESS_TOKEN_ENV: &str = "HANGAR_ACCESS_TOKEN";

/// A way to obtain Graph tokens. `Debug` never shows a secret.
#[derive(Debug, Clone)]
pub enum Credential {
    /// A token acquired elsewhere (e.g. delegated, by `az account get-access-token`).
    AccessToken(Secret),
    /// Client credentials with a client secret.
    ClientSecret {
        /// Directory (tenant) id.
        tenant_id: String,
        /// Application (client) id.
        client_id: String,
        /// The secret.
        secret: Secret,
    },
    /// Client credentials with a certificate.
    ClientCertificate {
        /// Directory (tenant) id.
        tenant_id: String,
        /// Application (client) id.
        client_id: String,
        /// The certificate and key.
        certificate: Box<ClientCertificate>,
    },
    /// Workload identity federation from a token file (Kubernetes, Azure DevOps, …).
    FederatedTokenFile {
        /// Directory (tenant) id.
        tenant_id: String,
        /// Application (client) id.
        client_id: String,
        /// File holding the federated token, re-read at each acquisition.
        path: PathBuf,
    },
    /// Workload identity federation from GitHub Actions OIDC.
    GitHubActions {
        /// Directory (tenant) id.
        tenant_id: String,
        /// Application (client) id.
        client_id: String,
        /// `ACTIONS_ID_TOKEN_REQUEST_URL`.
        request_url: String,
        /// `ACTIONS_ID_TOKEN_REQUEST_TOKEN`.
        request_token: Secret,
    },
}

/// Why no token could be had.
#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    /// Nothing in the environment selects a credential.
    #[error(
        "no credential found: set `AZURE_TENANT_ID`, `AZURE_CLIENT_ID` and one of `AZURE_CLIENT_SECRET`, `AZURE_CLIENT_CERTIFICATE_PATH`, `AZURE_FEDERATED_TOKEN_FILE`, or run in GitHub Actions with `id-token: write`, or set `HANGAR_ACCESS_TOKEN`"
    )]
    NotConfigured,
    /// A credential was selected but a variable it needs is missing.
    #[error("`{variable}` is required with `{selected_by}`")]
    Missing {
        /// The missing variable.
        variable: &'static str,
        /// The variable that selected the credential.
        selected_by: &'static str,
    },
    /// The certificate file cannot be used.
    #[error("certificate `{path}`: {reason}")]
    Certificate {
        /// Its path.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// A token or assertion file cannot be read.
    #[error("cannot read `{path}`: {reason}")]
    File {
        /// Its path.
        path: String,
        /// The IO error.
        reason: String,
    },
    /// The sign-in service refused to issue a token.
    #[error(
        "sign-in at `{host}` refused a token for scope `{scope}` (cloud `{cloud}`): {status} {code}: {description}; the app registration must live in cloud `{cloud}`"
    )]
    Refused {
        /// The tenant's cloud.
        cloud: Cloud,
        /// The scope requested.
        scope: String,
        /// Host asked.
        host: String,
        /// HTTP status.
        status: u16,
        /// OAuth `error`.
        code: String,
        /// OAuth `error_description` (first line).
        description: String,
    },
    /// A pre-acquired token was issued for another cloud's Graph.
    #[error("the access token is for `{audience}`, but cloud `{cloud}` needs a token for scope `{scope}`")]
    WrongCloud {
        /// The tenant's cloud.
        cloud: Cloud,
        /// The scope the cloud needs.
        scope: String,
        /// The token's `aud`.
        audience: String,
    },
    /// The OIDC or token request could not be made or its answer not read.
    #[error("token request to `{url}` failed: {reason}")]
    Transport {
        /// Where (no query values).
        url: String,
        /// What happened.
        reason: String,
    },
}

impl Credential {
    /// Selects a credential from the process environment (see the module docs).
    pub fn from_env() -> Result<Credential, CredentialError> {
        Credential::from_lookup(|name| std::env::var(name).ok())
    }

    /// Selects a credential from `lookup(name)`, an environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Credential, CredentialError> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        if let Some(token) = get(ACCESS_TOKEN_ENV) {
            return Ok(Credential::AccessToken(Secret::new(token.trim())));
        }
        let ids = |selected_by: &'static str| -> Result<(String, String), CredentialError> {
            let tenant = get("AZURE_TENANT_ID").ok_or(CredentialError::Missing {
                variable: "AZURE_TENANT_ID",
                selected_by,
            })?;
            let client = get("AZURE_CLIENT_ID").ok_or(CredentialError::Missing {
                variable: "AZURE_CLIENT_ID",
                selected_by,
            })?;
            Ok((tenant, client))
        };
        if let Some(secret) = get("AZURE_CLIENT_SECRET") {
            let (tenant_id, client_id) = ids("AZURE_CLIENT_SECRET")?;
            return Ok(Credential::ClientSecret {
                tenant_id,
                client_id,
                secret: Secret::new(secret),
            });
        }
        if let Some(path) = get("AZURE_CLIENT_CERTIFICATE_PATH") {
            let (tenant_id, client_id) = ids("AZURE_CLIENT_CERTIFICATE_PATH")?;
            let password = get("AZURE_CLIENT_CERTIFICATE_PASSWORD").map(Secret::new);
            let bytes = std::fs::read(&path).map_err(|e| CredentialError::File {
                path: path.clone(),
                reason: e.to_string(),
            })?;
            let certificate = ClientCertificate::from_bytes(&bytes, password.as_ref(), &path)?;
            return Ok(Credential::ClientCertificate {
                tenant_id,
                client_id,
                certificate: Box::new(certificate),
            });
        }
        if let Some(path) = get("AZURE_FEDERATED_TOKEN_FILE") {
            let (tenant_id, client_id) = ids("AZURE_FEDERATED_TOKEN_FILE")?;
            return Ok(Credential::FederatedTokenFile {
                tenant_id,
                client_id,
                path: PathBuf::from(path),
            });
        }
        if let Some(request_url) = get("ACTIONS_ID_TOKEN_REQUEST_URL") {
            let request_token = get("ACTIONS_ID_TOKEN_REQUEST_TOKEN").ok_or(CredentialError::Missing {
                variable: "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
                selected_by: "ACTIONS_ID_TOKEN_REQUEST_URL",
            })?;
            let (tenant_id, client_id) = ids("ACTIONS_ID_TOKEN_REQUEST_URL")?;
            return Ok(Credential::GitHubActions {
                tenant_id,
                client_id,
                request_url,
                request_token: Secret::new(request_token),
            });
        }
        Err(CredentialError::NotConfigured)
    }

    /// A short name for logs: `access-token`, `client-secret`, `client-certificate`,
    /// `federated-token-file`, `github-actions`.
    pub fn kind(&self) -> &'static str {
        match self {
            Credential::AccessToken(_) => "access-token",
            Credential::ClientSecret { .. } => "client-secret",
            Credential::ClientCertificate { .. } => "client-certificate",
            Credential::FederatedTokenFile { .. } => "federated-token-file",
            Credential::GitHubActions { .. } => "github-actions",
        }
    }

    /// The tenant id, for credentials that sign in.
    pub fn tenant_id(&self) -> Option<&str> {
        match self {
            Credential::AccessToken(_) => None,
            Credential::ClientSecret { tenant_id, .. }
            | Credential::ClientCertificate { tenant_id, .. }
            | Credential::FederatedTokenFile { tenant_id, .. }
            | Credential::GitHubActions { tenant_id, .. } => Some(tenant_id),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| map.get(name).cloned()
    }

    const IDS: [(&str, &str); 2] = [("AZURE_TENANT_ID", "t"), ("AZURE_CLIENT_ID", "c")];

    #[test]
    fn selection_order() {
        let all = [
            IDS[0],
            IDS[1],
            ("HANGAR_ACCESS_TOKEN", "tok"),
            ("AZURE_CLIENT_SECRET", "s"),
            ("AZURE_FEDERATED_TOKEN_FILE", "/f"),
            ("ACTIONS_ID_TOKEN_REQUEST_URL", "https://x"),
            ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "r"),
        ];
        assert_eq!(Credential::from_lookup(env(&all)).unwrap().kind(), "access-token");
        assert_eq!(
            Credential::from_lookup(env(&[IDS[0], IDS[1], all[3], all[4]]))
                .unwrap()
                .kind(),
            "client-secret"
        );
        let fed = [IDS[0], IDS[1], all[4], all[5], all[6]];
        assert_eq!(
            Credential::from_lookup(env(&fed)).unwrap().kind(),
            "federated-token-file"
        );
        assert_eq!(
            Credential::from_lookup(env(&[IDS[0], IDS[1], all[5], all[6]]))
                .unwrap()
                .kind(),
            "github-actions"
        );
        assert!(matches!(
            Credential::from_lookup(env(&IDS)),
            Err(CredentialError::NotConfigured)
        ));
    }

    #[test]
    fn missing_ids_are_named() {
        let err = Credential::from_lookup(env(&[("AZURE_CLIENT_SECRET", "s"), IDS[1]])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "`AZURE_TENANT_ID` is required with `AZURE_CLIENT_SECRET`"
        );
        let err = Credential::from_lookup(env(&[IDS[0], IDS[1], ("ACTIONS_ID_TOKEN_REQUEST_URL", "u")]))
            .unwrap_err();
        assert!(err.to_string().contains("ACTIONS_ID_TOKEN_REQUEST_TOKEN"));
    }

    #[test]
    fn certificate_from_env() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/test-aes.pfx");
        let vars = [
            IDS[0],
            IDS[1],
            ("AZURE_CLIENT_CERTIFICATE_PATH", path),
            ("AZURE_CLIENT_CERTIFICATE_PASSWORD", "hangar-test"),
        ];
        let credential = Credential::from_lookup(env(&vars)).unwrap();
        assert_eq!(credential.kind(), "client-certificate");
        let missing = [
            IDS[0],
            IDS[1],
            ("AZURE_CLIENT_CERTIFICATE_PATH", "/nonexistent/cert.pem"),
        ];
        assert!(matches!(
            Credential::from_lookup(env(&missing)),
            Err(CredentialError::File { .. })
        ));
    }

    #[test]
    fn debug_never_shows_secrets() {
        let credential =
            Credential::from_lookup(env(&[IDS[0], IDS[1], ("AZURE_CLIENT_SECRET", "s3cr3t-value")])).unwrap();
        assert!(!format!("{credential:?}").contains("s3cr3t-value"));
        let token = Credential::from_lookup(env(&[("HANGAR_ACCESS_TOKEN", "eyJtoken-value")])).unwrap();
        assert!(!format!("{token:?}").contains("eyJtoken-value"));
    }
}
