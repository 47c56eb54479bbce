//! Entra sign-in (`POST /{tenant}/oauth2/v2.0/token`, client credentials) and bearer checks.
//!
//! Accepted credentials: `client_secret` (form field or HTTP Basic), `client_assertion` signed
//! with a registered certificate (RS256, `x5t` = SHA-1 thumbprint of the certificate, `aud` =
//! this cloud's token endpoint, `iss` = `sub` = client id, `exp`/`nbf` on the wall clock with
//! Entra's five minutes of skew), and federated assertions from a registered issuer. With no
//! registered clients, any client id and secret sign in and assertions are checked for shape
//! and claims but not signature. The scope must be the cloud's `https://<graph host>/.default`.
//!
//! Errors use Entra's shape: `{"error","error_description":"AADSTSnnnn: …","error_codes":[n],
//! "timestamp","trace_id","correlation_id","error_uri"}`. Access tokens are JWT-shaped (a client
//! may decode the claims) but only the simulator that issued them accepts them; they expire on
//! the simulated clock.

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::pkcs8::DecodePublicKey;
use rsa::sha2::Sha256;
use rsa::signature::Verifier;
use serde_json::{Value, json};
use sha1::{Digest, Sha1};

use crate::clock::{entra_timestamp, wall_clock_ms};
use crate::config::{FederatedCredential, SimCloud, SimConfig};
use crate::error::SimError;
use crate::odata::parse_query;
use crate::reply::GraphError;
use crate::state::{guid_from, splitmix64};

const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
const SKEW_MS: i64 = 5 * 60 * 1000;

/// A certificate usable for RS256 verification.
#[derive(Debug, Clone)]
pub(crate) struct Certificate {
    /// base64url SHA-1 of the DER certificate (`x5t`).
    pub x5t: String,
    pub key: rsa::PublicKey,
}

/// Parses the first `CERTIFICATE` block of a PEM text.
pub(crate) fn parse_certificate(pem_text: &str) -> Result<Certificate, String> {
    let blocks = pem::parse_many(pem_text).map_err(|e| format!("not PEM: {e}"))?;
    let block = blocks
        .iter()
        .find(|block| block.tag() == "CERTIFICATE")
        .ok_or_else(|| "no `-----BEGIN CERTIFICATE-----` block".to_owned())?;
    let der = block.contents();
    let spki = subject_public_key_info(der).ok_or_else(|| "not an X.509 certificate".to_owned())?;
    let key =
        rsa::PublicKey::from_public_key_der(spki).map_err(|e| format!("not an RSA certificate: {e}"))?;
    Ok(Certificate {
        x5t: URL_SAFE_NO_PAD.encode(Sha1::digest(der)),
        key,
    })
}

/// One DER element: tag, content, rest.
fn der_element(input: &[u8]) -> Option<(u8, &[u8], &[u8], usize)> {
    let tag = *input.first()?;
    let first = *input.get(1)?;
    let (len, header) = if first < 0x80 {
        (usize::from(first), 2)
    } else {
        let count = usize::from(first & 0x7F);
        if count == 0 || count > 4 {
            return None;
        }
        let mut len = 0usize;
        for i in 0..count {
            len = (len << 8) | usize::from(*input.get(2 + i)?);
        }
        (len, 2 + count)
    };
    let end = header.checked_add(len)?;
    if end > input.len() {
        return None;
    }
    Some((tag, &input[header..end], &input[end..], end))
}

/// The `SubjectPublicKeyInfo` element (with its header) of a DER certificate.
fn subject_public_key_info(cert: &[u8]) -> Option<&[u8]> {
    let (tag, cert_body, _, _) = der_element(cert)?;
    if tag != 0x30 {
        return None;
    }
    let (tag, mut tbs, _, _) = der_element(cert_body)?;
    if tag != 0x30 {
        return None;
    }
    // [0] version (optional), serial, signature, issuer, validity, subject, then the key.
    if tbs.first() == Some(&0xA0) {
        tbs = der_element(tbs)?.2;
    }
    for _ in 0..5 {
        tbs = der_element(tbs)?.2;
    }
    let (tag, _, _, len) = der_element(tbs)?;
    (tag == 0x30).then(|| &tbs[..len])
}

