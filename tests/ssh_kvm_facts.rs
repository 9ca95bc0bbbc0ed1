//! Facts beyond CPUID over SSH with nothing installed on the host (real loopback
//! sshd servers, see tests/common/sshlab.rs): the `vmx flags` line of
//! /proc/cpuinfo, `virsh domcapabilities` and /dev/cpu/0/msr, each source saying
//! whether it could be read. Two workers of `../shared/cases/nested-vmx-features`
//! (same CPUID, different vmx flags) audited over SSH: the VMX difference is named
//! for nested VMs only.
//!
//! The hosts' `grep` answers the `vmx flags` query from the case's cpuinfo file (and
//! runs the real grep otherwise); `virsh` is a fixture script; /dev/cpu/0/msr is
//! whatever this machine has (its absence is reported as such).

mod common;

use std::fmt::Write as _;
use std::path::Path;

use common::sshlab::{can_run, Lab};
use serde_json::Value;

fn real_grep() -> &'static str {
    ["/usr/bin/grep", "/bin/grep"]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .expect("grep")
}

/// `cpuid -r` text of a dump file.
fn cpuid_r_text(path: &Path) -> String {
    let d = vmcompat::sources::formats::read_file(path).expect("dump");
    let mut s = String::from("CPU 0:\n");
    for (k, r) in &d.cpus[0].leaves {
        let _ = writeln!(
            s,
            "   {}",
            vmcompat::sources::formats::leafline::format_leaf(*k, *r)
        );
    }
    s
}

fn vmx_line(cpuinfo: &Path) -> String {
    std::fs::read_to_string(cpuinfo)
        .expect("cpuinfo")
        .lines()
        .find(|l| l.starts_with("vmx flags"))
        .expect("vmx flags line")
        .to_string()
}

#[test]
fn vmx_flags_and_virsh_over_ssh() {
    if !can_run("vmx_flags_and_virsh_over_ssh") {
        return;
    }
    let Some(shared) = common::shared_dir() else {
        return;
    };
    let case = shared.join("cases/nested-vmx-features");
    let domcaps = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/libvirt/domcapabilities-icelake.xml"),
    )
    .unwrap();
    let mut lab = Lab::new("kvmfacts");
    let mut idx = Vec::new();
    for (n, virsh) in [
        ("1", "cat \"${0%/*}/domcaps.xml\"\n"),
        (
            "2",
            "echo 'error: failed to connect to the hypervisor' >&2\nexit 1\n",
        ),
    ] {
        let h = lab.prepare();
        h.file(
            "cpuid-r.txt",
            &cpuid_r_text(&case.join(format!("worker-{n}.txt"))),
        );
        h.script("cpuid", "cat \"${0%/*}/cpuid-r.txt\"\n");
        h.file(
            "vmx.txt",
            &format!(
                "{}\n",
                vmx_line(&case.join(format!("cpuinfo-worker-{n}.txt")))
            ),
        );
        h.script(
            "grep",
            &format!(
                "case \"$*\" in *'vmx flags'*) cat \"${{0%/*}}/vmx.txt\";; *) exec {} \"$@\";; esac\n",
                real_grep()
            ),
        );
        h.file("domcaps.xml", &domcaps);
        // virsh runs only where a libvirt daemon socket exists.
        h.libvirt_socket();
        h.script("virsh", virsh);
        idx.push(lab.start(h));
    }
    let known = lab.write_known_hosts();
    let mut fleet = format!(
        "[fleet]\nname = \"ssh-kvm\"\nknown_hosts = {:?}\ndeadline = 20\n",
        known.display().to_string()
    );
    for (n, i) in idx.iter().enumerate() {
        let _ = write!(
            fleet,
            "\n[[host]]\nname = \"worker-{}\"\ncluster = \"k8s\"\nssh = \"{}\"\nidentity = \"user_key\"\n",
            n + 1,
            lab.target(*i)
        );
    }
    let path = lab.dir.join("fleet.toml");
    std::fs::write(&path, fleet).unwrap();
    let (code, stdout, stderr, _) = lab.vmcompat(&[
        "audit",
        "--only",
        "cpu",
        path.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let v: Value =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stderr}\n{stdout}"));
    assert_eq!(code, 1, "{stderr}\n{stdout}");
    let findings = v["msr"]["findings"].as_array().expect("findings");
    // worker-1 has its VMX facts from libvirt (domcapabilities lists vmx-*), worker-2
    // from the vmx flags line: compared where both can show them.
    let f = findings
        .iter()
        .find(|f| f["family"] == "VMX capabilities" && f["from"][0] == "worker-1")
        .unwrap_or_else(|| panic!("no VMX finding: {v}"));
    assert_eq!(f["nested_only"], true);
    assert!(
        f["missing"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m == "vmx-posted-intr"),
        "{f}"
    );

    // Each source says whether it was read: report one host and look.
    let (code, stdout, stderr, _) = lab.vmcompat(&[
        "report",
        "--host",
        &lab.target(idx[1]),
        "--identity",
        lab.user_key.to_str().unwrap(),
        "--known-hosts",
        known.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let r: Value = serde_json::from_str(&stdout).unwrap();
    let sources = r["kvm"]["sources"].as_array().expect("sources");
    let src = |name: &str| -> &Value {
        sources
            .iter()
            .find(|s| s["name"] == name)
            .unwrap_or_else(|| panic!("{name} not noted: {sources:?}"))
    };
    assert_eq!(src("/proc/cpuinfo vmx flags")["read"], true);
    let virsh = src("virsh domcapabilities");
    assert_eq!(virsh["read"], false);
    assert!(
        virsh["note"]
            .as_str()
            .unwrap()
            .contains("failed to connect"),
        "{virsh}"
    );
    let msr = src("/dev/cpu/0/msr");
    if !Path::new("/dev/cpu/0/msr").exists() {
        assert_eq!(msr["read"], false);
        assert!(
            msr["note"].as_str().unwrap().contains("modprobe msr"),
            "{msr}"
        );
    }
    let kvm = src("/dev/kvm");
    assert_eq!(kvm["read"], false);
    assert!(
        kvm["note"].as_str().unwrap().contains("not read over SSH"),
        "{kvm}"
    );
}
