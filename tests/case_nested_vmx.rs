//! `../shared/cases/nested-vmx-features`: two workers with identical CPUID whose VMX
//! capabilities differ. Every point of the case's EXPECTED.md is checked through
//! the binary (text and JSON), plus the same fleet read from native dumps that carry
//! KVM's feature MSRs (where VMX capabilities hidden from /proc/cpuinfo, such as
//! RDRAND exiting, and ARCH_CAPABILITIES bits are visible).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use vmcompat::decode::decode_dump;
use vmcompat::sources::formats::{self, native};

const BIN: &str = env!("CARGO_BIN_EXE_vmcompat");

fn case() -> Option<PathBuf> {
    common::shared_dir().map(|s| s.join("cases/nested-vmx-features"))
}

/// Runs `audit --only cpu` on a fleet file: (exit code, text with whitespace
/// collapsed, JSON).
fn audit(fleet: &Path) -> (Option<i32>, String, Value) {
    let run = |json: bool| {
        let mut c = Command::new(BIN);
        c.args(["audit", "--only", "cpu"]).arg(fleet);
        if json {
            c.args(["--format", "json"]);
        }
        c.output().expect("vmcompat runs")
    };
    let text = run(false);
    let json = run(true);
    assert_eq!(text.status.code(), json.status.code());
    let words = String::from_utf8_lossy(&text.stdout)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let v: Value = serde_json::from_slice(&json.stdout).unwrap_or_else(|e| {
        panic!("JSON: {e}: {}", String::from_utf8_lossy(&json.stderr));
    });
    (text.status.code(), words, v)
}

fn findings(v: &Value) -> Vec<Value> {
    v["msr"]["findings"]
        .as_array()
        .expect("msr.findings")
        .clone()
}

fn names(f: &Value) -> Vec<String> {
    f["missing"]
        .as_array()
        .expect("missing")
        .iter()
        .map(|n| n.as_str().expect("name").to_string())
        .collect()
}

#[test]
fn cpuinfo_sources_name_the_missing_vmx_capabilities_for_nested_vms_only() {
    let Some(dir) = case() else { return };
    let (code, text, v) = audit(&dir.join("fleet-cpuinfo.toml"));
    // A difference that blocks nested VMs is a finding: exit 1, not 0 and not 2.
    assert_eq!(code, Some(1), "{text}");
    let f = findings(&v);
    assert_eq!(f.len(), 1, "only worker-1 -> worker-2: {f:?}");
    let f = &f[0];
    assert_eq!(f["from"], serde_json::json!(["worker-1"]));
    assert_eq!(f["to"], serde_json::json!(["worker-2"]));
    assert_eq!(f["family"], "VMX capabilities");
    assert_eq!(f["nested_only"], true);
    let missing = names(f);
    // worker-2's vmx flags lack posted_intr, apicv (its parts vapic_reg, vid),
    // shadow_vmcs, tsc_scaling and ept_mode_based_exec; named as libvirt names them.
    for n in [
        "vmx-posted-intr",
        "vmx-apicv-register",
        "vmx-apicv-vid",
        "vmx-shadow-vmcs",
        "vmx-tsc-scaling",
        "ept_mode_based_exec",
    ] {
        assert!(missing.iter().any(|m| m == n), "{n} not in {missing:?}");
    }
    // What both have is not named (vnmi, ept, vpid ... and vtpr = vmx-flexpriority).
    for n in ["vmx-vnmi", "vmx-ept", "vmx-flexpriority", "vmx-pml"] {
        assert!(!missing.iter().any(|m| m == n), "{n} wrongly missing");
    }
    assert_eq!(missing.len(), 6, "{missing:?}");
    assert!(
        text.contains("worker-1 -> worker-2 blocked for VMs with nested virtualization (vmx in the guest) only"),
        "{text}"
    );
    assert!(
        text.contains("blocks only VMs with nested virtualization (vmx in the guest)"),
        "{text}"
    );
    assert!(
        text.contains("VMs without nested virtualization are not affected"),
        "{text}"
    );
    assert!(
        text.contains("Verdict for cluster k8s: ready for VMs without nested virtualization"),
        "{text}"
    );
    // /proc/cpuinfo cannot show ARCH_CAPABILITIES bits: said so.
    assert!(
        text.contains("MSR-based features (ARCH_CAPABILITIES) were not compared"),
        "{text}"
    );
    assert!(
        text.contains("NOT for VMs with nested virtualization"),
        "{text}"
    );
}

#[test]
fn cpuid_only_dumps_say_the_msr_features_were_not_compared() {
    let Some(dir) = case() else { return };
    let (code, text, v) = audit(&dir.join("fleet.toml"));
    assert_eq!(code, Some(0), "{text}");
    assert!(findings(&v).is_empty());
    let nc = v["msr"]["not_compared"].as_array().expect("not_compared");
    assert_eq!(nc.len(), 1, "{nc:?}");
    assert_eq!(nc[0]["hosts"], serde_json::json!(["worker-1", "worker-2"]));
    assert_eq!(
        nc[0]["what"],
        serde_json::json!(["VMX capabilities", "ARCH_CAPABILITIES"])
    );
    assert!(
        text.contains("MSR-based features (VMX capabilities, ARCH_CAPABILITIES) were not compared"),
        "{text}"
    );
    // Never the plain "compatible" of before: the same sentence says what was not
    // compared.
    assert!(
        text.contains(
            "Verdict for cluster k8s: ready: every host offers the same CPU features, no setting \
             needed; MSR-based features (VMX capabilities, ARCH_CAPABILITIES) were not compared \
             (the source of worker-1, worker-2 cannot show them)"
        ),
        "{text}"
    );
}

