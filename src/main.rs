//! The `vmcompat` binary: parse the command line, run the command, map the
//! outcome to an exit code (0 good, 1 findings, 2 bad input or failure to collect,
//! 70 an internal check failed: a bug).

use std::process::ExitCode;

/// mimalloc: glibc's allocator serializes the parallel parsing of large fleets
/// (100,000 dumps) on its arena locks; mimalloc's per-thread heaps do not.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::Parser;
use vmcompat::cli::{Cli, Command};
use vmcompat::commands::{self, Outcome};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return command_line_error(&e),
    };
    vmcompat::render::set_width(commands::output::terminal_width());
    let result = match &cli.command {
        Command::Report(args) => commands::report::run(args),
        Command::Probe(args) => commands::probe::run(args),
        Command::Audit(args) => commands::audit::run(args),
        Command::Diff(args) => commands::diff::run(args),
        Command::Drift(args) => commands::drift::run(args),
        Command::Check(args) => commands::check::run(args),
        Command::Mask(args) => commands::mask::run(args),
        Command::Profiles(args) => commands::profiles::run(args),
        Command::Vms(args) => commands::vms::run(args),
        Command::Completions(args) => commands::completions::completions(args),
        Command::Man => commands::completions::man(),
    };
    match result {
        Ok(Outcome::Good) => ExitCode::SUCCESS,
        Ok(Outcome::Findings) => ExitCode::from(1),
        Err(e) => {
            // Errors quote hosts' output and files' contents: made safe first.
            commands::output::note(&format!("vmcompat: error: {e}"));
            ExitCode::from(e.exit_code())
        }
    }
}

/// Prints clap's help, version or usage error made safe (a mistyped argument is
/// quoted back, and may hold anything): help and version on standard output
/// (exit 0), errors on standard error (exit 2).
fn command_line_error(e: &clap::Error) -> ExitCode {
    let text = e.render().to_string();
    if e.use_stderr() {
        commands::output::note(text.trim_end());
        ExitCode::from(2)
    } else {
        commands::output::text(&text);
        ExitCode::SUCCESS
    }
}
