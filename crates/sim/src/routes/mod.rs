//! The route table: which path and method go to which resource module.
//!
//! Paths are matched on segments after the version (`/v1.0` or `/beta`); OData key syntax
//! (`profiles('id')`) and plain segments (`profiles/id`) are equivalent. `docs/simulator.md`
//! lists every route. Paths that exist only in beta answer Graph's
//! "Resource not found for the segment" 400 under v1.0.

pub(crate) mod assignment_filters;
pub(crate) mod audit;
pub(crate) mod connectors;
pub(crate) mod devices;
pub(crate) mod enrollment;
pub(crate) mod entra_policies;
pub(crate) mod groups;
pub(crate) mod intune;
pub(crate) mod licences;
pub(crate) mod policies;
pub(crate) mod profiles;
pub(crate) mod references;
pub(crate) mod templates;

use serde_json::{Map, Value, json};

use crate::config::SimConfig;
use crate::odata::{Call, Method, Query};
use crate::paging::{Family, PageSpec, page_spec};
use crate::reply::{GraphError, IntuneService, Outcome};
use crate::schema::{ApiVersion, check_select};
use crate::state::SimState;

/// What a route handler works with.
pub(crate) struct Ctx<'a> {
    pub state: &'a mut SimState,
    pub call: &'a Call,
    pub query: Query,
    /// Simulated now (ms).
    pub now: i64,
    pub config: &'a SimConfig,
}

impl Ctx<'_> {
    pub fn method(&self) -> &Method {
        &self.call.method
    }

    pub fn version(&self) -> ApiVersion {
        self.call.version
    }

    /// `@odata.context` for a fragment.
    pub fn context(&self, fragment: &str) -> String {
        crate::paging::context(self.call, fragment)
    }

    /// One entity of the collection at `fragment`: `@odata.context` of `…/$entity`, then the
    /// rendered item.
    pub fn entity(&self, fragment: &str, item: Map<String, Value>) -> Value {
        let mut body = Map::new();
        body.insert(
            "@odata.context".into(),
            json!(self.context(&format!("{fragment}/$entity"))),
        );
        body.extend(item);
        Value::Object(body)
    }

    /// The page this request asks for, within the limits of the service `family`.
    pub fn page_spec(&self, family: Family) -> Result<PageSpec, GraphError> {
        page_spec(
            &self.query,
            family,
            self.config.directory_page_size,
            self.config.intune_page_size,
        )
    }

    /// Refuses a `$select` naming a property `type_name` does not have.
    pub fn check_select(&self, type_name: &str) -> Result<(), GraphError> {
        match &self.query.select {
            Some(list) => check_select(type_name, list, self.version()),
            None => Ok(()),
        }
    }

    /// Refuses query options a route does not support.
    pub fn no_query_options(&self, allowed: &[&str]) -> Result<(), GraphError> {
        let q = &self.query;
        let used = [
            ("$top", q.top.is_some()),
            ("$skip", q.skip.is_some()),
            ("$skiptoken", q.skiptoken.is_some()),
            ("$select", q.select.is_some()),
            ("$expand", !q.expand.is_empty()),
            ("$filter", q.filter.is_some()),
            ("$count", q.count),
            ("$orderby", q.orderby.is_some()),
            ("$search", q.search.is_some()),
        ];
        for (name, present) in used {
            if present && !allowed.contains(&name) {
                return Err(GraphError::bad_request(format!(
                    "Query option '{name}' is not allowed on this request."
                )));
            }
        }
        Ok(())
    }
}

/// The answer for a method a path does not take.
pub(crate) fn no_route(ctx: &Ctx<'_>, service: Option<IntuneService>) -> GraphError {
    match service {
        None => GraphError::new(
            405,
            "Request_BadRequest",
            "Specified HTTP method is not allowed for the request target.",
        ),
        Some(service) => GraphError::intune(
            400,
            "No method match route template",
            service,
            format!(
                "No OData route exists that match template ~/singleton/navigation/key with http verb {} for request {}.",
                ctx.method().as_str(),
                ctx.call.path
            ),
        ),
    }
}

