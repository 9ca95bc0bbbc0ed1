//! Offline collection: `vmcompat audit --ansible-tree DIR` and `[[host_dir]]` over
//! the real `ansible ... --tree` sample in ../shared/samples/ansible, plus failed
//! hosts written the way Ansible writes them.

mod common;

use std::process::Command;

#[test]
fn ansible_tree_hosts_become_rows() {
    let Some(shared) = common::shared_dir() else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("vmcompat-ansible-{}", std::process::id()));
    let tree = dir.join("tree");
    std::fs::create_dir_all(&tree).expect("tree dir");
    std::fs::copy(
        shared.join("samples/ansible/127.0.0.2"),
        tree.join("127.0.0.2"),
    )
    .expect("sample");
    std::fs::write(
        tree.join("127.0.0.3"),
        r#"{"unreachable": true, "msg": "Failed to connect to the host via ssh: ssh: connect to host 127.0.0.3 port 22: Connection refused", "changed": false}"#,
    )
    .expect("unreachable");
    std::fs::write(
        tree.join("127.0.0.4"),
        r#"{"changed": true, "rc": 127, "stderr": "", "stdout": "/bin/sh: 1: cpuid: not found\r\n", "msg": "non-zero return code"}"#,
    )
    .expect("rc 127");
    let bin = env!("CARGO_BIN_EXE_vmcompat");
    let out = Command::new(bin)
        .args(["audit", "--ansible-tree"])
        .arg(&tree)
        .args(["--format", "json"])
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let rows = v["hosts"].as_array().cloned().unwrap_or_default();
    let row = |n: &str| {
        rows.iter()
            .find(|r| r["name"] == n)
            .cloned()
            .unwrap_or_else(|| panic!("no row {n}: {rows:?}"))
    };
    assert!(
        row("127.0.0.2")["error"].is_null(),
        "{:?}",
        row("127.0.0.2")
    );
    assert_eq!(row("127.0.0.2")["vendor"], "AMD");
    let unreachable = row("127.0.0.3")["error"].as_str().unwrap_or("").to_string();
    assert!(
        unreachable.contains("unreachable") && unreachable.contains("Connection refused"),
        "{unreachable}"
    );
    let missing = row("127.0.0.4")["error"].as_str().unwrap_or("").to_string();
    assert!(missing.contains("command missing"), "{missing}");

    // The same through a fleet file, with a cluster.
    std::fs::write(
        dir.join("fleet.toml"),
        "[[host_dir]]\nansible_tree = \"tree\"\ncluster = \"web\"\n",
    )
    .expect("fleet");
    let out = Command::new(bin)
        .arg("audit")
        .arg(dir.join("fleet.toml"))
        .args(["--format", "json"])
        .output()
        .expect("runs");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["hosts"].as_array().map(Vec::len), Some(3));
    assert_eq!(v["hosts"][0]["cluster"], "web");
    let _ = std::fs::remove_dir_all(&dir);
}
