//! Intune assignment filters (beta `deviceManagement/assignmentFilters`, type
//! `deviceAndAppManagementAssignmentFilter`): what an assignment's
//! `deviceAndAppManagementAssignmentFilterId` points at. hangar reads them to resolve the
//! `filter:` names of the YAML to ids and to name live filters in the plan; it never writes
//! them. Permission `DeviceManagementConfiguration.Read.All`. The collection has no usable
//! `$filter` on `displayName` documented, so names are matched client-side.

use super::req_get;
use crate::Error;
use crate::endpoint::{ApiVersion, Endpoint};
use crate::request::GraphRequest;

/// What hangar reads of a filter.
pub const SELECT: &[&str] = &["id", "displayName", "platform"];

/// `GET /beta/deviceManagement/assignmentFilters?$select=id,displayName,platform`.
pub fn list(ep: &Endpoint) -> Result<GraphRequest, Error> {
    req_get(
        ep,
        ApiVersion::Beta,
        format!("/deviceManagement/assignmentFilters?$select={}", SELECT.join(",")),
    )
}
