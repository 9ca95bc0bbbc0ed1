//! `vmcompat report`: one host, cupid-style.

use super::{read_host, Outcome};
use crate::analysis::host::host_report;
use crate::cli::ReportArgs;
use crate::error::{Error, Result};
use crate::render::{self, OutputFormat};

/// Runs the command, printing to standard output.
pub fn run(args: &ReportArgs) -> Result<Outcome> {
    let dump = read_host(&args.source)?;
    let report = host_report(&dump).ok_or_else(|| {
        Error::input(
            dump.provenance.origin.clone(),
            "the dump holds no logical CPU",
        )
    })?;
    let text = match args.format {
        OutputFormat::Table => render::report::table(&report),
        OutputFormat::Json => render::json(&report),
    };
    super::output::print(&text, args.format == OutputFormat::Json);
    Ok(Outcome::Good)
}
