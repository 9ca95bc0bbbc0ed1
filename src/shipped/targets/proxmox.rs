//! Proxmox VE's CPU types, VM-level flags and built-in types, from
//! `targets/proxmox.toml` (source: proxmox/qemu-server `CPUConfig.pm`).

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;

/// A type Proxmox defines itself (`x86-64-v2-AES`): a QEMU model plus flags.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Builtin {
    /// The QEMU model it reports (`qemu64`).
    pub reported_model: String,
    /// Its flags, `+name` in QEMU's spelling.
    pub flags: Vec<String>,
}

/// The contents of `targets/proxmox.toml`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProxmoxData {
    /// The public source.
    pub source: String,
    /// The types a VM's `cpu:` accepts (and a custom model may report).
    pub cpu_types: Vec<String>,
    /// Flags a VM's own `flags=` may set.
    pub vm_flags: Vec<String>,
    /// Proxmox's own built-in types.
    #[serde(default)]
    pub builtin: BTreeMap<String, Builtin>,
}

const TEXT: &str = include_str!("../../../targets/proxmox.toml");

/// Parses `targets/proxmox.toml` (for the test suite): the number of types.
pub fn data_ok() -> Result<usize, String> {
    toml::from_str::<ProxmoxData>(TEXT)
        .map(|d| d.cpu_types.len())
        .map_err(|e| format!("targets/proxmox.toml: {e}"))
}

/// The shipped data (checked by a test: a parse failure is a build defect, and
/// then no Proxmox setting is offered).
pub fn data() -> &'static ProxmoxData {
    static DATA: OnceLock<ProxmoxData> = OnceLock::new();
    DATA.get_or_init(|| toml::from_str(TEXT).unwrap_or_default())
}
