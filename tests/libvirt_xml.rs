//! libvirt's XML as a host source: `virsh capabilities` and `virsh domcapabilities`
//! files (small written x86 fixtures in tests/fixtures/libvirt/, and the real output
//! of libvirt's test driver), as dumps and as `dump = "x.xml"` hosts of a fleet.

use std::path::{Path, PathBuf};
use std::process::Command;

use vmcompat::cpuid::{Completeness, SourceKind};
use vmcompat::decode::{decode_dump, Vendor};
use vmcompat::sources::formats::{self, Format};

const BIN: &str = env!("CARGO_BIN_EXE_vmcompat");

/// Whether the decoded CPU has the catalog feature `name` (which must exist).
fn has(cpu: &vmcompat::decode::Cpu, name: &str) -> bool {
    let id = vmcompat::catalog::lookup(name).unwrap_or_else(|| panic!("{name} not in the catalog"));
    cpu.has(id)
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/libvirt")
        .join(name)
}

#[test]
fn capabilities_expand_the_model_and_keep_the_signature() {
    let d = formats::read_file(&fixture("capabilities-icelake.xml")).expect("reads");
    assert_eq!(d.provenance.kind, SourceKind::LibvirtXml);
    assert_eq!(d.completeness, Completeness::FromLibvirtXml);
    assert!(
        d.completeness.is_partial(),
        "derived data is marked partial"
    );
    assert!(
        d.provenance.detail.contains("model Icelake-Server"),
        "{}",
        d.provenance.detail
    );
    let cpu = decode_dump(&d).unwrap();
    assert_eq!(cpu.vendor, Vendor::Intel);
    assert_eq!(
        (
            cpu.signature.family,
            cpu.signature.model,
            cpu.signature.stepping
        ),
        (6, 106, 6)
    );
    // From the Icelake-Server model of libvirt's CPU map ...
    for f in [
        "avx512f",
        "avx512vbmi2",
        "sse4_2",
        "pclmulqdq",
        "hle",
        "rtm",
    ] {
        assert!(has(&cpu, f), "model feature {f} missing");
    }
    // ... plus the host's listed ones.
    for f in [
        "vmx",
        "tsc_adjust",
        "md_clear",
        "xsaves",
        "arch_capabilities",
    ] {
        assert!(has(&cpu, f), "listed feature {f} missing");
    }
    assert!(!has(&cpu, "hypervisor"));
    assert_eq!(cpu.x86_64_level, 4);
    // ARCH_CAPABILITIES bits go to the MSR view.
    let arch = cpu.msr.arch.expect("ARCH_CAPABILITIES shown");
    for f in ["rdctl-no", "ibrs-all", "mds-no", "tsx-ctrl"] {
        assert!(arch.present.contains(f), "{f}");
    }
    assert!(!arch.present.contains("taa-no"));
}

#[test]
fn domcapabilities_host_model_with_disabled_features_and_vmx() {
    let text = std::fs::read_to_string(fixture("domcapabilities-icelake.xml")).unwrap();
    assert_eq!(Format::detect(&text), Some(Format::LibvirtXml));
    let d = formats::parse_text(&text, "dc.xml").expect("reads");
    let cpu = decode_dump(&d).unwrap();
    // policy='disable' removes what the model has.
    assert!(!has(&cpu, "hle") && !has(&cpu, "rtm"));
    assert!(has(&cpu, "avx512f") && has(&cpu, "vmx"));
    // The hypervisor bit host-model tells guests is not a host fact.
    assert!(!has(&cpu, "hypervisor"));
    assert!(d
        .provenance
        .detail
        .contains("family/model/stepping unknown"));
    let vmx = cpu.msr.vmx.expect("VMX shown");
    assert!(vmx.present.contains("vmx-posted-intr") && vmx.present.contains("vmx-rdrand-exit"));
    let arch = cpu.msr.arch.expect("ARCH shown");
    assert!(!arch.present.contains("mds-no"));
    // The [kvm] facts survive the native format.
    let back = formats::parse_text(&formats::native::to_toml(&d), "n").unwrap();
    assert_eq!(back, d);
}

