//! `../shared/cases/per-vm-evc`: a VM with per-VM EVC (`featMask.vm.cpuid.* =
//! "Val:..."` lines with `featureCompat.vm.completeMasks = "TRUE"`) is judged by
//! what its mask grants, not by every feature of its host. Every point of the
//! case's EXPECTED.md is checked, through the binary and through the library.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use vmcompat::analysis::fleet::{self, FleetHost};
use vmcompat::analysis::vm_readiness::{check_vm, HostContext, VmReport};
use vmcompat::catalog;
use vmcompat::decode::{decode_dump, Vendor};
use vmcompat::mask::{feature_of_featmask, feature_of_featmask_on};
use vmcompat::model::policy::Policy;

const BIN: &str = env!("CARGO_BIN_EXE_vmcompat");

fn case() -> Option<PathBuf> {
    common::shared_dir().map(|s| s.join("cases/per-vm-evc"))
}

fn vms_json(dir: &Path) -> Value {
    let out = Command::new(BIN)
        .args(["vms", "--format", "json"])
        .arg(dir.join("fleet.toml"))
        .output()
        .expect("vmcompat runs");
    // plain01 cannot leave esx-bdw: exit 1 (findings), never 2.
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON")
}

fn vm<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["hosts"]
        .as_array()
        .expect("hosts")
        .iter()
        .flat_map(|h| h["vms"].as_array().expect("vms"))
        .find(|v| v["name"] == name)
        .unwrap_or_else(|| panic!("no VM {name}"))
}

/// (movable, why) of the move of `vm` to the group holding `host`.
fn move_to(vm: &Value, host: &str) -> (bool, String) {
    let m = vm["cpu_moves"]
        .as_array()
        .expect("cpu_moves")
        .iter()
        .find(|m| {
            m["hosts"]
                .as_array()
                .is_some_and(|h| h.iter().any(|x| x == host))
        })
        .unwrap_or_else(|| panic!("{}: no move to {host}: {vm}", vm["name"]));
    (
        m["movable"].as_bool().expect("bool"),
        m["why"].as_str().unwrap_or("").to_string(),
    )
}

