//! Real captures from this project's own machine (an AMD EPYC KVM guest):
//! `cpuid -r` and `/proc/cpuinfo`, plus the live `cpuid -r` when the tool exists.

use std::path::PathBuf;

use vmcompat::catalog;
use vmcompat::cpuid::{Completeness, RawDump, SourceKind};
use vmcompat::sources::formats::{self, cpuid_r, native, proc_cpuinfo, Format};

fn fixture(name: &str) -> (String, String) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    let text = formats::read_text(&path).unwrap_or_else(|e| panic!("{e}"));
    (text, path.display().to_string())
}

fn has(dump: &RawDump, cpu: usize, name: &str) -> bool {
    let loc = catalog::by_id(catalog::lookup(name).expect("name in catalog")).loc;
    dump.cpus[cpu]
        .get_or_zero(loc.leaf, loc.subleaf)
        .get(loc.reg)
        & loc.mask()
        != 0
}

const PRESENT: [&str; 10] = [
    "fpu",
    "cx8",
    "cmov",
    "mmx",
    "fxsr",
    "sse",
    "sse2",
    "pni",
    "ssse3",
    "hypervisor",
];

#[test]
fn cpuid_r_fixture() {
    let (text, origin) = fixture("cpuid-r-epyc-kvm.txt");
    assert_eq!(Format::detect(&text), Some(Format::CpuidRaw));
    let d = cpuid_r::parse(&text, &origin).unwrap();
    assert_eq!(formats::parse_text(&text, &origin).unwrap(), d);
    assert_eq!(d.provenance.kind, SourceKind::CpuidRaw);
    assert_eq!(d.cpus.len(), 2);
    assert_eq!(d.cpus[1].index, 1);
    let l0 = d.cpus[0].get(0, 0).unwrap();
    assert_eq!(
        (l0.ebx, l0.edx, l0.ecx),
        (0x6874_7541, 0x6974_6e65, 0x444d_4163)
    );
    assert_eq!(d.cpus[0].get(1, 0).unwrap().eax, 0x00a1_0f11);
    assert!(d.cpus[0].get(0xb, 2).is_some());
    for name in PRESENT {
        assert!(has(&d, 0, name), "{name}");
    }
    assert!(!has(&d, 0, "vmx"));
    // Native round trips of a real dump.
    assert_eq!(native::parse_toml(&native::to_toml(&d), "t").unwrap(), d);
    assert_eq!(native::parse_json(&native::to_json(&d), "j").unwrap(), d);
}

#[test]
fn proc_cpuinfo_fixture_agrees_with_cpuid_r() {
    let (text, origin) = fixture("proc-cpuinfo-epyc-kvm.txt");
    assert_eq!(Format::detect(&text), Some(Format::ProcCpuinfo));
    let d = proc_cpuinfo::parse(&text, &origin).unwrap();
    assert_eq!(formats::parse_text(&text, &origin).unwrap(), d);
    assert_eq!(d.completeness, Completeness::FromCpuinfoFlags);
    assert_eq!(d.cpus.len(), 2);
    let (raw_text, raw_origin) = fixture("cpuid-r-epyc-kvm.txt");
    let raw = cpuid_r::parse(&raw_text, &raw_origin).unwrap();
    // Same signature and vendor as the real CPUID.
    assert_eq!(
        d.cpus[0].get(1, 0).unwrap().eax,
        raw.cpus[0].get(1, 0).unwrap().eax
    );
    let (a, b) = (d.cpus[0].get(0, 0).unwrap(), raw.cpus[0].get(0, 0).unwrap());
    assert_eq!((a.ebx, a.ecx, a.edx), (b.ebx, b.ecx, b.edx));
    for name in PRESENT {
        assert!(has(&d, 0, name) && has(&d, 1, name), "{name}");
    }
    assert!(!has(&d, 0, "vmx"));
    let flags = d.os_flags.as_ref().unwrap();
    assert!(flags.iter().any(|f| f == "avx512f"));
    assert_eq!(native::parse_toml(&native::to_toml(&d), "t").unwrap(), d);
}

#[test]
fn live_cpuid_r_if_installed() {
    let out = match std::process::Command::new("cpuid").arg("-r").output() {
        Ok(out) if out.status.success() => out,
        Ok(out) => {
            eprintln!(
                "NOTE: `cpuid -r` failed ({}): live test SKIPPED",
                out.status
            );
            return;
        }
        Err(e) => {
            eprintln!("NOTE: the `cpuid` tool is not installed ({e}): live test SKIPPED");
            return;
        }
    };
    let text = String::from_utf8(out.stdout).expect("cpuid -r prints UTF-8");
    let d = formats::parse_text(&text, "cpuid -r").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(d.provenance.kind, SourceKind::CpuidRaw);
    assert!(!d.cpus.is_empty());
    assert!(d.cpus.iter().all(|c| c.get(0, 0).is_some()));
    println!("live cpuid -r: {} CPUs", d.cpus.len());
}
