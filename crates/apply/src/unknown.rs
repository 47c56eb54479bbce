//! Creates that never happen twice.
//!
//! A POST whose answer is lost (the connection dropped after sending, a gateway timeout, a
//! server error that may have come after the commit) leaves the tenant in one of two states,
//! and only a read can tell which. So before anything is sent again, the object is looked up by
//! its identity — kind and exact display name, and `@odata.type` where the kind has several:
//!
//! - exactly one match: the earlier attempt succeeded; its id is adopted;
//! - none, on [`crate::Options::confirm_absent`] lookups in a row (a directory read can lag a
//!   write): the create is sent again;
//! - several: an error naming every id (the tenant now has duplicates, which hangar will not
//!   guess its way out of).
//!
//! The same lookup runs first on every repeated attempt of an action, so a create repeated
//! after any failure — in this run or the next — adopts rather than duplicates.

use hangar_model::Kind;
use hangar_plan::Address;

use crate::Error;
use crate::executor::Step;
use crate::tenant::{Body, Found, Tenant};

/// What a lookup by identity found.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub enum Lookup {
    /// One object: the one an earlier attempt created.
    Found(Found),
    /// Nothing, confirmed.
    Absent,
    /// Several objects, or one of another `@odata.type`: not ours to adopt.
    Ambiguous(Vec<String>),
}

/// Whether a failed create may nevertheless have committed.
pub fn maybe_committed(error: &hangar_graph::Error) -> bool {
    match error {
        hangar_graph::Error::OutcomeUnknown { .. } => true,
        other => other.status().is_some_and(|s| (500..=599).contains(&s)),
    }
}

/// Looks `name` of `kind` up, confirming an absence with repeated reads.
pub(crate) async fn look_up<T: Tenant>(
    step: &Step<'_, T>,
    kind: Kind,
    name: &str,
    odata_type: Option<&str>,
) -> Result<Lookup, Error> {
    let (confirmations, pause) = step.options.confirm_absent;
    let mut round = 0;
    loop {
        let found = step.tenant.find(kind, name).await?;
        match classify(found, odata_type) {
            Lookup::Absent if round < confirmations => {
                round += 1;
                tokio::time::sleep(pause).await;
            }
            other => return Ok(other),
        }
    }
}

fn classify(found: Vec<Found>, odata_type: Option<&str>) -> Lookup {
    match found.as_slice() {
        [] => Lookup::Absent,
        [one] => {
            let same_type = match (odata_type, one.odata_type.as_deref()) {
                (Some(want), Some(have)) => want
                    .trim_start_matches('#')
                    .eq_ignore_ascii_case(have.trim_start_matches('#')),
                _ => true,
            };
            if same_type {
                Lookup::Found(one.clone())
            } else {
                Lookup::Ambiguous(vec![one.id.clone()])
            }
        }
        many => Lookup::Ambiguous(many.iter().map(|f| f.id.clone()).collect()),
    }
}

/// The `@odata.type` a create body asks for.
pub(crate) fn body_type(body: &Body) -> Option<&str> {
    body.get("@odata.type").and_then(serde_json::Value::as_str)
}

/// Creates the object at `address` with `body` and returns its id, never creating it twice:
/// on a repeated attempt (`look_first`) or after an answer that may hide a commit, the object
/// is looked up by identity before the POST is sent again.
pub(crate) async fn create<T: Tenant>(
    step: &Step<'_, T>,
    address: &Address,
    body: &Body,
    look_first: bool,
) -> Result<String, Error> {
    let kind = address.kind;
    let odata_type = body_type(body);
    let attempts = step.options.attempts.max(1);
    let mut look = look_first;
    let mut last: Option<hangar_graph::Error> = None;
    for _ in 0..attempts {
        if look {
            match look_up(step, kind, &address.name, odata_type).await? {
                Lookup::Found(found) => {
                    if last.is_some() {
                        step.note(format!(
                            "the create's answer was lost; found the object it made (`{}`) by name and kept it",
                            found.id
                        ));
                    } else {
                        step.note(format!(
                            "already in the tenant as `{}` (created by an earlier attempt); kept it",
                            found.id
                        ));
                    }
                    return Ok(found.id);
                }
                Lookup::Ambiguous(ids) => {
                    return Err(Error::Duplicate {
                        address: address.clone(),
                        ids,
                    });
                }
                Lookup::Absent => {}
            }
        }
        match step.tenant.create(kind, body).await {
            Ok(id) => return Ok(id),
            Err(error) if maybe_committed(&error) => {
                step.waiting(&format!(
                    "the answer to the create was lost ({error}); looking the object up by name before trying again"
                ));
                last = Some(error);
                look = true;
            }
            Err(error) => return Err(error.into()),
        }
    }
    // Attempts used up: one last look, so a create that did commit is still adopted.
    match look_up(step, kind, &address.name, odata_type).await? {
        Lookup::Found(found) => {
            step.note(format!(
                "the create's answer was lost; found the object it made (`{}`) by name and kept it",
                found.id
            ));
            Ok(found.id)
        }
        Lookup::Ambiguous(ids) => Err(Error::Duplicate {
            address: address.clone(),
            ids,
        }),
        Lookup::Absent => Err(match last {
            Some(last) => Error::UnknownOutcome {
                address: address.clone(),
                attempts,
                last: Box::new(last),
            },
            None => Error::UnresolvedObject {
                address: address.clone(),
            },
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(id: &str, odata_type: Option<&str>) -> Found {
        Found {
            id: id.into(),
            name: "n".into(),
            odata_type: odata_type.map(str::to_owned),
        }
    }

    #[test]
    fn classification() {
        assert_eq!(classify(vec![], None), Lookup::Absent);
        assert_eq!(
            classify(
                vec![found("a", Some("#microsoft.graph.x"))],
                Some("#microsoft.graph.X")
            ),
            Lookup::Found(found("a", Some("#microsoft.graph.x")))
        );
        assert_eq!(
            classify(
                vec![found("a", Some("#microsoft.graph.y"))],
                Some("#microsoft.graph.x")
            ),
            Lookup::Ambiguous(vec!["a".into()])
        );
        assert_eq!(
            classify(vec![found("a", None), found("b", None)], None),
            Lookup::Ambiguous(vec!["a".into(), "b".into()])
        );
    }

    #[test]
    fn what_may_have_committed() {
        let unknown = hangar_graph::Error::OutcomeUnknown {
            method: "POST".into(),
            url: "u".into(),
            retries: 0,
            client_request_id: "c".into(),
            message: "reset".into(),
        };
        assert!(maybe_committed(&unknown));
        let refused = hangar_graph::Error::InvalidBody {
            resource: "x",
            reason: "y".into(),
        };
        assert!(!maybe_committed(&refused));
    }
}