#[test]
fn gold01_moves_by_its_mask_and_plain01_by_its_host() {
    let Some(dir) = case() else { return };
    let report = vms_json(&dir);
    let gold = vm(&report, "gold01");
    // Point 1: gold01 sees only its mask's features: it can move to esx-snb ...
    let (ok, why) = move_to(gold, "esx-snb");
    assert!(ok, "gold01 -> esx-snb: {why}");
    // ... and cannot move to esx-wsm, which lacks AVX/XSAVE and the leaf-7
    // speculation bits; the answer names them.
    let (ok, why) = move_to(gold, "esx-wsm");
    assert!(!ok, "gold01 -> esx-wsm: {why}");
    for lacks in [
        "avx",
        "xsave",
        "spec_ctrl",
        "intel_stibp",
        "spec_ctrl_ssbd",
        "md_clear",
        "flush_l1d",
    ] {
        assert!(
            why.split_whitespace().any(|w| w == lacks),
            "gold01 -> esx-wsm does not name {lacks}: {why}"
        );
    }
    // What Westmere lacks but the mask does not grant is not blamed.
    for not_granted in ["avx2", "fma", "movbe"] {
        assert!(
            !why.split_whitespace().any(|w| w == not_granted),
            "{not_granted} blamed: {why}"
        );
    }
    // gold01 has a destination, so it is no blocker for maintenance mode.
    assert!(
        gold["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .all(|f| f["severity"] != "error"),
        "{gold}"
    );
    assert_eq!(gold["mask"]["explanation"]["complete_masks"], true);

    // Point 2: plain01 sees every Broadwell feature: it can move to neither.
    let plain = vm(&report, "plain01");
    for host in ["esx-snb", "esx-wsm"] {
        let (ok, why) = move_to(plain, host);
        assert!(!ok, "plain01 -> {host}: {why}");
        assert!(why.contains("avx2"), "plain01 -> {host}: {why}");
    }
    assert!(plain["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .any(|f| f["severity"] == "error" && f["kind"] == "cpu"));
}

fn cpu_of(dir: &Path, file: &str) -> vmcompat::decode::Cpu {
    let dump = vmcompat::sources::formats::read_file(&dir.join(file)).expect("dump reads");
    decode_dump(&dump).expect("one CPU")
}

fn check_on(dir: &Path, hosts: &[FleetHost], on: usize, vm_name: &str) -> VmReport {
    let a = fleet::analyze(hosts, Policy::Evc);
    let ctx: Vec<HostContext> = hosts
        .iter()
        .enumerate()
        .map(|(i, h)| HostContext {
            name: h.name.clone(),
            cluster: h.cluster.clone(),
            group: Some(a.host_group[i]),
            ..HostContext::default()
        })
        .collect();
    let vms = vmcompat::sources::vms::inventory::read_dir("esx-bdw", &dir.join("vms/esx-bdw"))
        .expect("the case's VMs read");
    let vm = vms.iter().find(|v| v.name == vm_name).expect("VM present");
    let dests: Vec<&HostContext> = ctx.iter().filter(|c| c.name != ctx[on].name).collect();
    check_vm(vm, &ctx[on], &dests, Some(&a))
}

#[test]
fn gold01_also_moves_back_from_sandy_bridge() {
    let Some(dir) = case() else { return };
    let hosts: Vec<FleetHost> = [
        ("esx-bdw", "esx-bdw.txt"),
        ("esx-snb", "esx-snb.txt"),
        ("esx-wsm", "esx-wsm.txt"),
    ]
    .iter()
    .map(|(name, file)| FleetHost {
        name: name.to_string(),
        cluster: Some("gold".into()),
        cpu: cpu_of(&dir, file),
    })
    .collect();
    // Powered on at esx-snb, gold01 sees Sandy Bridge through its mask: it can
    // go back to esx-bdw, and still not to esx-wsm.
    let r = check_on(&dir, &hosts, 1, "gold01");
    let to = |host: &str| {
        r.cpu_moves
            .iter()
            .find(|m| m.hosts.iter().any(|h| h == host))
            .unwrap_or_else(|| panic!("no move to {host}: {:?}", r.cpu_moves))
    };
    assert!(to("esx-bdw").movable, "{:?}", to("esx-bdw"));
    assert!(!to("esx-wsm").movable, "{:?}", to("esx-wsm"));
    assert!(to("esx-wsm").why.contains("avx"), "{:?}", to("esx-wsm"));
    // plain01 powered on at esx-snb sees all of Sandy Bridge (x2apic,
    // tsc_deadline_timer, ...), so it can go to esx-bdw but not to esx-wsm.
    let r = check_on(&dir, &hosts, 1, "plain01");
    assert!(r
        .cpu_moves
        .iter()
        .any(|m| m.hosts.iter().any(|h| h == "esx-bdw") && m.movable));
}

#[test]
fn ibrs_and_ibpb_are_intel_spec_ctrl_on_intel() {
    // Point 3: VMware's IBRS and IBPB names are CPUID.7.0:EDX[26] (SPEC_CTRL) on
    // Intel, not the AMD 0x80000008 bits; the case's template uses them.
    let spec_ctrl = catalog::lookup("spec_ctrl").expect("catalog has spec_ctrl");
    let loc = catalog::by_id(spec_ctrl).loc;
    assert_eq!((loc.leaf, loc.subleaf, loc.bit), (7, 0, 26));
    for name in ["IBRS", "IBPB", "ibrs"] {
        assert_eq!(feature_of_featmask(name), Some(spec_ctrl), "{name}");
        assert_eq!(
            feature_of_featmask_on(name, Vendor::Intel),
            Some(spec_ctrl),
            "{name}"
        );
    }
    // On AMD the same functions live in CPUID.0x80000008:EBX.
    for (name, amd) in [
        ("IBRS", "amd_ibrs"),
        ("IBPB", "amd_ibpb"),
        ("STIBP", "amd_stibp"),
    ] {
        let id = feature_of_featmask_on(name, Vendor::Amd).expect("resolves on AMD");
        assert_eq!(catalog::by_id(id).name, amd);
        assert_eq!(catalog::by_id(id).loc.leaf, 0x8000_0008);
    }
    // Through the binary: the explanation of the template names spec_ctrl.
    let Some(dir) = case() else { return };
    let out = Command::new(BIN)
        .args(["mask", "--explain"])
        .arg(dir.join("template.txt"))
        .output()
        .expect("vmcompat runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    for line in ["featMask.vm.cpuid.IBRS:", "featMask.vm.cpuid.IBPB:"] {
        let l = text
            .lines()
            .find(|l| l.starts_with(line))
            .unwrap_or_else(|| panic!("{line} not explained:\n{text}"));
        assert!(l.contains("(spec_ctrl)"), "{l}");
    }
    assert!(
        !text.contains("amd_ibrs") && !text.contains("amd_ibpb"),
        "{text}"
    );
    assert!(text.contains("Per-VM EVC"), "{text}");
}
