//! [`Tenant`]: the operations apply performs, per kind, and [`GraphTenant`], which performs
//! them through `hangar-graph`.
//!
//! The trait is the seam between deciding the order and shape of writes (this crate) and sending
//! them (the client): the executor and every action are written against it, `GraphTenant` maps
//! each call onto the resource's own API (graph-api-notes §11: one-by-one assignments for
//! profiles, replace-all `assign` elsewhere, `setPriority`, `owners/$ref`, the Device
//! Preparation device-group action), and unit tests run the same code against an in-memory
//! tenant. Methods return Graph's error unchanged so the report keeps its evidence.

use std::future::Future;

use hangar_graph::resources::devices::{DeviceProperties, ImportState, ImportedDevice};
use hangar_graph::resources::{self, fields};
use hangar_graph::{Error as GraphError, GraphClient, ReadScope};
use hangar_model::{Cloud, Kind, LiveAssignment, LiveDevice, LiveState};
use serde_json::{Map, Value};

/// A JSON object body.
pub type Body = Map<String, Value>;

/// An object found by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// Graph id.
    pub id: String,
    /// Display name (`name` for Device Preparation policies).
    pub name: String,
    /// `@odata.type`, when Graph returned it.
    pub odata_type: Option<String>,
}

/// A staged device import record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StagedImport {
    /// Id of the `importedWindowsAutopilotDeviceIdentity`.
    pub id: String,
    /// Its serial number.
    pub serial: String,
    /// Its import state.
    pub state: ImportState,
}

/// Every tenant operation apply performs. Results are Graph's, errors are Graph's; a method
/// never turns a failure into "absent".
pub trait Tenant: Sync {
    /// The tenant's cloud.
    fn cloud(&self) -> Cloud;

    /// Objects of `kind` whose display name (or `name`) is exactly `name`.
    fn find(&self, kind: Kind, name: &str) -> impl Future<Output = Result<Vec<Found>, GraphError>> + Send;

    /// Creates an object; returns its id.
    fn create(&self, kind: Kind, body: &Body) -> impl Future<Output = Result<String, GraphError>> + Send;

    /// Updates an object (PATCH; PUT with settings for Device Preparation).
    fn update(
        &self,
        kind: Kind,
        id: &str,
        body: &Body,
    ) -> impl Future<Output = Result<(), GraphError>> + Send;

    /// Deletes an object.
    fn delete(&self, kind: Kind, id: &str) -> impl Future<Output = Result<(), GraphError>> + Send;

    /// An object's assignments, parsed as the planner parses them.
    fn assignments(
        &self,
        kind: Kind,
        id: &str,
    ) -> impl Future<Output = Result<Vec<LiveAssignment>, GraphError>> + Send;

    /// Adds one assignment (profiles: `POST …/assignments`).
    fn add_assignment(
        &self,
        kind: Kind,
        id: &str,
        target: Value,
    ) -> impl Future<Output = Result<(), GraphError>> + Send;

    /// Deletes one assignment (profiles).
    fn delete_assignment(
        &self,
        kind: Kind,
        id: &str,
        assignment_id: &str,
    ) -> impl Future<Output = Result<(), GraphError>> + Send;

    /// Replaces every assignment with `targets` (`assign`; empty clears).
    fn assign(
        &self,
        kind: Kind,
        id: &str,
        targets: Vec<Value>,
    ) -> impl Future<Output = Result<(), GraphError>> + Send;

    /// `setPriority` of an ESP or restriction.
    fn set_priority(&self, id: &str, priority: u32) -> impl Future<Output = Result<(), GraphError>> + Send;

    /// Whether the directory returns the group.
    fn group_exists(&self, id: &str) -> impl Future<Output = Result<bool, GraphError>> + Send;

    /// Object ids of a group's owners.
    fn owners(&self, group_id: &str) -> impl Future<Output = Result<Vec<String>, GraphError>> + Send;

    /// Adds an owner (already an owner counts as success).
    fn add_owner(
        &self,
        group_id: &str,
        object_id: &str,
    ) -> impl Future<Output = Result<(), GraphError>> + Send;

    /// Object id of the service principal of `app_id`, if the tenant has one.
    fn service_principal(
        &self,
        app_id: &str,
    ) -> impl Future<Output = Result<Option<String>, GraphError>> + Send;

