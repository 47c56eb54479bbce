//! Reading the tenant into a [`LiveState`].
//!
//! Independent collections are read concurrently, each read its own task (`Reads`);
//! per-object reads (assignments, owners, Device Preparation settings and device groups) go in
//! `$batch`es of 20, all batches of a kind at once.
//!
//! **The device chain sets the pace.** Registered devices are the one collection that cannot be
//! read faster than one page after another (100 pages for 100,000 devices), so its pages go
//! out as soon as the previous page's link is known ([`paging`] decodes behind the wire), in a
//! lane of their own that never queues behind the `$batch`es (`GraphClient::send_page`), and
//! every other read runs on its own task beside it, so that on a large tenant the whole read
//! takes about as long as the device pages alone. A new read is one more `Reads::spawn` line
//! in [`read_live_state`]. Only what the scope asks for is read, and only the properties the planner needs
//! where Graph lets us choose (`$select` on groups and devices; Intune objects are read whole,
//! because the planner compares every field and keeps unknown ones).
//!
//! The tenant's Device Preparation policy templates (with setting definitions) are read when
//! [`ReadScope::device_preparation_templates`] asks, alongside the policies: the planner takes
//! templates and choice values from them, never from constants.
//!
//! Any failed request fails the whole read: nothing is ever turned into "absent".
//! [`LiveState::complete`] lists every kind that was read (all of them, when this returns
//! `Ok`), with one refinement for groups, see [`GroupScope::Named`].
//!
//! **Groups, by name or whole.** With [`GroupScope::Named`] (pruning off), names are asked for
//! 15 at a time (`$filter=displayName in ('…', …)`, Graph's limit of expressions in a filter),
//! 20 such requests to a `$batch`, all batches concurrently: one round trip for up to 300 names,
//! and no cost that grows with the size of the tenant (2,000 names: 134 requests in 7 batches;
//! one name a request needed 2,000 in 100). With [`GroupScope::All`] (pruning on, which needs to
//! see groups the config does not name) the collection is paged at 999 per page. Names are
//! cheaper whenever the tenant holds more groups than the names asked (a 999-group page costs
//! one sequential round trip, a batch of 300 names a parallel one), which is the usual case;
//! pruning is what forces the whole list.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::sync::Arc;

use hangar_model::device_preparation::PolicyTemplate;
use hangar_model::well_known::{self, odata};
use hangar_model::{Kind, LiveAssignment, LiveDevice, LiveObject, LiveState, Referenced};
use serde_json::{Map, Value};
use tokio::task::JoinSet;

use crate::Error;
use crate::batch;
use crate::http::GraphClient;
use crate::paging;
use crate::request::GraphRequest;
use crate::resources::{
    self, Body, assignment_filters, devices, domain_join, enrollment_configurations, groups, profiles,
    references, service_principals,
};

/// Which groups to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupScope {
    /// Only groups with these exact display names (those the configuration references).
    /// [`Kind::DeviceGroup`] is then marked complete in the sense that every group bearing one
    /// of these names was read: enough to plan creates of named groups, never enough to prune.
    Named(BTreeSet<String>),
    /// Every group in the tenant (pruning).
    All,
}

/// What [`read_live_state`] reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadScope {
    /// Kinds to read. [`Kind::AutopilotDevice`] reads every registered device.
    pub kinds: BTreeSet<Kind>,
    /// Which groups, when [`Kind::DeviceGroup`] is in `kinds`.
    pub groups: GroupScope,
    /// Read the owners of every group read (Device Preparation device groups need the Intune
    /// Provisioning Client as owner).
    pub group_owners: bool,
    /// Look up the Intune Provisioning Client service principal by app id.
    pub provisioning_client: bool,
    /// Read the tenant's Device Preparation policy templates with their setting definitions
    /// (a configuration with a Device Preparation policy takes its template and choice values
    /// from them). Read once per run; [`LiveState::device_preparation_templates`].
    pub device_preparation_templates: bool,
    /// Read the tenant's assignment filters (to resolve `filter:` names and name live ones).
    pub assignment_filters: bool,
    /// Read the tenant's scope tags (to resolve `scopeTags:` names and name live ids).
    pub scope_tags: bool,
    /// Read the tenant's apps (ESP blocking apps, Device Preparation apps: names and types).
    pub mobile_apps: bool,
    /// Read the tenant's platform scripts (Device Preparation scripts).
    pub scripts: bool,
    /// Group name → whether the configuration wants it dynamic: a group read whose live
    /// membership type differs gets its member count read
    /// ([`LiveObject::member_count`], `GET /groups/{id}/members/$count`), so the plan can say
    /// how many members the change drops.
    pub membership_types: BTreeMap<String, bool>,
}

