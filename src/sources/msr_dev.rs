//! The host's own feature MSRs through the Linux `msr` driver: `/dev/cpu/N/msr`,
//! where the file offset is the MSR index and each read returns its 8 bytes
//! (little-endian). Needs root (CAP_SYS_RAWIO) and the `msr` module.

use std::collections::BTreeMap;
use std::os::unix::fs::FileExt;

use crate::cpuid::KvmFacts;

/// The device of CPU `cpu`.
pub fn device(cpu: u32) -> String {
    format!("/dev/cpu/{cpu}/msr")
}

/// Reads every MSR the catalog names bits of from `path`. MSRs the CPU does not
/// implement (the read fails with EIO) are left out. `Err` says why the device
/// could not be opened.
pub fn read(path: &str) -> Result<BTreeMap<u32, u64>, String> {
    let file = std::fs::File::open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => {
            format!("{path}: no such file (the msr module is not loaded: modprobe msr)")
        }
        std::io::ErrorKind::PermissionDenied => {
            format!("{path}: permission denied (reading MSRs needs root)")
        }
        _ => format!("{path}: {e}"),
    })?;
    let mut out = BTreeMap::new();
    for index in crate::catalog::msr::feature_msr_indices() {
        let mut b = [0u8; 8];
        if file.read_exact_at(&mut b, u64::from(index)).is_ok() {
            out.insert(index, u64::from_le_bytes(b));
        }
    }
    Ok(out)
}

/// Puts what [`read`] gave into `facts`, with a source note.
pub fn record(path: &str, read: Result<BTreeMap<u32, u64>, String>, facts: &mut KvmFacts) {
    match read {
        Ok(m) => {
            facts.note(
                path,
                true,
                format!(
                    "{} feature MSR(s) read: {}",
                    m.len(),
                    m.keys()
                        .map(|i| format!("0x{i:x}"))
                        .collect::<Vec<_>>()
                        .join(" ")
                ),
            );
            facts.host_msrs = Some(m);
        }
        Err(why) => facts.note(path, false, why),
    }
}
