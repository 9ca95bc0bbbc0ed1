//! Storage and network checks end to end: the planned-cluster example as a new
//! user runs it, `--only`, and ESXi hosts over real loopback sshd servers
//! (tests/common/sshlab.rs) answering `esxcli`/`vim-cmd` from fixture texts.

mod common;

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::Command;

use common::sshlab::{can_run, Lab};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_vmcompat");

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn vmcompat(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(BIN)
        .args(args)
        .current_dir(root())
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

/// (kind, subject, hosts) of every finding, sorted.
fn findings(sn: &Value) -> Vec<(String, String, Vec<String>)> {
    let mut v: Vec<(String, String, Vec<String>)> = sn["findings"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|f| {
            (
                f["kind"].as_str().unwrap_or("").to_string(),
                f["subject"].as_str().unwrap_or("").to_string(),
                f["hosts"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
                    .iter()
                    .map(|h| h.as_str().unwrap_or("").to_string())
                    .collect(),
            )
        })
        .collect();
    v.sort();
    v
}

fn strs(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn planned_cluster_example_points_at_the_fixes() {
    let (code, stdout, stderr) = vmcompat(&["audit", "examples/planned-cluster.toml"]);
    assert_eq!(code, 1, "{stderr}\n{stdout}");
    for want in [
        "Storage and network",
        "[lun-not-shared] naa.600a098038303053453f463045727a42",
        "but not by esx-new-02",
        "\"production \" on esx-new-01",
        "Fix: rename the port group on esx-new-01 to exactly \"Production\"",
        "Fix: present LUN naa.600a098038303053453f463045727a42 to esx-new-02",
        "Storage/network: 2 error(s), 0 warning(s)",
    ] {
        assert!(stdout.contains(want), "want {want:?} in\n{stdout}");
    }
    let (code, stdout, _) =
        vmcompat(&["audit", "examples/planned-cluster.toml", "--format", "json"]);
    assert_eq!(code, 1);
    let v: Value = serde_json::from_str(&stdout).expect("json");
    assert_eq!(
        findings(&v["storage_network"]),
        vec![
            (
                "lun-not-shared".into(),
                "naa.600a098038303053453f463045727a42".into(),
                strs(&["esx-new-02"])
            ),
            (
                "port-group-label-mismatch".into(),
                "Production".into(),
                strs(&["esx-01", "esx-02", "esx-new-01", "esx-new-02"])
            ),
        ]
    );
    let html = std::env::temp_dir().join(format!("vmcompat-planned-{}.html", std::process::id()));
    let (code, _, stderr) = vmcompat(&[
        "audit",
        "examples/planned-cluster.toml",
        "--html",
        html.to_str().expect("utf-8"),
    ]);
    assert_eq!(code, 1, "{stderr}");
    let page = std::fs::read_to_string(&html).expect("html written");
    let _ = std::fs::remove_file(&html);
    assert!(
        page.contains("Storage and network: 2 error(s), 0 warning(s)"),
        "html section"
    );
    assert!(
        page.contains("&quot;production &quot; on esx-new-01"),
        "html finding"
    );
    // Focused runs.
    let (code, stdout, _) = vmcompat(&[
        "audit",
        "examples/planned-cluster.toml",
        "--only",
        "network",
        "--format",
        "json",
    ]);
    assert_eq!(code, 1);
    let v: Value = serde_json::from_str(&stdout).expect("json");
    let f = findings(&v["storage_network"]);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].0, "port-group-label-mismatch");
    assert!(v.get("cpu").is_none(), "no CPU part with --only network");
    let (code, stdout, _) = vmcompat(&["audit", "examples/planned-cluster.toml", "--only", "cpu"]);
    assert_eq!(code, 0, "CPUs alike, storage/network not checked: {stdout}");
    assert!(!stdout.contains("Storage and network"), "{stdout}");
}

#[test]
fn fleet_without_facts_says_the_checks_did_not_run() {
    let (code, stdout, stderr) = vmcompat(&["audit", "examples/fleet.toml", "--only", "storage"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("Not run: none of the 7 host(s) has storage/network facts"),
        "{stdout}"
    );
    let (_, stdout, _) = vmcompat(&["audit", "examples/fleet.toml"]);
    // No tally that would read as a pass, and the overall verdict says "not checked".
    assert!(!stdout.contains("Storage/network: 0 error(s)"), "{stdout}");
    assert!(
        stdout.contains("storage/network: not checked (no host has storage/network facts)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Not run: none of the 7 host(s) has storage/network facts"),
        "{stdout}"
    );
}

#[test]
fn some_hosts_declared_others_skipped_with_a_note() {
    let dir = std::env::temp_dir().join(format!("vmcompat-declared-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("fleet.toml");
    std::fs::write(
        &path,
        "[[host]]\nname = \"a\"\nprofile = \"xeon-e5-2600-v3\"\nnfs = [\"filer:/vol/vms\"]\nport_groups = [\"VM Network\"]\nvmotion = { vmk = \"vmk1\", speed_mbps = 100 }\n\n\
         [[host]]\nname = \"b\"\nprofile = \"xeon-e5-2600-v3\"\nnfs = [\"filer:/vol/vms/\"]\nport_groups = [\"VM Network\"]\n\n\
         [[host]]\nname = \"c\"\nprofile = \"xeon-e5-2600-v3\"\n",
    )
    .expect("fleet");
    let (code, stdout, stderr) =
        vmcompat(&["audit", path.to_str().expect("utf-8"), "--only", "network"]);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stdout.contains("Skipped (no storage/network facts declared or read): c"),
        "{stdout}"
    );
    assert!(stdout.contains("ERROR [no-vmotion-port] b"), "{stdout}");
    assert!(
        stdout.contains("warning [slow-vmotion-link] a vmk1"),
        "{stdout}"
    );
    assert!(stdout.contains("runs at 100 Mb/s"), "{stdout}");
    // The NFS exports match despite the trailing slash: no storage finding.
    assert!(!stdout.contains("datastore"), "{stdout}");
}

fn fixture(name: &str) -> String {
    std::fs::read_to_string(root().join("tests/fixtures/esxi-facts").join(name)).expect("fixture")
}

/// (leaf, subleaf, regs) of a corpus file.
fn corpus(name: &str) -> Option<Vec<(u32, u32, [u32; 4])>> {
    let path = common::shared_dir()?.join("corpus/libcpuid").join(name);
    let text = std::fs::read_to_string(path).ok()?;
    let mut out = Vec::new();
    for line in text.lines().filter(|l| l.starts_with("leaf=")) {
        let mut v = [0u32; 6];
        for (i, field) in line.split_whitespace().take(6).enumerate() {
            let hex = field.split_once("=0x").map_or("0", |(_, h)| h);
            v[i] = u32::from_str_radix(hex, 16).ok()?;
        }
        out.push((v[0], v[1], [v[2], v[3], v[4], v[5]]));
    }
    Some(out)
}

fn hosthardware(leaves: &[(u32, u32, [u32; 4])]) -> String {
    let basic: Vec<(u32, vmcompat::cpuid::Regs)> = leaves
        .iter()
        .filter(|(l, s, _)| *s == 0 && [0, 1, 0x8000_0000, 0x8000_0001].contains(l))
        .map(|(l, _, r)| (*l, vmcompat::cpuid::Regs::new(r[0], r[1], r[2], r[3])))
        .collect();
    format!(
        "(vim.host.HardwareInfo) {{\n{}\n}}\n",
        vmcompat::sources::ssh::esxi::render_cpu_feature(&basic, 3)
    )
}

const ESXCLI: &str = r#"d="${0%/*}"
case "$*" in
  "storage vmfs extent list") cat "$d/vmfs.txt" ;;
  "storage nfs list") cat "$d/nfs.txt" ;;
  "storage nfs41 list") ;;
  "storage core device list") cat "$d/devices.txt" ;;
  "network vswitch standard list") cat "$d/vswitch.txt" ;;
  "network vswitch standard portgroup list") cat "$d/portgroup.txt" ;;
  "network ip interface list") cat "$d/vmknic.txt" ;;
  "network nic list") cat "$d/nics.txt" ;;
  *) echo "Error: Unknown command or namespace $*" >&2; exit 1 ;;