#[test]
fn library_decodes_the_vmx_flags() {
    let Some(dir) = case() else { return };
    let w1 = decode_dump(&formats::read_file(&dir.join("cpuinfo-worker-1.txt")).unwrap()).unwrap();
    let w2 = decode_dump(&formats::read_file(&dir.join("cpuinfo-worker-2.txt")).unwrap()).unwrap();
    let (v1, v2) = (w1.msr.vmx.unwrap(), w2.msr.vmx.unwrap());
    assert!(v1.present.contains("vmx-posted-intr"));
    assert!(!v2.present.contains("vmx-posted-intr"));
    assert!(v2.missing_in(&v1).is_empty());
    assert!(
        w1.msr.arch.is_none(),
        "cpuinfo shows no ARCH_CAPABILITIES bits"
    );
    // The CPUID dumps show none of it.
    let d = decode_dump(&formats::read_file(&dir.join("worker-1.txt")).unwrap()).unwrap();
    assert_eq!(d.msr, Default::default());
}

/// Writes worker-1.txt's CPUID with KVM's feature MSRs as a native dump.
fn with_msrs(dir: &Path, out: &Path, msrs: &[(u32, u64)]) {
    let mut d = formats::read_file(&dir.join("worker-1.txt")).unwrap();
    d.kvm.feature_msrs = Some(msrs.iter().copied().collect());
    d.kvm.note(
        "/dev/kvm",
        true,
        "test: written by tests/case_nested_vmx.rs",
    );
    std::fs::write(out, native::to_toml(&d)).unwrap();
}

#[test]
fn kvm_feature_msrs_name_what_cpuinfo_cannot_show() {
    let Some(dir) = case() else { return };
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("case_nested_vmx");
    std::fs::create_dir_all(&tmp).unwrap();
    // IA32_VMX_PROCBASED_CTLS2 allowed-1: RDRAND exiting (11), VMFUNC (13), RDSEED
    // exiting (16) and EPT (1); IA32_VMX_TRUE_PINBASED_CTLS allowed-1: posted
    // interrupts (7) and virtual NMIs (5), with the default1 bits 1, 2, 4.
    let ctls2_full: u64 = ((1 << 11) | (1 << 13) | (1 << 16) | (1 << 1)) << 32;
    let pin_full: u64 = (((1 << 7) | (1 << 5) | 0x16) << 32) | 0x16;
    let arch_full: u64 = 0x2b; // rdctl-no ibrs-all skip-l1dfl-vmentry mds-no
    with_msrs(
        &dir,
        &tmp.join("w1.toml"),
        &[(0x48b, ctls2_full), (0x48d, pin_full), (0x10a, arch_full)],
    );
    with_msrs(
        &dir,
        &tmp.join("w2.toml"),
        &[
            (0x48b, (1 << 1) << 32),
            (0x48d, ((1 << 5) | 0x16) << 32 | 0x16),
            (0x10a, arch_full),
        ],
    );
    let fleet = tmp.join("fleet.toml");
    std::fs::write(
        &fleet,
        "[fleet]\nname = \"kvm-msrs\"\n[[host]]\nname = \"worker-1\"\ncluster = \"k8s\"\ndump = \"w1.toml\"\n\
         [[host]]\nname = \"worker-2\"\ncluster = \"k8s\"\ndump = \"w2.toml\"\n",
    )
    .unwrap();
    let (code, text, v) = audit(&fleet);
    assert_eq!(code, Some(1), "{text}");
    let f = findings(&v);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(
        names(&f[0]),
        [
            "vmx-posted-intr",
            "vmx-rdrand-exit",
            "vmx-rdseed-exit",
            "vmx-vmfunc"
        ]
    );
    assert!(v["msr"]["not_compared"].as_array().unwrap().is_empty());
    assert!(
        text.contains("read from KVM feature MSRs (/dev/kvm)"),
        "{text}"
    );

    // worker-2 without mds-no: every VM is blocked, as libvirt refuses it.
    with_msrs(
        &dir,
        &tmp.join("w2.toml"),
        &[
            (0x48b, ctls2_full),
            (0x48d, pin_full),
            (0x10a, arch_full & !0x20),
        ],
    );
    let (code, text, v) = audit(&fleet);
    assert_eq!(code, Some(1), "{text}");
    let f = findings(&v);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0]["family"], "ARCH_CAPABILITIES");
    assert_eq!(f[0]["nested_only"], false);
    assert_eq!(names(&f[0]), ["mds-no"]);
    assert!(
        text.contains("Verdict for cluster k8s: NOT ready: worker-1 -> worker-2: worker-2 lacks ARCH_CAPABILITIES: mds-no"),
        "{text}"
    );
}
