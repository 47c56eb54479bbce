//! Following `@odata.nextLink` to the end of a collection.
//!
//! The link is followed verbatim (it carries `$skiptoken` or `$skip`), after the same
//! cloud-boundary check as every request. Headers of the first request (e.g. `ConsistencyLevel`)
//! are re-sent on every page, since Graph does not carry them over. A link seen twice is an
//! error (the known `$top=1` loop on Autopilot devices), and so is any failed page: a partial
//! collection is never returned as if it were whole.
//!
//! **The next page is asked for before this one is decoded.** Pages of a collection can only be
//! read one after another, so the time between a page's last byte and the next request is paid
//! once per page: on 100 pages of 1,000 devices, decoding each page first cost about as much as
//! the simulator took to answer. So the link is found by a scan of the page's top level
//! (`look_ahead`: strings skipped with `memchr`, nothing allocated) and followed at once,
//! while the page is decoded on a blocking thread; pages reach the caller in order. The full
//! decode still checks every page, and the link it reads must be the one that was followed, so
//! a page that does not decode, or whose link the scan misread, fails the read exactly as
//! before. At most [`DECODE_AHEAD`] pages wait for decoding, which bounds the memory held.

use std::collections::{HashSet, VecDeque};

use serde::Deserialize;
use serde::de::DeserializeOwned;
use tokio::task::JoinHandle;
use url::Url;

use crate::Error;
use crate::endpoint::display_url;
use crate::http::{GraphClient, Response};
use crate::request::GraphRequest;

#[derive(Deserialize)]
pub(crate) struct Page<T> {
    #[serde(default = "Vec::new")]
    pub(crate) value: Vec<T>,
    #[serde(rename = "@odata.nextLink", default)]
    pub(crate) next_link: Option<String>,
}

/// Pages received but not yet handed to the caller, at most: a bound on the bodies held while
/// decoding lags behind the wire (a page of 1,000 devices is about 1 MB).
pub const DECODE_AHEAD: usize = 4;

/// Pages smaller than this are decoded where they arrive: a thread hop would cost more.
const DECODE_ELSEWHERE_BYTES: usize = 64 * 1024;

/// Every item of the collection `first` lists, following `@odata.nextLink` to the last page.
/// Items are decoded as `T` (use `serde_json::Map` to keep every property).
pub async fn collect<T: DeserializeOwned + Send + 'static>(
    client: &GraphClient,
    first: GraphRequest,
) -> Result<Vec<T>, Error> {
    let mut items = Vec::new();
    for_each_page(client, first, |page: Vec<T>| {
        items.extend(page);
        Ok(())
    })
    .await?;
    Ok(items)
}

/// A page on its way to the caller.
enum Decoding<T> {
    Done(Result<Page<T>, Error>),
    Running(JoinHandle<Result<Page<T>, Error>>),
}

impl<T: DeserializeOwned + Send + 'static> Decoding<T> {
    fn start(response: Response) -> Decoding<T> {
        if response.body.len() < DECODE_ELSEWHERE_BYTES {
            Decoding::Done(response.json())
        } else {
            Decoding::Running(tokio::task::spawn_blocking(move || response.json()))
        }
    }

    fn is_ready(&self) -> bool {
        match self {
            Decoding::Done(_) => true,
            Decoding::Running(handle) => handle.is_finished(),
        }
    }

    async fn finish(self, url: &str) -> Result<Page<T>, Error> {
        match self {
            Decoding::Done(page) => page,
            Decoding::Running(handle) => match handle.await {
                Ok(page) => page,
                Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
                Err(error) => Err(Error::Paging {
                    url: url.to_owned(),
                    reason: format!("decoding a page stopped: {error}"),
                }),
            },
        }
    }
}

/// A received page: its decoding, and the link followed from it before it was decoded.
struct Received<T> {
    decoding: Decoding<T>,
    followed: Option<String>,
}

/// Hands the oldest received page to `sink` once it is decoded, checking that the link followed
/// from it ahead of decoding is its own. Returns the page's link as decoded.
async fn deliver<T: DeserializeOwned + Send + 'static>(
    received: &mut VecDeque<Received<T>>,
    sink: &mut impl FnMut(Vec<T>) -> Result<(), Error>,
    first_url: &str,
) -> Result<Option<String>, Error> {
    let Some(page) = received.pop_front() else {
        return Ok(None);
    };
    let decoded = page.decoding.finish(first_url).await?;
    if let Some(followed) = &page.followed
        && decoded.next_link.as_ref() != Some(followed)
    {
        return Err(Error::Paging {
            url: first_url.to_owned(),
            reason: "the `@odata.nextLink` found ahead of decoding is not the page's own".into(),
        });
    }
    sink(decoded.value)?;
    Ok(decoded.next_link)
}