#[test]
fn a_fleet_of_xml_files_compares_arch_capabilities() {
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("libvirt_xml");
    std::fs::create_dir_all(&tmp).unwrap();
    let fleet = tmp.join("fleet.toml");
    std::fs::write(
        &fleet,
        format!(
            "[fleet]\nname = \"xml\"\n[[host]]\nname = \"caps\"\ncluster = \"c\"\ndump = {:?}\n\
             [[host]]\nname = \"domcaps\"\ncluster = \"c\"\ndump = {:?}\n",
            fixture("capabilities-icelake.xml"),
            fixture("domcapabilities-icelake.xml")
        ),
    )
    .unwrap();
    let out = Command::new(BIN)
        .args(["audit", "--only", "cpu"])
        .arg(&fleet)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert_eq!(
        out.status.code(),
        Some(1),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // domcaps lacks mds-no and tsx-ctrl that caps has: every VM is blocked.
    assert!(
        text.contains("caps -> domcaps: domcaps lacks 2 ARCH_CAPABILITIES: mds-no tsx-ctrl"),
        "{text}"
    );
    assert!(
        text.contains("partial/derived") || text.contains("partial"),
        "{text}"
    );
}

#[test]
fn the_test_driver_host_is_a_clear_error_not_a_panic() {
    let out = match Command::new("virsh")
        .args(["-c", "test:///default", "capabilities"])
        .output()
    {
        Ok(o) if o.status.success() => o,
        r => {
            let msg = format!("virsh could not run ({r:?}): install libvirt-clients");
            assert!(std::env::var("CI").is_err(), "{msg}; .ci/run installs it");
            eprintln!("SKIPPED: {msg}");
            return;
        }
    };
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("<arch>i686</arch>"),
        "libvirt's test host changed: {text}"
    );
    let e = formats::parse_text(&text, "test-caps.xml")
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("test-caps.xml: libvirt capabilities:"), "{e}");
    assert!(e.contains("has no <vendor>"), "{e}");
    // Through the binary: exit 2 and the message.
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("libvirt_xml");
    std::fs::create_dir_all(&tmp).unwrap();
    let f = tmp.join("test-caps.xml");
    std::fs::write(&f, &text).unwrap();
    let out = Command::new(BIN)
        .args(["report", "--dump"])
        .arg(&f)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("has no <vendor>"));
}

#[test]
fn bad_xml_says_what_is_wrong() {
    let cases = [
        ("<capabilities><host><cpu><arch>x86_64</arch>", "not readable as libvirt capabilities XML"),
        ("<capabilities><host/></capabilities>", "without <host><cpu>"),
        (
            "<capabilities><host><cpu><arch>aarch64</arch><vendor>ARM</vendor></cpu></host></capabilities>",
            "the host is aarch64, not x86",
        ),
        (
            "<capabilities><host><cpu><arch>x86_64</arch><model>Nehalem</model><vendor>Via</vendor></cpu></host></capabilities>",
            "unknown vendor \"Via\"",
        ),
        (
            "<capabilities><host><cpu><arch>x86_64</arch><model>Frobnicator</model><vendor>AMD</vendor></cpu></host></capabilities>",
            "\"Frobnicator\" is not a libvirt x86 model",
        ),
        ("<domainCapabilities><arch>x86_64</arch></domainCapabilities>", "without a <mode name='host-model'>"),
        (
            "<domainCapabilities><cpu><mode name='host-model' supported='no'/></cpu></domainCapabilities>",
            "host-model is not supported",
        ),
    ];
    for (xml, want) in cases {
        let e = formats::parse_text(xml, "x.xml").unwrap_err().to_string();
        assert!(e.starts_with("x.xml: "), "{e}");
        assert!(e.contains(want), "{xml}: {e}");
    }
    // A known model on AMD works (EPYC-Rome).
    let d = formats::parse_text(
        "<?xml version='1.0'?>\n<!-- c -->\n<capabilities><host><cpu><arch>x86_64</arch><model>EPYC-Rome</model><vendor>AMD</vendor>\
         <signature family='23' model='49' stepping='0'/></cpu></host></capabilities>",
        "rome.xml",
    )
    .unwrap();
    let cpu = decode_dump(&d).unwrap();
    assert_eq!(
        (cpu.vendor, cpu.signature.family, cpu.signature.model),
        (Vendor::Amd, 0x17, 0x31)
    );
    assert!(has(&cpu, "avx2") && has(&cpu, "sha_ni"));
}
