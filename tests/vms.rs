//! VM readiness end to end: the test fleet of tests/fixtures/vms (every error and
//! warning), read from a directory and over SSH from an ESXi-like loopback host
//! (same findings), and the example a new user would try first.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// (name, path, [(problem, fix)]) of a VM.
type VmSummary = (String, String, Vec<(String, String)>);

const BIN: &str = env!("CARGO_BIN_EXE_vmcompat");

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/vms")
}

/// The text with line breaks and indentation folded to single spaces: the
/// table output is word-wrapped to 80 columns.
fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(BIN)
        .args(args)
        // Phrases are checked whole: lay the text out wide (issue 15 wraps long
        // lines to COLUMNS, or 100 when piped).
        .env("COLUMNS", "1000")
        .output()
        .expect("vmcompat runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// (host, vm, severity, kind, device) of every finding, sorted.
fn findings(report: &Value) -> Vec<(String, String, String, String, String)> {
    let mut out = Vec::new();
    for h in report["hosts"].as_array().expect("hosts") {
        for vm in h["vms"].as_array().expect("vms") {
            for f in vm["findings"].as_array().expect("findings") {
                out.push((
                    h["host"].as_str().unwrap_or("").to_string(),
                    vm["name"].as_str().unwrap_or("").to_string(),
                    f["severity"].as_str().unwrap_or("").to_string(),
                    f["kind"].as_str().unwrap_or("").to_string(),
                    f["device"].as_str().unwrap_or("").to_string(),
                ));
            }
        }
    }
    out.sort();
    out
}

fn expected() -> Vec<(String, String, String, String, String)> {
    let rows = [
        ("esx01", "broken", "error", "unreadable", ""),
        ("esx01", "cdrom-host", "error", "host-device", "ide1:0"),
        ("esx01", "cdrom-host", "warning", "host-device", "floppy0"),
        ("esx01", "disk-local", "error", "storage", "scsi0:0"),
        ("esx01", "iso-local", "error", "local-image", "sata0:1"),
        ("esx01", "iso-local", "warning", "local-image", "ide1:0"),
        ("esx01", "mscs-bus", "error", "shared-bus", "scsi1"),
        (
            "esx01",
            "net-internal",
            "error",
            "internal-network",
            "ethernet1",
        ),
        (
            "esx01",
            "net-internal",
            "warning",
            "internal-network",
            "ethernet2",
        ),
        ("esx01", "no-tools", "warning", "no-heartbeat", ""),
        ("esx01", "pinned", "error", "cpu-affinity", ""),
        ("esx01", "rac-local", "error", "clustered-disk", "scsi1:0"),
        ("esx01", "rdm-db", "error", "rdm", "scsi0:1"),
        ("esx01", "snapped", "warning", "snapshots", ""),
        ("esx03", "unmasked", "error", "cpu", ""),
    ];
    let mut v: Vec<_> = rows
        .iter()
        .map(|(a, b, c, d, e)| {
            (
                a.to_string(),
                b.to_string(),
                c.to_string(),
                d.to_string(),
                e.to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

fn dir_report() -> Value {
    let fleet = fixtures().join("fleet.toml");
    let (code, stdout, stderr) = run(&["vms", fleet.to_str().expect("utf-8"), "--format", "json"]);
    assert_eq!(code, 1, "errors give exit 1: {stderr}");
    serde_json::from_str(&stdout).expect("json")
}

#[test]
fn directory_fleet_gives_exactly_the_expected_findings() {
    let r = dir_report();
    assert_eq!(findings(&r), expected());
    assert_eq!(
        (r["vms"].as_u64(), r["errors"].as_u64()),
        (Some(16), Some(10))
    );
    assert_eq!(r["warnings"].as_u64(), Some(5));
    let esx01 = &r["hosts"][0];
    let blocking: Vec<&str> = esx01["blocking"]
        .as_array()
        .expect("blocking")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(blocking.len(), 9, "{blocking:?}");
    // Odd case, |22 escapes, CRLF and the duplicate key (the last one wins).
    let odd = esx01["vms"]
        .as_array()
        .expect("vms")
        .iter()
        .find(|v| v["path"] == "[shared01] odd-case/odd-case.vmx")
        .expect("odd-case VM");
    assert_eq!(odd["name"], "odd \"case\" VM");
    assert_eq!(odd["duplicate_keys"][0]["key"], "ethernet0.present");
    assert_eq!(odd["findings"].as_array().map(Vec::len), Some(0));
    // The per-VM mask: explained, and it makes the VM movable to the older group.
    let esx03 = &r["hosts"][1];
    let masked = esx03["vms"]
        .as_array()
        .expect("vms")
        .iter()
        .find(|v| v["name"] == "masked")
        .expect("masked VM");
    assert!(masked["mask"]["explanation"]["hidden"]
        .as_array()
        .expect("hidden")
        .iter()
        .any(|f| f == "rtm"));
    assert_eq!(masked["cpu_moves"][0]["movable"], true);
    let (_, text, _) = run(&[
        "vms",
        fixtures().join("fleet.toml").to_str().expect("utf-8"),
    ]);
    assert!(
        flat(&text).contains("maintenance mode would stall on 9 VM(s)"),
        "{text}"
    );
    assert!(
        flat(&text).contains("fix: clear it: sched.cpu.affinity = \"all\""),
        "{text}"
    );
}

#[test]
fn new_user_example_names_host_reason_and_settings() {
    let fleet = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/vms-fleet.toml");
    let (code, text, stderr) = run(&["vms", fleet.to_str().expect("utf-8")]);
    assert_eq!(code, 1, "{stderr}");
    for want in [
        "Host esx-prod-01",
        "maintenance mode would stall on 1 VM(s): build07",
        "sata0:0 (CD-ROM) is connected to the image [esx-prod-01-local] iso/ubuntu-22.04.4-live-server-amd64.iso",
        "esx-prod-02 cannot see",
        "sata0:0.startConnected = \"FALSE\"",
        "sched.cpu.affinity = \"2,3\"",
        "sched.cpu.affinity = \"all\"",
    ] {
        assert!(flat(&text).contains(want), "missing {want:?} in:\n{text}");
    }
}

#[test]
fn over_ssh_from_an_esxi_like_host_findings_equal_the_directory_case() {
    use common::sshlab::{can_run, Lab};
    if !can_run("vms over ssh") {
        return;
    }
    let real_cat = ["/bin/cat", "/usr/bin/cat"]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .expect("cat");
    let root = fixtures().join("esx01");
    // getallvms: one row per fixture .vmx (DATASTORE/VM/VM.vmx), ids from 1.
    let mut rows = String::from(
        "Vmid   Name            File                                Guest OS        Version   Annotation\n",
    );
    let mut summaries = String::new();
    let mut id = 0;
    let mut datastores: Vec<_> = std::fs::read_dir(&root)
        .expect("fixture dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    datastores.sort();
    for ds in datastores {
        let mut vms: Vec<_> = std::fs::read_dir(&ds)
            .expect("datastore dir")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        vms.sort();
        for vm in vms {
            id += 1;
            let name = vm.file_name().expect("name").to_string_lossy().into_owned();
            let dsn = ds.file_name().expect("ds").to_string_lossy().into_owned();
            rows.push_str(&format!(
                "{id:<6} {name:<15} [{dsn}] {name}/{name}.vmx      otherGuest64    vmx-19\n"
            ));
            let summary = vm.join(format!("{name}.summary"));
            if summary.exists() {
                summaries.push_str(&format!(
                    "  {id}) exec {real_cat} '{}' ;;\n",
                    summary.display()
                ));
            }
        }
    }
    let mut lab = Lab::new("vms");
    let h = lab.prepare();
    h.file("getallvms.txt", &rows);
    h.script(
        "vim-cmd",
        &format!(
            "case \"$1\" in\n vmsvc/getallvms) exec {real_cat} \"${{0%/*}}/getallvms.txt\" ;;\n vmsvc/get.summary)\n  case \"$2\" in\n{summaries}  *) echo 'vim.fault.NotFound' >&2; exit 1 ;;\n  esac ;;\n *) echo \"unsupported: $*\" >&2; exit 1 ;;\nesac\n"
        ),
    );
    h.script(
        "cat",
        &format!(
            "case \"$1\" in\n /vmfs/volumes/*) exec {real_cat} \"{}/${{1#/vmfs/volumes/}}\" ;;\n *) exec {real_cat} \"$@\" ;;\nesac\n",
            root.display()
        ),
    );
    let esx = lab.start(h);
    let known = lab.write_known_hosts();
    let fleet = std::fs::read_to_string(fixtures().join("fleet.toml")).expect("fleet");
    let fleet = fleet
        .replace(
            "profile = \"xeon-e5-2600-v3\"\nvms_dir = \"esx01\"",
            &format!("esxi = \"{}\"", lab.target(esx)),
        )
        .replace(
            "vms_dir = \"esx03\"",
            &format!("vms_dir = \"{}\"", fixtures().join("esx03").display()),
        );
    assert!(fleet.contains("esxi = "), "{fleet}");
    let path = lab.dir.join("fleet.toml");
    std::fs::write(&path, fleet).expect("fleet file");
    let (code, stdout, stderr, _) = lab.vmcompat(&[
        "vms",
        path.to_str().expect("utf-8"),
        "--format",
        "json",
        "--identity",
        lab.user_key.to_str().expect("utf-8"),
        "--known-hosts",
        known.to_str().expect("utf-8"),
    ]);
    assert_eq!(code, 1, "{stderr}\n{stdout}");
    let ssh: Value = serde_json::from_str(&stdout).expect("json");
    let dir = dir_report();
    let only = |r: &Value, host: &str| -> Vec<_> {
        findings(r).into_iter().filter(|f| f.0 == host).collect()
    };
    assert_eq!(only(&ssh, "esx01"), only(&dir, "esx01"));
    // Same paths, problems and fixes (except where the file's location is named).
    let per_vm = |r: &Value| -> Vec<VmSummary> {
        let mut v: Vec<_> = r["hosts"][0]["vms"]
            .as_array()
            .expect("vms")
            .iter()
            .map(|vm| {
                let fs = vm["findings"]
                    .as_array()
                    .expect("findings")
                    .iter()
                    .filter(|f| f["kind"] != "unreadable")
                    .map(|f| (f["problem"].to_string(), f["fix"].to_string()))
                    .collect();
                (vm["name"].to_string(), vm["path"].to_string(), fs)
            })
            .collect();
        v.sort();
        v
    };
    assert_eq!(per_vm(&ssh), per_vm(&dir));
}

#[test]
fn audit_carries_the_vm_section_in_table_json_and_html() {
    let fleet = fixtures().join("fleet.toml");
    let fleet = fleet.to_str().expect("utf-8");
    let (code, stdout, stderr) = run(&["audit", fleet, "--format", "json"]);
    assert_eq!(code, 1, "VM errors make the audit exit 1: {stderr}");
    let r: Value = serde_json::from_str(&stdout).expect("json");
    assert!(r["cpu"]["groups"].is_array(), "the CPU audit is kept");
    assert_eq!(findings(&r["vms"]), expected());
    let html = std::env::temp_dir().join(format!("vmcompat-vms-{}.html", std::process::id()));
    let (code, text, _) = run(&["audit", fleet, "--html", html.to_str().expect("utf-8")]);
    assert_eq!(code, 1);
    assert!(
        text.contains("VM readiness: 16 VM(s) on 2 host(s): 10 error(s), 5 warning(s)"),
        "{text}"
    );
    let page = std::fs::read_to_string(&html).expect("html written");
    let _ = std::fs::remove_file(&html);
    assert!(page.contains("VM readiness (what would stop each VM from moving)"));
    assert!(page.contains("Maintenance mode would stall on: "));
    assert!(page.contains("sched.cpu.affinity = &quot;all&quot;"));
}

#[test]
fn unreadable_vms_dir_is_exit_2_naming_the_host() {
    let dir = std::env::temp_dir().join(format!("vmcompat-vms-missing-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let fleet = dir.join("f.toml");
    std::fs::write(
        &fleet,
        "[[host]]\nname = \"h1\"\nprofile = \"xeon-e5-2600-v3\"\nvms_dir = \"nowhere\"\n",
    )
    .expect("fleet");
    let (code, text, stderr) = run(&["vms", fleet.to_str().expect("utf-8")]);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(code, 2, "{text}");
    assert!(
        text.contains("Host h1") && text.contains("could not be read"),
        "{text}"
    );
    assert!(stderr.contains("h1"), "{stderr}");
    let bad = std::env::temp_dir().join(format!("vmcompat-vms-badkey-{}.toml", std::process::id()));
    std::fs::write(
        &bad,
        "[[host]]\nname = \"h1\"\nlocal = true\nvms_dirs = \"x\"\n",
    )
    .expect("fleet");
    let (code, _, stderr) = run(&["vms", bad.to_str().expect("utf-8")]);
    let _ = std::fs::remove_file(&bad);
    assert_eq!(code, 2);
    assert!(stderr.contains(":4"), "{stderr}");
}
