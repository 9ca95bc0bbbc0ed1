//! KVM's own view of what it can give a guest, read through `/dev/kvm` with the
//! system-fd ioctls of `<linux/kvm.h>` (Linux `Documentation/virt/kvm/api.rst`):
//!
//! - `KVM_GET_SUPPORTED_CPUID` (`_IOWR(0xAE, 0x05, struct kvm_cpuid2)`): every CPUID
//!   leaf/subleaf KVM can give a guest, with the bits it supports set;
//! - `KVM_GET_EMULATED_CPUID` (`_IOWR(0xAE, 0x09, ...)`): what KVM emulates in
//!   software whatever the host has;
//! - `KVM_GET_MSR_FEATURE_INDEX_LIST` (`_IOWR(0xAE, 0x0a, struct kvm_msr_list)`) then
//!   `KVM_GET_MSRS` (`_IOWR(0xAE, 0x88, struct kvm_msrs)`) on the system fd: the
//!   feature MSRs (IA32_ARCH_CAPABILITIES, the VMX capability MSRs, ...) as KVM
//!   offers them to guests (`KVM_CAP_GET_MSR_FEATURES`, 153).
//!
//! Struct layouts (x86-64): `kvm_cpuid2 { u32 nent, padding; kvm_cpuid_entry2[] }`,
//! `kvm_cpuid_entry2 { u32 function, index, flags, eax, ebx, ecx, edx, padding[3] }`
//! (40 bytes), `kvm_msr_list { u32 nmsrs; u32 indices[] }`,
//! `kvm_msrs { u32 nmsrs, pad; kvm_msr_entry[] }`, `kvm_msr_entry { u32 index,
//! reserved; u64 data }` (16 bytes).

use std::collections::BTreeMap;

use crate::cpuid::{KvmFacts, LeafKey, Regs};

/// The device.
pub const DEVICE: &str = "/dev/kvm";

const KVMIO: u64 = 0xAE;

const fn io(nr: u64) -> u64 {
    (KVMIO << 8) | nr
}

const fn iowr(nr: u64, size: u64) -> u64 {
    (3 << 30) | (size << 16) | (KVMIO << 8) | nr
}

/// `KVM_GET_API_VERSION`.
pub const KVM_GET_API_VERSION: u64 = io(0x00);
/// `KVM_CHECK_EXTENSION`.
pub const KVM_CHECK_EXTENSION: u64 = io(0x03);
/// `KVM_GET_SUPPORTED_CPUID`.
pub const KVM_GET_SUPPORTED_CPUID: u64 = iowr(0x05, 8);
/// `KVM_GET_EMULATED_CPUID`.
pub const KVM_GET_EMULATED_CPUID: u64 = iowr(0x09, 8);
/// `KVM_GET_MSR_FEATURE_INDEX_LIST`.
pub const KVM_GET_MSR_FEATURE_INDEX_LIST: u64 = iowr(0x0a, 4);
/// `KVM_GET_MSRS`.
pub const KVM_GET_MSRS: u64 = iowr(0x88, 8);
/// `KVM_CAP_GET_MSR_FEATURES`.
pub const KVM_CAP_GET_MSR_FEATURES: u64 = 153;

/// The most CPUID entries or MSRs asked for (KVM itself caps CPUID at 256 entries).
const MAX_ENTRIES: usize = 4096;

/// What reading `/dev/kvm` gave: the facts, or why each part could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KvmRead {
    /// KVM's API version (12 on every Linux since 2.6.22).
    pub api_version: Option<i32>,
    /// `KVM_GET_SUPPORTED_CPUID`.
    pub supported: Result<BTreeMap<LeafKey, Regs>, String>,
    /// `KVM_GET_EMULATED_CPUID`.
    pub emulated: Result<BTreeMap<LeafKey, Regs>, String>,
    /// The feature MSRs (index -> value); MSRs listed but not readable are left out.
    pub feature_msrs: Result<BTreeMap<u32, u64>, String>,
}

/// Reads KVM's view through `/dev/kvm`. `Err` says why the device could not be
/// opened at all (absent: no KVM module or not a Linux host; permission: not in the
/// `kvm` group).
pub fn read() -> Result<KvmRead, String> {
    read_device(DEVICE)
}

/// As [`read`], from another device path (tests).
pub fn read_device(path: &str) -> Result<KvmRead, String> {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => {
                format!("{path}: no such device (no KVM here: module not loaded, or not a Linux/KVM host)")
            }
            std::io::ErrorKind::PermissionDenied => {
                format!("{path}: permission denied (run as root or join the `kvm` group)")
            }
            _ => format!("{path}: {e}"),
        })?;
    let fd = std::os::fd::AsRawFd::as_raw_fd(&file);
    // SAFETY: KVM_GET_API_VERSION takes no argument.
    let api = unsafe { libc::ioctl(fd, KVM_GET_API_VERSION as _, 0) };
    if api < 0 {
        return Err(format!(
            "{path}: KVM_GET_API_VERSION failed ({}): not a KVM device?",
            std::io::Error::last_os_error()
        ));
    }
    Ok(KvmRead {
        api_version: Some(api),
        supported: cpuid2(fd, KVM_GET_SUPPORTED_CPUID, "KVM_GET_SUPPORTED_CPUID"),
        emulated: cpuid2(fd, KVM_GET_EMULATED_CPUID, "KVM_GET_EMULATED_CPUID"),
        feature_msrs: feature_msrs(fd),
    })
}

