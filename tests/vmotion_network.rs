//! The vMotion network (issue 18 item 6, issue 14's "not checked"): the shared
//! case `vmotion-network` (each point of its EXPECTED.md) and declared
//! stacks, subnets and partly known fleets, run with the real binary.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_vmcompat");

/// `audit --only network FLEET` as (exit code, JSON report, table text).
fn network(fleet: &Path) -> (i32, Value, String) {
    let f = fleet.to_str().expect("utf-8");
    let run = |extra: &[&str]| {
        let out = Command::new(BIN)
            .args(["audit", "--only", "network", f])
            .args(extra)
            .output()
            .expect("vmcompat runs");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, json, err) = run(&["--format", "json"]);
    let v: Value = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {json}\n{err}"));
    let (code2, text, _) = run(&[]);
    assert_eq!(code, code2);
    (code, v["storage_network"].clone(), text)
}

fn of<'a>(sn: &'a Value, kind: &str) -> Vec<&'a Value> {
    sn["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["kind"] == kind)
        .collect()
}

/// A fleet file in a temporary directory.
fn fleet(tag: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("vmcompat-vmotion-{}-{tag}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tmp");
    let f = dir.join("fleet.toml");
    std::fs::write(&f, text).expect("write");
    f
}

fn host(name: &str, rest: &str) -> String {
    format!(
        "[[host]]\nname = \"{name}\"\ncluster = \"prod\"\nprofile = \"xeon-scalable-3rd-gen\"\n{rest}\n"
    )
}

#[test]
fn vmotion_network_case() {
    let Some(shared) = common::shared_dir() else {
        return;
    };
    let dir = shared.join("cases/vmotion-network");
    // First fleet: esx-03 has no vMotion VMkernel port: an error naming it, with the fix.
    let (code, sn, text) = network(&dir.join("fleet.toml"));
    assert_eq!(code, 1, "{text}");
    let none = of(&sn, "no-vmotion-port");
    assert_eq!(none.len(), 1, "{sn}");
    assert_eq!(none[0]["severity"], "error");
    assert_eq!(none[0]["hosts"], serde_json::json!(["esx-03"]));
    assert!(none[0]["action"]
        .as_str()
        .unwrap()
        .contains("enable vMotion on a VMkernel port of esx-03"));
    // Second fleet: the MTUs differ: a warning naming hosts and MTUs and what it causes.
    let (code, sn, text) = network(&dir.join("fleet-mtu.toml"));
    assert_eq!(code, 0, "a warning alone keeps exit 0: {text}");
    let mtu = of(&sn, "vmotion-mtu-mismatch");
    assert_eq!(mtu.len(), 1, "{sn}");
    assert_eq!(mtu[0]["severity"], "warning");
    assert_eq!(mtu[0]["hosts"], serde_json::json!(["esx-01", "esx-03"]));
    let m = mtu[0]["message"].as_str().unwrap();
    assert!(
        m.contains("9000 on esx-01") && m.contains("1500 on esx-03"),
        "{m}"
    );
    assert!(
        m.contains("dropped or fragmented") && m.contains("stall") && m.contains("fail"),
        "{m}"
    );
    assert!(of(&sn, "no-vmotion-port").is_empty());
    assert!(text.contains("warning [vmotion-mtu-mismatch]"), "{text}");
}

