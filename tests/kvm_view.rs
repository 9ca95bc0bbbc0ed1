//! KVM's own view, read for real through `/dev/kvm` on this machine, checked
//! against what must agree with it: `cpuid -r` (vendor, family/model/stepping
//! signature), the kernel's `/proc/cpuinfo` (flags, microcode, bugs) and, where
//! the `msr` module is loaded, `/dev/cpu/0/msr`.
//!
//! In CI `/dev/kvm` must be there (the machine kind has it); elsewhere, without it,
//! the test says so and skips.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use vmcompat::cpuid::{LeafKey, Regs};
use vmcompat::sources::{kvm, msr_dev};

const BIN: &str = env!("CARGO_BIN_EXE_vmcompat");

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// KVM's view, or `None` (skip) when there is no /dev/kvm outside CI.
fn read_kvm() -> Option<kvm::KvmRead> {
    if !std::path::Path::new(kvm::DEVICE).exists() {
        let msg = format!("{} is absent: KVM's view cannot be read here", kvm::DEVICE);
        assert!(
            !in_ci(),
            "{msg}; in CI it must be present (same machine kind)"
        );
        eprintln!("SKIPPED: {msg} (CI is unset)");
        return None;
    }
    Some(kvm::read().unwrap_or_else(|e| panic!("reading {}: {e}", kvm::DEVICE)))
}

/// `cpuid -r -1` (this CPU only), parsed by vmcompat's reader.
fn cpuid_r() -> Option<BTreeMap<LeafKey, Regs>> {
    match Command::new("cpuid").args(["-r", "-1"]).output() {
        Ok(o) if o.status.success() => {
            let text = String::from_utf8(o.stdout).expect("UTF-8");
            let d = vmcompat::sources::formats::parse_text(&text, "cpuid -r -1").expect("parses");
            Some(d.cpus[0].leaves.clone())
        }
        r => {
            let msg = format!("`cpuid -r` could not run ({r:?}): install the cpuid package");
            assert!(!in_ci(), "{msg}; .ci/run installs it");
            eprintln!("SKIPPED (cpuid comparison): {msg}");
            None
        }
    }
}

fn cpuinfo_field(name: &str) -> Option<String> {
    let text = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    text.lines()
        .find(|l| l.split(':').next().is_some_and(|k| k.trim() == name))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_string())
}

#[test]
fn supported_cpuid_agrees_with_cpuid_r_and_the_kernel() {
    let Some(k) = read_kvm() else { return };
    assert_eq!(
        k.api_version,
        Some(12),
        "KVM's API version is 12 since Linux 2.6.22"
    );
    let sup = k.supported.expect("KVM_GET_SUPPORTED_CPUID");
    assert!(sup.len() > 10, "only {} entries", sup.len());
    let l0 = sup[&LeafKey::new(0, 0)];
    let l1 = sup[&LeafKey::new(1, 0)];
    if let Some(raw) = cpuid_r() {
        let r0 = raw[&LeafKey::new(0, 0)];
        // The vendor string (EBX, EDX, ECX) must agree.
        assert_eq!((l0.ebx, l0.ecx, l0.edx), (r0.ebx, r0.ecx, r0.edx), "vendor");
        // So must the signature (family, model, stepping: leaf 1 EAX).
        let r1 = raw[&LeafKey::new(1, 0)];
        assert_eq!(
            l1.eax, r1.eax,
            "leaf 1 EAX signature: KVM {:#x} vs cpuid -r {:#x}",
            l1.eax, r1.eax
        );
        // KVM never offers a leaf-1 EDX bit the CPU lacks.
        assert_eq!(
            l1.edx & !r1.edx,
            0,
            "KVM leaf 1 EDX {:#x} vs CPU {:#x}",
            l1.edx,
            r1.edx
        );
        eprintln!(
            "leaf 1 ECX: CPU {:#010x}, KVM_GET_SUPPORTED_CPUID {:#010x}",
            r1.ecx, l1.ecx
        );
    }
    // The kernel's flags: every floor feature KVM offers is one the kernel shows.
    let flags = cpuinfo_field("flags").expect("/proc/cpuinfo flags");
    let flags: Vec<&str> = flags.split_whitespace().collect();
    for (bit, name) in [
        (0, "fpu"),
        (4, "tsc"),
        (8, "cx8"),
        (15, "cmov"),
        (25, "sse"),
        (26, "sse2"),
    ] {
        if l1.edx >> bit & 1 == 1 {
            assert!(
                flags.contains(&name),
                "KVM offers {name}, the kernel does not show it"
            );
        }
    }
    // Family/model/stepping as the kernel prints them.
    let sig =
        vmcompat::decode::Signature::decode(l1.eax, vmcompat::decode::Vendor::from_leaf0(l0).0);
    assert_eq!(cpuinfo_field("cpu family"), Some(sig.family.to_string()));
    assert_eq!(cpuinfo_field("model"), Some(sig.model.to_string()));
    assert_eq!(cpuinfo_field("stepping"), Some(sig.stepping.to_string()));
    assert!(
        k.emulated.is_ok(),
        "KVM_GET_EMULATED_CPUID: {:?}",
        k.emulated
    );
}

