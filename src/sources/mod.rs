//! Everything that does I/O to get data: the local CPU, dump files in every
//! format, fleet files, SSH to Linux and ESXi hosts, Ansible results, storage
//! and network facts, and VM inventories. Sources produce [`crate::cpuid::RawDump`]s
//! and [`crate::model`] types; they never analyse or format output.
//! VMware's own view of a host (the ESXi feature view shared by the SSH and
//! vCenter readers, [`vmware_features`]) and vCenter itself ([`vcenter`]: the
//! vSphere Web Services API, or a saved export of it) live here too.

pub mod ansible;
pub mod facts;
pub mod fleet;
pub mod formats;
pub mod local;
pub mod local_fingerprint;
pub mod schemes;
pub mod snapshot;
pub mod ssh;
pub mod vcenter;
pub mod vms;
pub mod vmware_features;