/// Dispatches a Graph request to its resource.
pub(crate) fn dispatch(ctx: &mut Ctx<'_>) -> Outcome {
    let segments: Vec<String> = ctx.call.segments.clone();
    let segs: Vec<&str> = segments.iter().map(String::as_str).collect();
    let beta_only = |ctx: &Ctx<'_>, segment: &str| -> Result<(), GraphError> {
        if ctx.version() == ApiVersion::V1 {
            Err(GraphError::segment_not_found(segment))
        } else {
            Ok(())
        }
    };
    match segs.as_slice() {
        ["groups", rest @ ..] => groups::groups(ctx, rest),
        ["servicePrincipals", rest @ ..] => groups::service_principals(ctx, rest),
        ["directoryObjects", rest @ ..] => groups::directory_objects(ctx, rest),
        ["policies", rest @ ..] => entra_policies::policies(ctx, rest),
        ["subscribedSkus", rest @ ..] => licences::subscribed_skus(ctx, rest),
        ["auditLogs", "directoryAudits", rest @ ..] => audit::directory_audits(ctx, rest),
        ["deviceManagement", "auditEvents", rest @ ..] => audit::intune_events(ctx, rest),
        [
            "deviceManagement",
            "windowsAutopilotDeploymentProfiles",
            rest @ ..,
        ] => {
            beta_only(ctx, "windowsAutopilotDeploymentProfiles")?;
            profiles::profiles(ctx, rest)
        }
        ["deviceManagement", "deviceEnrollmentConfigurations", rest @ ..] => {
            enrollment::configurations(ctx, rest)
        }
        ["deviceManagement", "deviceConfigurations", rest @ ..] => intune::device_configurations(ctx, rest),
        ["deviceManagement", "configurationPolicies", rest @ ..] => {
            beta_only(ctx, "configurationPolicies")?;
            policies::policies(ctx, rest)
        }
        ["deviceManagement", "configurationPolicyTemplates", rest @ ..] => {
            beta_only(ctx, "configurationPolicyTemplates")?;
            templates::templates(ctx, rest)
        }
        [
            "deviceManagement",
            "importedWindowsAutopilotDeviceIdentities",
            rest @ ..,
        ] => devices::imported(ctx, rest),
        ["deviceManagement", "windowsAutopilotDeviceIdentities", rest @ ..] => devices::registered(ctx, rest),
        ["deviceManagement", "domainJoinConnectors", rest @ ..] => {
            beta_only(ctx, "domainJoinConnectors")?;
            connectors::connectors(ctx, rest)
        }
        ["deviceManagement", "assignmentFilters", rest @ ..] => {
            beta_only(ctx, "assignmentFilters")?;
            assignment_filters::assignment_filters(ctx, rest)
        }
        ["deviceManagement", "roleScopeTags", rest @ ..] => {
            references::serve(ctx, &references::SCOPE_TAGS, rest)
        }
        ["deviceManagement", "deviceManagementScripts", rest @ ..] => {
            beta_only(ctx, "deviceManagementScripts")?;
            references::serve(ctx, &references::SCRIPTS, rest)
        }
        ["deviceAppManagement", "mobileApps", rest @ ..] => {
            references::serve(ctx, &references::MOBILE_APPS, rest)
        }
        ["deviceManagement", "windowsAutopilotSettings", rest @ ..] => {
            beta_only(ctx, "windowsAutopilotSettings")?;
            devices::settings(ctx, rest)
        }
        ["deviceManagement", other, ..] => Err(GraphError::segment_not_found(other)),
        [first, ..] => Err(GraphError::segment_not_found(first)),
        [] => Err(GraphError::bad_request(
            "Invalid request: a resource path is required after the version.",
        )),
    }
}

/// `{"id", "@odata.type"?, …}` with `id` first, as Graph orders them.
pub(crate) fn with_id(id: &str, odata_type: Option<&str>) -> Map<String, Value> {
    let mut out = Map::new();
    if let Some(t) = odata_type {
        out.insert("@odata.type".into(), json!(format!("#microsoft.graph.{t}")));
    }
    out.insert("id".into(), json!(id));
    out
}
