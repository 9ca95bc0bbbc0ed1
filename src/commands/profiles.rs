//! `vmcompat profiles`: the CPU profiles and named baselines shipped with the tool.

use comfy_table::{presets::UTF8_FULL_CONDENSED, Cell, ContentArrangement, Table};
use serde::Serialize;

use super::Outcome;
use crate::cli::ProfilesArgs;
use crate::render::{self, OutputFormat};
use crate::util::error::Result;

#[derive(Serialize)]
struct Listing {
    profiles: Vec<crate::shipped::profiles::ProfileInfo>,
    baselines: Vec<BaselineInfo>,
}

#[derive(Serialize)]
struct BaselineInfo {
    name: String,
    vendor: Option<String>,
    description: String,
    follows: String,
    features: usize,
}

/// Runs the command.
pub fn run(args: &ProfilesArgs) -> Result<Outcome> {
    let profiles = crate::shipped::profiles::describe_all()?;
    let baselines: Vec<BaselineInfo> = crate::shipped::baselines::all()?
        .into_iter()
        .map(|b| BaselineInfo {
            vendor: b.vendor.map(|v| v.display_name().to_string()),
            features: b.features.len(),
            name: b.name,
            description: b.description,
            follows: b.follows,
        })
        .collect();
    let listing = Listing {
        profiles,
        baselines,
    };
    let text = match args.format {
        OutputFormat::Json => render::json(&listing),
        OutputFormat::Table => {
            let mut t = Table::new();
            t.load_preset(UTF8_FULL_CONDENSED)
                .set_content_arrangement(ContentArrangement::Dynamic)
                .set_width(crate::render::width())
                .set_header(vec![
                    "Profile",
                    "Vendor",
                    "Family/model",
                    "Microarchitecture",
                    "Description",
                ]);
            for p in &listing.profiles {
                t.add_row(vec![
                    Cell::new(&p.name),
                    Cell::new(p.vendor.display_name()),
                    Cell::new(format!("0x{:x}/0x{:x}", p.family, p.model)),
                    Cell::new(p.microarchitecture.unwrap_or("-")),
                    Cell::new(&p.description),
                ]);
            }
            let mut b = Table::new();
            b.load_preset(UTF8_FULL_CONDENSED)
                .set_content_arrangement(ContentArrangement::Dynamic)
                .set_width(crate::render::width())
                .set_header(vec![
                    "Baseline",
                    "Vendor",
                    "Features",
                    "Follows",
                    "Description",
                ]);
            for x in &listing.baselines {
                b.add_row(vec![
                    Cell::new(&x.name),
                    Cell::new(x.vendor.as_deref().unwrap_or("any")),
                    Cell::new(x.features),
                    Cell::new(&x.follows),
                    Cell::new(&x.description),
                ]);
            }
            format!(
                "CPU profiles (use as `profile = \"NAME\"` in a fleet file, or as a host argument)\n{}\n\nNamed baselines (masks/; use with `mask --baseline` and `check --require`)\n{}",
                crate::render::fit(&t),
                crate::render::fit(&b)
            )
        }
    };
    super::output::print(&text, args.format == OutputFormat::Json);
    Ok(Outcome::Good)
}
