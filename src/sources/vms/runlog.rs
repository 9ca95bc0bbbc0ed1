//! A VM's `vmware.log`, read beside its `.vmx` in a local VM directory (over
//! SSH: [`super::inventory::read_esxi_running`], the same tail): the
//! feature requirements its last power-on recorded (`VM Features Required:
//! cpuid.X - Bool:Min:1`), which tell what a running VM uses. Parsing is in
//! [`crate::analysis::evc_transition::requirements_in_log`].

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

/// The tail read of a log: the last power-on's requirements sit near its end,
/// and logs of long-running VMs reach tens of MiB.
pub const TAIL_BYTES: u64 = 8 * 1024 * 1024;

/// The text of the `vmware.log` beside `vmx_path` (its last 8 MiB), or `None`
/// when there is none or it cannot be read.
pub fn read_beside(vmx_path: &Path) -> Option<String> {
    let log = vmx_path.parent()?.join("vmware.log");
    let mut f = std::fs::File::open(log).ok()?;
    let len = f.metadata().ok()?.len();
    if len > TAIL_BYTES {
        f.seek(SeekFrom::Start(len - TAIL_BYTES)).ok()?;
    }
    let mut bytes = Vec::new();
    f.take(TAIL_BYTES).read_to_end(&mut bytes).ok()?;
    Some(String::from_utf8_lossy(&bytes).into_owned())
}
