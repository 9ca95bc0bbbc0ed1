//! The fleet commands as a user runs them, on fleets of shipped profiles (no
//! hosts and no ../shared needed): audit, mask (with --explain and --apply),
//! check (every outcome), profiles.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn vmcompat(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vmcompat"))
        .args(args)
        .output()
        .expect("run vmcompat")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn example() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/fleet.toml")
        .display()
        .to_string()
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("vmcompat-fleet-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// A fleet file of profiles.
fn fleet(dir: &Path, hosts: &[(&str, &str)]) -> String {
    let mut s = String::from("[fleet]\nname = \"t\"\n");
    for (name, profile) in hosts {
        s.push_str(&format!(
            "[[host]]\nname = \"{name}\"\nprofile = \"{profile}\"\n"
        ));
    }
    let path = dir.join("fleet.toml");
    std::fs::write(&path, s).expect("write fleet");
    path.display().to_string()
}

#[test]
fn audit_of_the_example_fleet() {
    let o = vmcompat(&["audit", &example(), "--format", "json"]);
    // An Intel cluster and an AMD cluster: each is ready on its own, and the
    // vendor difference between clusters is information, not a failure: exit 0
    // (issue 13; it was exit 1 when the fleet was judged as one).
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(v["cpu"]["groups"].as_array().map(Vec::len), Some(6));
    assert_eq!(v["hosts"].as_array().map(Vec::len), Some(7));
    let baselines = v["cpu"]["baselines"].as_array().expect("baselines");
    let intel = baselines
        .iter()
        .find(|b| b["vendor"] == "intel")
        .expect("intel");
    assert_eq!(intel["named_baseline"], "intel-ivybridge");
    // The weakest Intel link is the Ivy Bridge host.
    let weakest = v["cpu"]["weakest_links"].as_array().expect("weakest");
    assert!(weakest
        .iter()
        .any(|w| v["hosts"][w["host"].as_u64().unwrap() as usize]["name"] == "esx-prod-05"));
    // Same-vendor fleets reach each other with masks: exit 0.
    let dir = temp_dir("audit");
    let f = fleet(
        &dir,
        &[
            ("a", "xeon-e5-2600-v3"),
            ("b", "xeon-e5-2600-v4"),
            ("c", "xeon-e5-2600-v2"),
        ],
    );
    let o = vmcompat(&["audit", &f]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    // Under the ESX 3 policy the same hosts form one group (same family, SSE3, NX, VT-x).
    let o = vmcompat(&["audit", &f, "--policy", "esx3", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(v["cpu"]["groups"].as_array().map(Vec::len), Some(1));
}

#[test]
fn mask_lines_verify_explain_and_apply() {
    let dir = temp_dir("mask");
    let f = fleet(
        &dir,
        &[("hsw", "xeon-e5-2600-v3"), ("ivb", "xeon-e5-2600-v2")],
    );
    let o = vmcompat(&["mask", &f]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let out = text(&o);
    assert!(
        out.contains("verified: applied to all 2 member host(s)"),
        "{out}"
    );
    // AVX2 is leaf 7 subleaf 0 EBX bit 5.
    let line = out
        .lines()
        .find(|l| l.starts_with("cpuid.7.0.ebx = "))
        .expect("a leaf 7 line");
    let value = line.split('"').nth(1).expect("quoted").replace(':', "");
    assert_eq!(value.chars().nth(31 - 5), Some('0'), "{line}");
    // Explaining the line names what it hides.
    let e = vmcompat(&["mask", "--explain", line]);
    assert!(text(&e).contains("avx2"), "{}", text(&e));
    // The classic NX line, explained.
    let nx = vmcompat(&[
        "mask",
        "--explain",
        "cpuid.80000001.edx = \"----:----:---0:----:----:----:----:----\"",
    ]);
    assert!(
        text(&nx).contains("hides (guest sees 0): nx"),
        "{}",
        text(&nx)
    );
    // Other formats.
    // QEMU and libvirt: a named model that lacks AVX2 (Ivy Bridge class), never
    // `host`, and AVX2 not added back.
    let q = vmcompat(&["mask", &f, "--format", "qemu"]);
    let cpu = text(&q)
        .lines()
        .find(|l| l.starts_with("-cpu "))
        .map(str::to_string)
        .unwrap_or_default();
    assert!(
        cpu.starts_with("-cpu IvyBridge-v") && !cpu.contains("avx2") && !cpu.contains("host"),
        "{}",
        text(&q)
    );
    let l = vmcompat(&["mask", &f, "--format", "libvirt"]);
    assert!(
        text(&l).contains("<model fallback='forbid'>IvyBridge")
            && !text(&l).contains("name='avx2'"),
        "{}",
        text(&l)
    );
    // --apply rewrites only mask lines, keeps a backup, and is idempotent.
    let vmx = dir.join("vm.vmx");
    let original = "config.version = \"8\"\r\nvirtualHW.version = \"19\"\r\ndisplayName = \"web 1\"\r\ncpuid.1.ecx = \"----:----:----:----:----:----:----:---0\"\r\nmemSize = \"4096\"\r\n";
    std::fs::write(&vmx, original).unwrap();
    let a = vmcompat(&["mask", &f, "--apply", vmx.to_str().unwrap()]);
    assert_eq!(a.status.code(), Some(0), "{}", text(&a));
    let after = std::fs::read_to_string(&vmx).unwrap();
    for keep in [
        "config.version = \"8\"\r\n",
        "displayName = \"web 1\"\r\n",
        "memSize = \"4096\"\r\n",
    ] {
        assert!(after.contains(keep), "{after}");
    }
    assert!(after.contains("cpuid.7.0.ebx = "), "{after}");
    assert_eq!(
        std::fs::read_to_string(dir.join("vm.vmx.bak")).unwrap(),
        original
    );
    let again = vmcompat(&["mask", &f, "--apply", vmx.to_str().unwrap()]);
    assert!(text(&again).contains("nothing written"), "{}", text(&again));
    assert_eq!(std::fs::read_to_string(&vmx).unwrap(), after);
    // No mask bridges vendors.
    let mixed = fleet(&dir, &[("hsw", "xeon-e5-2600-v3"), ("rome", "epyc-7002")]);
    let o = vmcompat(&["mask", &mixed, "--groups", "haswell,zen2"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).contains("no mask can bridge vendors"),
        "{}",
        text(&o)
    );
}

#[test]
fn check_gives_every_outcome_its_exit_code() {
    let dir = temp_dir("check");
    let intel = fleet(&dir, &[("a", "xeon-e5-2600-v3"), ("b", "xeon-e5-2600-v4")]);
    // A strict superset joins without lowering anything: exit 0.
    let o = vmcompat(&[
        "check",
        &intel,
        "--candidate",
        "xeon-scalable-2nd-gen",
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(v[0]["fit"], "fits");
    assert_eq!(v[0]["joins_group"], serde_json::Value::Null);
    // An identical host joins its group.
    let o = vmcompat(&[
        "check",
        &intel,
        "--candidate",
        "xeon-e5-2600-v3",
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(v[0]["fit"], "fits");
    assert!(v[0]["joins_group"].is_string());
    // An older host lowers the baseline: exit 1, and the lost features are named.
    let o = vmcompat(&[
        "check",
        &intel,
        "--candidate",
        "xeon-e5-2600-v2",
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(v[0]["fit"], "lowers-baseline");
    let lost: Vec<&str> = v[0]["baseline_loss"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|x| x.as_str())
        .collect();
    assert!(lost.contains(&"avx2") && lost.contains(&"fma"), "{lost:?}");
    // Another vendor does not fit: exit 1.
    let o = vmcompat(&[
        "check",
        &intel,
        "--candidate",
        "epyc-7003",
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(v[0]["fit"], "does-not-fit");
    // A required baseline: met, and not met.
    let o = vmcompat(&[
        "check",
        &intel,
        "--candidate",
        "xeon-e5-2600-v4",
        "--require",
        "intel-haswell",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let o = vmcompat(&[
        "check",
        &intel,
        "--candidate",
        "xeon-e5-2600-v4",
        "--require",
        "intel-skylake",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("NOT met"), "{}", text(&o));
    // Several candidates side by side.
    let o = vmcompat(&[
        "check",
        &intel,
        "--candidate",
        "xeon-scalable-2nd-gen",
        "--candidate",
        "xeon-e5-2600-v2",
        "--candidate",
        "epyc-9004",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("Side by side"), "{}", text(&o));
    // Bad input: exit 2 with the reason.
    let o = vmcompat(&["check", &intel, "--candidate", "no-such-cpu"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).contains("neither a file nor a profile name"),
        "{}",
        text(&o)
    );
}

#[test]
fn profiles_are_listed() {
    let o = vmcompat(&["profiles", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert!(v["profiles"].as_array().map_or(0, Vec::len) >= 16);
    assert!(v["baselines"]
        .as_array()
        .is_some_and(|b| b.iter().any(|x| x["name"] == "x86-64-v3")));
}