#[derive(Debug, Clone)]
struct ClientAuth {
    secrets: Vec<String>,
    certificates: Vec<Certificate>,
    federated: Vec<(FederatedCredential, Option<Certificate>)>,
}

/// What a token was issued for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TokenInfo {
    pub client_id: String,
    pub expires_at_ms: i64,
    pub grant: Grant,
}

/// What a token may do: whose it is and the Graph permissions it carries (`roles` of an
/// application token, `scp` of a delegated one).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Grant {
    /// A signed-in user's token (else an application's).
    pub delegated: bool,
    /// Permission names.
    pub permissions: Vec<String>,
    /// The signed-in user's UPN (delegated tokens), which audit events name.
    pub user: Option<String>,
}

impl Grant {
    /// Whether the token carries one of `permissions` (Graph lists, per operation, the
    /// permissions any one of which suffices).
    pub fn allows_any(&self, permissions: &[&str]) -> bool {
        self.permissions
            .iter()
            .any(|held| permissions.iter().any(|p| held.eq_ignore_ascii_case(p)))
    }
}

/// The caller of a Graph request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Caller {
    pub client_id: String,
    pub grant: Grant,
}

/// Registered clients and issued tokens.
#[derive(Debug)]
pub(crate) struct Authority {
    cloud: SimCloud,
    tenant_id: String,
    clients: Option<HashMap<String, ClientAuth>>,
    /// Roles granted per client (lower-case id); others get `app_roles`.
    roles: HashMap<String, Vec<String>>,
    tokens: HashMap<String, TokenInfo>,
    token_lifetime_secs: u64,
    counter: u64,
    app_roles: Vec<String>,
}

/// An Entra error response.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct EntraError {
    pub status: u16,
    pub error: &'static str,
    pub code: u32,
    pub description: String,
}

fn entra(status: u16, error: &'static str, code: u32, description: impl Into<String>) -> EntraError {
    EntraError {
        status,
        error,
        code,
        description: description.into(),
    }
}

fn missing(parameter: &str) -> EntraError {
    entra(
        400,
        "invalid_request",
        900_144,
        format!("The request body must contain the following parameter: '{parameter}'."),
    )
}

impl EntraError {
    /// The JSON body, with fresh trace and correlation ids.
    pub fn body(&self, trace_id: &str, correlation_id: &str, now_ms: i64) -> Value {
        let timestamp = entra_timestamp(now_ms);
        json!({
            "error": self.error,
            "error_description": format!(
                "AADSTS{}: {} Trace ID: {trace_id} Correlation ID: {correlation_id} Timestamp: {timestamp}",
                self.code, self.description
            ),
            "error_codes": [self.code],
            "timestamp": timestamp,
            "trace_id": trace_id,
            "correlation_id": correlation_id,
            "error_uri": format!("https://login.microsoftonline.com/error?code={}", self.code),
        })
    }
}

fn load_certificate(
    client_id: &str,
    pem_text: Option<&str>,
    file: Option<&std::path::Path>,
) -> Result<Option<Certificate>, SimError> {
    let text = match (pem_text, file) {
        (Some(text), _) => text.to_owned(),
        (None, Some(path)) => std::fs::read_to_string(path).map_err(|source| SimError::Io {
            action: "read",
            path: path.to_owned(),
            source,
        })?,
        (None, None) => return Ok(None),
    };
    parse_certificate(&text)
        .map(Some)
        .map_err(|message| SimError::Certificate {
            client_id: client_id.to_owned(),
            message,
        })
}

