//! No request leaves its cloud: every request builder × every cloud, and followed links.

use hangar_graph::resources::every_request;
use hangar_graph::{ClientOptions, Credential, Endpoint, Error, GraphClient, Secret};
use hangar_model::Cloud;

use crate::raw_server::{RawServer, Reply};

#[test]
fn every_request_stays_in_its_cloud() {
    for cloud in Cloud::ALL {
        let ep = Endpoint::new(cloud);
        let requests = every_request(&ep);
        assert!(!requests.is_empty());
        for request in requests {
            let request = request.unwrap_or_else(|e| panic!("{cloud}: builder failed: {e}"));
            assert_eq!(request.url.scheme(), "https", "{}", request.url);
            assert_eq!(
                request.url.host_str(),
                Some(cloud.graph_host()),
                "{cloud}: {}",
                request.url
            );
            ep.check(request.method.as_str(), &request.url).unwrap();
            for other in Cloud::ALL
                .into_iter()
                .filter(|c| c.graph_host() != cloud.graph_host())
            {
                let foreign = Endpoint::new(other);
                assert!(
                    foreign.check(request.method.as_str(), &request.url).is_err(),
                    "{other} accepted {}",
                    request.url
                );
            }
            // Owner references point at the same cloud's Graph.
            if let Some(reference) = request
                .body
                .as_ref()
                .and_then(|b| b.get("@odata.id"))
                .and_then(|v| v.as_str())
            {
                assert!(
                    reference.starts_with(&format!("https://{}/", cloud.graph_host())),
                    "{reference}"
                );
            }
        }
        let token = ep.token_url("tenant").unwrap();
        assert_eq!(token.host_str(), Some(cloud.login_host()));
        ep.check("POST", &token).unwrap();
    }
}

#[test]
fn with_an_override_every_request_goes_to_the_override_only() {
    for cloud in Cloud::ALL {
        let ep = Endpoint::with_override(cloud, "http://127.0.0.1:4567", false).unwrap();
        assert_eq!(ep.scope(), cloud.scope(), "the cloud keeps the scope");
        for request in every_request(&ep) {
            let request = request.unwrap();
            assert_eq!(request.url.host_str(), Some("127.0.0.1"));
            assert_eq!(request.url.port(), Some(4567));
            ep.check(request.method.as_str(), &request.url).unwrap();
        }
    }
}

/// Every builder in `src/resources` is in `every_request`: a new builder without a line there
/// fails here, so the walk above cannot silently miss it.
#[test]
fn the_walk_covers_every_builder() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/resources");
    let mut builders = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().is_some_and(|n| n == "mod.rs") {
            continue; // the shared `req_*` helpers, not builders
        }
        let text = std::fs::read_to_string(path).unwrap();
        builders += text.matches("-> Result<GraphRequest, Error> {").count();
    }
    let walked = every_request(&Endpoint::new(Cloud::Commercial)).len();
    assert_eq!(walked, builders, "every builder must appear in `every_request`");
}

#[tokio::test]
async fn a_next_link_to_another_host_is_never_followed() {
    let server = RawServer::start(|seen| {
        assert!(!seen.target.contains("evil"), "the foreign link was requested");
        Reply::Json(200, r#"{"value":[{"id":"1"}],"@odata.nextLink":"https://graph.microsoft.com/v1.0/groups?$skiptoken=evil"}"#.into())
    })
    .await;
    let options = ClientOptions::new(Cloud::GccHigh).with_endpoint(server.url.clone());
    let client = GraphClient::new(options, Credential::AccessToken(Secret::new("t"))).unwrap();
    let err = client.groups().list().await.unwrap_err();
    match &err {
        Error::CloudBoundary { cloud, host, .. } => {
            assert_eq!(*cloud, Cloud::GccHigh);
            assert_eq!(host, "graph.microsoft.com");
        }
        other => panic!("expected a boundary error, got {other:?}"),
    }
    assert_eq!(server.seen().len(), 1, "only the first page was requested");
}
