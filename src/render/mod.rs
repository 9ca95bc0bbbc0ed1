//! Output formats. Every renderer formats an analysis result; none does analysis.

pub mod audit;
pub mod check;
pub mod diff;
pub mod html;
pub mod libvirt;
pub mod mask;
pub mod qemu;
pub mod report;
pub mod storage_network;
pub mod vms;

/// How findings are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// Tables for people.
    Table,
    /// JSON for scripts.
    Json,
}

/// Serializes any result as pretty JSON (serialization of our own types cannot fail
/// in practice; if it ever does, the error text is returned as a JSON string).
pub fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string_pretty(value)
        .unwrap_or_else(|e| format!("{{\"error\": \"cannot serialize: {e}\"}}"))
}

/// `1 host`, `2 hosts`: a count with its noun in the right number (`noun` is the
/// singular; the plural adds `s`).
pub fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}
