//! Typed requests for every object hangar manages, and handles on [`GraphClient`] to send them.
//!
//! Each module has request builders (`fn …(endpoint, …) -> Result<GraphRequest, Error>`, no IO)
//! and a handle (`client.profiles()`, `client.groups()`, …) whose methods send them. Bodies are
//! `serde_json::Map`s, so properties hangar does not model survive a read-modify-write;
//! [`fields`] decides what each write may carry. The collections hangar creates, updates,
//! deletes and assigns are each described by one `Collection` row, which builds those requests
//! for all of them alike; a module adds only what is its own (filters, actions, built-in guards).
//!
//! | handle | collection | version |
//! |---|---|---|
//! | [`GraphClient::groups`] | `/groups`, owners | v1.0 |
//! | [`GraphClient::service_principals`] | `/servicePrincipals` | v1.0 |
//! | [`GraphClient::profiles`] | `/deviceManagement/windowsAutopilotDeploymentProfiles` | beta |
//! | [`GraphClient::enrollment_configurations`] | `/deviceManagement/deviceEnrollmentConfigurations` | beta |
//! | [`GraphClient::domain_join`] | `/deviceManagement/deviceConfigurations` | beta |
//! | [`GraphClient::device_preparation`] | `/deviceManagement/configurationPolicies` | beta |
//! | [`GraphClient::autopilot_devices`] | `/deviceManagement/windowsAutopilotDeviceIdentities`, imports | v1.0 (list: beta) |
//! | [`GraphClient::autopilot_settings`] | `/deviceManagement/windowsAutopilotSettings` | beta |
//!
//! Read only, for `hangar doctor` (what Autopilot depends on outside hangar's configuration):
//!
//! | handle | collection | version |
//! |---|---|---|
//! | [`GraphClient::mobility_policies`] | `/policies/mobileDeviceManagementPolicies` (delegated tokens only) | beta |
//! | [`GraphClient::device_registration_policy`] | `/policies/deviceRegistrationPolicy` | v1.0 |
//! | [`GraphClient::subscribed_skus`] | `/subscribedSkus` | v1.0 |
//! | [`GraphClient::domain_join_connectors`] | `/deviceManagement/domainJoinConnectors` | beta |

pub mod assignment_filters;
pub mod audit;
pub mod connectors;
pub mod device_preparation;
pub mod device_registration;
pub mod devices;
pub mod domain_join;
pub mod enrollment_configurations;
pub mod fields;
pub mod groups;
pub mod mobility;
pub mod profiles;
pub mod references;
pub mod service_principals;
pub mod settings;
pub mod subscriptions;

use reqwest::Method;
use serde_json::{Map, Value, json};

use self::fields::FieldRules;
use crate::Error;
use crate::endpoint::{ApiVersion, Endpoint};
use crate::http::GraphClient;
use crate::request::{GraphRequest, Repeat, segment};

/// A Graph object as JSON: every property kept.
pub type Body = Map<String, Value>;

/// Assignment target: include a group.
pub fn group_target(group_id: &str) -> Value {
    json!({"@odata.type": hangar_model::well_known::odata::GROUP_TARGET, "groupId": group_id})
}

/// Assignment target: exclude a group.
pub fn exclusion_group_target(group_id: &str) -> Value {
    json!({"@odata.type": hangar_model::well_known::odata::EXCLUSION_GROUP_TARGET, "groupId": group_id})
}

/// Assignment target: all devices.
pub fn all_devices_target() -> Value {
    json!({"@odata.type": hangar_model::well_known::odata::ALL_DEVICES_TARGET})
}

/// `id` of a Graph object.
pub fn id_of(body: &Body) -> Option<&str> {
    body.get("id").and_then(Value::as_str)
}

/// A collection of objects hangar creates, updates, deletes and assigns. What differs between
/// the typed modules is data (this row); the requests are built once, here, so every
/// collection gets the same `Repeat` choices and id escaping.
#[derive(Debug, Clone)]
pub(crate) struct Collection {
    /// Path below the version root, e.g. `/deviceManagement/deviceConfigurations`.
    pub(crate) path: &'static str,
    pub(crate) version: ApiVersion,
    /// PATCH, or PUT where a partial update cannot carry the change (Settings Catalog settings).
    pub(crate) update: Method,
}

