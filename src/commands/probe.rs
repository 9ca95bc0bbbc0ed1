//! `vmcompat probe`: write a complete dump of the local CPU.

use std::io::Write;

use super::Outcome;
use crate::cli::ProbeArgs;
use crate::cpuid::{self, formats::native};
use crate::error::{Error, Result};

/// Runs the command: probe every logical CPU, write TOML (or JSON).
pub fn run(args: &ProbeArgs) -> Result<Outcome> {
    let mut timer = super::PhaseTimer::from_env();
    let dump = cpuid::local::probe()?;
    timer.mark("probe");
    let text = if args.json {
        native::to_json(&dump)
    } else {
        native::to_toml(&dump)
    };
    timer.mark("serialize");
    match &args.output {
        Some(path) => write_atomically(path, text.as_bytes())?,
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())
                .map_err(|e| Error::writing(std::path::Path::new("<stdout>"), e))?;
        }
    }
    Ok(Outcome::Good)
}

/// Writes to a temporary file beside `path`, then renames it into place, so a
/// reader never sees half a dump. Targets that are not regular files (`/dev/null`,
/// a FIFO, `/dev/stdout`) are written in place: renaming over them would replace
/// the device with a file.
pub fn write_atomically(path: &std::path::Path, bytes: &[u8]) -> Result<()> {
    if let Ok(meta) = std::fs::metadata(path) {
        if !meta.is_file() {
            return std::fs::write(path, bytes).map_err(|e| Error::writing(path, e));
        }
    }
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "dump".into());
    let tmp = dir.join(format!(".{name}.tmp{}", std::process::id()));
    std::fs::write(&tmp, bytes).map_err(|e| Error::writing(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Error::writing(path, e)
    })
}
