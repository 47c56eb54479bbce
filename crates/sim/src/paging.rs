//! `@odata.nextLink` paging with Graph's page sizes.
//!
//! Collections are ordered by id (Graph promises no order; this one is stable). A next link
//! carries every query option of the request verbatim plus an opaque `$skiptoken` naming the
//! last id served, so following it is robust to inserts and deletes in between, like Graph's
//! own skip tokens. Links are absolute and built from the request's Host header, so a client
//! can follow them verbatim.
//!
//! Page sizes: directory collections (`/groups`, `/servicePrincipals`, `owners`) default to
//! 100 and take `$top` 1–999 (anything else is Graph's 400); Intune collections default to the
//! Intune page size (1000, configurable) and cap `$top` at it.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};

use crate::odata::{Call, Query, percent_decode};
use crate::reply::GraphError;

/// Which page-size rules apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Family {
    Directory,
    Intune,
}

/// Where a page starts and how big it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PageSpec {
    pub size: usize,
    /// Serve items with ids after this one.
    pub after: Option<String>,
    /// Skip this many matching items first (`$skip`, first page only).
    pub skip: usize,
}

const TOKEN_PREFIX: &str = "hsim1:";

/// Encodes a cursor as an opaque skip token.
pub(crate) fn encode_token(last_id: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{TOKEN_PREFIX}{last_id}"))
}

fn decode_token(token: &str) -> Option<String> {
    let bytes = URL_SAFE_NO_PAD.decode(token.trim()).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    text.strip_prefix(TOKEN_PREFIX).map(str::to_owned)
}

/// Reads `$top`, `$skip` and `$skiptoken` for a collection.
pub(crate) fn page_spec(
    query: &Query,
    family: Family,
    directory_default: usize,
    intune_max: usize,
) -> Result<PageSpec, GraphError> {
    let size = match (family, query.top) {
        (Family::Directory, Some(top)) if !(1..=999).contains(&top) => {
            return Err(GraphError::new(
                400,
                "Request_UnsupportedQuery",
                format!("Invalid page size specified: '{top}'. Must be between 1 and 999 inclusive."),
            ));
        }
        (Family::Directory, Some(top)) => top,
        (Family::Directory, None) => directory_default,
        (Family::Intune, Some(0)) => {
            return Err(GraphError::bad_request(
                "Invalid value '0' for query option '$top'.",
            ));
        }
        (Family::Intune, Some(top)) => top.min(intune_max),
        (Family::Intune, None) => intune_max,
    };
    let after = match &query.skiptoken {
        Some(token) => Some(decode_token(token).ok_or_else(|| {
            GraphError::bad_request(format!(
                "The skip token '{token}' is not valid for this collection."
            ))
        })?),
        None => None,
    };
    if family == Family::Directory && query.skip.is_some() {
        return Err(GraphError::new(
            400,
            "Request_BadRequest",
            "'$skip' is not supported by this API. Use the '@odata.nextLink' of the previous page.",
        ));
    }
    let skip = if after.is_some() {
        0
    } else {
        query.skip.unwrap_or(0)
    };
    Ok(PageSpec { size, after, skip })
}

/// Takes one page of the items that pass `keep`, in id order. Returns the page and, when more
/// matching items remain, the id to continue after.
pub(crate) fn take_page<'a, T>(
    items: &'a BTreeMap<String, T>,
    spec: &PageSpec,
    mut keep: impl FnMut(&T) -> bool,
) -> (Vec<&'a T>, Option<String>) {
    use std::ops::Bound;
    let range = match &spec.after {
        Some(after) => items.range::<String, _>((Bound::Excluded(after.clone()), Bound::Unbounded)),
        None => items.range::<String, _>(..),
    };
    let mut page = Vec::with_capacity(spec.size.min(1024));
    let mut skipped = 0;
    let mut last: Option<&String> = None;
    for (id, item) in range {
        if !keep(item) {
            continue;
        }
        if skipped < spec.skip {
            skipped += 1;
            continue;
        }
        if page.len() == spec.size {
            return (page, last.cloned());
        }
        page.push(item);
        last = Some(id);
    }
    (page, None)
}