esac
"#;

const VIM_CMD: &str = r#"d="${0%/*}"
case "$1" in
  hostsvc/hosthardware) cat "$d/hosthardware.txt" ;;
  hostsvc/vmotion/netconfig_get) cat "$d/vmotion.txt" ;;
  *) echo "Unknown command: '$1'" >&2; exit 1 ;;
esac
"#;

#[test]
fn esxi_hosts_over_ssh_produce_exactly_the_expected_findings() {
    if !can_run("esxi_hosts_over_ssh_produce_exactly_the_expected_findings") {
        return;
    }
    let Some(leaves) = corpus("intel-xeon-bronze-3104-cpu.txt") else {
        return;
    };
    let hw = hosthardware(&leaves);
    let names = [
        "vmfs",
        "nfs",
        "devices",
        "vswitch",
        "portgroup",
        "vmknic",
        "vmotion",
        "nics",
    ];
    let good: Vec<(String, String)> = names
        .iter()
        .map(|n| (format!("{n}.txt"), fixture(&format!("{n}.txt"))))
        .collect();
    let variant = |file: &str, from: &str, to: &str| -> Vec<(String, String)> {
        good.iter()
            .map(|(n, t)| {
                if n == file {
                    assert!(t.contains(from), "{file} lacks {from:?}");
                    (n.clone(), t.replace(from, to))
                } else {
                    (n.clone(), t.clone())
                }
            })
            .collect()
    };
    let lun2 = fixture("devices.txt");
    let lun2_block = lun2
        .split("\n\n")
        .find(|b| b.starts_with("naa.600a098038303053453f463045727a42"))
        .expect("LUN 2 in the fixture")
        .to_string();
    let hosts: Vec<(&str, Vec<(String, String)>)> = vec![
        ("esx-a", good.clone()),
        ("esx-b", good.clone()),
        (
            "esx-nolun",
            variant("devices.txt", &format!("{lun2_block}\n\n"), ""),
        ),
        (
            "esx-typo",
            variant(
                "portgroup.txt",
                "Production          vSwitch0",
                "production          vSwitch0",
            ),
        ),
        (
            "esx-novmk",
            variant(
                "vmotion.txt",
                "'vim.host.VirtualNic:VMotionConfig.vmotion.key-vim.host.VirtualNic-vmk1'",
                "<unset>",
            ),
        ),
        (
            "esx-slow",
            variant(
                "nics.txt",
                "Up           10000  Full    a4:bf:01:aa:bb:15",
                "Up             100  Full    a4:bf:01:aa:bb:15",
            ),
        ),
    ];
    let mut lab = Lab::new("facts");
    let mut idx = Vec::new();
    for (name, files) in &hosts {
        let mut files: Vec<(&str, &str)> = files
            .iter()
            .map(|(n, t)| (n.as_str(), t.as_str()))
            .collect();
        files.push(("hosthardware.txt", &hw));
        idx.push((
            *name,
            lab.host_with(&[("esxcli", ESXCLI), ("vim-cmd", VIM_CMD)], &files),
        ));
    }
    lab.write_known_hosts();
    for backend in ["libssh2", "openssh"] {
        let mut fleet = format!(
            "[fleet]\nname = \"facts\"\nknown_hosts = \"known_hosts\"\nssh_backend = \"{backend}\"\ndeadline = 20\n"
        );
        for (name, i) in &idx {
            let _ = write!(
                fleet,
                "\n[[host]]\nname = \"{name}\"\ncluster = \"prod\"\nesxi = \"{}\"\nidentity = \"user_key\"\n",
                lab.target(*i)
            );
        }
        let path = lab.dir.join(format!("fleet-{backend}.toml"));
        std::fs::write(&path, fleet).expect("fleet");
        let p = path.to_str().expect("utf-8");
        let (code, stdout, stderr, took) = lab.vmcompat(&["audit", p, "--format", "json"]);
        assert_eq!(code, 1, "{backend}: {stderr}\n{stdout}");
        let v: Value = serde_json::from_str(&stdout).expect("json");
        let all = strs(&[
            "esx-a",
            "esx-b",
            "esx-nolun",
            "esx-novmk",
            "esx-slow",
            "esx-typo",
        ]);
        assert_eq!(
            findings(&v["storage_network"]),
            vec![
                (
                    "lun-not-shared".into(),
                    "naa.600a098038303053453f463045727a42".into(),
                    strs(&["esx-nolun"])
                ),
                (
                    "no-vmotion-port".into(),
                    "esx-novmk".into(),
                    strs(&["esx-novmk"])
                ),
                ("port-group-label-mismatch".into(), "Production".into(), all),
                (
                    "slow-vmotion-link".into(),
                    "esx-slow vmk1".into(),
                    strs(&["esx-slow"])
                ),
            ],
            "{backend}"
        );
        assert_eq!(
            v["storage_network"]["hosts_checked"]
                .as_array()
                .map(Vec::len),
            Some(6)
        );
        eprintln!("{backend}: 6 ESXi hosts, CPU and facts, in {took:?}");
        // Focused: storage only.
        let (code, stdout, stderr, _) = lab.vmcompat(&["audit", p, "--only", "storage"]);
        assert_eq!(code, 1, "{stderr}");
        assert!(stdout.contains("[lun-not-shared]"), "{stdout}");
        assert!(!stdout.contains("[no-vmotion-port]"), "{stdout}");
    }
}

