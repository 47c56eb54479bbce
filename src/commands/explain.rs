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
    serial: String,
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
        (None, Some(tag)) => vec![KnownDevice::new("%SERIAL%").with_group_tag(tag.clone())],
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
                .map(|(device, route)| to_json(&routing, device, route))
                .collect();
            out = serde_json::to_string_pretty(&items).map_err(|error| miette::miette!("{error}"))?;
            out.push('\n');
        }
    }
    validate::write_stdout(&out)?;
    Ok(Exit::Success)
}

fn to_json(routing: &Routing<'_>, device: &KnownDevice, route: &Route) -> JsonRoute {
    let state = routing.state();
    JsonRoute {
        serial: device.serial().to_owned(),
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