impl Collection {
    /// `{path}/{id}`, the id escaped as one path segment.
    pub(crate) fn item(&self, id: &str) -> String {
        format!("{}/{}", self.path, segment(id))
    }

    pub(crate) fn list(&self, ep: &Endpoint) -> Result<GraphRequest, Error> {
        req_get(ep, self.version, self.path.into())
    }

    pub(crate) fn get(&self, ep: &Endpoint, id: &str) -> Result<GraphRequest, Error> {
        req_get(ep, self.version, self.item(id))
    }

    /// A lost answer to a create may hide a created object, hence `Repeat::Unsafe`.
    pub(crate) fn create(
        &self,
        ep: &Endpoint,
        rules: &FieldRules,
        body: &Body,
    ) -> Result<GraphRequest, Error> {
        let body = Value::Object(rules.for_create(body)?);
        req_post(ep, self.version, self.path.into(), Some(body), Repeat::Unsafe)
    }

    pub(crate) fn update(
        &self,
        ep: &Endpoint,
        rules: &FieldRules,
        id: &str,
        body: &Body,
    ) -> Result<GraphRequest, Error> {
        let body = Value::Object(rules.for_update(body)?);
        GraphRequest::new(
            ep,
            self.update.clone(),
            self.version,
            self.item(id),
            Some(body),
            Repeat::Safe,
        )
    }

    pub(crate) fn delete(&self, ep: &Endpoint, id: &str) -> Result<GraphRequest, Error> {
        req_delete(ep, self.version, self.item(id))
    }

    /// `GET {path}/{id}/{relation}`: assignments, settings.
    pub(crate) fn list_related(
        &self,
        ep: &Endpoint,
        id: &str,
        relation: &str,
    ) -> Result<GraphRequest, Error> {
        req_get(ep, self.version, format!("{}/{relation}", self.item(id)))
    }

    /// `POST {path}/{id}/{action}`: a bound action, or a create in a related collection.
    pub(crate) fn action(
        &self,
        ep: &Endpoint,
        id: &str,
        action: &str,
        body: Option<Value>,
        repeat: Repeat,
    ) -> Result<GraphRequest, Error> {
        req_post(
            ep,
            self.version,
            format!("{}/{action}", self.item(id)),
            body,
            repeat,
        )
    }

    /// `POST {path}/{id}/assign {"<property>": [{"target": …}, …]}`: the complete list, so
    /// repeating it gives the same assignments.
    pub(crate) fn assign(
        &self,
        ep: &Endpoint,
        id: &str,
        property: &str,
        targets: Vec<Value>,
    ) -> Result<GraphRequest, Error> {
        let assignments: Vec<Value> = targets
            .into_iter()
            .map(|target| json!({"target": target}))
            .collect();
        let body = json!({ property: assignments });
        self.action(ep, id, "assign", Some(body), Repeat::Safe)
    }
}

pub(crate) fn req_get(ep: &Endpoint, version: ApiVersion, path: String) -> Result<GraphRequest, Error> {
    GraphRequest::get(ep, version, path)
}

pub(crate) fn req_post(
    ep: &Endpoint,
    version: ApiVersion,
    path: String,
    body: Option<Value>,
    repeat: Repeat,
) -> Result<GraphRequest, Error> {
    GraphRequest::new(ep, Method::POST, version, path, body, repeat)
}

pub(crate) fn req_delete(ep: &Endpoint, version: ApiVersion, path: String) -> Result<GraphRequest, Error> {
    GraphRequest::new(ep, Method::DELETE, version, path, None, Repeat::Safe)
}

/// Sends and decodes a JSON object answer (empty object for 204).
pub(crate) async fn send_object(
    client: &GraphClient,
    request: Result<GraphRequest, Error>,
) -> Result<Body, Error> {
    client.send(&request?).await?.object()
}