#[test]
fn a_host_without_esxcli_is_a_clear_note_not_a_silent_gap() {
    if !can_run("a_host_without_esxcli_is_a_clear_note_not_a_silent_gap") {
        return;
    }
    let mut lab = Lab::new("facts-missing");
    let garbled = "Name  Virtual Switch\n----  --------------\n%%% garbage %%% x y z\n";
    let bad_pg = ESXCLI.replace(
        "cat \"$d/portgroup.txt\"",
        &format!("printf '%s' '{garbled}'"),
    );
    let files: Vec<(String, String)> = [
        "vmfs",
        "nfs",
        "devices",
        "vswitch",
        "portgroup",
        "vmknic",
        "vmotion",
        "nics",
    ]
    .iter()
    .map(|n| (format!("{n}.txt"), fixture(&format!("{n}.txt"))))
    .collect();
    let files: Vec<(&str, &str)> = files
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    let h1 = lab.host_with(&[("vim-cmd", VIM_CMD)], &files);
    let h2 = lab.host_with(&[("vim-cmd", VIM_CMD), ("esxcli", &bad_pg)], &files);
    lab.write_known_hosts();
    let mut fleet = String::from("[fleet]\nknown_hosts = \"known_hosts\"\ndeadline = 20\n");
    for (name, i) in [("no-esxcli", h1), ("garbled", h2)] {
        let _ = write!(
            fleet,
            "\n[[host]]\nname = \"{name}\"\nesxi = \"{}\"\nidentity = \"user_key\"\n",
            lab.target(i)
        );
    }
    let path = lab.dir.join("fleet.toml");
    std::fs::write(&path, fleet).expect("fleet");
    let (code, stdout, stderr, _) =
        lab.vmcompat(&["audit", path.to_str().expect("utf-8"), "--only", "network"]);
    assert_eq!(code, 0, "warnings only: {stderr}\n{stdout}");
    assert!(
        stdout.contains("no-esxcli")
            && stdout.contains("`esxcli storage core device list` is not installed on the host"),
        "{stdout}"
    );
    assert!(
        stdout.contains("garbled")
            && stdout.contains("esxcli network vswitch standard portgroup list"),
        "{stdout}"
    );
    assert!(stdout.contains("Not run"), "{stdout}");
}

