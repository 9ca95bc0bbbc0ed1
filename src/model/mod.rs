//! The data every layer after decoding shares: storage/network facts of a host,
//! ESXi versions, VMs and their `.vmx`/`.vmsd`, and the compatibility policy.
//! Sources fill these types; analysis reads them. No I/O here.

pub mod esxi_version;
pub mod facts;
pub mod fingerprint;
pub mod policy;
pub mod vm;
pub mod vmsd;
pub mod vmx;

pub use fingerprint::Fingerprint;
