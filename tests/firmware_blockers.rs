//! Issue 13 item 4 and issue 10 item 3 in the audit and the report: a host that
//! lacks only firmware-dependent bits of the next baseline is named for a
//! microcode/BIOS update, not for removal; the audit's cluster section names the
//! hosts to update and what the update brings; `report` says when the bits it
//! lacks for the next baseline come with an update. Real corpus dumps and case
//! files, read in place from `../shared`.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn vmcompat(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vmcompat"))
        .args(args)
        // Wide enough that every phrase stays on one line.
        .env("COLUMNS", "1000")
        .output()
        .expect("run vmcompat")
}

/// Standard output with every run of white space (the 80-column wrapping of
/// the audit's sentences among it) made one space, so phrases are checked whole.
fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "JSON: {e}\n{}{}",
            stdout(o),
            String::from_utf8_lossy(&o.stderr)
        )
    })
}

fn names(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("not an array: {v}"))
        .iter()
        .map(|x| x.as_str().expect("a name").to_string())
        .collect()
}

fn features_of(dump: &Path) -> Vec<String> {
    let o = vmcompat(&[
        "report",
        "--dump",
        &dump.display().to_string(),
        "--format",
        "json",
    ]);
    names(&json(&o)["features"])
}

/// A Haswell with pre-2018 microcode (libcpuid's i7-4770: no spec_ctrl, md_clear,
/// ...) and a Cascade Lake with current microcode, in one cluster.
fn old_microcode_fleet(shared: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let hsw = shared.join("corpus/libcpuid/intel-core-i7-4770-cpu.txt");
    let clx = shared.join("cases/psabi-level-baseline/node-clx.txt");
    let dir = std::env::temp_dir().join(format!("vmcompat-fw-blockers-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let fleet = dir.join("fleet.toml");
    std::fs::write(
        &fleet,
        format!(
            "[fleet]\nname = \"fw\"\n\
             [[host]]\nname = \"hsw-old\"\ncluster = \"c\"\ndump = \"{}\"\n\
             [[host]]\nname = \"clx\"\ncluster = \"c\"\ndump = \"{}\"\n",
            hsw.display(),
            clx.display()
        ),
    )
    .expect("write fleet");
    (fleet, hsw, clx)
}

#[test]
fn host_lacking_only_microcode_bits_is_named_for_an_update_not_removal() {
    let Some(shared) = common::shared_dir() else {
        return;
    };
    let (fleet, hsw, clx) = old_microcode_fleet(&shared);
    // The facts the test rests on, from the dumps themselves.
    let (hf, cf) = (features_of(&hsw), features_of(&clx));
    for f in ["spec_ctrl", "md_clear", "arch_capabilities"] {
        assert!(!hf.iter().any(|x| x == f), "i7-4770 dump has {f}");
        assert!(cf.iter().any(|x| x == f), "Cascade Lake dump lacks {f}");
    }
    assert!(
        hf.iter().any(|x| x == "avx"),
        "a Sandy Bridge or later core"
    );

    let fleet = fleet.display().to_string();
    let o = vmcompat(&["audit", &fleet, "--only", "cpu", "--format", "json"]);
    let v = json(&o);
    let s = v["settings"]
        .as_array()
        .expect("settings")
        .iter()
        .find(|s| s["cluster"] == "c")
        .expect("cluster c");
    let hosts: Vec<String> = v["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["name"].as_str().unwrap().to_string())
        .collect();
    let hsw_i = hosts.iter().position(|h| h == "hsw-old").unwrap() as u64;

    // Item 1: the next baseline (intel-nehalem, following libvirt's Nehalem-IBRS)
    // is blocked by hsw-old alone, for spec_ctrl alone, which an update brings.
    let next = &s["next"];
    assert_eq!(next["baseline"], "intel-nehalem", "{next}");
    let blockers = next["blockers"].as_array().unwrap();
    assert_eq!(blockers.len(), 1, "{next}");
    let b = &blockers[0];
    assert_eq!(b["host"], hsw_i);
    assert_eq!(names(&b["missing"]), ["spec_ctrl"]);
    assert_eq!(names(&b["update_brings"]), ["spec_ctrl"]);
    assert_eq!(b["action"], "update");
    // Once updated, the cluster gains the mitigations, spec_ctrl among them.
    let gain = names(&next["gain"]);
    for f in ["spec_ctrl", "md_clear"] {
        assert!(gain.iter().any(|g| g == f), "gain {gain:?}");
    }

    // Item 3: the cluster's hosts differ in microcode-dependent bits; the host to
    // update is named with what the update brings.
    let pending = names(&s["firmware_pending"]);
    for f in ["spec_ctrl", "md_clear", "arch_capabilities"] {
        assert!(pending.iter().any(|p| p == f), "pending {pending:?}");
    }
    let advice = s["firmware_advice"].as_array().unwrap();
    assert_eq!(advice.len(), 1, "only hsw-old needs an update: {advice:?}");
    assert_eq!(advice[0]["host"], hsw_i);
    let lacks = names(&advice[0]["lacks"]);
    for f in ["spec_ctrl", "md_clear"] {
        assert!(lacks.iter().any(|l| l == f), "lacks {lacks:?}");
    }

    // The audit text says the same to the administrator.
    let o = vmcompat(&["audit", &fleet, "--only", "cpu"]);
    let out = stdout(&o);
    assert!(
        out.contains("Held back: the next baseline, intel-nehalem, needs 1 host(s) updated (microcode/BIOS):"),
        "{out}"
    );
    assert!(
        out.contains("update the microcode/BIOS of hsw-old: it lacks only spec_ctrl, which the update brings"),
        "{out}"
    );
    assert!(!out.contains("remove or replace hsw-old"), "{out}");
    assert!(!out.contains("removed or replaced"), "{out}");
    assert!(
        out.contains("Firmware: the hosts differ in microcode/BIOS-dependent features"),
        "{out}"
    );
    let at = out
        .find("update the microcode/BIOS of hsw-old: brings")
        .unwrap_or_else(|| panic!("no firmware advice: {out}"));
    let line = &out[at..at + out[at..].find("Held back").expect("Held back after it")];
    assert!(
        line.contains("spec_ctrl") && line.contains("md_clear"),
        "{line}"
    );
    assert!(!out.contains("microcode/BIOS of clx"), "{out}");
}

#[test]
fn host_lacking_silicon_features_is_named_for_removal_and_no_update_is_invented() {
    let Some(shared) = common::shared_dir() else {
        return;
    };
    // Cascade Lake + Ice Lake: the Cascade Lake lacks Ice Lake instructions
    // (silicon), and both run current microcode.
    let fleet = shared.join("cases/psabi-level-baseline/fleet.toml");
    let fleet = fleet.display().to_string();
    let v = json(&vmcompat(&[
        "audit", &fleet, "--only", "cpu", "--format", "json",
    ]));
    let s = &v["settings"][0];
    assert_eq!(s["next"]["baseline"], "intel-icelake");
    let b = &s["next"]["blockers"][0];
    assert_eq!(b["action"], "replace");
    assert!(names(&b["missing"]).iter().any(|f| f == "avx512vbmi"));
    assert!(names(&b["update_brings"]).is_empty());
    assert!(s["firmware_advice"].as_array().unwrap().is_empty());
    let out = stdout(&vmcompat(&["audit", &fleet, "--only", "cpu"]));
    assert!(
        out.contains("needs 1 host(s) removed or replaced:"),
        "{out}"
    );
    assert!(out.contains("remove or replace pve-clx: lacks"), "{out}");
    assert!(!out.contains("Firmware:"), "{out}");
    assert!(!out.contains("update the microcode"), "{out}");
}

#[test]
fn firmware_bit_only_another_generation_has_is_update_or_replace() {
    let Some(shared) = common::shared_dir() else {
        return;
    };
    // Zen 3 + Zen 2: the Zen 2 node lacks IBRS for the amd-zen2 baseline. IBRS is
    // firmware-dependent, but no twin in the cluster and no rule shows that an
    // update brings it to this CPU: neither "update" alone nor "remove" alone.
    let fleet = shared.join("cases/zen3-to-zen2-mitigations/fleet.toml");
    let fleet = fleet.display().to_string();
    let v = json(&vmcompat(&[
        "audit", &fleet, "--only", "cpu", "--format", "json",
    ]));
    let s = &v["settings"][0];
    let b = &s["next"]["blockers"][0];
    assert_eq!(b["action"], "update_or_replace", "{}", s["next"]);
    assert_eq!(names(&b["firmware_unconfirmed"]), names(&b["missing"]));
    // A silicon difference is no firmware advice.
    assert!(s["firmware_advice"].as_array().unwrap().is_empty());
    let out = stdout(&vmcompat(&["audit", &fleet, "--only", "cpu"]));
    assert!(
        out.contains("update its microcode/BIOS if its vendor ships one that brings it, else remove or replace node-b"),
        "{out}"
    );
}

#[test]
fn report_says_a_microcode_update_brings_the_next_baseline() {
    let Some(shared) = common::shared_dir() else {
        return;
    };
    let dump = shared.join("corpus/libcpuid/intel-core-i7-4770-cpu.txt");
    let dump = dump.display().to_string();
    let out = stdout(&vmcompat(&["report", "--dump", &dump]));
    assert!(
        out.contains("intel-nehalem: lacks spec_ctrl (a microcode/BIOS update brings it)"),
        "{out}"
    );
    let v = json(&vmcompat(&["report", "--dump", &dump, "--format", "json"]));
    let s = &v["summary"];
    assert_eq!(s["next_baseline"][0], "intel-nehalem");
    assert_eq!(names(&s["next_baseline"][1]), ["spec_ctrl"]);
    assert_eq!(names(&s["next_baseline_update_brings"]), ["spec_ctrl"]);
    assert!(names(&s["next_baseline_firmware_unconfirmed"]).is_empty());

    // A Westmere (no AVX: before Sandy Bridge) lacking spec_ctrl: an update may
    // bring it, but that is not promised.
    let west = shared.join("corpus/libcpuid/intel-xeon-cpu-x5650.txt");
    let west = west.display().to_string();
    let out = stdout(&vmcompat(&["report", "--dump", &west]));
    assert!(
        out.contains(
            "intel-nehalem: lacks spec_ctrl (firmware-dependent: a microcode/BIOS update may bring it)"
        ),
        "{out}"
    );
    assert!(!out.contains("update brings it"), "{out}");
}