impl Authority {
    pub fn new(config: &SimConfig, tenant_id: &str) -> Result<Authority, SimError> {
        let clients = if config.clients.is_empty() {
            None
        } else {
            let mut map = HashMap::new();
            for client in &config.clients {
                let mut certificates = Vec::new();
                for pem_text in &client.certificates {
                    certificates.extend(load_certificate(&client.client_id, Some(pem_text), None)?);
                }
                for file in &client.certificate_files {
                    certificates.extend(load_certificate(&client.client_id, None, Some(file))?);
                }
                let mut federated = Vec::new();
                for credential in &client.federated {
                    let cert = load_certificate(
                        &client.client_id,
                        credential.certificate.as_deref(),
                        credential.certificate_file.as_deref(),
                    )?;
                    federated.push((credential.clone(), cert));
                }
                let entry = map
                    .entry(client.client_id.to_ascii_lowercase())
                    .or_insert(ClientAuth {
                        secrets: Vec::new(),
                        certificates: Vec::new(),
                        federated: Vec::new(),
                    });
                entry.secrets.extend(client.secrets.iter().cloned());
                entry.certificates.extend(certificates);
                entry.federated.extend(federated);
            }
            Some(map)
        };
        let roles = config
            .clients
            .iter()
            .filter_map(|c| c.roles.clone().map(|r| (c.client_id.to_ascii_lowercase(), r)))
            .collect();
        Ok(Authority {
            cloud: config.cloud,
            tenant_id: tenant_id.to_owned(),
            clients,
            roles,
            tokens: HashMap::new(),
            token_lifetime_secs: config.token_lifetime_secs,
            counter: config.seed ^ 0xA5A5_5A5A,
            app_roles: config.app_roles.clone(),
        })
    }

    /// Handles a token request. `authorization` is the request's `Authorization` header (HTTP
    /// Basic client authentication). Returns the success body.
    pub fn token(
        &mut self,
        tenant: &str,
        form: &[u8],
        authorization: Option<&str>,
        sim_now_ms: i64,
        clock_scale: f64,
    ) -> Result<Value, EntraError> {
        if !tenant.eq_ignore_ascii_case(&self.tenant_id) {
            return Err(entra(
                400,
                "invalid_request",
                90_002,
                format!(
                    "Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud."
                ),
            ));
        }
        let text = String::from_utf8_lossy(form);
        let pairs = parse_query(&text);
        let get = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
        let grant_type = get("grant_type").ok_or_else(|| missing("grant_type"))?;
        if grant_type != "client_credentials" {
            return Err(entra(
                400,
                "unsupported_grant_type",
                70_003,
                format!("The app requested an unsupported grant type '{grant_type}'."),
            ));
        }
        let (basic_id, basic_secret) = parse_basic(authorization);
        let client_id = get("client_id")
            .map(str::to_owned)
            .or(basic_id)
            .ok_or_else(|| missing("client_id"))?;
        let scope = get("scope").ok_or_else(|| missing("scope"))?;
        self.check_scope(scope)?;
        let secret = get("client_secret").map(str::to_owned).or(basic_secret);
        let assertion = get("client_assertion");
        match (secret, assertion) {
            (Some(secret), _) => self.check_secret(&client_id, &secret)?,
            (None, Some(assertion)) => {
                let assertion_type =
                    get("client_assertion_type").ok_or_else(|| missing("client_assertion_type"))?;
                if assertion_type != JWT_BEARER {
                    return Err(entra(
                        400,
                        "invalid_request",
                        700_023,
                        format!(
                            "Client assertion type '{assertion_type}' is not supported; use '{JWT_BEARER}'."
                        ),
                    ));
                }
                self.check_assertion(&client_id, assertion)?;
            }
            (None, None) => {
                return Err(entra(
                    401,
                    "invalid_client",
                    7_000_218,
                    "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
                ));
            }
        }
        Ok(self.issue(&client_id, sim_now_ms, clock_scale))
    }

    /// Issues a token without checking credentials (the library's `Sim::issue_token`).
    pub fn token_unchecked(
        &mut self,
        _tenant: &str,
        client_id: &str,
        _form: &str,
        sim_now_ms: i64,
        clock_scale: f64,
    ) -> Value {
        self.issue(client_id, sim_now_ms, clock_scale)
    }

