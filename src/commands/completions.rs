//! `vmcompat completions SHELL` and `vmcompat man`: what users of a command-line
//! tool expect around it, generated from the clap definitions in [`crate::cli`]
//! (clap_complete, clap_mangen), so they never drift from the real flags.

use clap::CommandFactory;

use super::Outcome;
use crate::cli::{Cli, CompletionsArgs};
use crate::util::error::{Error, Result};

/// Prints the completion script for `args.shell` to standard output.
pub fn completions(args: &CompletionsArgs) -> Result<Outcome> {
    let mut cmd = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "vmcompat", &mut out);
    print(&out)
}

/// Prints the manual page (roff, section 1) to standard output.
pub fn man() -> Result<Outcome> {
    let mut out = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut out)
        .map_err(|e| Error::Usage(format!("cannot render the man page: {e}")))?;
    print(&out)
}

fn print(bytes: &[u8]) -> Result<Outcome> {
    let text = String::from_utf8_lossy(bytes);
    super::output::write_stdout(text.trim_end());
    Ok(Outcome::Good)
}
