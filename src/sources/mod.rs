//! Host sources beyond raw CPUID: KVM's own view (`/dev/kvm`), the host's feature
//! MSRs (`/dev/cpu/N/msr`) and libvirt's XML (`virsh capabilities`,
//! `virsh domcapabilities`). Each fills [`crate::cpuid::KvmFacts`] and says what
//! it could and could not read; none formats output.

pub mod kvm;
pub mod libvirt_xml;
pub mod msr_dev;

use crate::cpuid::{KvmFacts, RawDump};

/// Reads the local CPU ([`crate::cpuid::local::probe`]) and the facts beyond CPUID
/// this machine offers ([`local_facts`]).
pub fn local_probe() -> crate::Result<RawDump> {
    let mut dump = crate::cpuid::local::probe()?;
    dump.kvm = local_facts();
    Ok(dump)
}

/// KVM's view (`/dev/kvm`), the `vmx flags` line of `/proc/cpuinfo` and the feature
/// MSRs of `/dev/cpu/0/msr`, each noted as read or not (and why not).
pub fn local_facts() -> KvmFacts {
    let mut facts = KvmFacts::default();
    kvm::record(kvm::read(), &mut facts);
    match std::fs::read_to_string("/proc/cpuinfo") {
        Ok(text) => {
            let flags = crate::cpuid::formats::proc_cpuinfo::first_flags(&text);
            crate::cpuid::formats::proc_cpuinfo::note_vmx_flags(
                &text,
                flags.as_deref(),
                &mut facts,
            );
        }
        Err(e) => facts.note(
            "/proc/cpuinfo vmx flags",
            false,
            format!("/proc/cpuinfo: {e}"),
        ),
    }
    let dev = msr_dev::device(0);
    msr_dev::record(&dev, msr_dev::read(&dev), &mut facts);
    facts
}