    fn check_scope(&self, scope: &str) -> Result<(), EntraError> {
        let expected = self.cloud.scope();
        if scope.split_whitespace().count() == 1 && scope.trim() == expected {
            return Ok(());
        }
        let other_graph = SimCloud::ALL
            .iter()
            .find(|c| scope.trim() == c.scope())
            .map(|c| c.graph_host());
        if let Some(host) = other_graph {
            return Err(entra(
                400,
                "invalid_resource",
                500_011,
                format!(
                    "The resource principal named https://{host} was not found in the tenant named {}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant or cloud.",
                    self.tenant_id
                ),
            ));
        }
        Err(entra(
            400,
            "invalid_scope",
            70_011,
            format!(
                "The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid. The scope {scope} is not valid. The client credentials flow takes exactly one scope, {expected}."
            ),
        ))
    }

    fn registered(&self, client_id: &str) -> Result<Option<&ClientAuth>, EntraError> {
        match &self.clients {
            None => Ok(None),
            Some(map) => map.get(&client_id.to_ascii_lowercase()).map(Some).ok_or_else(|| {
                entra(
                    400,
                    "unauthorized_client",
                    700_016,
                    format!(
                        "Application with identifier '{client_id}' was not found in the directory '{}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.",
                        self.tenant_id
                    ),
                )
            }),
        }
    }

    fn check_secret(&self, client_id: &str, secret: &str) -> Result<(), EntraError> {
        let invalid = || {
            entra(
                401,
                "invalid_client",
                7_000_215,
                format!(
                    "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{client_id}'."
                ),
            )
        };
        match self.registered(client_id)? {
            None if !secret.is_empty() => Ok(()),
            None => Err(invalid()),
            Some(client) if client.secrets.iter().any(|s| s == secret) => Ok(()),
            Some(_) => Err(invalid()),
        }
    }

