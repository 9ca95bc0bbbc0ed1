//! How bad a finding is, one scale for every check (storage/network, VM
//! readiness).

use serde::Serialize;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    /// It stops the move: vMotion cannot proceed (DRS and maintenance mode
    /// stall on the VM), or a migration between hosts fails (exit status 1).
    Error,
    /// Worth fixing; the move may still work (or work to some destinations only).
    Warning,
    /// Not checked: the fleet's sources do not say (never a failure or a pass);
    /// the fix says how to declare it.
    NotChecked,
}

impl Severity {
    /// "error", "warning" or "not checked".
    pub fn word(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::NotChecked => "not checked",
        }
    }
}