/// Calls `sink` with each page's items, in order, following `@odata.nextLink` to the last page.
/// Returns the number of pages read.
pub async fn for_each_page<T: DeserializeOwned + Send + 'static>(
    client: &GraphClient,
    first: GraphRequest,
    mut sink: impl FnMut(Vec<T>) -> Result<(), Error>,
) -> Result<usize, Error> {
    let first_url = display_url(&first.url);
    let mut seen: HashSet<String> = HashSet::new();
    seen.insert(first.url.as_str().to_owned());
    let mut received: VecDeque<Received<T>> = VecDeque::new();
    let mut request = first;
    let mut pages = 0usize;
    loop {
        let response = client.send_page(&request).await?;
        pages += 1;
        let ahead = look_ahead(&response.body);
        received.push_back(Received {
            decoding: Decoding::start(response),
            followed: ahead.clone(),
        });
        let link = match ahead {
            Some(link) => {
                while received.len() > DECODE_AHEAD
                    || received.front().is_some_and(|page| page.decoding.is_ready())
                {
                    deliver(&mut received, &mut sink, &first_url).await?;
                }
                Some(link)
            }
            // No link found ahead (the last page, or a page the scan does not follow): the
            // decode decides.
            None => {
                let mut link = None;
                while !received.is_empty() {
                    link = deliver(&mut received, &mut sink, &first_url).await?;
                }
                link
            }
        };
        let Some(link) = link else {
            return Ok(pages);
        };
        let url = Url::parse(&link).map_err(|e| Error::Paging {
            url: first_url.clone(),
            reason: format!("`@odata.nextLink` is not a URL: {e}"),
        })?;
        if !seen.insert(url.as_str().to_owned()) {
            return Err(Error::Paging {
                url: first_url,
                reason: format!(
                    "`@odata.nextLink` repeated after {}: {}",
                    hangar_model::plural::count(pages, "page", "pages"),
                    display_url(&url)
                ),
            });
        }
        request = GraphRequest::follow(client.endpoint(), request.version, url, request.headers.clone());
    }
}

const NEXT_LINK_KEY: &[u8] = b"@odata.nextLink";

/// The `@odata.nextLink` of a collection page, found without decoding the page: a scan of the
/// JSON structure that skips strings with `memchr` and stops at the first top-level
/// `"@odata.nextLink"` key (Graph writes it before or after `value`; both are found). `None`
/// when there is none or the body is not a JSON object this scan follows; the full decode then
/// decides, and it checks every link this returns.
pub(crate) fn look_ahead(body: &[u8]) -> Option<String> {
    let mut at = skip_whitespace(body, 0);
    if body.get(at) != Some(&b'{') {
        return None;
    }
    at += 1;
    let mut depth = 1usize;
    loop {
        match *body.get(at)? {
            b'"' => {
                let end = string_end(body, at + 1)?;
                let key = &body[at + 1..end];
                at = end + 1;
                if depth == 1 && key == NEXT_LINK_KEY {
                    let colon = skip_whitespace(body, at);
                    if body.get(colon) == Some(&b':') {
                        let value = skip_whitespace(body, colon + 1);
                        if body.get(value) != Some(&b'"') {
                            return None;
                        }
                        let value_end = string_end(body, value + 1)?;
                        return serde_json::from_slice(&body[value..=value_end]).ok();
                    }
                }
            }
            b'{' | b'[' => {
                depth += 1;
                at += 1;
            }
            b'}' | b']' => {
                depth -= 1;
                if depth == 0 {
                    return None;
                }
                at += 1;
            }
            _ => at += 1,
        }
    }
}

fn skip_whitespace(body: &[u8], mut at: usize) -> usize {
    while body.get(at).is_some_and(u8::is_ascii_whitespace) {
        at += 1;
    }
    at
}

