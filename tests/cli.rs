//! The binary as a user runs it: outputs, exit codes, error messages.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn vmcompat(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vmcompat"))
        .args(args)
        .output()
        .expect("run vmcompat")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn corpus(shared: &Path, file: &str) -> PathBuf {
    shared.join("corpus/libcpuid").join(file)
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("vmcompat-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

#[test]
fn report_of_the_local_cpu_says_what_a_cupid_user_expects() {
    let o = vmcompat(&["report"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    for label in [
        "Logical CPUs read",
        "All CPUs identical",
        "Vendor",
        "Family / model / stepping",
        "Highest SSE/AVX level",
        "NX/XD",
        "Long mode",
        "Supports 64-bit VMs",
        "Hypervisor present",
        "x86-64 level",
    ] {
        assert!(text.contains(label), "report lacks {label:?}:\n{text}");
    }
    let json = vmcompat(&["report", "--format", "json"]);
    assert_eq!(json.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).expect("report JSON");
    assert!(v["summary"]["vendor"].is_string());
    assert!(v["consistency"]["logical_cpus"].as_u64().unwrap_or(0) >= 1);
}

#[test]
fn report_of_a_corpus_dump() {
    let Some(shared) = common::shared_dir() else {
        return;
    };
    let path = corpus(&shared, "intel-core-i7-4770-cpu.txt");
    let o = vmcompat(&[
        "report",
        "--dump",
        path.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(v["summary"]["vendor"], "Intel");
    assert_eq!(v["summary"]["family"], 6);
    assert_eq!(v["summary"]["model"], 0x3c);
    assert_eq!(v["summary"]["x86_64_level"], "x86-64-v3");
    assert_eq!(v["summary"]["nx"], true);
}

#[test]
fn bad_input_exits_2_naming_the_file() {
    let o = vmcompat(&["report", "--dump", "/nonexistent/dump.toml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("/nonexistent/dump.toml"),
        "{}",
        stderr(&o)
    );
    let dir = temp_dir("bad");
    let bad = dir.join("bad.txt");
    std::fs::write(
        &bad,
        "leaf=0x00000000 subleaf=0x0 eax=0x0000000d ebx=0x68747541\n",
    )
    .unwrap();
    let o = vmcompat(&["report", "--dump", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("bad.txt:1"), "{}", stderr(&o));
}

#[test]
fn probe_writes_a_dump_that_reports_like_the_live_cpu() {
    let dir = temp_dir("probe");
    let out = dir.join("host.toml");
    let o = vmcompat(&["probe", "-o", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let live = vmcompat(&["report", "--format", "json"]);
    let saved = vmcompat(&[
        "report",
        "--dump",
        out.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let mut a: serde_json::Value = serde_json::from_slice(&live.stdout).unwrap();
    let mut b: serde_json::Value = serde_json::from_slice(&saved.stdout).unwrap();
    // The source line names the file; everything else must be the same.
    a["source"] = serde_json::Value::Null;
    b["source"] = serde_json::Value::Null;
    assert_eq!(a, b);
}

#[test]
fn audit_of_a_mixed_fleet_groups_and_exits_by_reachability() {
    let Some(shared) = common::shared_dir() else {
        return;
    };
    let dir = temp_dir("audit");
    let host = |name: &str, file: &str| {
        format!(
            "[[host]]\nname = \"{name}\"\ncluster = \"c1\"\ndump = \"{}\"\n\n",
            corpus(&shared, file).display()
        )
    };
    // Two Intel generations (one group each, reachable with a mask) ...
    let intel =
        host("hsw", "intel-core-i7-4770-cpu.txt") + &host("snb", "intel-core-i7-2600-cpu.txt");
    let fleet = dir.join("intel.toml");
    std::fs::write(&fleet, &intel).unwrap();
    let o = vmcompat(&["audit", fleet.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}\n{}", stdout(&o), stderr(&o));
    let text = stdout(&o);
    assert!(
        text.contains("with mask") && text.contains("avx2"),
        "{text}"
    );
    // ... and an AMD host: no mask bridges vendors, exit 1.
    let mixed = intel + &host("epyc", "amd-epyc-7401p-24-core-processor-dual.txt");
    std::fs::write(&fleet, mixed).unwrap();
    let o = vmcompat(&["audit", fleet.to_str().unwrap(), "--format", "json"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(v["cpu"]["groups"].as_array().map(Vec::len), Some(3));
    // A host whose dump is missing becomes a row; the others are still reported; exit 2.
    let broken = host("hsw", "intel-core-i7-4770-cpu.txt")
        + "[[host]]\nname = \"gone\"\ndump = \"/nonexistent.toml\"\n";
    std::fs::write(&fleet, broken).unwrap();
    let o = vmcompat(&["audit", fleet.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stdout(&o).contains("NOT COLLECTED"), "{}", stdout(&o));
    assert!(stdout(&o).contains("hsw"));
}

#[test]
fn diff_names_features_both_ways() {
    let Some(shared) = common::shared_dir() else {
        return;
    };
    let a = corpus(&shared, "intel-core-i7-4770-cpu.txt");
    let b = corpus(&shared, "intel-core-i7-2600-cpu.txt");
    let o = vmcompat(&["diff", a.to_str().unwrap(), b.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.contains("Only A has") && text.contains("avx2"),
        "{text}"
    );
    assert!(
        text.contains("VM powered on at B -> A: yes, no mask needed"),
        "{text}"
    );
    let same = vmcompat(&["diff", a.to_str().unwrap(), a.to_str().unwrap()]);
    assert_eq!(same.status.code(), Some(0));
}