mod never_panic {
    use proptest::prelude::*;

    fn framed(keys: &[&str], body: &str) -> String {
        keys.iter()
            .map(|k| format!("@@vmcompat-begin {k}\n{body}\n@@vmcompat-end {k} 0\n"))
            .collect()
    }

    proptest! {
        #[test]
        fn parsers_never_panic(body in "(?s).{0,400}", table in "[ a-zA-Z0-9:()\\-\n.]{0,300}") {
            let _ = vmcompat::sources::facts::table::dashed(&body);
            let _ = vmcompat::sources::facts::table::records(&body);
            let _ = vmcompat::sources::facts::table::dashed(&table);
            let _ = vmcompat::sources::facts::table::records(&table);
            let _ = vmcompat::sources::facts::esxi::parse(&body);
            let keys: Vec<&str> = vmcompat::sources::facts::esxi::COMMANDS.iter().map(|(k, _)| *k).collect();
            let _ = vmcompat::sources::facts::esxi::parse(&framed(&keys, &table));
            let keys: Vec<&str> = vmcompat::sources::facts::linux::COMMANDS.iter().map(|(k, _)| *k).collect();
            let _ = vmcompat::sources::facts::linux::parse(&framed(&keys, &body));
            let _ = vmcompat::sources::facts::linux::parse(&framed(&keys, &table));
        }
    }
}