    /// Creates the service principal of a Microsoft app; returns its object id.
    fn create_service_principal(
        &self,
        app_id: &str,
    ) -> impl Future<Output = Result<String, GraphError>> + Send;

    /// Binds a Device Preparation policy's device group; a validation failure behind HTTP 200 is
    /// [`GraphError::MembershipTargetRejected`].
    fn set_device_group(
        &self,
        policy_id: &str,
        group_ids: &[String],
    ) -> impl Future<Output = Result<(), GraphError>> + Send;

    /// Removes a Device Preparation policy's device group.
    fn clear_device_group(&self, policy_id: &str) -> impl Future<Output = Result<(), GraphError>> + Send;

    /// Registered devices whose trimmed serial is `serial`.
    fn devices_by_serial(
        &self,
        serial: &str,
    ) -> impl Future<Output = Result<Vec<LiveDevice>, GraphError>> + Send;

    /// Stages one device for import; returns the staged record.
    fn import_device(
        &self,
        device: &ImportedDevice,
    ) -> impl Future<Output = Result<StagedImport, GraphError>> + Send;

    /// Staged import records whose serial is `serial`.
    fn staged_by_serial(
        &self,
        serial: &str,
    ) -> impl Future<Output = Result<Vec<StagedImport>, GraphError>> + Send;

    /// One staged record; `None` once it is gone.
    fn staged(&self, id: &str) -> impl Future<Output = Result<Option<StagedImport>, GraphError>> + Send;

    /// Deletes a staged record.
    fn delete_staged(&self, id: &str) -> impl Future<Output = Result<(), GraphError>> + Send;

    /// `updateDeviceProperties`.
    fn update_device(
        &self,
        id: &str,
        properties: &DeviceProperties,
    ) -> impl Future<Output = Result<(), GraphError>> + Send;

    /// Deletes a registered device.
    fn delete_device(&self, id: &str) -> impl Future<Output = Result<(), GraphError>> + Send;

    /// Reads the live state `scope` asks for (stale-plan checks).
    fn read(&self, scope: &ReadScope) -> impl Future<Output = Result<LiveState, GraphError>> + Send;
}

/// [`Tenant`] over a [`GraphClient`]: requests go through its rate limiter, retry policy and
/// cloud-boundary check.
#[derive(Debug, Clone)]
pub struct GraphTenant {
    client: GraphClient,
}

impl GraphTenant {
    /// Apply's tenant over `client`.
    pub fn new(client: GraphClient) -> GraphTenant {
        GraphTenant { client }
    }

    /// The client.
    pub fn client(&self) -> &GraphClient {
        &self.client
    }

    async fn list(&self, kind: Kind) -> Result<Vec<Body>, GraphError> {
        let client = &self.client;
        match kind {
            Kind::DeviceGroup => client.groups().list().await,
            Kind::DeploymentProfile => {
                if client.cloud().has_classic_autopilot() {
                    client.profiles().list().await
                } else {
                    Ok(Vec::new())
                }
            }
            Kind::EnrollmentStatusPage | Kind::EnrollmentRestriction => {
                let all = client.enrollment_configurations().list().await?;
                Ok(all
                    .into_iter()
                    .filter(|body| {
                        hangar_graph::live::classify_enrollment_configuration(body)
                            .is_some_and(|(k, _)| k == kind)
                    })
                    .collect())
            }
            Kind::DomainJoinProfile => client.domain_join().list().await,
            Kind::DevicePreparationPolicy => client.device_preparation().list().await,
            Kind::AutopilotDevice => Ok(Vec::new()),
        }
    }
}

