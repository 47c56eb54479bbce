//! Certificate credentials: loading a PEM or PFX file, and signing the client-assertion JWT
//! (RS256 with the certificate's SHA-1 thumbprint as `x5t`).

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rsa::PrivateKey;
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::DecodePrivateKey;
use rsa::signature::{SignatureEncoding, Signer};
use sha1::{Digest, Sha1};
use sha2_011::Sha256;

use super::CredentialError;
use crate::Secret;

/// A certificate and its RSA private key, ready to sign assertions. `Debug` shows only the
/// thumbprint.
#[derive(Clone)]
pub struct ClientCertificate {
    key: PrivateKey,
    /// base64url SHA-1 of the DER certificate.
    x5t: String,
}

impl fmt::Debug for ClientCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCertificate")
            .field("x5t", &self.x5t)
            .finish_non_exhaustive()
    }
}

impl ClientCertificate {
    /// Loads a certificate file: PEM (a `CERTIFICATE` block and a `PRIVATE KEY`,
    /// `RSA PRIVATE KEY` or `ENCRYPTED PRIVATE KEY` block, in any order) or PKCS#12 (`.pfx`).
    /// `path` is only used in messages.
    pub fn from_bytes(
        bytes: &[u8],
        password: Option<&Secret>,
        path: &str,
    ) -> Result<ClientCertificate, CredentialError> {
        let invalid = |reason: String| CredentialError::Certificate {
            path: path.to_owned(),
            reason,
        };
        let looks_like_pem = bytes.windows(11).take(4096).any(|w| w == b"-----BEGIN ");
        if looks_like_pem {
            let blocks = pem::parse_many(bytes).map_err(|e| invalid(format!("not a valid PEM file: {e}")))?;
            let cert = blocks
                .iter()
                .find(|b| b.tag() == "CERTIFICATE")
                .ok_or_else(|| invalid("the PEM file has no `CERTIFICATE` block".into()))?;
            let key = blocks
                .iter()
                .find_map(|b| match b.tag() {
                    "PRIVATE KEY" => {
                        Some(PrivateKey::from_pkcs8_der(b.contents()).map_err(|e| e.to_string()))
                    }
                    "RSA PRIVATE KEY" => {
                        Some(PrivateKey::from_pkcs1_der(b.contents()).map_err(|e| e.to_string()))
                    }
                    "ENCRYPTED PRIVATE KEY" => Some(match password {
                        Some(pw) => PrivateKey::from_pkcs8_encrypted_der(
                            b.contents(),
                            pw.expose().as_bytes(),
                        )
                        .map_err(|_| {
                            "cannot decrypt the private key: wrong `AZURE_CLIENT_CERTIFICATE_PASSWORD`?"
                                .to_owned()
                        }),
                        None => Err(
                            "the private key is encrypted: set `AZURE_CLIENT_CERTIFICATE_PASSWORD`"
                                .to_owned(),
                        ),
                    }),
                    _ => None,
                })
                .ok_or_else(|| invalid("the PEM file has no private key block".into()))?
                .map_err(|reason| invalid(format!("unusable RSA private key: {reason}")))?;
            return Ok(ClientCertificate::new(key, cert.contents()));
        }
        let password = password.map(Secret::expose).unwrap_or("");
        let store =
            p12_keystore::KeyStore::from_pkcs12(bytes, password, p12_keystore::Pkcs12ImportPolicy::Relaxed)
                .map_err(|_| invalid("not a readable PEM or PFX file (wrong password?)".into()))?;
        let (_, chain) = store
            .private_key_chain()
            .ok_or_else(|| invalid("the PFX file has no private key".into()))?;
        let cert = chain
            .certs()
            .first()
            .ok_or_else(|| invalid("the PFX file has no certificate for its key".into()))?;
        let key = PrivateKey::from_pkcs8_der(chain.key().as_der())
            .map_err(|e| invalid(format!("the PFX private key is not an RSA key: {e}")))?;
        Ok(ClientCertificate::new(key, cert.as_der()))
    }

    fn new(key: PrivateKey, cert_der: &[u8]) -> ClientCertificate {
        let x5t = URL_SAFE_NO_PAD.encode(Sha1::digest(cert_der));
        ClientCertificate { key, x5t }
    }