impl ReadScope {
    /// Everything: every kind, every group with owners, the provisioning client.
    pub fn everything() -> ReadScope {
        ReadScope {
            kinds: Kind::ALL.into_iter().collect(),
            groups: GroupScope::All,
            group_owners: true,
            provisioning_client: true,
            device_preparation_templates: true,
            assignment_filters: true,
            scope_tags: true,
            mobile_apps: true,
            scripts: true,
            membership_types: BTreeMap::new(),
        }
    }

    /// `kinds`, with groups read by `group_names` only.
    pub fn named(
        kinds: impl IntoIterator<Item = Kind>,
        group_names: impl IntoIterator<Item = String>,
    ) -> ReadScope {
        ReadScope {
            kinds: kinds.into_iter().collect(),
            groups: GroupScope::Named(group_names.into_iter().collect()),
            group_owners: false,
            provisioning_client: false,
            device_preparation_templates: false,
            assignment_filters: false,
            scope_tags: false,
            mobile_apps: false,
            scripts: false,
            membership_types: BTreeMap::new(),
        }
    }

    fn wants(&self, kind: Kind) -> bool {
        self.kinds.contains(&kind)
    }
}

type Read = (Vec<LiveObject>, BTreeSet<Kind>);

/// Device Preparation policies read, and the tenant's Device Preparation templates when asked.
type PreparationRead = (Read, Option<Vec<PolicyTemplate>>);

/// What one read task brings back.
enum Part {
    /// Objects of some kinds, and the kinds read completely.
    Objects(Read),
    /// Device Preparation policies, and the tenant's templates when asked.
    Preparation(PreparationRead),
    /// Every registered device (`None`: not asked for).
    Devices(Option<Vec<LiveDevice>>),
    /// The Intune Provisioning Client's service principal id.
    ProvisioningClient(Option<String>),
    /// The tenant's assignment filters (`None`: not asked for).
    AssignmentFilters(Option<Vec<hangar_model::AssignmentFilter>>),
    /// Objects referred to by name (`None`: not asked for).
    Referenced(Reference, Option<Vec<Referenced>>),
}

/// Which collection of [`Referenced`] objects a read brought.
#[derive(Debug, Clone, Copy)]
enum Reference {
    ScopeTags,
    MobileApps,
    Scripts,
}

/// The reads of one [`read_live_state`], each on its own task, so that the CPU work of one
/// (decoding a hundred `$batch` answers) never delays another's next request. The first
/// failure ends the read and aborts every task still running (dropping a `JoinSet` aborts it):
/// nothing is ever returned from a partial read.
struct Reads {
    client: GraphClient,
    scope: Arc<ReadScope>,
    tasks: JoinSet<(usize, Result<Part, Error>)>,
    spawned: usize,
}

impl Reads {
    fn new(client: &GraphClient, scope: &ReadScope) -> Reads {
        Reads {
            client: client.clone(),
            scope: Arc::new(scope.clone()),
            tasks: JoinSet::new(),
            spawned: 0,
        }
    }

    /// Starts `read` on its own task with a handle on the client and the scope.
    fn spawn<F>(&mut self, read: impl FnOnce(GraphClient, Arc<ReadScope>) -> F)
    where
        F: Future<Output = Result<Part, Error>> + Send + 'static,
    {
        let index = self.spawned;
        self.spawned += 1;
        let read = read(self.client.clone(), Arc::clone(&self.scope));
        self.tasks.spawn(async move { (index, read.await) });
    }

