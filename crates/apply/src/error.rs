//! The one error type of this crate.

use hangar_plan::Address;

/// Why an action, a check or the run failed. Graph errors keep their evidence (status, code,
/// `request-id`, `client-request-id`); [`Error::evidence`] pulls it out for the report.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Graph refused or failed a request (after the client's own retries).
    #[error(transparent)]
    Graph(#[from] hangar_graph::Error),

    /// An action references a group that has no id: it is not in the tenant and nothing in this
    /// run created it.
    #[error(
        "group `{name}` has no id: it is not in the tenant and no earlier action of this run created it; plan again"
    )]
    UnresolvedGroup {
        /// The group's display name.
        name: String,
    },

    /// An action acts on an object that has no id: the plan has none and a lookup by name found
    /// nothing.
    #[error("{address} has no id: the plan gives none and the tenant has no object by that name; plan again")]
    UnresolvedObject {
        /// The object.
        address: Address,
    },

    /// A group created by this run was still not visible where the action needs it when the
    /// bounded wait ran out.
    #[error(
        "group `{name}` (`{id}`) is still not visible to {service} after {waited_secs:.0} s ({last}); new groups usually replicate within a minute: run `hangar apply` again, it picks up where this run stopped"
    )]
    NotVisible {
        /// Display name.
        name: String,
        /// Object id.
        id: String,
        /// `Entra` or `Intune`.
        service: &'static str,
        /// Seconds waited.
        waited_secs: f64,
        /// The last refusal seen.
        last: String,
    },

    /// A lookup after an unknown outcome (or a leftover from an earlier run) found several
    /// objects with the name that is hangar's identity.
    #[error(
        "{address} exists {} times in the tenant ({}): an earlier create must have succeeded although its answer was lost; delete all but one (or pin one with `id:`) and run `hangar apply` again",
        ids.len(), ids.iter().map(|id| format!("`{id}`")).collect::<Vec<_>>().join(", ")
    )]
    Duplicate {
        /// The object.
        address: Address,
        /// Ids of every object with that name.
        ids: Vec<String>,
    },

    /// A create kept ending without an answer, and lookups kept finding nothing.
    #[error(
        "{address}: the outcome of the create stayed unknown after {} (last: {last}); nothing was found by name, so nothing was created twice: run `hangar apply` again",
        hangar_model::plural::count(*attempts as usize, "attempt", "attempts")
    )]
    UnknownOutcome {
        /// The object.
        address: Address,
        /// Attempts made.
        attempts: u32,
        /// The last failure.
        last: Box<hangar_graph::Error>,
    },

    /// `setEnrollmentTimeDeviceMembershipTarget` (or its `clear…` twin) answered HTTP 500: with
    /// an application token, the known service bug.
    #[error(
        "Intune answered HTTP 500 when setting the device group of Device Preparation policy `{policy}` to `{group}` ({source}); {advice}"
    )]
    DeviceGroupServerError {
        /// Policy name.
        policy: String,
        /// Group name (`(none)` when clearing).
        group: String,
        /// What to do.
        advice: String,
        /// Graph's answer.
        #[source]
        source: Box<hangar_graph::Error>,
    },

    /// Intune refused the Device Preparation device group for a reason waiting does not fix.
    #[error("Intune refused group `{group}` as the device group of `{policy}`: {code}; {hint}")]
    DeviceGroupRejected {
        /// Policy name.
        policy: String,
        /// Group name.
        group: String,
        /// `targetValidationErrorCode` values.
        code: String,
        /// What to do.
        hint: &'static str,
    },

    /// The action cannot be carried out as planned (for example a replace of a kind that is
    /// never replaced).
    #[error("{address}: {reason}")]
    Unsupported {
        /// The object.
        address: Address,
        /// Why.
        reason: String,
    },

    /// A device's hardware hash could not be read back from its CSV.
    #[error(transparent)]
    Hash(#[from] Box<hangar_config::Error>),

    /// Intune refused a device import.
    #[error("device `{serial}` was not imported: {name} ({code}){}", hint.map(|h| format!("; {h}")).unwrap_or_default())]
    DeviceImport {
        /// Serial number.
        serial: String,
        /// `deviceErrorCode`.
        code: i64,
        /// `deviceErrorName`.
        name: String,
        /// What to do, for known codes.
        hint: Option<&'static str>,
    },

    /// A device import did not finish within the wait.
    #[error(
        "device `{serial}` was still `{status}` after {waited_secs:.0} s of waiting for its import; run `hangar apply` again later"
    )]
    DeviceImportPending {
        /// Serial number.
        serial: String,
        /// Last `deviceImportStatus`.
        status: String,
        /// Seconds waited.
        waited_secs: f64,
    },

    /// A saved plan is not what would run now: planned again from its configuration, the
    /// actions differ ([`crate::stale`]).
    #[error(
        "the saved plan is stale: planned again now, its actions differ, so it is not applied:\n{}{}\nrun `hangar plan` again and have the new plan reviewed",
        differences.iter().map(|c| format!("  - {c}")).collect::<Vec<_>>().join("\n"),
        if changes.is_empty() {
            String::new()
        } else {
            format!(
                "\nwhat changed in the tenant since the plan was made:\n{}",
                changes.iter().map(|c| format!("  - {c}")).collect::<Vec<_>>().join("\n")
            )
        }
    )]
    Stale {
        /// One line per differing action.
        differences: Vec<String>,
        /// One line per object that reads back differently since the plan was made.
        changes: Vec<String>,
    },

    /// The apply report could not be written.
    #[error("cannot write the apply report to `{}`", path.display())]
    Report {
        /// The report file.
        path: std::path::PathBuf,
        /// Which step failed, and why.
        #[source]
        source: hangar_durable::Error,
    },
}