fn os_err(what: &str) -> String {
    format!("{what} failed: {}", std::io::Error::last_os_error())
}

/// One of the two CPUID ioctls, growing the buffer while KVM says E2BIG.
fn cpuid2(fd: libc::c_int, request: u64, what: &str) -> Result<BTreeMap<LeafKey, Regs>, String> {
    let mut n = 128usize;
    loop {
        // u32 words: header (nent, padding) then n entries of 10 words.
        let mut buf = vec![0u32; 2 + n * 10];
        buf[0] = n as u32;
        // SAFETY: the buffer holds a kvm_cpuid2 header with room for `nent` entries,
        // which is all KVM writes.
        let rc = unsafe { libc::ioctl(fd, request as _, buf.as_mut_ptr()) };
        if rc < 0 {
            let e = std::io::Error::last_os_error();
            if e.raw_os_error() == Some(libc::E2BIG) && n < MAX_ENTRIES {
                n *= 2;
                continue;
            }
            return Err(os_err(what));
        }
        let nent = (buf[0] as usize).min(n);
        let mut map = BTreeMap::new();
        for e in buf[2..].chunks_exact(10).take(nent) {
            map.insert(LeafKey::new(e[0], e[1]), Regs::new(e[3], e[4], e[5], e[6]));
        }
        return Ok(map);
    }
}

/// The feature MSR list, then each value through KVM_GET_MSRS on the system fd.
fn feature_msrs(fd: libc::c_int) -> Result<BTreeMap<u32, u64>, String> {
    // SAFETY: KVM_CHECK_EXTENSION takes an integer.
    let cap = unsafe { libc::ioctl(fd, KVM_CHECK_EXTENSION as _, KVM_CAP_GET_MSR_FEATURES) };
    if cap <= 0 {
        return Err("KVM_CAP_GET_MSR_FEATURES is not offered (kernel before 4.17?)".into());
    }
    let mut n = 64usize;
    let indices = loop {
        let mut buf = vec![0u32; 1 + n];
        buf[0] = n as u32;
        // SAFETY: a kvm_msr_list header with room for `nmsrs` indices.
        let rc = unsafe { libc::ioctl(fd, KVM_GET_MSR_FEATURE_INDEX_LIST as _, buf.as_mut_ptr()) };
        if rc < 0 {
            let e = std::io::Error::last_os_error();
            if e.raw_os_error() == Some(libc::E2BIG) && n < MAX_ENTRIES {
                // KVM wrote the count it needs.
                n = (buf[0] as usize).clamp(n + 1, MAX_ENTRIES);
                continue;
            }
            return Err(os_err("KVM_GET_MSR_FEATURE_INDEX_LIST"));
        }
        let count = (buf[0] as usize).min(n);
        break buf[1..=count].to_vec();
    };
    let mut out = BTreeMap::new();
    for index in indices {
        // kvm_msrs header (2 words) + one kvm_msr_entry (4 words: index, reserved, data).
        let mut buf = [0u32; 6];
        buf[0] = 1;
        buf[2] = index;
        // SAFETY: a kvm_msrs header with one entry.
        let rc = unsafe { libc::ioctl(fd, KVM_GET_MSRS as _, buf.as_mut_ptr()) };
        if rc == 1 {
            out.insert(index, u64::from(buf[4]) | (u64::from(buf[5]) << 32));
        }
    }
    Ok(out)
}

/// Puts what was read into `facts`, with a source note for each part.
pub fn record(read: Result<KvmRead, String>, facts: &mut KvmFacts) {
    match read {
        Err(why) => facts.note(DEVICE, false, why),
        Ok(r) => {
            let api = r.api_version.map_or("?".into(), |v| v.to_string());
            let mut parts = vec![format!("KVM API {api}")];
            match r.supported {
                Ok(m) => {
                    parts.push(format!("KVM_GET_SUPPORTED_CPUID: {} entries", m.len()));
                    facts.supported_cpuid = Some(m);
                }
                Err(e) => parts.push(e),
            }
            match r.emulated {
                Ok(m) => {
                    parts.push(format!("KVM_GET_EMULATED_CPUID: {} entries", m.len()));
                    facts.emulated_cpuid = (!m.is_empty()).then_some(m);
                }
                Err(e) => parts.push(e),
            }
            match r.feature_msrs {
                Ok(m) => {
                    parts.push(format!(
                        "feature MSRs: {}",
                        m.keys()
                            .map(|i| format!("0x{i:x}"))
                            .collect::<Vec<_>>()
                            .join(" ")
                    ));
                    facts.feature_msrs = Some(m);
                }
                Err(e) => parts.push(e),
            }
            facts.note(DEVICE, true, parts.join("; "));
        }
    }
}
