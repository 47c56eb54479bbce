//! What a configuration refers to by name but hangar never writes: scope tags (beta
//! `deviceManagement/roleScopeTags`, type `roleScopeTag`), apps (beta
//! `deviceAppManagement/mobileApps`, every app type derived from `mobileApp`) and platform
//! scripts (beta `deviceManagement/deviceManagementScripts`). hangar reads them to resolve
//! names in YAML to ids (an app also to its `@odata.type`, which a Device Preparation policy
//! records beside the id) and to name live ids in the plan and in `hangar import`.
//!
//! None of the three collections documents a `$filter` on `displayName` that every cloud
//! honours, so names are matched client-side, as for assignment filters. `@odata.type` is an
//! annotation Graph returns for every item of a collection whose items are of a derived type,
//! `$select` or not (Learn, "List mobileApps": each app carries it).

use super::req_get;
use crate::Error;
use crate::endpoint::{ApiVersion, Endpoint};
use crate::request::GraphRequest;

/// What hangar reads of each: the id and the name (an app's type comes as an annotation).
pub const SELECT: &[&str] = &["id", "displayName"];

/// `GET /beta/deviceManagement/roleScopeTags?$select=id,displayName`. The built-in tag
/// `Default` has id `0`. Permission `DeviceManagementRBAC.Read.All`.
pub fn list_scope_tags(ep: &Endpoint) -> Result<GraphRequest, Error> {
    req_get(
        ep,
        ApiVersion::Beta,
        format!("/deviceManagement/roleScopeTags?$select={}", SELECT.join(",")),
    )
}

/// `GET /beta/deviceAppManagement/mobileApps?$select=id,displayName`. Permission
/// `DeviceManagementApps.Read.All`.
pub fn list_mobile_apps(ep: &Endpoint) -> Result<GraphRequest, Error> {
    req_get(
        ep,
        ApiVersion::Beta,
        format!("/deviceAppManagement/mobileApps?$select={}", SELECT.join(",")),
    )
}

/// `GET /beta/deviceManagement/deviceManagementScripts?$select=id,displayName`. Permission
/// `DeviceManagementConfiguration.Read.All`.
pub fn list_scripts(ep: &Endpoint) -> Result<GraphRequest, Error> {
    req_get(
        ep,
        ApiVersion::Beta,
        format!(
            "/deviceManagement/deviceManagementScripts?$select={}",
            SELECT.join(",")
        ),
    )
}
