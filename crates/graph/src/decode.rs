//! Decoding what a server answered, without IO: the steps of paging, `$batch` and error
//! handling that read bytes the server chose. They are the same types and functions the
//! requests use; this module exists so that the fuzz targets (`fuzz/`) can feed them arbitrary
//! bytes, since a compromised or misbehaving endpoint controls every byte of a response.

use std::time::Duration;

use serde_json::{Map, Value};

use crate::batch::{Envelope, header_ci};
use crate::paging::Page;
use crate::retry::parse_retry_after;

/// A collection page: how many items it has and its `@odata.nextLink`, if any.
pub fn page(body: &[u8]) -> Result<(usize, Option<String>), serde_json::Error> {
    let page: Page<Map<String, Value>> = serde_json::from_slice(body)?;
    Ok((page.value.len(), page.next_link))
}

/// One answer of a `$batch` response: its id, status, and the `Retry-After` it asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchAnswer {
    /// The inner request's id.
    pub id: String,
    /// The inner status.
    pub status: u16,
    /// The inner `Retry-After`, when present and readable.
    pub retry_after: Option<Duration>,
    /// The inner error's code and message, for a status that is not 2xx.
    pub error: Option<(String, String)>,
}

/// A `$batch` response's answers, read as the batch sender reads them.
pub fn batch(body: &[u8]) -> Result<Vec<BatchAnswer>, serde_json::Error> {
    let envelope: Envelope = serde_json::from_slice(body)?;
    Ok(envelope
        .responses
        .into_iter()
        .map(|item| {
            let retry_after = header_ci(&item.headers, "retry-after").and_then(parse_retry_after);
            let error = (!(200..300).contains(&item.status)).then(|| {
                let bytes = serde_json::to_vec(&item.body).unwrap_or_default();
                let (code, message, _) = crate::parse_error_body(&bytes);
                (code, message)
            });
            BatchAnswer {
                id: item.id,
                status: item.status,
                retry_after,
                error,
            }
        })
        .collect())
}

/// An error body's code, message and request id ([`crate::parse_error_body`]).
pub fn error(body: &[u8]) -> (String, String, Option<String>) {
    crate::parse_error_body(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_batches_and_errors_decode() {
        assert_eq!(
            page(br#"{"value":[{"id":"a"}],"@odata.nextLink":"https://graph.microsoft.com/v1.0/x?$skiptoken=1"}"#)
                .unwrap(),
            (1, Some("https://graph.microsoft.com/v1.0/x?$skiptoken=1".to_owned()))
        );
        assert!(page(b"[1]").is_err());
        let answers = batch(
            br#"{"responses":[{"id":"1","status":429,"headers":{"Retry-After":"7"},"body":{"error":{"code":"TooManyRequests","message":"slow down"}}},{"id":"2","status":204}]}"#,
        )
        .unwrap();
        assert_eq!(answers[0].retry_after, Some(Duration::from_secs(7)));
        assert_eq!(answers[0].error.as_ref().unwrap().0, "TooManyRequests");
        assert_eq!(answers[1].error, None);
        let (code, _, _) = error(b"\xff\xfe not json");
        assert!(!code.contains('\u{0}'));
    }
}
