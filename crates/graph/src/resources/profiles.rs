//! Classic Windows Autopilot deployment profiles (beta only) and their assignments: one
//! assignment per `POST …/assignments`, deleted one by one (graph-api-notes §1). The `assign`
//! action targets devices, not groups, and is deliberately absent.

use reqwest::Method;
use serde_json::{Value, json};

use super::fields::DEPLOYMENT_PROFILE;
use super::{Body, Collection, req_delete, send_list, send_object, send_optional, send_unit};
use crate::Error;
use crate::endpoint::{ApiVersion, Endpoint};
use crate::http::GraphClient;
use crate::request::{GraphRequest, Repeat, segment};

const PROFILES: Collection = Collection {
    path: "/deviceManagement/windowsAutopilotDeploymentProfiles",
    version: ApiVersion::Beta,
    update: Method::PATCH,
};

/// `GET …/windowsAutopilotDeploymentProfiles` (no server-side name filter exists).
pub fn list(ep: &Endpoint) -> Result<GraphRequest, Error> {
    PROFILES.list(ep)
}

/// `GET …/{id}`.
pub fn get(ep: &Endpoint, id: &str) -> Result<GraphRequest, Error> {
    PROFILES.get(ep, id)
}

/// `POST …` (body needs the Entra or hybrid `@odata.type`).
pub fn create(ep: &Endpoint, body: &Body) -> Result<GraphRequest, Error> {
    PROFILES.create(ep, &DEPLOYMENT_PROFILE, body)
}

/// `PATCH …/{id}` without read-only, deprecated and create-only fields.
pub fn update(ep: &Endpoint, id: &str, body: &Body) -> Result<GraphRequest, Error> {
    PROFILES.update(ep, &DEPLOYMENT_PROFILE, id, body)
}

/// `DELETE …/{id}` (delete its assignments first).
pub fn delete(ep: &Endpoint, id: &str) -> Result<GraphRequest, Error> {
    PROFILES.delete(ep, id)
}

/// `GET …/{id}/assignments`.
pub fn list_assignments(ep: &Endpoint, id: &str) -> Result<GraphRequest, Error> {
    PROFILES.list_related(ep, id, "assignments")
}

/// `POST …/{id}/assignments` with one target.
pub fn add_assignment(ep: &Endpoint, id: &str, target: Value) -> Result<GraphRequest, Error> {
    let body = json!({"@odata.type": hangar_model::well_known::odata::PROFILE_ASSIGNMENT, "target": target});
    PROFILES.action(ep, id, "assignments", Some(body), Repeat::Unsafe)
}

/// `DELETE …/{id}/assignments/{assignmentId}`.
pub fn delete_assignment(ep: &Endpoint, id: &str, assignment_id: &str) -> Result<GraphRequest, Error> {
    req_delete(
        ep,
        PROFILES.version,
        format!("{}/assignments/{}", PROFILES.item(id), segment(assignment_id)),
    )
}

/// Deployment profiles, on a client.
#[derive(Debug, Clone, Copy)]
pub struct Profiles<'c> {
    pub(crate) client: &'c GraphClient,
}

impl Profiles<'_> {
    /// Every profile.
    pub async fn list(&self) -> Result<Vec<Body>, Error> {
        send_list(self.client, list(self.client.endpoint())).await
    }

    /// One profile; `None` if it does not exist.
    pub async fn get(&self, id: &str) -> Result<Option<Body>, Error> {
        send_optional(self.client, get(self.client.endpoint(), id)).await
    }

    /// Creates a profile and returns it.
    pub async fn create(&self, body: &Body) -> Result<Body, Error> {
        send_object(self.client, create(self.client.endpoint(), body)).await
    }

    /// Updates a profile.
    pub async fn update(&self, id: &str, body: &Body) -> Result<(), Error> {
        send_unit(self.client, update(self.client.endpoint(), id, body)).await
    }

    /// Deletes a profile.
    pub async fn delete(&self, id: &str) -> Result<(), Error> {
        send_unit(self.client, delete(self.client.endpoint(), id)).await
    }

    /// The profile's assignments as Graph returns them.
    pub async fn assignments(&self, id: &str) -> Result<Vec<Body>, Error> {
        send_list(self.client, list_assignments(self.client.endpoint(), id)).await
    }

    /// Adds one assignment (see [`super::group_target`]) and returns it.
    pub async fn add_assignment(&self, id: &str, target: Value) -> Result<Body, Error> {
        send_object(self.client, add_assignment(self.client.endpoint(), id, target)).await
    }

    /// Deletes one assignment.
    pub async fn delete_assignment(&self, id: &str, assignment_id: &str) -> Result<(), Error> {
        send_unit(
            self.client,
            delete_assignment(self.client.endpoint(), id, assignment_id),
        )
        .await
    }
}