    fn check_assertion(&self, client_id: &str, assertion: &str) -> Result<(), EntraError> {
        let malformed = |why: &str| {
            entra(
                401,
                "invalid_client",
                50_027,
                format!("JWT token is invalid or malformed: {why}."),
            )
        };
        let parts: Vec<&str> = assertion.split('.').collect();
        let [header_b64, claims_b64, signature_b64] = parts.as_slice() else {
            return Err(malformed("a JWT has three dot-separated parts"));
        };
        let decode = |part: &str| -> Option<Value> {
            let bytes = URL_SAFE_NO_PAD.decode(part.trim_end_matches('=')).ok()?;
            serde_json::from_slice(&bytes).ok()
        };
        let header = decode(header_b64).ok_or_else(|| malformed("the header is not base64url JSON"))?;
        let claims = decode(claims_b64).ok_or_else(|| malformed("the claims are not base64url JSON"))?;
        let signature = URL_SAFE_NO_PAD
            .decode(signature_b64.trim_end_matches('='))
            .map_err(|_| malformed("the signature is not base64url"))?;
        if header.get("alg").and_then(Value::as_str) != Some("RS256") {
            return Err(entra(
                401,
                "invalid_client",
                5_002_738,
                format!(
                    "Invalid JWT token. '{}' is not a supported signature algorithm; use RS256.",
                    header.get("alg").unwrap_or(&Value::Null)
                ),
            ));
        }
        if let Some(typ) = header.get("typ")
            && !typ.as_str().is_some_and(|t| t.eq_ignore_ascii_case("JWT"))
        {
            return Err(malformed("the header `typ` must be JWT"));
        }
        let claim = |name: &str| claims.get(name).and_then(Value::as_str).unwrap_or("");
        let issuer = claim("iss");
        let now = wall_clock_ms();
        let exp = claims
            .get("exp")
            .and_then(Value::as_i64)
            .ok_or_else(|| malformed("the `exp` claim is missing"))?;
        let nbf = claims.get("nbf").and_then(Value::as_i64).unwrap_or(0);
        if exp * 1000 < now - SKEW_MS || nbf * 1000 > now + SKEW_MS {
            return Err(entra(
                401,
                "invalid_client",
                700_024,
                format!(
                    "Client assertion is not within its valid time range. Current time: {}, assertion valid from {}, expiry time of assertion {}.",
                    entra_timestamp(now),
                    entra_timestamp(nbf * 1000),
                    entra_timestamp(exp * 1000)
                ),
            ));
        }
        let signing_input = format!("{header_b64}.{claims_b64}");
        if issuer.eq_ignore_ascii_case(client_id) {
            // A certificate credential.
            if !claim("sub").eq_ignore_ascii_case(client_id) {
                return Err(entra(
                    401,
                    "invalid_client",
                    700_021,
                    format!(
                        "Client assertion application identifier doesn't match 'client_id' parameter: `iss` and `sub` must both be '{client_id}'."
                    ),
                ));
            }
            let aud = claim("aud");
            let tenant = &self.tenant_id;
            let host = self.cloud.login_host();
            let accepted = [
                format!("https://{host}/{tenant}/oauth2/v2.0/token"),
                format!("https://{host}/{tenant}/oauth2/token"),
                format!("https://{host}/{tenant}/v2.0"),
            ];
            if !accepted.iter().any(|a| a.eq_ignore_ascii_case(aud)) {
                return Err(entra(
                    401,
                    "invalid_client",
                    700_212,
                    format!(
                        "The audience '{aud}' of the client assertion is not valid in this cloud. Expected '{}'.",
                        accepted[0]
                    ),
                ));
            }
            let Some(client) = self.registered(client_id)? else {
                return Ok(());
            };
            let x5t = header.get("x5t").and_then(Value::as_str).unwrap_or("");
            let Some(cert) = client
                .certificates
                .iter()
                .find(|c| c.x5t == x5t.trim_end_matches('='))
            else {
                return Err(entra(
                    401,
                    "invalid_client",
                    700_027,
                    format!(
                        "The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found., Thumbprint of key used by client: '{x5t}', app Id '{client_id}']"
                    ),
                ));
            };
            verify(&cert.key, signing_input.as_bytes(), &signature).map_err(|_| {
                entra(
                    401,
                    "invalid_client",
                    700_027,
                    "Client assertion contains an invalid signature. [Reason - Key was found, but use of the key to verify the signature failed.]",
                )
            })
        } else {
            // A federated credential: an external issuer's token.
            let no_match = || {
                entra(
                    400,
                    "invalid_request",
                    70_021,
                    format!(
                        "No matching federated identity record found for presented assertion. Assertion Issuer: '{issuer}'. Assertion Subject: '{}'. Assertion Audience: '{}'.",
                        claim("sub"),
                        claim("aud")
                    ),
                )
            };
            let audience_ok = |expected: &str| match claims.get("aud") {
                Some(Value::String(aud)) => aud == expected,
                Some(Value::Array(auds)) => auds.iter().any(|a| a.as_str() == Some(expected)),
                _ => false,
            };
            match self.registered(client_id)? {
                None => {
                    if issuer.is_empty() || !audience_ok(self.cloud.federated_audience()) {
                        return Err(no_match());
                    }
                    Ok(())
                }
                Some(client) => {
                    let (_, cert) = client
                        .federated
                        .iter()
                        .find(|(cred, _)| {
                            cred.issuer == issuer
                                && cred.subject == claim("sub")
                                && audience_ok(
                                    cred.audience
                                        .as_deref()
                                        .unwrap_or(self.cloud.federated_audience()),
                                )
                        })
                        .ok_or_else(no_match)?;
                    match cert {
                        Some(cert) => verify(&cert.key, signing_input.as_bytes(), &signature).map_err(|_| {
                            entra(
                                401,
                                "invalid_client",
                                700_027,
                                "Client assertion contains an invalid signature.",
                            )
                        }),
                        None => Ok(()),
                    }
                }
            }
        }
    }