/// The index of the quote that closes the string whose contents start at `from`.
fn string_end(body: &[u8], mut from: usize) -> Option<usize> {
    loop {
        let found = from + memchr::memchr2(b'"', b'\\', body.get(from..)?)?;
        if body[found] == b'"' {
            return Some(found);
        }
        // A backslash escapes the next byte (`\"`, `\\`, `\u…` whose digits need no care).
        from = found + 2;
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::Value;

    use super::*;

    fn decoded_link(body: &[u8]) -> Option<String> {
        serde_json::from_slice::<Page<serde::de::IgnoredAny>>(body)
            .ok()
            .and_then(|page| page.next_link)
    }

    #[test]
    fn the_link_is_found_before_or_after_the_items() {
        let bodies: [&[u8]; 3] = [
            br#"{"@odata.context":"c","@odata.nextLink":"https://h/x?$skiptoken=a%3D","value":[{"id":"1"}]}"#,
            br#"{"value":[{"id":"1","@odata.nextLink":"nested"}],"@odata.nextLink":"https://h/x?$skiptoken=a%3D"}"#,
            b"{ \"value\" : [ ] ,\n \"@odata.nextLink\" :\t\"https://h/x?$skiptoken=a%3D\" }",
        ];
        for body in bodies {
            assert_eq!(
                look_ahead(body).as_deref(),
                Some("https://h/x?$skiptoken=a%3D"),
                "{}",
                String::from_utf8_lossy(body)
            );
            assert_eq!(look_ahead(body), decoded_link(body));
        }
    }

    #[test]
    fn only_a_top_level_key_counts() {
        let bodies: [&[u8]; 6] = [
            br#"{"value": [{"@odata.nextLink": "https://inner"}]}"#,
            br#"{"value": [{"name": "\"@odata.nextLink\": \"https://fake\""}]}"#,
            br#"{"value": ["@odata.nextLink"]}"#,
            br#"{"value": [], "x": {"@odata.nextLink": "https://inner"}}"#,
            br#"{"name": "\\", "value": []}"#,
            br#"[{"@odata.nextLink": "https://array"}]"#,
        ];
        for body in bodies {
            assert_eq!(look_ahead(body), None, "{}", String::from_utf8_lossy(body));
        }
    }

    #[test]
    fn escapes_in_the_link_are_decoded_and_odd_bodies_say_nothing() {
        assert_eq!(
            look_ahead(br#"{"@odata.nextLink": "https:\/\/h\/x?a=\u0031"}"#).as_deref(),
            Some("https://h/x?a=1")
        );
        for body in [
            &b""[..],
            b"{",
            br#"{"@odata.nextLink": null}"#,
            br#"{"@odata.nextLink": "unterminated"#,
            br#"{"value": "\"#,
        ] {
            assert_eq!(look_ahead(body), None);
        }
    }

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            "[\"\\\\a-z@./:{}\\[\\] ]{0,12}".prop_map(Value::from),
            Just(Value::from("@odata.nextLink")),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
                prop::collection::vec(
                    (
                        prop_oneof![Just("@odata.nextLink".to_owned()), "[a-z\"\\\\@.]{0,8}"],
                        inner
                    ),
                    0..5
                )
                .prop_map(|entries| Value::Object(entries.into_iter().collect())),
            ]
        })
    }

    proptest! {
        /// Whatever a page holds (keys and strings that look like the link included, nested or
        /// escaped) and wherever the link is, a link found ahead is the one the full decode
        /// reads.
        #[test]
        fn a_link_found_ahead_is_the_decoded_link(
            entries in prop::collection::vec(("[a-z@.]{1,8}", json_value()), 0..6),
            link in prop::option::of("[ -~]{0,40}"),
            position in any::<prop::sample::Index>(),
            pretty in any::<bool>(),
        ) {
            let mut seen = HashSet::new();
            let mut entries: Vec<(String, Value)> =
                entries.into_iter().filter(|(key, _)| seen.insert(key.clone())).collect();
            if let Some(link) = &link {
                let at = position.index(entries.len() + 1);
                entries.insert(at, ("@odata.nextLink".into(), Value::from(link.clone())));
            }
            let separator = if pretty { ",\n  " } else { "," };
            let body = format!(
                "{{{}}}",
                entries
                    .iter()
                    .map(|(key, value)| format!("{}:{}", Value::from(key.clone()), value))
                    .collect::<Vec<_>>()
                    .join(separator)
            );
            prop_assert_eq!(look_ahead(body.as_bytes()), decoded_link(body.as_bytes()));
            prop_assert_eq!(look_ahead(body.as_bytes()), link);
        }
    }
}