#[test]
fn linux_kvm_hosts_over_ssh() {
    if !can_run("linux_kvm_hosts_over_ssh") || common::shared_dir().is_none() {
        return;
    }
    let Some(leaves) = corpus("intel-xeon-bronze-3104-cpu.txt") else {
        return;
    };
    let mut cpuid = String::from("CPU 0:\n");
    for (l, sub, r) in &leaves {
        let _ = writeln!(
            cpuid,
            "   0x{l:08x} 0x{sub:02x}: eax=0x{:08x} ebx=0x{:08x} ecx=0x{:08x} edx=0x{:08x}",
            r[0], r[1], r[2], r[3]
        );
    }
    let lsblk = |san: bool| {
        let mut s =
            String::from("NAME=\"sda\" WWN=\"0x5000c500a1b2c3d4\" TYPE=\"disk\" TRAN=\"sata\"\n");
        if san {
            s.push_str("NAME=\"sdb\" WWN=\"0x600a098038303053453f463045727a41\" TYPE=\"disk\" TRAN=\"fc\"\n");
        }
        s
    };
    let mut lab = Lab::new("facts-linux");
    let mut idx = Vec::new();
    for (name, san, nets) in [
        ("kvm-a", true, "default\nProduction\n"),
        ("kvm-b", true, "default\nproduction\n"),
        ("kvm-c", false, "default\nProduction\n"),
    ] {
        let l = lsblk(san);
        let h = lab.prepare();
        for (file, text) in [
            ("cpuid-r.txt", cpuid.as_str()),
            ("lsblk.txt", &l),
            ("nets.txt", nets),
        ] {
            h.file(file, text);
        }
        h.script("cpuid", "cat \"${0%/*}/cpuid-r.txt\"\n");
        h.script("lsblk", "cat \"${0%/*}/lsblk.txt\"\n");
        h.script("virsh", "cat \"${0%/*}/nets.txt\"\n");
        h.script("virtqemud", "echo 'virtqemud (libvirt) 9.0.0'\n");
        // The QEMU release each host runs: the oldest decides the -cpu names.
        let qemu = if name == "kvm-b" { "7.2.22" } else { "8.2.2" };
        h.script(
            "qemu-system-x86_64",
            &format!("echo 'QEMU emulator version {qemu} (Debian)'\n"),
        );
        // virsh is asked only where a libvirt daemon listens.
        h.libvirt_socket();
        idx.push((name, lab.start(h)));
    }
    lab.write_known_hosts();
    let mut fleet = String::from("[fleet]\nknown_hosts = \"known_hosts\"\ndeadline = 20\n");
    for (name, i) in &idx {
        let _ = write!(
            fleet,
            "\n[[host]]\nname = \"{name}\"\ncluster = \"kvm\"\nssh = \"{}\"\nidentity = \"user_key\"\n",
            lab.target(*i)
        );
    }
    let path = lab.dir.join("fleet.toml");
    std::fs::write(&path, fleet).expect("fleet");
    let (code, stdout, stderr, _) =
        lab.vmcompat(&["audit", path.to_str().expect("utf-8"), "--format", "json"]);
    assert_eq!(code, 1, "{stderr}\n{stdout}");
    let v: Value = serde_json::from_str(&stdout).expect("json");
    assert_eq!(
        findings(&v["storage_network"]),
        vec![
            (
                "lun-not-shared".into(),
                "naa.600a098038303053453f463045727a41".into(),
                strs(&["kvm-c"])
            ),
            (
                "port-group-label-mismatch".into(),
                "Production".into(),
                strs(&["kvm-a", "kvm-b", "kvm-c"])
            ),
        ]
    );
    // The QEMU and libvirt releases are read over SSH; the oldest is used.
    let (_, table, stderr, _) = lab.vmcompat(&["audit", path.to_str().expect("utf-8")]);
    // Wrapped for the terminal: compare with single spaces.
    let table = table.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        table.contains("target for cluster kvm: kvm (3 Linux host(s) with KVM)"),
        "{stderr}\n{table}"
    );
    assert!(
        table.contains(
            "releases learned from the hosts over SSH: QEMU 7.2 (the oldest, on kvm-b), \
             libvirt 9.0 (the oldest, on kvm-a)"
        ),
        "{stderr}\n{table}"
    );
    assert!(table.contains("for QEMU 7.2 and libvirt 9.0"), "{table}");
}