/// Sends a read of one object; `None` when Graph answers 404, the object being gone.
pub(crate) async fn send_optional(
    client: &GraphClient,
    request: Result<GraphRequest, Error>,
) -> Result<Option<Body>, Error> {
    match send_object(client, request).await {
        Ok(body) => Ok(Some(body)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

/// Sends and ignores the answer body.
pub(crate) async fn send_unit(
    client: &GraphClient,
    request: Result<GraphRequest, Error>,
) -> Result<(), Error> {
    client.send(&request?).await.map(|_| ())
}

/// Sends a list request and reads every page.
pub(crate) async fn send_list(
    client: &GraphClient,
    request: Result<GraphRequest, Error>,
) -> Result<Vec<Body>, Error> {
    crate::paging::collect(client, request?).await
}

/// `value[]` of an action's answer.
pub(crate) fn value_array(body: Body) -> Vec<Value> {
    match body.get("value") {
        Some(Value::Array(items)) => items.clone(),
        _ => Vec::new(),
    }
}

impl GraphClient {
    /// Entra groups and their owners.
    pub fn groups(&self) -> groups::Groups<'_> {
        groups::Groups { client: self }
    }

    /// Service principals (the Intune Provisioning Client).
    pub fn service_principals(&self) -> service_principals::ServicePrincipals<'_> {
        service_principals::ServicePrincipals { client: self }
    }

    /// Classic Autopilot deployment profiles and their assignments.
    pub fn profiles(&self) -> profiles::Profiles<'_> {
        profiles::Profiles { client: self }
    }

    /// Enrollment Status Pages and platform restrictions (`assign`, `setPriority`).
    pub fn enrollment_configurations(&self) -> enrollment_configurations::EnrollmentConfigurations<'_> {
        enrollment_configurations::EnrollmentConfigurations { client: self }
    }

    /// Hybrid-join domain join configurations.
    pub fn domain_join(&self) -> domain_join::DomainJoin<'_> {
        domain_join::DomainJoin { client: self }
    }

    /// Autopilot Device Preparation policies.
    pub fn device_preparation(&self) -> device_preparation::DevicePreparation<'_> {
        device_preparation::DevicePreparation { client: self }
    }

    /// Registered and imported Autopilot device identities.
    pub fn autopilot_devices(&self) -> devices::AutopilotDevices<'_> {
        devices::AutopilotDevices { client: self }
    }

    /// Autopilot service settings and `sync`.
    pub fn autopilot_settings(&self) -> settings::AutopilotSettings<'_> {
        settings::AutopilotSettings { client: self }
    }

    /// Entra mobility (MDM) policies: MDM user scope and URLs (read with a delegated token).
    pub fn mobility_policies(&self) -> mobility::MobilityPolicies<'_> {
        mobility::MobilityPolicies { client: self }
    }

    /// The device registration policy: who may join devices to Entra.
    pub fn device_registration_policy(&self) -> device_registration::DeviceRegistrationPolicy<'_> {
        device_registration::DeviceRegistrationPolicy { client: self }
    }

    /// Subscribed SKUs and their service plans (licences).
    pub fn subscribed_skus(&self) -> subscriptions::SubscribedSkus<'_> {
        subscriptions::SubscribedSkus { client: self }
    }

    /// Intune Connectors for Active Directory (hybrid join).
    pub fn domain_join_connectors(&self) -> connectors::DomainJoinConnectors<'_> {
        connectors::DomainJoinConnectors { client: self }
    }

    /// Intune audit events and Entra directory audits (who changed an object).
    pub fn audit_logs(&self) -> audit::AuditLogs<'_> {
        audit::AuditLogs { client: self }
    }
}