fn found(body: &Body) -> Option<Found> {
    let id = resources::id_of(body)?.to_owned();
    let name = body
        .get("displayName")
        .or_else(|| body.get("name"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let odata_type = body.get("@odata.type").and_then(Value::as_str).map(str::to_owned);
    Some(Found { id, name, odata_type })
}

fn restriction_rules(kind: Kind) -> &'static fields::FieldRules {
    match kind {
        Kind::EnrollmentRestriction => &fields::PLATFORM_RESTRICTION,
        _ => &fields::ENROLLMENT_STATUS_PAGE,
    }
}

fn unsupported(kind: Kind, what: &str) -> GraphError {
    GraphError::InvalidBody {
        resource: "hangar-apply",
        reason: format!("{kind} has no {what}"),
    }
}

fn staged(body: &Body) -> Option<StagedImport> {
    Some(StagedImport {
        id: resources::id_of(body)?.to_owned(),
        serial: body
            .get("serialNumber")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .trim()
            .to_owned(),
        state: ImportState::of(body),
    })
}

impl Tenant for GraphTenant {
    fn cloud(&self) -> Cloud {
        self.client.cloud()
    }

    async fn find(&self, kind: Kind, name: &str) -> Result<Vec<Found>, GraphError> {
        let bodies = match kind {
            Kind::DeviceGroup => self.client.groups().find_by_name(name).await?,
            _ => self.list(kind).await?,
        };
        Ok(bodies
            .iter()
            .filter_map(found)
            .filter(|f| f.name == name)
            .collect())
    }

    async fn create(&self, kind: Kind, body: &Body) -> Result<String, GraphError> {
        let client = &self.client;
        let created = match kind {
            Kind::DeviceGroup => client.groups().create(body).await?,
            Kind::DeploymentProfile => client.profiles().create(body).await?,
            Kind::EnrollmentStatusPage | Kind::EnrollmentRestriction => {
                client
                    .enrollment_configurations()
                    .create(restriction_rules(kind), body)
                    .await?
            }
            Kind::DomainJoinProfile => client.domain_join().create(body).await?,
            Kind::DevicePreparationPolicy => client.device_preparation().create(body).await?,
            Kind::AutopilotDevice => return Err(unsupported(kind, "create")),
        };
        resources::id_of(&created)
            .map(str::to_owned)
            .ok_or_else(|| GraphError::InvalidBody {
                resource: "hangar-apply",
                reason: format!("the create of a {kind} returned no `id`"),
            })
    }

    async fn update(&self, kind: Kind, id: &str, body: &Body) -> Result<(), GraphError> {
        let client = &self.client;
        match kind {
            Kind::DeviceGroup => client.groups().update(id, body).await,
            Kind::DeploymentProfile => client.profiles().update(id, body).await,
            Kind::EnrollmentStatusPage | Kind::EnrollmentRestriction => {
                client
                    .enrollment_configurations()
                    .update(restriction_rules(kind), id, body)
                    .await
            }
            Kind::DomainJoinProfile => client.domain_join().update(id, body).await,
            Kind::DevicePreparationPolicy => client.device_preparation().update(id, body).await,
            Kind::AutopilotDevice => Err(unsupported(kind, "update")),
        }
    }

    async fn delete(&self, kind: Kind, id: &str) -> Result<(), GraphError> {
        let client = &self.client;
        match kind {
            Kind::DeviceGroup => client.groups().delete(id).await,
            Kind::DeploymentProfile => client.profiles().delete(id).await,
            Kind::EnrollmentStatusPage | Kind::EnrollmentRestriction => {
                client.enrollment_configurations().delete(id).await
            }
            Kind::DomainJoinProfile => client.domain_join().delete(id).await,
            Kind::DevicePreparationPolicy => client.device_preparation().delete(id).await,
            Kind::AutopilotDevice => client.autopilot_devices().delete(id).await,
        }
    }

    async fn assignments(&self, kind: Kind, id: &str) -> Result<Vec<LiveAssignment>, GraphError> {
        let client = &self.client;
        let bodies = match kind {
            Kind::DeploymentProfile => client.profiles().assignments(id).await?,
            Kind::EnrollmentStatusPage | Kind::EnrollmentRestriction => {
                client.enrollment_configurations().assignments(id).await?
            }
            Kind::DomainJoinProfile => client.domain_join().assignments(id).await?,
            Kind::DevicePreparationPolicy => client.device_preparation().assignments(id).await?,
            Kind::DeviceGroup | Kind::AutopilotDevice => return Err(unsupported(kind, "assignments")),
        };
        Ok(bodies
            .into_iter()
            .map(|body| LiveAssignment::parse(Value::Object(body)))
            .collect())
    }

    async fn add_assignment(&self, kind: Kind, id: &str, target: Value) -> Result<(), GraphError> {
        match kind {
            Kind::DeploymentProfile => self
                .client
                .profiles()
                .add_assignment(id, target)
                .await
                .map(|_| ()),
            _ => Err(unsupported(kind, "one-by-one assignments")),
        }
    }

    async fn delete_assignment(&self, kind: Kind, id: &str, assignment_id: &str) -> Result<(), GraphError> {
        match kind {
            Kind::DeploymentProfile => self.client.profiles().delete_assignment(id, assignment_id).await,
            _ => Err(unsupported(kind, "one-by-one assignments")),
        }
    }

    async fn assign(&self, kind: Kind, id: &str, targets: Vec<Value>) -> Result<(), GraphError> {
        let client = &self.client;
        match kind {
            Kind::EnrollmentStatusPage | Kind::EnrollmentRestriction => {
                client.enrollment_configurations().assign(id, targets).await
            }
            Kind::DomainJoinProfile => client.domain_join().assign(id, targets).await,
            Kind::DevicePreparationPolicy => {
                client.device_preparation().assign(id, targets).await.map(|_| ())
            }
            _ => Err(unsupported(kind, "`assign` action")),
        }
    }

    async fn set_priority(&self, id: &str, priority: u32) -> Result<(), GraphError> {
        self.client
            .enrollment_configurations()
            .set_priority(id, priority)
            .await
    }

    async fn group_exists(&self, id: &str) -> Result<bool, GraphError> {
        Ok(self.client.groups().get(id).await?.is_some())
    }

    async fn owners(&self, group_id: &str) -> Result<Vec<String>, GraphError> {
        self.client.groups().owners(group_id).await
    }

    async fn add_owner(&self, group_id: &str, object_id: &str) -> Result<(), GraphError> {
        self.client.groups().add_owner(group_id, object_id).await
    }

    async fn service_principal(&self, app_id: &str) -> Result<Option<String>, GraphError> {
        let found = self.client.service_principals().find_by_app_id(app_id).await?;
        Ok(found.as_ref().and_then(resources::id_of).map(str::to_owned))
    }

    async fn create_service_principal(&self, app_id: &str) -> Result<String, GraphError> {
        let created = self.client.service_principals().create_for_app(app_id).await?;
        resources::id_of(&created)
            .map(str::to_owned)
            .ok_or_else(|| GraphError::InvalidBody {
                resource: "servicePrincipals",
                reason: "the create returned no `id`".into(),
            })
    }

    async fn set_device_group(&self, policy_id: &str, group_ids: &[String]) -> Result<(), GraphError> {
        self.client
            .device_preparation()
            .set_membership_target(policy_id, group_ids)
            .await
    }

    async fn clear_device_group(&self, policy_id: &str) -> Result<(), GraphError> {
        self.client
            .device_preparation()
            .clear_membership_target(policy_id)
            .await
    }

    async fn devices_by_serial(&self, serial: &str) -> Result<Vec<LiveDevice>, GraphError> {
        self.client.autopilot_devices().find_by_serial(serial).await
    }

    async fn import_device(&self, device: &ImportedDevice) -> Result<StagedImport, GraphError> {
        let records = self
            .client
            .autopilot_devices()
            .import(std::slice::from_ref(device))
            .await?;
        records
            .iter()
            .find_map(staged)
            .ok_or_else(|| GraphError::InvalidBody {
                resource: "importedWindowsAutopilotDeviceIdentities",
                reason: "the import returned no staged record".into(),
            })
    }

    async fn staged_by_serial(&self, serial: &str) -> Result<Vec<StagedImport>, GraphError> {
        let all = self.client.autopilot_devices().list_imported().await?;
        Ok(all
            .iter()
            .filter_map(staged)
            .filter(|s| s.serial == serial.trim())
            .collect())
    }

    async fn staged(&self, id: &str) -> Result<Option<StagedImport>, GraphError> {
        let body = self.client.autopilot_devices().get_imported(id).await?;
        Ok(body.as_ref().and_then(staged))
    }

    async fn delete_staged(&self, id: &str) -> Result<(), GraphError> {
        self.client.autopilot_devices().delete_imported(id).await
    }

    async fn update_device(&self, id: &str, properties: &DeviceProperties) -> Result<(), GraphError> {
        self.client
            .autopilot_devices()
            .update_properties(id, properties)
            .await
    }

    async fn delete_device(&self, id: &str) -> Result<(), GraphError> {
        self.client.autopilot_devices().delete(id).await
    }

    async fn read(&self, scope: &ReadScope) -> Result<LiveState, GraphError> {
        hangar_graph::read_live_state(&self.client, scope).await
    }
}
