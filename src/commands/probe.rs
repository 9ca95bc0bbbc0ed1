//! `vmcompat probe`: write a complete dump of the local CPU.

use std::io::Write;

use super::Outcome;
use crate::cli::ProbeArgs;
use crate::sources::formats::native;
use crate::util::error::Result;

/// Runs the command: probe every logical CPU, write TOML (or JSON).
pub fn run(args: &ProbeArgs) -> Result<Outcome> {
    let mut timer = super::PhaseTimer::from_env();
    let dump = crate::sources::local::probe()?;
    timer.mark("probe");
    let text = if args.json {
        native::to_json(&dump)
    } else {
        native::to_toml(&dump)
    };
    timer.mark("serialize");
    match &args.output {
        Some(path) => crate::util::atomic_file::write(path, text.as_bytes())?,
        None => {
            let mut out = std::io::stdout().lock();
            if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
                super::output::stdout_failed(&e);
            }
        }
    }
    Ok(Outcome::Good)
}