    /// Every part, in the order the reads were spawned; the first error as soon as it happens.
    async fn join(mut self) -> Result<Vec<Part>, Error> {
        let mut parts: Vec<Option<Part>> = (0..self.spawned).map(|_| None).collect();
        while let Some(joined) = self.tasks.join_next().await {
            let (index, part) = match joined {
                Ok(done) => done,
                Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
                Err(error) => {
                    return Err(Error::Paging {
                        url: "(reading the tenant)".into(),
                        reason: format!("a read stopped before it finished: {error}"),
                    });
                }
            };
            parts[index] = Some(part?);
        }
        Ok(parts.into_iter().flatten().collect())
    }
}

/// Reads the tenant objects `scope` asks for. Fails on any failed request or broken page chain.
pub async fn read_live_state(client: &GraphClient, scope: &ReadScope) -> Result<LiveState, Error> {
    let started = tokio::time::Instant::now();
    let mut reads = Reads::new(client, scope);
    // The device chain first: it is the longest, everything else finishes under it.
    reads.spawn(|c, s| async move { read_devices(&c, &s).await.map(Part::Devices) });
    reads.spawn(|c, s| async move { read_groups(&c, &s).await.map(Part::Objects) });
    reads.spawn(|c, s| async move { read_profiles(&c, &s).await.map(Part::Objects) });
    reads.spawn(|c, s| async move { read_enrollment_configurations(&c, &s).await.map(Part::Objects) });
    reads.spawn(|c, s| async move { read_domain_join(&c, &s).await.map(Part::Objects) });
    reads.spawn(|c, s| async move { read_device_preparation(&c, &s).await.map(Part::Preparation) });
    reads.spawn(|c, s| async move {
        read_provisioning_client(&c, &s)
            .await
            .map(Part::ProvisioningClient)
    });
    reads.spawn(|c, s| async move { read_assignment_filters(&c, &s).await.map(Part::AssignmentFilters) });
    for reference in [Reference::ScopeTags, Reference::MobileApps, Reference::Scripts] {
        reads.spawn(move |c, s| async move {
            read_referenced(&c, &s, reference)
                .await
                .map(|found| Part::Referenced(reference, found))
        });
    }
    let mut state = LiveState::default();
    for part in reads.join().await? {
        match part {
            Part::Objects((objects, complete)) => {
                state.objects.extend(objects);
                state.complete.extend(complete);
            }
            Part::Preparation(((objects, complete), templates)) => {
                state.objects.extend(objects);
                state.complete.extend(complete);
                state.device_preparation_templates = templates;
            }
            Part::Devices(Some(devices)) => {
                state.devices = devices;
                state.complete.insert(Kind::AutopilotDevice);
            }
            Part::Devices(None) => {}
            Part::ProvisioningClient(id) => state.provisioning_client_id = id,
            Part::AssignmentFilters(filters) => state.assignment_filters = filters,
            Part::Referenced(Reference::ScopeTags, found) => state.scope_tags = found,
            Part::Referenced(Reference::MobileApps, found) => state.mobile_apps = found,
            Part::Referenced(Reference::Scripts, found) => state.scripts = found,
        }
    }
    tracing::info!(
        objects = state.objects.len(),
        devices = state.devices.len(),
        ms = started.elapsed().as_millis() as u64,
        "read live state"
    );
    Ok(state)
}

