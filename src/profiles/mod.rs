//! Named CPU profiles shipped in `profiles/`.

use crate::cpuid::RawDump;
use crate::error::{Error, Result};

/// Synthesizes the dump of a named profile.
pub fn load(name: &str) -> Result<RawDump> {
    Err(Error::Usage(format!("unknown profile {name:?}")))
}