/// One of every request this crate can build, with sample arguments: the cloud-boundary test
/// walks it for every cloud. A builder added without a line here fails that test's count.
#[doc(hidden)]
pub fn every_request(ep: &Endpoint) -> Vec<Result<GraphRequest, Error>> {
    let body = || -> Body {
        json!({"displayName": "x", "@odata.type": hangar_model::well_known::odata::ENTRA_PROFILE})
            .as_object()
            .cloned()
            .unwrap_or_default()
    };
    let esp = || -> Body {
        json!({"displayName": "x"})
            .as_object()
            .cloned()
            .unwrap_or_default()
    };
    let dpp = || -> Body {
        json!({"name": "x", "settings": []})
            .as_object()
            .cloned()
            .unwrap_or_default()
    };
    let dj = esp;
    vec![
        groups::list(ep, &["id", "displayName"]),
        groups::find_by_name(ep, "O'Brien & co", &["id"]),
        groups::find_by_names(ep, &["O'Brien & co", "Sales"], &["id"]),
        groups::get(ep, "g1"),
        groups::get_by_unique_name(ep, hangar_model::well_known::APPLY_LOCK_UNIQUE_NAME),
        groups::create(ep, &esp()),
        groups::update(ep, "g1", &esp()),
        groups::delete(ep, "g1"),
        groups::list_owners(ep, "g1"),
        groups::count_members(ep, "g1"),
        groups::add_owner(ep, "g1", "sp1"),
        groups::remove_owner(ep, "g1", "sp1"),
        service_principals::find_by_app_id(ep, hangar_model::well_known::INTUNE_PROVISIONING_CLIENT_APP_ID),
        service_principals::create_for_app(ep, hangar_model::well_known::INTUNE_PROVISIONING_CLIENT_APP_ID),
        profiles::list(ep),
        profiles::get(ep, "p1"),
        profiles::create(ep, &body()),
        profiles::update(ep, "p1", &body()),
        profiles::delete(ep, "p1"),
        profiles::list_assignments(ep, "p1"),
        profiles::add_assignment(ep, "p1", group_target("g1")),
        profiles::delete_assignment(ep, "p1", "a1"),
        enrollment_configurations::list(ep),
        enrollment_configurations::get(ep, "e1"),
        enrollment_configurations::create(ep, &fields::ENROLLMENT_STATUS_PAGE, &esp()),
        enrollment_configurations::update(ep, &fields::ENROLLMENT_STATUS_PAGE, "e1", &esp()),
        enrollment_configurations::delete(ep, "e1"),
        enrollment_configurations::list_assignments(ep, "e1"),
        enrollment_configurations::assign(ep, "e1", vec![group_target("g1")]),
        enrollment_configurations::set_priority(ep, "e1", 1),
        domain_join::list(ep),
        domain_join::get(ep, "d1"),
        domain_join::create(ep, &dj()),
        domain_join::update(ep, "d1", &dj()),
        domain_join::delete(ep, "d1"),
        domain_join::list_assignments(ep, "d1"),
        domain_join::assign(ep, "d1", vec![group_target("g1")]),
        device_preparation::list(ep),
        device_preparation::get(ep, "c1"),
        device_preparation::create(ep, &dpp()),
        device_preparation::update(ep, "c1", &dpp()),
        device_preparation::delete(ep, "c1"),
        device_preparation::list_settings(ep, "c1"),
        device_preparation::list_templates(ep),
        device_preparation::list_setting_templates(ep, "t1_1"),
        device_preparation::list_assignments(ep, "c1"),
        device_preparation::assign(ep, "c1", vec![group_target("g1")]),
        device_preparation::set_membership_target(ep, "c1", &["g1".to_owned()]),
        device_preparation::retrieve_membership_target(ep, "c1"),
        device_preparation::clear_membership_target(ep, "c1"),
        devices::list(ep),
        devices::find_by_serial(ep, "5CG1"),
        devices::get(ep, "d1"),
        devices::delete(ep, "d1"),
        devices::update_properties(ep, "d1", &devices::DeviceProperties::default()),
        devices::import(ep, &[devices::ImportedDevice::default()]),
        devices::list_imported(ep),
        devices::get_imported(ep, "i1"),
        devices::delete_imported(ep, "i1"),
        devices::list_imported_states(ep),
        devices::sync_in_batch(ep),
        devices::list_profile_status(ep),
        settings::get(ep),
        settings::sync(ep),
        mobility::list(ep),
        device_registration::get(ep),
        subscriptions::list(ep),
        connectors::list(ep),
        audit::intune_events(ep, "id", "2026-11-01T00:00:00Z", 5),
        audit::directory_audits(ep, "id", "2026-11-01T00:00:00Z", 5),
        assignment_filters::list(ep),
        references::list_scope_tags(ep),
        references::list_mobile_apps(ep),
        references::list_scripts(ep),
    ]
}