    fn issue(&mut self, client_id: &str, sim_now_ms: i64, clock_scale: f64) -> Value {
        // A client registered with its own roles gets exactly those; any other gets the
        // simulator's default grant.
        let grant = Grant {
            delegated: false,
            permissions: self
                .roles
                .get(&client_id.to_ascii_lowercase())
                .cloned()
                .unwrap_or_else(|| self.app_roles.clone()),
            user: None,
        };
        let claims = json!({
            "appid": client_id,
            "idtyp": "app",
            "roles": grant.permissions,
        });
        let (token, lifetime) = self.sign(client_id, claims, grant, sim_now_ms);
        // `expires_in` is what a client waits in real time: the simulated lifetime over the
        // clock scale, never below one second.
        let expires_in = ((lifetime as f64) / clock_scale).floor().max(1.0) as i64;
        json!({
            "token_type": "Bearer",
            "expires_in": expires_in,
            "ext_expires_in": expires_in,
            "access_token": token,
        })
    }

    /// A delegated token for `user` signed in to `client_id` with these scopes, as
    /// `az account get-access-token` would give (the simulator has no interactive sign-in).
    pub fn issue_delegated(
        &mut self,
        client_id: &str,
        user: &str,
        scopes: &[String],
        sim_now_ms: i64,
    ) -> String {
        let grant = Grant {
            delegated: true,
            permissions: scopes.to_vec(),
            user: Some(user.to_owned()),
        };
        let claims = json!({
            "appid": client_id,
            "idtyp": "user",
            "upn": user,
            "scp": scopes.join(" "),
        });
        self.sign(client_id, claims, grant, sim_now_ms).0
    }

    /// Builds, records and returns a token with the common claims plus `extra`; also its
    /// lifetime in simulated seconds.
    fn sign(&mut self, client_id: &str, extra: Value, grant: Grant, sim_now_ms: i64) -> (String, i64) {
        let a = splitmix64(&mut self.counter);
        let b = splitmix64(&mut self.counter);
        let now_s = sim_now_ms / 1000;
        let lifetime = i64::try_from(self.token_lifetime_secs).unwrap_or(i64::MAX / 2_000);
        let header = json!({"typ": "JWT", "alg": "RS256", "x5t": "hangar-sim", "kid": "hangar-sim"});
        let mut claims = json!({
            "aud": format!("https://{}", self.cloud.graph_host()),
            "iss": format!("https://sts.windows.net/{}/", self.tenant_id),
            "iat": now_s,
            "nbf": now_s,
            "exp": now_s + lifetime,
            "tid": self.tenant_id,
            "ver": "1.0",
            "uti": guid_from(a, b),
        });
        if let (Some(claims), Value::Object(extra)) = (claims.as_object_mut(), extra) {
            claims.extend(extra);
        }
        let token = format!(
            "{}.{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string()),
            URL_SAFE_NO_PAD.encode(format!("{a:016x}{b:016x}"))
        );
        if self.tokens.len() > 10_000 {
            self.tokens.retain(|_, info| info.expires_at_ms > sim_now_ms);
        }
        self.tokens.insert(
            token.clone(),
            TokenInfo {
                client_id: client_id.to_owned(),
                expires_at_ms: sim_now_ms + lifetime * 1000,
                grant,
            },
        );
        (token, lifetime)
    }

