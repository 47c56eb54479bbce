//! What an access token says about itself: who it was issued to and which Graph permissions it
//! carries (`roles` for an application token, `scp` for a delegated one).
//!
//! Reading the claims needs no permission and no request: the token is a JWT whose middle part
//! is base64url JSON. Entra signs it for Graph, not for us, so nothing here verifies the
//! signature; the claims are used to explain what Graph will allow, never to decide what is
//! safe. Only the claims leave this module, never the token.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

use crate::Secret;

/// Whom a token was issued for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// An application (client credentials): permissions are app roles (`roles`).
    Application,
    /// A signed-in user (delegated): permissions are scopes (`scp`), limited by the user's
    /// directory roles.
    Delegated,
}

/// The claims of an access token that say what it may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenClaims {
    /// Application or delegated.
    pub kind: TokenKind,
    /// `appid` (v1 tokens) or `azp` (v2): the client application.
    pub app_id: Option<String>,
    /// `tid`: the tenant that issued it.
    pub tenant_id: Option<String>,
    /// `aud`: the resource it is for (the cloud's Graph host).
    pub audience: Option<String>,
    /// `upn` or `unique_name` of a delegated token's user.
    pub user: Option<String>,
    /// The Graph permissions it carries: `roles` for an application, `scp` for a user.
    pub permissions: Vec<String>,
}

impl TokenClaims {
    /// The claims of `token`, or `None` when it is not a readable JWT (an opaque token).
    pub fn of(token: &Secret) -> Option<TokenClaims> {
        let payload = token.expose().split('.').nth(1)?;
        let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
        let claims: Value = serde_json::from_slice(&bytes).ok()?;
        let text = |name: &str| {
            claims
                .get(name)
                .and_then(Value::as_str)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        let roles: Vec<String> = claims
            .get("roles")
            .and_then(Value::as_array)
            .map(|roles| {
                roles
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        let scopes: Vec<String> = text("scp")
            .map(|scp| scp.split_whitespace().map(str::to_owned).collect())
            .unwrap_or_default();
        // `idtyp` is `app` on application tokens when the optional claim is on; otherwise a
        // token with `scp` is delegated (application tokens never carry `scp`).
        let kind = match text("idtyp").as_deref() {
            Some("app") => TokenKind::Application,
            Some("user") => TokenKind::Delegated,
            _ if claims.get("scp").is_some() => TokenKind::Delegated,
            _ => TokenKind::Application,
        };
        Some(TokenClaims {
            kind,
            app_id: text("appid").or_else(|| text("azp")),
            tenant_id: text("tid"),
            audience: text("aud"),
            user: text("upn").or_else(|| text("unique_name")),
            permissions: match kind {
                TokenKind::Application => roles,
                TokenKind::Delegated => scopes,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn jwt(claims: Value) -> Secret {
        let part = |v: Value| URL_SAFE_NO_PAD.encode(v.to_string());
        Secret::new(format!("{}.{}.sig", part(json!({"alg": "RS256"})), part(claims)))
    }

    #[test]
    fn application_tokens_carry_roles() {
        let claims = TokenClaims::of(&jwt(json!({
            "aud": "https://graph.microsoft.us", "appid": "app-1", "tid": "t-1", "idtyp": "app",
            "roles": ["Group.Read.All", "DeviceManagementServiceConfig.Read.All"]
        })))
        .unwrap();
        assert_eq!(claims.kind, TokenKind::Application);
        assert_eq!(claims.app_id.as_deref(), Some("app-1"));
        assert_eq!(claims.permissions.len(), 2);
        assert_eq!(claims.audience.as_deref(), Some("https://graph.microsoft.us"));
    }

    #[test]
    fn delegated_tokens_carry_scopes() {
        let claims = TokenClaims::of(&jwt(json!({
            "azp": "cli", "upn": "admin@contoso.com", "scp": "Policy.Read.All  Group.Read.All"
        })))
        .unwrap();
        assert_eq!(claims.kind, TokenKind::Delegated);
        assert_eq!(claims.permissions, ["Policy.Read.All", "Group.Read.All"]);
        assert_eq!(claims.user.as_deref(), Some("admin@contoso.com"));
        assert_eq!(claims.app_id.as_deref(), Some("cli"));
    }

    #[test]
    fn opaque_or_damaged_tokens_have_no_claims() {
        assert_eq!(TokenClaims::of(&Secret::new("opaque")), None);
        assert_eq!(TokenClaims::of(&Secret::new("a.!!!.c")), None);
        assert_eq!(TokenClaims::of(&Secret::new("a.bm90IGpzb24.c")), None);
    }
}