/// What a report keeps of a failure: the message and Graph's evidence.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Evidence {
    /// HTTP status, when Graph answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Graph's `error.code`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// `request-id` of the failed request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// `client-request-id` hangar sent (Intune shows it as "Activity ID").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_request_id: Option<String>,
}

impl Error {
    /// The Graph error underneath, if any.
    pub fn graph(&self) -> Option<&hangar_graph::Error> {
        match self {
            Error::Graph(error) => Some(error),
            Error::UnknownOutcome { last, .. } => Some(last),
            Error::DeviceGroupServerError { source, .. } => Some(source),
            _ => None,
        }
    }

    /// Graph's evidence for the report.
    pub fn evidence(&self) -> Evidence {
        let Some(graph) = self.graph() else {
            return Evidence::default();
        };
        let non_empty = |s: &str| (!s.is_empty()).then(|| s.to_owned());
        match graph {
            hangar_graph::Error::OutcomeUnknown {
                client_request_id, ..
            }
            | hangar_graph::Error::Transport {
                client_request_id, ..
            } => Evidence {
                client_request_id: non_empty(client_request_id),
                ..Evidence::default()
            },
            hangar_graph::Error::Decode(decode) => Evidence {
                status: Some(decode.status),
                request_id: non_empty(&decode.request_id),
                ..Evidence::default()
            },
            other => match other.api() {
                Some(api) => Evidence {
                    status: Some(api.status),
                    code: non_empty(&api.code),
                    request_id: non_empty(&api.request_id),
                    client_request_id: non_empty(&api.client_request_id),
                },
                None => Evidence::default(),
            },
        }
    }

    /// Whether repeating the whole action may succeed: throttling or a server fault that
    /// outlasted the client's retries, or a lost connection. Every action is written so that
    /// repeating it is safe (it looks before it writes on a repeat). Errors that already carry their own retries (an unknown outcome that stayed unknown,
    /// the device-group 500 explained) are not transient.
    pub fn is_transient(&self) -> bool {
        let Error::Graph(graph) = self else {
            return false;
        };
        match graph {
            hangar_graph::Error::Transport { .. } | hangar_graph::Error::OutcomeUnknown { .. } => true,
            other => other
                .status()
                .is_some_and(|s| s == 429 || (500..=599).contains(&s)),
        }
    }
}