    /// The `x5t` header value: base64url SHA-1 thumbprint of the certificate.
    pub fn x5t(&self) -> &str {
        &self.x5t
    }

    /// A signed client assertion for `client_id`, valid ten minutes, for audience `aud` (the
    /// cloud's token URL).
    pub fn assertion(&self, client_id: &str, aud: &str) -> Result<Secret, CredentialError> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default();
        let header = serde_json::json!({"alg": "RS256", "typ": "JWT", "x5t": self.x5t});
        let claims = serde_json::json!({
            "aud": aud,
            "iss": client_id,
            "sub": client_id,
            "jti": uuid::Uuid::new_v4().to_string(),
            "nbf": now,
            "iat": now,
            "exp": now + 600,
        });
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let signer = SigningKey::<Sha256>::new(self.key.clone());
        let signature =
            signer
                .try_sign(signing_input.as_bytes())
                .map_err(|e| CredentialError::Certificate {
                    path: String::new(),
                    reason: format!("signing failed: {e}"),
                })?;
        Ok(Secret::new(format!(
            "{signing_input}.{}",
            URL_SAFE_NO_PAD.encode(signature.to_bytes())
        )))
    }
}

#[cfg(test)]
mod tests {
    use rsa::pkcs1v15::{Signature, VerifyingKey};
    use rsa::signature::Verifier;

    use super::*;

    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

    fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(format!("{FIXTURES}/{name}")).unwrap()
    }

    fn expected_x5t() -> String {
        String::from_utf8(fixture("test-cert.x5t"))
            .unwrap()
            .trim()
            .to_owned()
    }

    #[test]
    fn pem_and_pfx_give_the_same_thumbprint() {
        let pw = Secret::new("hangar-test");
        let pem = ClientCertificate::from_bytes(&fixture("test-combined.pem"), None, "combined.pem").unwrap();
        assert_eq!(pem.x5t(), expected_x5t());
        for pfx in ["test-aes.pfx", "test-legacy.pfx"] {
            let cert = ClientCertificate::from_bytes(&fixture(pfx), Some(&pw), pfx).unwrap();
            assert_eq!(cert.x5t(), expected_x5t(), "{pfx}");
        }
        let wrong =
            ClientCertificate::from_bytes(&fixture("test-aes.pfx"), Some(&Secret::new("nope")), "x.pfx");
        assert!(wrong.is_err());
    }

    #[test]
    fn unusable_files_are_errors_not_panics() {
        for bytes in [
            &b""[..],
            b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
            b"\x30\x82garbage",
        ] {
            assert!(ClientCertificate::from_bytes(bytes, None, "x").is_err());
        }
        let key_only = fixture("test-key.pem");
        let err = ClientCertificate::from_bytes(&key_only, None, "key.pem").unwrap_err();
        assert!(err.to_string().contains("CERTIFICATE"), "{err}");
    }

    #[test]
    fn assertion_is_a_verifiable_rs256_jwt_with_x5t() {
        let cert = ClientCertificate::from_bytes(&fixture("test-combined.pem"), None, "c.pem").unwrap();
        let aud = "https://login.microsoftonline.us/tenant/oauth2/v2.0/token";
        let jwt = cert.assertion("client-1", aud).unwrap();
        let parts: Vec<&str> = jwt.expose().split('.').collect();
        assert_eq!(parts.len(), 3);
        let header: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
        assert_eq!(header["alg"], "RS256");
        assert_eq!(header["x5t"], expected_x5t());
        let claims: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        assert_eq!(claims["aud"], aud);
        assert_eq!(claims["iss"], "client-1");
        assert_eq!(claims["sub"], "client-1");
        assert!(claims["exp"].as_u64().unwrap() > claims["nbf"].as_u64().unwrap());
        let verifier = VerifyingKey::<Sha256>::new(cert.key.to_public_key());
        let signature = Signature::try_from(URL_SAFE_NO_PAD.decode(parts[2]).unwrap().as_slice()).unwrap();
        verifier
            .verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &signature)
            .unwrap();
        assert!(!format!("{cert:?}").contains("PRIVATE"));
    }
}
