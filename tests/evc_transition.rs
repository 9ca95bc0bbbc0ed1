//! `vms --evc-mode KEY`: for each cluster and a target VMware EVC mode, the
//! hosts that cannot run it, the VMs to power off first (they run with more),
//! the running VMs to power-cycle, and those whose features are not known.
//! Hosts are the per-vm-evc case's dumps (read in place); esx-bdw's VMs are the
//! case's own; esx-snb's are written by the test, with the `vmware.log` lines a
//! running VM leaves.

mod common;

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("vmcompat-evc-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn vm(dir: &std::path::Path, name: &str, log: Option<&[&str]>, summary: Option<&str>) {
    let d = dir.join("ds1").join(name);
    std::fs::create_dir_all(&d).expect("vm dir");
    std::fs::write(
        d.join(format!("{name}.vmx")),
        format!("displayName = \"{name}\"\nvirtualHW.version = \"19\"\n"),
    )
    .expect("vmx");
    if let Some(reqs) = log {
        let mut text =
            String::from("2025-03-01T10:00:00.000Z In(05) vmx - FeatureCompat: Requirements:\n");
        for r in reqs {
            text.push_str(&format!(
                "2025-03-01T10:00:00.000Z In(05) vmx - VM Features Required: cpuid.{r} - Bool:Min:1\n"
            ));
        }
        std::fs::write(d.join("vmware.log"), text).expect("log");
    }
    if let Some(state) = summary {
        std::fs::write(
            d.join(format!("{name}.summary")),
            format!(
                "   runtime = (vim.vm.RuntimeInfo) {{\n      powerState = \"{state}\",\n   }}\n"
            ),
        )
        .expect("summary");
    }
}

fn run(fleet: &std::path::Path, mode: &str) -> (i32, Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_vmcompat"))
        .args(["vms", "--evc-mode", mode, "--format", "json"])
        .arg(fleet)
        .output()
        .expect("vmcompat runs");
    let v = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap_or(-1), v)
}

fn names(t: &Value, list: &str) -> Vec<String> {
    let mut n: Vec<String> = t[list]
        .as_array()
        .unwrap_or_else(|| panic!("{list}: {t}"))
        .iter()
        .map(|a| a["name"].as_str().unwrap_or("").to_string())
        .collect();
    n.sort();
    n
}

fn why(t: &Value, list: &str, name: &str) -> String {
    t[list]
        .as_array()
        .expect("list")
        .iter()
        .find(|a| a["name"] == name)
        .and_then(|a| a["why"].as_str())
        .unwrap_or_else(|| panic!("{name} not in {list}: {t}"))
        .to_string()
}

#[test]
fn raising_and_lowering_a_clusters_evc_mode() {
    let Some(shared) = common::shared_dir() else {
        return;
    };
    let case = shared.join("cases/per-vm-evc");
    let dir = temp_dir("modes");
    let vms = dir.join("vms");
    // Powered on at Merom level (an old cluster mode): gains from Westmere.
    let merom = [
        "Intel",
        "SSE3",
        "SSSE3",
        "CMPXCHG16B",
        "LAHF64",
        "NX",
        "LM",
        "MWAIT",
        "SS",
        "VMX",
    ];
    vm(&vms, "low", Some(&merom), Some("poweredOn"));
    // Powered on with Sandy Bridge's AVX/XSAVE: beyond Westmere.
    let mut snb = merom.to_vec();
    snb.extend([
        "SSE41",
        "SSE42",
        "POPCNT",
        "AES",
        "PCLMULQDQ",
        "AVX",
        "XSAVE",
    ]);
    vm(&vms, "high", Some(&snb), None);
    // Running, but nothing shows what it uses.
    vm(&vms, "unknown", None, Some("poweredOn"));
    // Powered off: takes the mode at its next power-on.
    vm(&vms, "off", Some(&snb), Some("poweredOff"));
    let fleet = dir.join("fleet.toml");
    let dump = |f: &str| case.join(f).display().to_string();
    std::fs::write(
        &fleet,
        format!(
            "[fleet]\nname = \"evc\"\n\
             [[host]]\nname = \"esx-bdw\"\ncluster = \"gold\"\ndump = {:?}\nvms_dir = {:?}\n\
             [[host]]\nname = \"esx-snb\"\ncluster = \"gold\"\ndump = {:?}\nvms_dir = {:?}\n\
             [[host]]\nname = \"esx-wsm\"\ncluster = \"gold\"\ndump = {:?}\n",
            dump("esx-bdw.txt"),
            case.join("vms/esx-bdw").display().to_string(),
            dump("esx-snb.txt"),
            vms.display().to_string(),
            dump("esx-wsm.txt"),
        ),
    )
    .expect("fleet");

    // Westmere: every host can run it.
    let (code, v) = run(&fleet, "intel-westmere");
    assert_eq!(code, 1, "{v}");
    let t = &v[0];
    assert_eq!(t["cluster"], "gold");
    assert_eq!(t["mode"], "intel-westmere");
    assert!(names(t, "hosts_not_qualifying").is_empty(), "{t}");
    assert_eq!(names(t, "power_cycle"), ["low"]);
    for gain in ["sse4_1", "sse4_2", "popcnt", "aes", "pclmulqdq"] {
        assert!(why(t, "power_cycle", "low").contains(gain), "{t}");
    }
    // gold01's per-VM EVC (Sandy Bridge) exceeds Westmere, like "high".
    assert_eq!(names(t, "power_off_first"), ["gold01", "high"]);
    for (vm, beyond) in [("high", "avx"), ("high", "xsave"), ("gold01", "avx")] {
        assert!(why(t, "power_off_first", vm).contains(beyond), "{t}");
    }
    assert!(why(t, "power_off_first", "high").contains("vmware.log"));
    assert_eq!(names(t, "not_known"), ["plain01", "unknown"]);
    assert!(t["unaffected"]
        .as_array()
        .expect("unaffected")
        .iter()
        .any(|n| n == "off"));

    // Sandy Bridge: esx-wsm cannot run it (no AVX/XSAVE).
    let (code, v) = run(&fleet, "intel-sandybridge");
    assert_eq!(code, 1);
    let t = &v[0];
    assert_eq!(names(t, "hosts_not_qualifying"), ["esx-wsm"]);
    let w = why(t, "hosts_not_qualifying", "esx-wsm");
    assert!(w.contains("avx") && w.contains("xsave"), "{w}");
    assert!(names(t, "power_off_first").is_empty(), "{t}");
    // "high" lacks only what Sandy Bridge adds beyond its log (PCID, RDTSCP):
    // nothing to power off, a power cycle to pick them up.
    assert_eq!(names(t, "power_cycle"), ["high", "low"]);
    assert!(why(t, "power_cycle", "high").contains("pcid"), "{t}");
    assert!(!why(t, "power_cycle", "high").contains("avx"), "{t}");

    // An unknown key is bad input: exit 2, naming the keys.
    let out = Command::new(env!("CARGO_BIN_EXE_vmcompat"))
        .args(["vms", "--evc-mode", "intel-bogus"])
        .arg(&fleet)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("intel-merom"));
}
