//! Enrollment Status Pages and platform restrictions (beta `deviceEnrollmentConfigurations`):
//! assignments replaced whole with `assign`, order set with `setPriority` only (graph-api-notes
//! §2, §7). Built-in objects (id suffixes in `hangar_model::well_known`) are update-only: this
//! module refuses to assign, re-prioritise or delete them.

use reqwest::Method;
use serde_json::{Value, json};

use super::fields::FieldRules;
use super::{Body, Collection, send_list, send_object, send_optional, send_unit};
use crate::Error;
use crate::endpoint::{ApiVersion, Endpoint};
use crate::http::GraphClient;
use crate::request::{GraphRequest, Repeat};

const ENROLLMENT_CONFIGURATIONS: Collection = Collection {
    path: "/deviceManagement/deviceEnrollmentConfigurations",
    version: ApiVersion::Beta,
    update: Method::PATCH,
};

/// Whether `id` is a built-in (default) enrollment configuration.
pub fn is_builtin(id: &str) -> bool {
    use hangar_model::well_known::{DEFAULT_ESP_ID_SUFFIX, DEFAULT_PLATFORM_RESTRICTION_ID_SUFFIX};
    let lower = id.to_ascii_lowercase();
    [
        DEFAULT_ESP_ID_SUFFIX,
        DEFAULT_PLATFORM_RESTRICTION_ID_SUFFIX,
        "_DefaultLimit",
        "_DefaultWindowsHelloForBusiness",
    ]
    .iter()
    .any(|suffix| lower.ends_with(&suffix.to_ascii_lowercase()))
}

fn refuse_builtin(id: &str, what: &str) -> Result<(), Error> {
    if is_builtin(id) {
        return Err(Error::InvalidBody {
            resource: "deviceEnrollmentConfigurations",
            reason: format!("`{id}` is built in: it can be updated but not {what}"),
        });
    }
    Ok(())
}

/// `GET …/deviceEnrollmentConfigurations` (every kind; classify by `@odata.type`).
pub fn list(ep: &Endpoint) -> Result<GraphRequest, Error> {
    ENROLLMENT_CONFIGURATIONS.list(ep)
}

/// `GET …/{id}`.
pub fn get(ep: &Endpoint, id: &str) -> Result<GraphRequest, Error> {
    ENROLLMENT_CONFIGURATIONS.get(ep, id)
}

/// `POST …` under `rules` ([`super::fields::ENROLLMENT_STATUS_PAGE`] or
/// [`super::fields::PLATFORM_RESTRICTION`]); `priority` is stripped (use `setPriority`).
pub fn create(ep: &Endpoint, rules: &FieldRules, body: &Body) -> Result<GraphRequest, Error> {
    ENROLLMENT_CONFIGURATIONS.create(ep, rules, body)
}

/// `PATCH …/{id}` under `rules`.
pub fn update(ep: &Endpoint, rules: &FieldRules, id: &str, body: &Body) -> Result<GraphRequest, Error> {
    ENROLLMENT_CONFIGURATIONS.update(ep, rules, id, body)
}

/// `DELETE …/{id}` (refused for built-ins).
pub fn delete(ep: &Endpoint, id: &str) -> Result<GraphRequest, Error> {
    refuse_builtin(id, "deleted")?;
    ENROLLMENT_CONFIGURATIONS.delete(ep, id)
}

/// `GET …/{id}/assignments`.
pub fn list_assignments(ep: &Endpoint, id: &str) -> Result<GraphRequest, Error> {
    ENROLLMENT_CONFIGURATIONS.list_related(ep, id, "assignments")
}

/// `POST …/{id}/assign` with the complete list of targets (empty clears). Refused for built-ins.
pub fn assign(ep: &Endpoint, id: &str, targets: Vec<Value>) -> Result<GraphRequest, Error> {
    refuse_builtin(id, "assigned")?;
    ENROLLMENT_CONFIGURATIONS.assign(ep, id, "enrollmentConfigurationAssignments", targets)
}

/// `POST …/{id}/setPriority {"priority": n}`. Refused for built-ins (fixed at 0).
pub fn set_priority(ep: &Endpoint, id: &str, priority: u32) -> Result<GraphRequest, Error> {
    refuse_builtin(id, "re-prioritised")?;
    let body = json!({"priority": priority});
    ENROLLMENT_CONFIGURATIONS.action(ep, id, "setPriority", Some(body), Repeat::Safe)
}

/// Enrollment configurations, on a client.
#[derive(Debug, Clone, Copy)]
pub struct EnrollmentConfigurations<'c> {
    pub(crate) client: &'c GraphClient,
}

impl EnrollmentConfigurations<'_> {
    /// Every enrollment configuration (ESPs, restrictions, limits, Hello…).
    pub async fn list(&self) -> Result<Vec<Body>, Error> {
        send_list(self.client, list(self.client.endpoint())).await
    }

    /// One configuration; `None` if it does not exist.
    pub async fn get(&self, id: &str) -> Result<Option<Body>, Error> {
        send_optional(self.client, get(self.client.endpoint(), id)).await
    }

    /// Creates an ESP or restriction under `rules` and returns it.
    pub async fn create(&self, rules: &FieldRules, body: &Body) -> Result<Body, Error> {
        send_object(self.client, create(self.client.endpoint(), rules, body)).await
    }

    /// Updates one under `rules`.
    pub async fn update(&self, rules: &FieldRules, id: &str, body: &Body) -> Result<(), Error> {
        send_unit(self.client, update(self.client.endpoint(), rules, id, body)).await
    }

    /// Deletes one.
    pub async fn delete(&self, id: &str) -> Result<(), Error> {
        send_unit(self.client, delete(self.client.endpoint(), id)).await
    }

    /// Its assignments.
    pub async fn assignments(&self, id: &str) -> Result<Vec<Body>, Error> {
        send_list(self.client, list_assignments(self.client.endpoint(), id)).await
    }

    /// Replaces its assignments with `targets`.
    pub async fn assign(&self, id: &str, targets: Vec<Value>) -> Result<(), Error> {
        send_unit(self.client, assign(self.client.endpoint(), id, targets)).await
    }

    /// Sets its priority.
    pub async fn set_priority(&self, id: &str, priority: u32) -> Result<(), Error> {
        send_unit(self.client, set_priority(self.client.endpoint(), id, priority)).await
    }
}

#[cfg(test)]
mod tests {
    use hangar_model::Cloud;

    use super::*;

    #[test]
    fn builtins_are_never_assigned_deleted_or_reprioritised() {
        let ep = Endpoint::new(Cloud::Commercial);
        let default_esp = "abc_DefaultWindows10EnrollmentCompletionPageConfiguration";
        assert!(assign(&ep, default_esp, vec![]).is_err());
        assert!(set_priority(&ep, default_esp, 1).is_err());
        assert!(delete(&ep, "abc_DefaultPlatformRestrictions").is_err());
        assert!(assign(&ep, "custom-esp", vec![]).is_ok());
    }

    #[test]
    fn assign_body_wraps_each_target() {
        let ep = Endpoint::new(Cloud::Commercial);
        let req = assign(&ep, "e1", vec![super::super::group_target("g1")]).unwrap();
        let body = req.body.unwrap();
        assert_eq!(
            body["enrollmentConfigurationAssignments"][0]["target"]["groupId"],
            "g1"
        );
        assert!(
            req.url
                .as_str()
                .ends_with("/beta/deviceManagement/deviceEnrollmentConfigurations/e1/assign")
        );
    }
}