fn live_object(kind: Kind, properties: Body) -> LiveObject {
    let id = resources::id_of(&properties).unwrap_or_default().to_owned();
    let name = properties
        .get("displayName")
        .or_else(|| properties.get("name"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let mut object = LiveObject::new(kind, id, name);
    object.odata_type = properties
        .get("@odata.type")
        .and_then(Value::as_str)
        .map(str::to_owned);
    object.properties = properties;
    object
}

fn values(body: &Value) -> Vec<Value> {
    body.get("value")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

/// Sends list requests in batches and returns each one's complete item list, following any
/// `@odata.nextLink` an inner answer carries.
async fn batch_lists(client: &GraphClient, requests: Vec<GraphRequest>) -> Result<Vec<Vec<Value>>, Error> {
    let versions: Vec<_> = requests.iter().map(|r| (r.version, r.headers.clone())).collect();
    let answers = batch::send_all(client, requests).await?;
    let mut out = Vec::with_capacity(answers.len());
    for (answer, (version, headers)) in answers.into_iter().zip(versions) {
        let body = answer?;
        let mut items = values(&body);
        if let Some(link) = body.get("@odata.nextLink").and_then(Value::as_str) {
            let url = url::Url::parse(link).map_err(|e| Error::Paging {
                url: "$batch".into(),
                reason: format!("`@odata.nextLink` is not a URL: {e}"),
            })?;
            let rest: Vec<Value> = paging::collect(
                client,
                GraphRequest::follow(client.endpoint(), version, url, headers),
            )
            .await?;
            items.extend(rest);
        }
        out.push(items);
    }
    Ok(out)
}

/// One answer per request (for actions such as `retrieve…`, whose answer is not a list).
async fn batch_objects(client: &GraphClient, requests: Vec<GraphRequest>) -> Result<Vec<Value>, Error> {
    batch::send_all(client, requests).await?.into_iter().collect()
}

fn ids(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .filter_map(|v| v.get("id").and_then(Value::as_str).map(str::to_owned))
        .collect()
}

async fn read_groups(client: &GraphClient, scope: &ReadScope) -> Result<Read, Error> {
    if !scope.wants(Kind::DeviceGroup) {
        return Ok(Read::default());
    }
    let ep = client.endpoint();
    // `uniqueName` too, to leave out the apply lock (a group by its alternate key).
    let select: Vec<&str> = groups::SELECT.iter().copied().chain(["uniqueName"]).collect();
    let found: Vec<Body> = match &scope.groups {
        GroupScope::All => paging::collect(client, groups::list(ep, &select)?).await?,
        GroupScope::Named(names) => {
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            let chunks = groups::name_chunks(&names);
            let requests = chunks
                .iter()
                .map(|chunk| groups::find_by_names(ep, chunk, &select))
                .collect::<Result<Vec<_>, _>>()?;
            let answers = batch_lists(client, requests).await?;
            let wanted: BTreeSet<&str> = names.iter().copied().collect();
            let mut seen = BTreeSet::new();
            answers
                .into_iter()
                .flatten()
                .filter_map(|v| v.as_object().cloned())
                // Graph matches names without regard to case; a configuration names a group
                // exactly.
                .filter(|g| {
                    g.get("displayName")
                        .and_then(Value::as_str)
                        .is_some_and(|name| wanted.contains(name))
                })
                .filter(|g| seen.insert(resources::id_of(g).unwrap_or_default().to_ascii_lowercase()))
                .collect()
        }
    };
    let mut objects: Vec<LiveObject> = found
        .into_iter()
        .filter_map(|mut g| {
            let lock = g
                .remove("uniqueName")
                .and_then(|u| u.as_str().map(str::to_owned))
                .is_some_and(|u| u.eq_ignore_ascii_case(hangar_model::well_known::APPLY_LOCK_UNIQUE_NAME));
            (!lock).then(|| live_object(Kind::DeviceGroup, g))
        })
        .collect();
    if scope.group_owners && !objects.is_empty() {
        let requests = objects
            .iter()
            .map(|o| groups::list_owners(ep, &o.id))
            .collect::<Result<Vec<_>, _>>()?;
        for (object, owners) in objects.iter_mut().zip(batch_lists(client, requests).await?) {
            object.owners = Some(ids(&owners));
        }
    }
    // Only groups whose membership type the plan changes: a handful, each its own request (a
    // plain-text answer, which `$batch` would wrap in base64), one after the other.
    let changing: Vec<usize> = objects
        .iter()
        .enumerate()
        .filter(|(_, group)| {
            scope
                .membership_types
                .get(&group.display_name)
                .is_some_and(|&dynamic| dynamic != group.is_dynamic_group())
        })
        .map(|(index, _)| index)
        .collect();
    for index in changing {
        let request = groups::count_members(ep, &objects[index].id)?;
        let answer = client.send(&request).await?;
        let text = String::from_utf8_lossy(&answer.body);
        let count = text.trim().parse::<u64>().map_err(|_| Error::NotACount {
            url: request.url.to_string(),
            answer: text.chars().take(40).collect(),
        })?;
        objects[index].member_count = Some(count);
    }
    Ok((objects, BTreeSet::from([Kind::DeviceGroup])))
}

async fn read_assignment_filters(
    client: &GraphClient,
    scope: &ReadScope,
) -> Result<Option<Vec<hangar_model::AssignmentFilter>>, Error> {
    if !scope.assignment_filters {
        return Ok(None);
    }
    let found: Vec<Body> = paging::collect(client, assignment_filters::list(client.endpoint())?).await?;
    let text = |body: &Body, name: &str| body.get(name).and_then(Value::as_str).map(str::to_owned);
    Ok(Some(
        found
            .iter()
            .filter_map(|body| {
                Some(hangar_model::AssignmentFilter {
                    id: text(body, "id")?,
                    display_name: text(body, "displayName").unwrap_or_default(),
                    platform: text(body, "platform"),
                })
            })
            .collect(),
    ))
}

/// Scope tags, apps or scripts, when `scope` asks for them.
async fn read_referenced(
    client: &GraphClient,
    scope: &ReadScope,
    reference: Reference,
) -> Result<Option<Vec<Referenced>>, Error> {
    let ep = client.endpoint();
    let request = match reference {
        Reference::ScopeTags if scope.scope_tags => references::list_scope_tags(ep)?,
        Reference::MobileApps if scope.mobile_apps => references::list_mobile_apps(ep)?,
        Reference::Scripts if scope.scripts => references::list_scripts(ep)?,
        _ => return Ok(None),
    };
    let found: Vec<Body> = paging::collect(client, request).await?;
    let text = |body: &Body, name: &str| body.get(name).and_then(Value::as_str).map(str::to_owned);
    Ok(Some(
        found
            .iter()
            .filter_map(|body| {
                Some(Referenced {
                    id: text(body, "id")?,
                    display_name: text(body, "displayName").unwrap_or_default(),
                    odata_type: text(body, "@odata.type"),
                })
            })
            .collect(),
    ))
}

async fn attach_assignments(
    client: &GraphClient,
    objects: &mut [LiveObject],
    request: impl Fn(&str) -> Result<GraphRequest, Error>,
) -> Result<(), Error> {
    let targets: Vec<usize> = (0..objects.len()).filter(|&i| !objects[i].builtin).collect();
    let requests = targets
        .iter()
        .map(|&i| request(&objects[i].id))
        .collect::<Result<Vec<_>, _>>()?;
    for (i, assignments) in targets.into_iter().zip(batch_lists(client, requests).await?) {
        objects[i].assignments = Some(assignments.into_iter().map(LiveAssignment::parse).collect());
    }
    Ok(())
}

async fn read_profiles(client: &GraphClient, scope: &ReadScope) -> Result<Read, Error> {
    if !scope.wants(Kind::DeploymentProfile) {
        return Ok(Read::default());
    }
    // GCC High and DoD have no classic profiles: there is nothing to read, and the kind is
    // complete (empty) by definition of the cloud.
    if !client.cloud().has_classic_autopilot() {
        return Ok((Vec::new(), BTreeSet::from([Kind::DeploymentProfile])));
    }
    let ep = client.endpoint();
    let found: Vec<Body> = paging::collect(client, profiles::list(ep)?).await?;
    let mut objects: Vec<LiveObject> = found
        .into_iter()
        .map(|p| live_object(Kind::DeploymentProfile, p))
        .collect();
    attach_assignments(client, &mut objects, |id| profiles::list_assignments(ep, id)).await?;
    Ok((objects, BTreeSet::from([Kind::DeploymentProfile])))
}

/// The kind of an enrollment configuration hangar manages, and whether it is built in.
pub fn classify_enrollment_configuration(body: &Body) -> Option<(Kind, bool)> {
    let odata_type = body
        .get("@odata.type")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let id = resources::id_of(body).unwrap_or_default();
    let is = |t: &str| odata_type.eq_ignore_ascii_case(t);
    let ends = |suffix: &str| id.to_ascii_lowercase().ends_with(&suffix.to_ascii_lowercase());
    if is(odata::ESP) {
        return Some((
            Kind::EnrollmentStatusPage,
            ends(well_known::DEFAULT_ESP_ID_SUFFIX),
        ));
    }
    if is(odata::DEFAULT_PLATFORM_RESTRICTIONS) {
        return Some((Kind::EnrollmentRestriction, true));
    }
    if is(odata::PLATFORM_RESTRICTION) {
        let platform = body
            .get("platformType")
            .and_then(Value::as_str)
            .unwrap_or("windows");
        if platform.eq_ignore_ascii_case("windows") {
            return Some((
                Kind::EnrollmentRestriction,
                ends(well_known::DEFAULT_PLATFORM_RESTRICTION_ID_SUFFIX),
            ));
        }
    }
    None
}

async fn read_enrollment_configurations(client: &GraphClient, scope: &ReadScope) -> Result<Read, Error> {
    let wanted: BTreeSet<Kind> = [Kind::EnrollmentStatusPage, Kind::EnrollmentRestriction]
        .into_iter()
        .filter(|k| scope.wants(*k))
        .collect();
    if wanted.is_empty() {
        return Ok(Read::default());
    }
    let ep = client.endpoint();
    let found: Vec<Body> = paging::collect(client, enrollment_configurations::list(ep)?).await?;
    let mut objects: Vec<LiveObject> = found
        .into_iter()
        .filter_map(|body| {
            let (kind, builtin) = classify_enrollment_configuration(&body)?;
            wanted.contains(&kind).then(|| {
                let mut object = live_object(kind, body);
                object.builtin = builtin;
                object
            })
        })
        .collect();
    attach_assignments(client, &mut objects, |id| {
        enrollment_configurations::list_assignments(ep, id)
    })
    .await?;
    Ok((objects, wanted))
}

async fn read_domain_join(client: &GraphClient, scope: &ReadScope) -> Result<Read, Error> {
    if !scope.wants(Kind::DomainJoinProfile) {
        return Ok(Read::default());
    }
    let ep = client.endpoint();
    let found: Vec<Body> = paging::collect(client, domain_join::list(ep)?).await?;
    let mut objects: Vec<LiveObject> = found
        .into_iter()
        .filter(domain_join::is_domain_join)
        .map(|d| live_object(Kind::DomainJoinProfile, d))
        .collect();
    attach_assignments(client, &mut objects, |id| domain_join::list_assignments(ep, id)).await?;
    Ok((objects, BTreeSet::from([Kind::DomainJoinProfile])))
}

/// The tenant's enrollment-family policy templates with their setting templates and
/// definitions: one list, then every template's settings in `$batch`es. A handful of
/// templates, so a couple of round trips; `None` when the scope does not ask.
async fn read_device_preparation_templates(
    client: &GraphClient,
    scope: &ReadScope,
) -> Result<Option<Vec<PolicyTemplate>>, Error> {
    use crate::resources::device_preparation as dpp;
    if !scope.device_preparation_templates {
        return Ok(None);
    }
    let ep = client.endpoint();
    let templates: Vec<Body> = paging::collect(client, dpp::list_templates(ep)?).await?;
    let requests = templates
        .iter()
        .map(|t| dpp::list_setting_templates(ep, resources::id_of(t).unwrap_or_default()))
        .collect::<Result<Vec<_>, _>>()?;
    let settings = batch_lists(client, requests).await?;
    Ok(Some(
        templates
            .iter()
            .zip(settings)
            .map(|(template, settings)| dpp::policy_template(template, &settings))
            .collect(),
    ))
}

async fn read_device_preparation(client: &GraphClient, scope: &ReadScope) -> Result<PreparationRead, Error> {
    use crate::resources::device_preparation as dpp;
    if !scope.wants(Kind::DevicePreparationPolicy) {
        return Ok((
            Read::default(),
            read_device_preparation_templates(client, scope).await?,
        ));
    }
    let ep = client.endpoint();
    let (found, templates) = tokio::try_join!(
        paging::collect::<Body>(client, dpp::list(ep)?),
        read_device_preparation_templates(client, scope),
    )?;
    let known = templates.as_deref().unwrap_or_default();
    let mut objects: Vec<LiveObject> = found
        .into_iter()
        .filter(|policy| dpp::is_device_preparation(policy, known))
        .map(|p| live_object(Kind::DevicePreparationPolicy, p))
        .collect();
    let settings = objects
        .iter()
        .map(|o| dpp::list_settings(ep, &o.id))
        .collect::<Result<Vec<_>, _>>()?;
    let assignments = objects
        .iter()
        .map(|o| dpp::list_assignments(ep, &o.id))
        .collect::<Result<Vec<_>, _>>()?;
    let targets = objects
        .iter()
        .map(|o| dpp::retrieve_membership_target(ep, &o.id))
        .collect::<Result<Vec<_>, _>>()?;
    let (settings, assignments, targets) = tokio::try_join!(
        batch_lists(client, settings),
        batch_lists(client, assignments),
        batch_objects(client, targets),
    )?;
    for (((object, settings), assignments), target) in
        objects.iter_mut().zip(settings).zip(assignments).zip(targets)
    {
        object.settings = Some(settings);
        object.assignments = Some(assignments.into_iter().map(LiveAssignment::parse).collect());
        object.device_membership_targets = Some(dpp::membership_target_ids(&target));
    }
    Ok((
        (objects, BTreeSet::from([Kind::DevicePreparationPolicy])),
        templates,
    ))
}

async fn read_devices(client: &GraphClient, scope: &ReadScope) -> Result<Option<Vec<LiveDevice>>, Error> {
    if !scope.wants(Kind::AutopilotDevice) {
        return Ok(None);
    }
    let mut out: Vec<LiveDevice> = Vec::new();
    paging::for_each_page(
        client,
        devices::list(client.endpoint())?,
        |rows: Vec<devices::DeviceRow>| {
            out.extend(rows.into_iter().map(LiveDevice::from));
            Ok(())
        },
    )
    .await?;
    Ok(Some(out))
}

async fn read_provisioning_client(client: &GraphClient, scope: &ReadScope) -> Result<Option<String>, Error> {
    if !scope.provisioning_client {
        return Ok(None);
    }
    let request =
        service_principals::find_by_app_id(client.endpoint(), well_known::INTUNE_PROVISIONING_CLIENT_APP_ID)?;
    let found: Vec<Map<String, Value>> = paging::collect(client, request).await?;
    Ok(found
        .iter()
        .find_map(|sp| resources::id_of(sp).map(str::to_owned)))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn body(value: Value) -> Body {
        value.as_object().cloned().unwrap()
    }

    #[test]
    fn enrollment_configurations_are_classified_by_type() {
        let esp = body(
            json!({"@odata.type": odata::ESP, "id": "x_DefaultWindows10EnrollmentCompletionPageConfiguration"}),
        );
        assert_eq!(
            classify_enrollment_configuration(&esp),
            Some((Kind::EnrollmentStatusPage, true))
        );
        let custom = body(json!({"@odata.type": odata::ESP, "id": "abc"}));
        assert_eq!(
            classify_enrollment_configuration(&custom),
            Some((Kind::EnrollmentStatusPage, false))
        );
        let default = body(
            json!({"@odata.type": odata::DEFAULT_PLATFORM_RESTRICTIONS, "id": "x_DefaultPlatformRestrictions"}),
        );
        assert_eq!(
            classify_enrollment_configuration(&default),
            Some((Kind::EnrollmentRestriction, true))
        );
        let windows =
            body(json!({"@odata.type": odata::PLATFORM_RESTRICTION, "id": "r", "platformType": "windows"}));
        assert_eq!(
            classify_enrollment_configuration(&windows),
            Some((Kind::EnrollmentRestriction, false))
        );
        let ios = body(json!({"@odata.type": odata::PLATFORM_RESTRICTION, "id": "r", "platformType": "ios"}));
        assert_eq!(classify_enrollment_configuration(&ios), None);
        let limit =
            body(json!({"@odata.type": "#microsoft.graph.deviceEnrollmentLimitConfiguration", "id": "l"}));
        assert_eq!(classify_enrollment_configuration(&limit), None);
    }

    #[test]
    fn live_objects_take_name_or_display_name() {
        let policy = live_object(
            Kind::DevicePreparationPolicy,
            body(json!({"id": "p", "name": "DPP", "x": 1})),
        );
        assert_eq!(policy.display_name, "DPP");
        assert_eq!(policy.property("x"), Some(&json!(1)));
    }
}
