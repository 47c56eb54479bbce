//! Following `@odata.nextLink` to the end of a collection.
//!
//! The link is followed verbatim (it carries `$skiptoken` or `$skip`), after the same
//! cloud-boundary check as every request. Headers of the first request (e.g. `ConsistencyLevel`)
//! are re-sent on every page, since Graph does not carry them over. A link seen twice is an
//! error (the known `$top=1` loop on Autopilot devices), and so is any failed page: a partial
//! collection is never returned as if it were whole.

use std::collections::HashSet;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use url::Url;

use crate::Error;
use crate::endpoint::display_url;
use crate::http::GraphClient;
use crate::request::GraphRequest;

#[derive(Deserialize)]
pub(crate) struct Page<T> {
    #[serde(default = "Vec::new")]
    pub(crate) value: Vec<T>,
    #[serde(rename = "@odata.nextLink", default)]
    pub(crate) next_link: Option<String>,
}

/// Every item of the collection `first` lists, following `@odata.nextLink` to the last page.
/// Items are decoded as `T` (use `serde_json::Map` to keep every property).
pub async fn collect<T: DeserializeOwned>(
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

/// Calls `sink` with each page's items, in order, following `@odata.nextLink` to the last page.
/// Returns the number of pages read.
pub async fn for_each_page<T: DeserializeOwned>(
    client: &GraphClient,
    first: GraphRequest,
    mut sink: impl FnMut(Vec<T>) -> Result<(), Error>,
) -> Result<usize, Error> {
    let first_url = display_url(&first.url);
    let mut seen: HashSet<String> = HashSet::new();
    seen.insert(first.url.as_str().to_owned());
    let mut request = first;
    let mut pages = 0usize;
    loop {
        let response = client.send(&request).await?;
        let page: Page<T> = response.json()?;
        pages += 1;
        sink(page.value)?;
        let Some(link) = page.next_link else {
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