#[test]
fn feature_msrs_agree_with_the_kernel() {
    let Some(k) = read_kvm() else { return };
    let msrs = k.feature_msrs.expect("feature MSRs");
    eprintln!(
        "feature MSRs: {}",
        msrs.iter()
            .map(|(i, v)| format!("{i:#x}={v:#x}"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    // IA32_ARCH_CAPABILITIES is on every KVM since 4.17 (emulated on AMD hosts).
    let arch = *msrs
        .get(&0x10a)
        .expect("0x10a IA32_ARCH_CAPABILITIES listed");
    let named: Vec<&str> = vmcompat::catalog::msr::features_in(0x10a, arch)
        .map(|d| d.name)
        .collect();
    eprintln!("ARCH_CAPABILITIES for guests: {}", named.join(" "));
    // KVM derives these from the kernel's bug list: they must agree with `bugs`.
    let bugs = cpuinfo_field("bugs").unwrap_or_default();
    let bugs: Vec<&str> = bugs.split_whitespace().collect();
    for (feature, bug) in [("rdctl-no", "meltdown"), ("mds-no", "mds")] {
        assert_eq!(
            named.contains(&feature),
            !bugs.contains(&bug),
            "{feature} in KVM's ARCH_CAPABILITIES vs `{bug}` in /proc/cpuinfo bugs {bugs:?}"
        );
    }
    // IA32_UCODE_REV (0x8b): the microcode revision the kernel prints (AMD keeps it
    // in the low half, Intel in the high half).
    if let (Some(rev), Some(mc)) = (msrs.get(&0x8b), cpuinfo_field("microcode")) {
        let mc = u64::from_str_radix(mc.trim_start_matches("0x"), 16).expect("hex microcode");
        assert!(
            rev & 0xffff_ffff == mc || rev >> 32 == mc,
            "0x8b {rev:#x} vs /proc/cpuinfo microcode {mc:#x}"
        );
    }
    // The host's own MSRs, where the msr module is loaded: KVM passes the host's
    // "not vulnerable" bits through, so each one the host has KVM offers too.
    let dev = msr_dev::device(0);
    match msr_dev::read(&dev) {
        Ok(host) => {
            if let Some(h) = host.get(&0x10a) {
                for d in vmcompat::catalog::msr::features_in(0x10a, *h) {
                    if ["rdctl-no", "mds-no", "taa-no"].contains(&d.name) {
                        assert!(
                            named.contains(&d.name),
                            "host has {}, KVM does not offer it",
                            d.name
                        );
                    }
                }
            }
        }
        Err(why) => eprintln!(
            "NOTE: host MSRs not compared: {why} (modprobe msr may not work on this machine kind)"
        ),
    }
}

#[test]
fn probe_records_the_view_and_report_shows_it() {
    let Some(_) = read_kvm() else { return };
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("kvm_view");
    std::fs::create_dir_all(&dir).unwrap();
    let dump = dir.join("local.toml");
    let st = Command::new(BIN)
        .args(["probe", "-o"])
        .arg(&dump)
        .status()
        .unwrap();
    assert!(st.success());
    let d = vmcompat::sources::formats::read_file(&dump).expect("reads back");
    assert!(d.kvm.supported_cpuid.is_some(), "supported CPUID recorded");
    assert!(d
        .kvm
        .feature_msrs
        .as_ref()
        .is_some_and(|m| m.contains_key(&0x10a)));
    let src = d
        .kvm
        .sources
        .iter()
        .find(|s| s.name == "/dev/kvm")
        .expect("/dev/kvm noted");
    assert!(src.read, "{src:?}");
    // Every source says whether it was read.
    for name in ["/proc/cpuinfo vmx flags", "/dev/cpu/0/msr"] {
        assert!(
            d.kvm.sources.iter().any(|s| s.name == name),
            "{name} not noted"
        );
    }
    let out = Command::new(BIN)
        .args(["report", "--dump"])
        .arg(&dump)
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        text.contains("KVM's view (what a guest on this host can get)"),
        "{text}"
    );
    assert!(text.contains("KVM offers guests x86-64-v"), "{text}");
    assert!(text.contains("leaf 1 ECX: CPU 0x"), "{text}");
    // The JSON gives both levels; KVM never offers more than the CPU's level.
    let out = Command::new(BIN)
        .args(["report", "--format", "json", "--dump"])
        .arg(&dump)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let lvl = |s: &serde_json::Value| {
        s.as_str()
            .unwrap()
            .trim_start_matches("x86-64-v")
            .parse::<u8>()
            .unwrap_or(0)
    };
    let (cpu, guest) = (lvl(&v["kvm"]["cpu_level"]), lvl(&v["kvm"]["guest_level"]));
    eprintln!("x86-64 level: CPU v{cpu}, KVM guests v{guest}");
    assert!(guest <= cpu);
    if guest < cpu {
        assert!(!v["kvm"]["missing_notable"].as_array().unwrap().is_empty());
    }
}

#[test]
fn unreadable_devices_say_why() {
    let e = kvm::read_device("/nonexistent/kvm").unwrap_err();
    assert!(e.contains("no such device"), "{e}");
    let e = kvm::read_device("/dev/null").unwrap_err();
    assert!(e.contains("not a KVM device"), "{e}");
    let e = msr_dev::read("/nonexistent/msr").unwrap_err();
    assert!(e.contains("msr module is not loaded"), "{e}");
}

/// Our ioctl numbers against `<linux/kvm.h>` (linux-libc-dev), compiled with `cc`.
#[test]
fn ioctl_numbers_match_linux_kvm_h() {
    let header = Path::new("/usr/include/linux/kvm.h");
    let cc = Command::new("cc").arg("--version").output().is_ok();
    if !header.exists() || !cc {
        let msg = format!("{} or cc is missing", header.display());
        assert!(!in_ci(), "{msg}; .ci/run installs linux-libc-dev");
        eprintln!("SKIPPED: {msg}");
        return;
    }
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("kvm_h");
    std::fs::create_dir_all(&dir).unwrap();
    let src = dir.join("k.c");
    std::fs::write(
        &src,
        "#include <stdio.h>\n#include <linux/kvm.h>\nint main(void){printf(\"%lu %lu %lu %lu %lu %lu %d\\n\",\
         (unsigned long)KVM_GET_API_VERSION,(unsigned long)KVM_CHECK_EXTENSION,\
         (unsigned long)KVM_GET_SUPPORTED_CPUID,(unsigned long)KVM_GET_EMULATED_CPUID,\
         (unsigned long)KVM_GET_MSR_FEATURE_INDEX_LIST,(unsigned long)KVM_GET_MSRS,\
         KVM_CAP_GET_MSR_FEATURES);return 0;}\n",
    )
    .unwrap();
    let exe = dir.join("k");
    let st = Command::new("cc")
        .arg(&src)
        .arg("-o")
        .arg(&exe)
        .status()
        .unwrap();
    assert!(st.success(), "cc failed");
    let out = String::from_utf8(Command::new(&exe).output().unwrap().stdout).unwrap();
    let want = format!(
        "{} {} {} {} {} {} {}",
        kvm::KVM_GET_API_VERSION,
        kvm::KVM_CHECK_EXTENSION,
        kvm::KVM_GET_SUPPORTED_CPUID,
        kvm::KVM_GET_EMULATED_CPUID,
        kvm::KVM_GET_MSR_FEATURE_INDEX_LIST,
        kvm::KVM_GET_MSRS,
        kvm::KVM_CAP_GET_MSR_FEATURES
    );
    assert_eq!(out.trim(), want);
}