#[test]
fn stack_and_subnet_where_the_sources_give_them() {
    // Same subnet, same stack: nothing.
    let same = fleet(
        "same",
        &[
            host("a", "port_groups = [\"vMotion\"]\nvmotion = { vmk = \"vmk1\", mtu = 9000, netstack = \"defaultTcpipStack\", ip = \"10.0.50.11/24\" }"),
            host("b", "port_groups = [\"vMotion\"]\nvmotion = { vmk = \"vmk1\", mtu = 9000, netstack = \"defaultTcpipStack\", ip = \"10.0.50.12/24\" }"),
        ]
        .concat(),
    );
    let (code, sn, text) = network(&same);
    assert_eq!(code, 0);
    assert!(sn["findings"].as_array().unwrap().is_empty(), "{sn}");
    assert!(text.contains("vMotion is ready"), "{text}");
    // Different subnets on the default stack: a warning naming both subnets and hosts.
    let split = fleet(
        "split",
        &[
            host("a", "port_groups = [\"vMotion\"]\nvmotion = { vmk = \"vmk1\", netstack = \"defaultTcpipStack\", ip = \"10.0.50.11/24\" }"),
            host("b", "port_groups = [\"vMotion\"]\nvmotion = { vmk = \"vmk1\", netstack = \"vmotion\", ip = \"10.0.60.12/24\", gateway = \"10.0.60.1\" }"),
        ]
        .concat(),
    );
    let (_, sn, _) = network(&split);
    let sub = of(&sn, "vmotion-subnet-mismatch");
    assert_eq!(sub.len(), 1, "{sn}");
    let m = sub[0]["message"].as_str().unwrap();
    assert!(
        m.contains("10.0.50.0/24 on a") && m.contains("10.0.60.0/24 on b"),
        "{m}"
    );
    let st = of(&sn, "vmotion-stack-mismatch");
    assert_eq!(st.len(), 1, "{sn}");
    assert!(st[0]["message"].as_str().unwrap().contains("vmotion on b"));
    // Routed vMotion (the vMotion stack with a gateway on every host): no subnet finding.
    let routed = fleet(
        "routed",
        &[
            host("a", "port_groups = [\"vMotion\"]\nvmotion = { vmk = \"vmk1\", netstack = \"vmotion\", ip = \"10.0.50.11/24\", gateway = \"10.0.50.1\" }"),
            host("b", "port_groups = [\"vMotion\"]\nvmotion = { vmk = \"vmk1\", netstack = \"vmotion\", ip = \"10.0.60.12/24\", gateway = \"10.0.60.1\" }"),
        ]
        .concat(),
    );
    let (code, sn, _) = network(&routed);
    assert_eq!(code, 0);
    assert!(sn["findings"].as_array().unwrap().is_empty(), "{sn}");
    // A malformed address is bad input naming the file and line.
    let bad = fleet(
        "bad",
        &host("a", "vmotion = { vmk = \"vmk1\", ip = \"10.0.50.11\" }"),
    );
    let out = Command::new(BIN)
        .args(["audit", "--only", "network", bad.to_str().unwrap()])
        .output()
        .expect("runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("fleet.toml:2") && err.contains("10.0.50.11/24"),
        "{err}"
    );
    for f in [same, split, routed, bad] {
        let _ = std::fs::remove_dir_all(f.parent().unwrap());
    }
}

#[test]
fn unknown_vmotion_is_not_checked_never_ready_nor_an_error() {
    // No vMotion facts at all: "vMotion not checked", not "ready".
    let none = fleet(
        "none",
        &[
            host("a", "port_groups = [\"VM Network\"]"),
            host("b", "port_groups = [\"VM Network\"]"),
        ]
        .concat(),
    );
    let (code, sn, text) = network(&none);
    assert_eq!(code, 0);
    assert!(!text.contains("vMotion is ready"), "{text}");
    assert!(text.contains("vMotion not checked"), "{text}");
    let nc = sn["not_checked"].as_array().expect("not_checked");
    assert_eq!(nc.len(), 1);
    assert_eq!(nc[0]["hosts"], serde_json::json!(["a", "b"]));
    // Mixed: a declares its vMotion port, b declares nothing about its network,
    // c has no facts at all: b and c are named as not known, not as errors.
    let mixed = fleet(
        "mixed",
        &[
            host(
                "a",
                "port_groups = [\"VM Network\"]\nvmotion = { vmk = \"vmk1\", speed_mbps = 10000 }",
            ),
            host("b", "datastores = [\"san-01\"]"),
            host("c", ""),
        ]
        .concat(),
    );
    let (code, sn, text) = network(&mixed);
    assert_eq!(code, 0, "{text}");
    assert!(of(&sn, "no-vmotion-port").is_empty(), "{sn}");
    let all = sn["not_checked"].as_array().expect("not_checked");
    let nc: Vec<&Value> = all
        .iter()
        .filter(|n| n["subject"] == "vMotion port")
        .collect();
    assert_eq!(nc.len(), 1, "{sn}");
    assert_eq!(nc[0]["hosts"], serde_json::json!(["b", "c"]));
    // b declares no port groups either: not compared (no "missing" error), said so.
    assert!(of(&sn, "port-group-missing").is_empty(), "{sn}");
    assert!(
        all.iter()
            .any(|n| n["subject"] == "port groups" && n["hosts"] == serde_json::json!(["b"])),
        "{sn}"
    );
    assert!(nc[0]["message"].as_str().unwrap().contains("not known"));
    assert!(nc[0]["action"].as_str().unwrap().contains("vmotion = {"));
    assert!(text.contains("not checked [vMotion port]"), "{text}");
    for f in [none, mixed] {
        let _ = std::fs::remove_dir_all(f.parent().unwrap());
    }
}