/// The absolute next link: the request's URL with `$skiptoken` (and without `$skip`).
pub(crate) fn next_link(call: &Call, token: &str) -> String {
    let mut query: Vec<&str> = call
        .raw_query
        .split('&')
        .filter(|pair| {
            let key = percent_decode(pair.split('=').next().unwrap_or(""), true).to_ascii_lowercase();
            !pair.is_empty() && key != "$skiptoken" && key != "$skip"
        })
        .collect();
    let token_pair = format!("$skiptoken={token}");
    query.push(&token_pair);
    format!(
        "{}/{}{}?{}",
        call.base_url,
        call.version.segment(),
        encode_path(&call.path),
        query.join("&")
    )
}

fn encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for ch in path.chars() {
        match ch {
            ' ' => out.push_str("%20"),
            '\'' | '(' | ')' | '=' | '/' | '$' | '-' | '_' | '.' | '~' => out.push(ch),
            c if c.is_ascii_alphanumeric() => out.push(c),
            c => {
                let mut buf = [0u8; 4];
                for byte in c.encode_utf8(&mut buf).bytes() {
                    out.push_str(&format!("%{byte:02X}"));
                }
            }
        }
    }
    out
}

/// `@odata.context` for a metadata fragment, e.g. `groups` or `deviceManagement/…/$entity`.
pub(crate) fn context(call: &Call, fragment: &str) -> String {
    format!(
        "{}/{}/$metadata#{fragment}",
        call.base_url,
        call.version.segment()
    )
}

/// A collection response body.
pub(crate) fn collection(
    call: &Call,
    fragment: &str,
    items: Vec<Value>,
    next: Option<String>,
    count: Option<usize>,
) -> Value {
    let mut body = Map::new();
    body.insert("@odata.context".into(), json!(context(call, fragment)));
    if let Some(count) = count {
        body.insert("@odata.count".into(), json!(count));
    }
    if let Some(token) = next {
        body.insert(
            "@odata.nextLink".into(),
            json!(next_link(call, &encode_token(&token))),
        );
    }
    body.insert("value".into(), Value::Array(items));
    Value::Object(body)
}

/// Applies `$select` to a rendered item (`@odata.type` is kept when present).
pub(crate) fn select(item: Map<String, Value>, select: Option<&[String]>) -> Map<String, Value> {
    match select {
        None => item,
        Some(names) if names.iter().any(|n| n == "*") => item,
        Some(names) => item
            .into_iter()
            .filter(|(key, _)| key == "@odata.type" || names.iter().any(|n| n == key))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(n: usize) -> BTreeMap<String, usize> {
        (0..n).map(|i| (format!("{i:04}"), i)).collect()
    }

    #[test]
    fn pages_walk_the_whole_collection_once() {
        let map = items(25);
        let mut spec = PageSpec {
            size: 10,
            after: None,
            skip: 0,
        };
        let mut seen = Vec::new();
        loop {
            let (page, next) = take_page(&map, &spec, |_| true);
            seen.extend(page.into_iter().copied());
            match next {
                Some(after) => spec.after = Some(after),
                None => break,
            }
        }
        assert_eq!(seen, (0..25).collect::<Vec<_>>());
    }

    #[test]
    fn exact_multiple_has_no_empty_last_page() {
        let map = items(20);
        let (page, next) = take_page(
            &map,
            &PageSpec {
                size: 10,
                after: Some("0009".into()),
                skip: 0,
            },
            |_| true,
        );
        assert_eq!(page.len(), 10);
        assert_eq!(next, None);
    }

    #[test]
    fn tokens_round_trip_and_reject_garbage() {
        assert_eq!(decode_token(&encode_token("abc")), Some("abc".to_owned()));
        assert_eq!(decode_token("not-a-token"), None);
        let query = Query {
            top: Some(1000),
            ..Query::default()
        };
        assert!(page_spec(&query, Family::Directory, 100, 1000).is_err());
        assert_eq!(page_spec(&query, Family::Intune, 100, 500).unwrap().size, 500);
    }
}