    /// Checks a Graph request's `Authorization` header; returns who is calling.
    pub fn check_bearer(&self, authorization: Option<&str>, sim_now_ms: i64) -> Result<Caller, GraphError> {
        let unauthorized = |message: &str| {
            GraphError::new(401, "InvalidAuthenticationToken", message).with_header(
                "WWW-Authenticate",
                format!(
                    "Bearer realm=\"\", authorization_uri=\"https://{}/common/oauth2/authorize\", client_id=\"00000003-0000-0000-c000-000000000000\"",
                    self.cloud.login_host()
                ),
            )
        };
        let token = authorization
            .and_then(|h| h.strip_prefix("Bearer ").or_else(|| h.strip_prefix("bearer ")))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| unauthorized("Access token is empty."))?;
        if token.split('.').count() != 3 {
            return Err(unauthorized(
                "IDX14100: JWT is not well formed, there are no dots (.).",
            ));
        }
        match self.tokens.get(token) {
            Some(info) if info.expires_at_ms > sim_now_ms => Ok(Caller {
                client_id: info.client_id.clone(),
                grant: info.grant.clone(),
            }),
            Some(_) => Err(unauthorized("Lifetime validation failed, the token is expired.")),
            None => {
                let audience = token
                    .split('.')
                    .nth(1)
                    .and_then(|c| URL_SAFE_NO_PAD.decode(c).ok())
                    .and_then(|c| serde_json::from_slice::<Value>(&c).ok())
                    .and_then(|c| c.get("aud").and_then(Value::as_str).map(str::to_owned));
                match audience {
                    Some(aud) if aud != format!("https://{}", self.cloud.graph_host()) => {
                        Err(unauthorized("Access token validation failure. Invalid audience."))
                    }
                    _ => Err(unauthorized("Access token validation failure.")),
                }
            }
        }
    }
}

fn verify(key: &rsa::PublicKey, message: &[u8], signature: &[u8]) -> Result<(), ()> {
    let signature = Signature::try_from(signature).map_err(|_| ())?;
    VerifyingKey::<Sha256>::new(key.clone())
        .verify(message, &signature)
        .map_err(|_| ())
}

