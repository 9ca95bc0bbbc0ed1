//! Host-level blockers end to end: a nested ESXi host without VT-x, a host
//! with one odd logical CPU and a hybrid part each count against the audit's
//! verdict (exit 1), and the report names the odd CPU. The dumps are written
//! by the test from a real Westmere dump (tests/fixtures is not needed; the
//! corpus dump is read in place from ../shared).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("vmcompat-blockers-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// (leaf, subleaf, [eax, ebx, ecx, edx]) of a corpus dump.
type Leaf = (u32, u32, [u32; 4]);

fn corpus_leaves(path: &Path) -> Vec<Leaf> {
    let text = std::fs::read_to_string(path).expect("corpus dump reads");
    let hex = |s: &str| u32::from_str_radix(s.trim_start_matches("0x"), 16).expect("hex");
    text.lines()
        .filter(|l| l.starts_with("leaf="))
        .map(|l| {
            let f: Vec<&str> = l
                .split_whitespace()
                .map(|kv| kv.split_once('=').map_or("", |(_, v)| v))
                .collect();
            (
                hex(f[0]),
                hex(f[1]),
                [hex(f[2]), hex(f[3]), hex(f[4]), hex(f[5])],
            )
        })
        .collect()
}

/// A native dump with one CPU per entry of `cpus` (each a full leaf list).
fn native(cpus: &[Vec<Leaf>]) -> String {
    let mut s = String::from(
        "format = \"vmcompat-dump\"\nversion = 1\ncompleteness = \"full\"\n\n[provenance]\nkind = \"native-file\"\norigin = \"test\"\n",
    );
    for (i, leaves) in cpus.iter().enumerate() {
        s.push_str(&format!("\n[[cpu]]\nindex = {i}\nleaves = [\n"));
        for (leaf, sub, r) in leaves {
            s.push_str(&format!(
                "  \"0x{leaf:08x} 0x{sub:02x}: eax=0x{:08x} ebx=0x{:08x} ecx=0x{:08x} edx=0x{:08x}\",\n",
                r[0], r[1], r[2], r[3]
            ));
        }
        s.push_str("]\n");
    }
    s
}

fn edit(leaves: &[Leaf], leaf: u32, f: impl Fn(&mut [u32; 4])) -> Vec<Leaf> {
    let mut out = leaves.to_vec();
    if !out.iter().any(|(l, s, _)| *l == leaf && *s == 0) {
        out.push((leaf, 0, [0; 4]));
        out.sort_by_key(|(l, s, _)| (*l, *s));
    }
    for (l, s, r) in &mut out {
        if *l == leaf && *s == 0 {
            f(r);
        }
    }
    out
}

#[test]
fn nested_no_vtx_odd_cpu_and_hybrid_count_against_the_verdict() {
    let Some(shared) = common::shared_dir() else {
        return;
    };
    let base = corpus_leaves(&shared.join("corpus/libcpuid/intel-xeon-cpu-x5650.txt"));
    let dir = temp_dir("audit");
    // A healthy two-socket host: the same CPU twice, APIC IDs apart.
    let other_apic = edit(&base, 1, |r| r[1] |= 2 << 24);
    std::fs::write(
        dir.join("ok.toml"),
        native(&[base.clone(), other_apic.clone()]),
    )
    .expect("w");
    // Nested ESXi: hypervisor bit set, VMware's signature, VT-x not exposed.
    let nested = edit(&base, 1, |r| {
        r[2] |= 1 << 31;
        r[2] &= !(1 << 5);
    });
    let nested = edit(&nested, 0x4000_0000, |r| {
        *r = [0x4000_0010, 0x6177_4d56, 0x4d56_6572, 0x6572_6177];
    });
    std::fs::write(dir.join("nested.toml"), native(&[nested])).expect("w");
    // One odd CPU: logical CPU 1 has AES-NI off (leaf 1 ECX[25]).
    let odd = edit(&other_apic, 1, |r| r[2] &= !(1 << 25));
    std::fs::write(dir.join("odd.toml"), native(&[base.clone(), odd])).expect("w");
    // A hybrid part: leaf 7 EDX[15] and leaf 0x1A core types P (0x40) and E (0x20).
    let hybrid = edit(&base, 7, |r| r[3] |= 1 << 15);
    let p = edit(&hybrid, 0x1a, |r| r[0] = 0x4000_0001);
    let e = edit(&hybrid, 0x1a, |r| r[0] = 0x2000_0001);
    std::fs::write(dir.join("hybrid.toml"), native(&[p.clone(), p, e])).expect("w");
    let mut fleet = String::from("[fleet]\nname = \"blockers\"\n");
    for h in ["ok", "nested", "odd", "hybrid"] {
        fleet.push_str(&format!(
            "[[host]]\nname = \"{h}\"\ncluster = \"c\"\ndump = \"{h}.toml\"\n"
        ));
    }
    std::fs::write(dir.join("fleet.toml"), fleet).expect("w");
    let run = |format: &str| {
        Command::new(env!("CARGO_BIN_EXE_vmcompat"))
            .args(["audit", "--only", "cpu", "--format", format])
            .arg(dir.join("fleet.toml"))
            .output()
            .expect("vmcompat runs")
    };
    let out = run("json");
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let blockers = v["host_blockers"].as_array().expect("host_blockers");
    let kinds = |host: &str| -> Vec<String> {
        blockers
            .iter()
            .filter(|b| b["host"] == host)
            .flat_map(|b| b["blockers"].as_array().cloned().unwrap_or_default())
            .map(|b| b["kind"].as_str().unwrap_or("").to_string())
            .collect()
    };
    assert!(kinds("ok").is_empty(), "{blockers:?}");
    assert_eq!(
        kinds("nested"),
        ["runs-in-vm", "no-hardware-virtualization"]
    );
    assert_eq!(kinds("odd"), ["non-identical-cpus"]);
    assert_eq!(kinds("hybrid"), ["hybrid-core-types"]);
    let odd = blockers
        .iter()
        .find(|b| b["host"] == "odd")
        .expect("odd host");
    assert_eq!(odd["blockers"][0]["odd_cpus"], serde_json::json!([1]));
    // The table names the odd CPU and the nested host's hypervisor, and the
    // verdict counts them.
    let out = run("table");
    let text = String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        text.contains("odd: logical CPU(s) 1 differ from the others in leaf 0x1 ECX"),
        "{text}"
    );
    assert!(text.contains("nested: the host is itself a VM"), "{text}");
    let nested = blockers
        .iter()
        .find(|b| b["host"] == "nested")
        .expect("nested host");
    assert_eq!(nested["blockers"][0]["hypervisor"], "VMware");
    assert!(
        text.contains("nested: CPUID does not report VT-x"),
        "{text}"
    );
    assert!(text.contains("hybrid: hybrid part"), "{text}");
    assert!(
        text.contains("3 host(s) have host-level blockers"),
        "{text}"
    );
    assert!(text.contains("Overall: NOT ready"), "{text}");
    // The HTML report lists them too, and its verdict box is not green.
    let html = dir.join("report.html");
    let out = Command::new(env!("CARGO_BIN_EXE_vmcompat"))
        .args(["audit", "--only", "cpu", "--html"])
        .arg(&html)
        .arg(dir.join("fleet.toml"))
        .output()
        .expect("vmcompat runs");
    assert_eq!(out.status.code(), Some(1));
    let page = std::fs::read_to_string(&html).expect("report written");
    assert!(page.contains("id=\"host-blockers\""), "no blockers section");
    assert!(page.contains("logical CPU(s) 1 differ"));
    assert!(page.contains("verdict bad"));
}
