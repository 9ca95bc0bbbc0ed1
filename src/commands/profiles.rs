//! `vmcompat profiles`: the CPU profiles and named baselines shipped with the tool.

use super::Outcome;
use crate::cli::ProfilesArgs;
use crate::render::profiles::{BaselineInfo, Listing};
use crate::util::error::Result;

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
    super::output::report(&listing, args.format);
    Ok(Outcome::Good)
}
