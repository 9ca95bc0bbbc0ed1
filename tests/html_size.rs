//! The HTML report stays small for big fleets (issue 15, item 6). Symptom: a
//! 500-host report was 23 MB (every pair's reasons, twice, for hundreds of
//! groups of distinct CPUs).

mod common;

use std::fmt::Write as _;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_vmcompat");

fn report_size(name: &str, fleet: &str) -> (usize, String) {
    let d = std::env::temp_dir().join(format!("vmcompat-html-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("dir");
    std::fs::write(d.join("fleet.toml"), fleet).expect("fleet");
    let out = Command::new(BIN)
        .args([
            "audit",
            "fleet.toml",
            "--html",
            "r.html",
            "--format",
            "json",
        ])
        .current_dir(&d)
        .output()
        .expect("runs");
    assert!(out.status.code().is_some_and(|c| c < 2), "{out:?}");
    let html = std::fs::read_to_string(d.join("r.html")).expect("report");
    let _ = std::fs::remove_dir_all(&d);
    (html.len(), html)
}

#[test]
fn five_hundred_distinct_hosts_make_a_report_under_2_mb() {
    let Some(shared) = common::shared_dir() else {
        return;
    };
    let dir = shared.join("corpus/libcpuid");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("corpus")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    files.sort();
    let mut fleet = String::from("[fleet]\nname = \"big\"\n");
    for (i, f) in files.iter().take(500).enumerate() {
        let _ = write!(
            fleet,
            "\n[[host]]\nname = \"h{i:03}\"\ncluster = \"c{}\"\ndump = \"{}\"\n",
            i % 4,
            f.display()
        );
    }
    let (size, html) = report_size("distinct", &fleet);
    eprintln!("500 distinct corpus hosts: {size} bytes");
    assert!(size < 2_000_000, "{size} bytes");
    assert!(html.contains("reaches") && html.contains("--format json"));
}

#[test]
fn five_hundred_identical_hosts_make_a_small_report() {
    let profiles = [
        "xeon-e5-2600-v3",
        "xeon-e5-2600-v4",
        "epyc-7002",
        "epyc-7003",
    ];
    let mut fleet = String::from("[fleet]\nname = \"same\"\n");
    for i in 0..500 {
        let _ = write!(
            fleet,
            "\n[[host]]\nname = \"h{i:03}\"\nprofile = \"{}\"\n",
            profiles[i % 4]
        );
    }
    let (size, html) = report_size("identical", &fleet);
    eprintln!("500 hosts of 4 kinds: {size} bytes");
    assert!(size < 500_000, "{size} bytes");
    // Small fleets of groups keep the per-pair detail.
    assert!(html.contains("data-from="));
}
