//! `hangar explain`: where each known device (or a group tag) lands, and why.

use std::path::PathBuf;

use hangar_config::routing::{KnownDevice, Route, Routing, known_device};
use serde::Serialize;

use crate::commands::validate::{self, Format};
use crate::exit::Exit;

/// Arguments of `hangar explain`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The configuration directory.
    #[arg(default_value = ".")]
    pub dir: PathBuf,

    /// Explain one device of the devices CSVs, by serial number.
    #[arg(long, conflicts_with = "tag")]
    pub device: Option<String>,

    /// Explain a hypothetical device registered with this group tag.
    #[arg(long)]
    pub tag: Option<String>,

    /// Output format: `text` or `json`.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Serialize)]
struct JsonRoute {
    /// `None` for `--tag`: a device that does not exist has no serial (its name shows the
    /// template's `%SERIAL%`, as random characters show as `#`).
    serial: Option<String>,
    group_tag: Option<String>,
    groups: Vec<String>,
    profile: Option<String>,
    ambiguous_profiles: Vec<String>,
    esp: Option<String>,
    device_preparation: Vec<String>,
    domain_join: Option<String>,
    device_name: Option<String>,
    reasons: Vec<String>,
}

/// Runs `hangar explain`.
pub fn exec(args: Args) -> miette::Result<Exit> {
    let loaded = validate::load(&args.dir)?;
    let Some(state) = &loaded.state else {
        validate::print_text(&loaded);
        eprintln!("{}", validate::summary(&loaded, &args.dir));
        return Ok(Exit::Failure);
    };
    let routing = Routing::new(state);
    let devices: Vec<KnownDevice> = match (&args.device, &args.tag) {
        (Some(serial), _) => match state
            .devices
            .iter()
            .find(|device| device.serial.eq_ignore_ascii_case(serial))
        {
            Some(device) => vec![known_device(device)],
            None => {
                return Err(miette::miette!(
                    help = "list the devices with `hangar explain` and no filter",
                    "no device with serial `{serial}` in the devices CSVs"
                ));
            }
        },
        (None, Some(tag)) => {
            let device = KnownDevice::new("%SERIAL%").with_group_tag(tag.clone());
            let known = known_tags(state);
            let used = known.iter().any(|known| known.eq_ignore_ascii_case(tag));
            if !used && routing.groups_of(&device).is_empty() {
                return Err(unknown_tag(&known, tag));
            }
            vec![device]
        }
        (None, None) => state.devices.iter().map(known_device).collect(),
    };
    if devices.is_empty() {
        eprintln!("no devices: add an `AutopilotDevices` document, or use `--tag TAG`");
        return Ok(Exit::Success);
    }
    let routes: Vec<(KnownDevice, Route)> = devices
        .into_iter()
        .map(|device| {
            let route = routing.route(&device);
            (device, route)
        })
        .collect();
    let mut out = String::new();
    match args.format {
        Format::Text => {
            for (device, route) in &routes {
                let tag = device
                    .group_tag()
                    .map(|tag| format!(" (group tag `{tag}`)"))
                    .unwrap_or_default();
                let title = if args.tag.is_some() {
                    format!("a device{tag}")
                } else {
                    format!("{}{tag}", device.serial())
                };
                out.push_str(&title);
                out.push('\n');
                for line in routing.explain(route) {
                    out.push_str("  ");
                    out.push_str(&line);
                    out.push('\n');
                }
            }
        }
        Format::Json => {
            let items: Vec<JsonRoute> = routes
                .iter()
                .map(|(device, route)| to_json(&routing, device, route, args.tag.is_some()))
                .collect();
            out = serde_json::to_string_pretty(&items).map_err(|error| miette::miette!("{error}"))?;
            out.push('\n');
        }
    }
    validate::write_stdout(&out)?;
    Ok(Exit::Success)
}

fn to_json(routing: &Routing<'_>, device: &KnownDevice, route: &Route, hypothetical: bool) -> JsonRoute {
    let state = routing.state();
    JsonRoute {
        serial: (!hypothetical).then(|| device.serial().to_owned()),
        group_tag: device.group_tag().map(str::to_owned),
        groups: route
            .groups
            .iter()
            .map(|&group| state.group(group).meta.name.value.clone())
            .collect(),
        profile: route
            .profile()
            .map(|pick| state.profile(pick.id).meta.name.value.clone()),
        ambiguous_profiles: if route.is_ambiguous() {
            route
                .profiles
                .iter()
                .map(|pick| state.profile(pick.id).meta.name.value.clone())
                .collect()
        } else {
            Vec::new()
        },
        esp: route.esp.map(|pick| state.esp(pick.id).meta.name.value.clone()),
        device_preparation: route
            .device_preparation
            .iter()
            .map(|pick| state.dpp(pick.id).meta.name.value.clone())
            .collect(),
        domain_join: route
            .domain_joins
            .first()
            .map(|pick| state.domain_join(pick.id).meta.name.value.clone()),
        device_name: route.device_name.as_ref().map(|name| name.name.clone()),
        reasons: routing.explain(route),
    }
}

/// Every group tag the configuration names: in `membership: {groupTag: …}` and in the devices
/// CSVs.
fn known_tags(state: &hangar_config::DesiredState) -> Vec<&str> {
    let mut known: Vec<&str> = state
        .groups
        .iter()
        .filter_map(|group| match &group.membership.value {
            hangar_config::Membership::GroupTag(tag) => Some(tag.value.as_str()),
            _ => None,
        })
        .chain(
            state
                .devices
                .iter()
                .filter_map(|device| device.group_tag.as_deref()),
        )
        .collect();
    known.sort_unstable();
    known.dedup();
    known
}

/// `--tag` names a tag no group and no device uses: say so, with the tags that exist.
fn unknown_tag(known: &[&str], tag: &str) -> miette::Report {
    let help = match hangar_config::diagnostic::did_you_mean(tag, known.iter().copied()) {
        Some(suggestion) => format!("did you mean `{suggestion}`?"),
        None if known.is_empty() => {
            "no `DeviceGroup` uses `membership: {groupTag: …}` and no device has a tag".to_owned()
        }
        None => format!(
            "the tags in this configuration: {}",
            known
                .iter()
                .map(|tag| format!("`{tag}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    miette::miette!(
        help = help,
        "group tag `{tag}` is unknown: no group's membership rule matches a device with it"
    )
}
