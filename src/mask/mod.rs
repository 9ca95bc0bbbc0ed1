//! CPUID masks: what a VM is allowed to see, so that it can move between hosts.
//!
//! - [`model`]: mask characters, register masks, named `featMask` entries.
//! - [`build`]: the minimal mask that hides a set of features (and their XSAVE state).
//! - [`apply`]: what a guest sees through a mask; the check that a mask makes a
//!   group's guests agree.
//! - [`vmx`]: reading and writing VMware `.vmx` mask lines.
//! - [`verify`]: the check a mask passes before it is printed as verified.
//! - [`explain`]: what each line of a mask does, in catalog names.
//! - [`per_vm`]: what one VM's guest sees through its own mask (per-VM EVC
//!   included), and the features a mask hides while it leaves their dependents visible.
//! - [`vmx_file`]: writing a mask into a VM's `.vmx`, atomically, with a backup.
//!
//! Analysis never does I/O: only [`vmx_file::apply_to_vmx`] touches files.

pub mod apply;
pub mod build;
pub mod explain;
pub mod model;
pub mod per_vm;
pub mod verify;
pub mod vmx;
pub mod vmx_file;

pub use apply::{apply, guest_features, verify, VerifyError};
pub use build::{
    build, build_for, build_verified, close_hidden, cpuid_lines_for, featmask_for,
    feature_of_featmask, feature_of_featmask_on, MaskKind,
};
pub use explain::{explain, hidden_features, Explanation};
pub use model::{CpuidMask, FeatMask, FeatOp, MaskChar, RegisterMask};
pub use vmx::{parse_mask, parse_vmx, render, Spelling};
pub use vmx_file::{apply_to_vmx, rewrite_vmx_bytes, ApplyOutcome, ApplyStatus};