fn parse_basic(authorization: Option<&str>) -> (Option<String>, Option<String>) {
    let Some(encoded) = authorization.and_then(|h| h.strip_prefix("Basic ")) else {
        return (None, None);
    };
    let Ok(bytes) = STANDARD.decode(encoded.trim()) else {
        return (None, None);
    };
    let text = String::from_utf8_lossy(&bytes);
    match text.split_once(':') {
        Some((id, secret)) => (
            Some(crate::odata::percent_decode(id, true)),
            Some(crate::odata::percent_decode(secret, true)),
        ),
        None => (None, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn authority(config: &SimConfig) -> Authority {
        Authority::new(config, "tenant-1").unwrap()
    }

    fn form(pairs: &[(&str, &str)]) -> Vec<u8> {
        pairs
            .iter()
            .map(|(k, v)| format!("{k}={}", v.replace(':', "%3A").replace('/', "%2F")))
            .collect::<Vec<_>>()
            .join("&")
            .into_bytes()
    }

    #[test]
    fn delegated_tokens_carry_scopes_and_app_tokens_the_configured_roles() {
        let mut auth = authority(&SimConfig::default().app_roles(["Group.Read.All"]));
        let token = auth.issue_delegated("cli", "admin@contoso.com", &["Policy.Read.All".to_owned()], 0);
        let caller = auth.check_bearer(Some(&format!("Bearer {token}")), 1).unwrap();
        assert!(caller.grant.delegated);
        assert!(caller.grant.allows_any(&["policy.read.all"]));
        assert!(!caller.grant.allows_any(&["Group.Read.All"]));
        let claims: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(token.split('.').nth(1).unwrap()).unwrap())
                .unwrap();
        assert_eq!(claims["scp"], "Policy.Read.All");
        assert_eq!(claims["upn"], "admin@contoso.com");

        let body = auth.token_unchecked("tenant-1", "app", "", 0, 1.0);
        let token = body["access_token"].as_str().unwrap();
        let caller = auth.check_bearer(Some(&format!("Bearer {token}")), 1).unwrap();
        assert_eq!(caller.grant.permissions, ["Group.Read.All"]);
    }

    #[test]
    fn any_secret_signs_in_without_config_and_scope_is_checked() {
        let mut auth = authority(&SimConfig::default());
        let ok = auth.token(
            "tenant-1",
            &form(&[
                ("grant_type", "client_credentials"),
                ("client_id", "c"),
                ("client_secret", "s"),
                ("scope", "https://graph.microsoft.com/.default"),
            ]),
            None,
            0,
            1.0,
        );
        let body = ok.unwrap();
        let token = body["access_token"].as_str().unwrap();
        let caller = auth.check_bearer(Some(&format!("Bearer {token}")), 1000).unwrap();
        assert_eq!(caller.client_id, "c");
        assert!(!caller.grant.delegated);
        assert!(caller.grant.allows_any(&["Organization.Read.All"]));
        assert!(
            auth.check_bearer(Some(&format!("Bearer {token}")), 3_600_000)
                .unwrap_err()
                .message
                .contains("expired")
        );

        let wrong_cloud = auth.token(
            "tenant-1",
            &form(&[
                ("grant_type", "client_credentials"),
                ("client_id", "c"),
                ("client_secret", "s"),
                ("scope", "https://graph.microsoft.us/.default"),
            ]),
            None,
            0,
            1.0,
        );
        assert_eq!(wrong_cloud.unwrap_err().code, 500_011);
        let bad_scope = auth.token(
            "tenant-1",
            &form(&[
                ("grant_type", "client_credentials"),
                ("client_id", "c"),
                ("client_secret", "s"),
                ("scope", "User.Read"),
            ]),
            None,
            0,
            1.0,
        );
        assert_eq!(bad_scope.unwrap_err().error, "invalid_scope");
        let other_tenant = auth.token("nope", b"", None, 0, 1.0).unwrap_err();
        assert_eq!(other_tenant.code, 90_002);
    }

    #[test]
    fn registered_clients_only() {
        let config = SimConfig::default().register_client_secret("app", "right");
        let mut auth = authority(&config);
        let scope = "https://graph.microsoft.com/.default";
        let wrong = auth.token(
            "tenant-1",
            &form(&[
                ("grant_type", "client_credentials"),
                ("client_id", "app"),
                ("client_secret", "wrong"),
                ("scope", scope),
            ]),
            None,
            0,
            1.0,
        );
        assert_eq!(wrong.unwrap_err().code, 7_000_215);
        let unknown = auth.token(
            "tenant-1",
            &form(&[
                ("grant_type", "client_credentials"),
                ("client_id", "other"),
                ("client_secret", "right"),
                ("scope", scope),
            ]),
            None,
            0,
            1.0,
        );
        assert_eq!(unknown.unwrap_err().code, 700_016);
        let basic = format!("Basic {}", STANDARD.encode("app:right"));
        let ok = auth.token(
            "tenant-1",
            &form(&[("grant_type", "client_credentials"), ("scope", scope)]),
            Some(&basic),
            0,
            1.0,
        );
        assert!(ok.is_ok());
    }

    #[test]
    fn der_walker_survives_garbage() {
        assert!(subject_public_key_info(&[]).is_none());
        assert!(subject_public_key_info(&[0x30, 0x84, 0xFF, 0xFF, 0xFF, 0xFF]).is_none());
        assert!(parse_certificate("not pem").is_err());
    }

    #[test]
    fn bearer_shapes() {
        let auth = authority(&SimConfig::default());
        assert_eq!(
            auth.check_bearer(None, 0).unwrap_err().message,
            "Access token is empty."
        );
        assert!(
            auth.check_bearer(Some("Bearer abc"), 0)
                .unwrap_err()
                .message
                .starts_with("IDX14100")
        );
        assert_eq!(
            auth.check_bearer(Some("Bearer a.b.c"), 0).unwrap_err().status,
            401
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 256, ..Default::default() })]

        #[test]
        fn token_requests_never_panic(form in "\\PC{0,200}", assertion in "[A-Za-z0-9_.=-]{0,120}") {
            let mut auth = authority(&SimConfig::default().register_client_secret("app", "s"));
            let _ = auth.token("tenant-1", form.as_bytes(), None, 0, 1.0);
            let body = format!(
                "grant_type=client_credentials&client_id=app&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion={assertion}"
            );
            let _ = auth.token("tenant-1", body.as_bytes(), None, 0, 1.0);
            let _ = auth.check_bearer(Some(&format!("Bearer {assertion}")), 0);
            let _ = parse_certificate(&form);
        }
    }
}
