//! `vmcompat report`: one host, cupid-style.

use super::{read_host, Outcome};
use crate::analysis::host::host_report;
use crate::cli::ReportArgs;
use crate::util::error::{Error, Result};

/// Runs the command, printing to standard output.
pub fn run(args: &ReportArgs) -> Result<Outcome> {
    let release = args
        .esxi_version
        .as_deref()
        .map(crate::model::esxi_version::parse)
        .transpose()
        .map_err(|m| Error::Usage(format!("--esxi-version: {m}")))?;
    let dump = read_host(&args.source)?;
    let mut report = host_report(&dump).ok_or_else(|| {
        Error::input(
            dump.provenance.origin.clone(),
            "the dump holds no logical CPU",
        )
    })?;
    if let Some(v) = &release {
        crate::analysis::host::cap_evc_mode_to_release(&mut report, v);
    }
    if let Some(path) = &args.source.dump {
        // The file is the source; where it was recorded (host, how) follows.
        let file = crate::util::local_file::origin(path);
        if dump.provenance.origin != file {
            report.source = format!("{file} (dump file, recorded from {})", report.source);
        }
    }
    super::output::report(&report, args.format);
    Ok(Outcome::Good)
}
