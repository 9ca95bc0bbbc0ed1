//! SSH collection against real, throwaway OpenSSH servers on loopback addresses
//! (127.0.0.2, .3, ...): each "host" is an sshd whose session PATH holds fixture
//! `cpuid`, `dd`, `vim-cmd` scripts serving a corpus CPU, so a multi-group fleet is
//! audited end to end over SSH, with both backends, and every failure of the
//! matrix (refused, silent server, wrong key, unknown/changed/revoked host key,
//! hanging command, garbage and truncated output, missing command) becomes a row.
//!
//! Needs /usr/sbin/sshd and root. In CI (`CI=true`) their absence is a failure;
//! elsewhere these tests say plainly that they were skipped.

mod common;

use std::fmt::Write as _;
use std::net::TcpListener;
use std::time::Duration;

use common::sshlab::{can_run, free_port, keygen, Lab};

use serde_json::Value;

/// (leaf, subleaf, regs) of a corpus file.
fn corpus(name: &str) -> Option<Vec<(u32, u32, [u32; 4])>> {
    let path = common::shared_dir()?.join("corpus/libcpuid").join(name);
    let text = std::fs::read_to_string(&path).expect("corpus file");
    let mut out = Vec::new();
    for line in text.lines().filter(|l| l.starts_with("leaf=")) {
        let mut v = [0u32; 6];
        for (i, field) in line.split_whitespace().take(6).enumerate() {
            let hex = field.split_once("=0x").map_or("0", |(_, h)| h);
            v[i] = u32::from_str_radix(hex, 16).expect("hex");
        }
        out.push((v[0], v[1], [v[2], v[3], v[4], v[5]]));
    }
    Some(out)
}

fn cpuid_r(leaves: &[(u32, u32, [u32; 4])]) -> String {
    let mut s = String::from("CPU 0:\n");
    for (l, sub, r) in leaves {
        let _ = writeln!(
            s,
            "   0x{l:08x} 0x{sub:02x}: eax=0x{:08x} ebx=0x{:08x} ecx=0x{:08x} edx=0x{:08x}",
            r[0], r[1], r[2], r[3]
        );
    }
    s
}

/// A table for the fake `dd`: `OFFSET \ooo...` (16 bytes, printf octal escapes).
fn dd_table(leaves: &[(u32, u32, [u32; 4])]) -> String {
    let mut s = String::new();
    for (l, sub, r) in leaves {
        let off = (u64::from(*sub) << 32) | u64::from(*l);
        let bytes: String = r
            .iter()
            .flat_map(|w| w.to_le_bytes())
            .map(|b| format!("\\{b:03o}"))
            .collect();
        let _ = writeln!(s, "{off} {bytes}");
    }
    s
}

const FAKE_DD: &str = r#"skip=0
for a in "$@"; do case "$a" in skip=*) skip=${a#skip=};; esac; done
line=$(grep "^$skip " "${0%/*}/dd.tbl")
if [ -n "$line" ]; then printf "${line#* }"; else printf '\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000'; fi
"#;

/// What a fixture host answers.
#[derive(Clone)]
enum Role {
    /// `cpuid -r` serves the corpus file.
    Cpuid(&'static str),
    /// No `cpuid`: a fake `dd` serves /dev/cpu/0/cpuid from the corpus file.
    Dd(&'static str),
    /// `dd` says permission denied: only /proc/cpuinfo is left.
    DdDenied,
    /// `vim-cmd hostsvc/hosthardware` serves the corpus file's basic leaves.
    Esxi(&'static str),
    /// `cpuid` hangs.
    Hang,
    /// `cpuid` prints garbage (and `dd` nothing).
    Garbage,
    /// `cpuid -r` output cut in the middle of a line (and `dd` nothing).
    Truncated(&'static str),
}

/// Starts a fixture host answering as `role`; returns its index.
fn host(lab: &mut Lab, role: Role) -> usize {
    let h = lab.prepare();
    let fake_dd = |leaves: Option<&[(u32, u32, [u32; 4])]>| {
        h.file("dd.tbl", &leaves.map(dd_table).unwrap_or_default());
        match leaves {
            Some(_) => h.script("dd", FAKE_DD),
            None => h.script("dd", "exit 0\n"),
        }
    };
    match &role {
        Role::Cpuid(f) => {
            let leaves = corpus(f).expect("corpus");
            h.file("cpuid-r.txt", &cpuid_r(&leaves));
            h.script("cpuid", "cat \"${0%/*}/cpuid-r.txt\"\n");
        }
        Role::Dd(f) => fake_dd(Some(&corpus(f).expect("corpus"))),
        Role::DdDenied => h.script(
            "dd",
            "echo \"dd: failed to open '/dev/cpu/0/cpuid': Permission denied\" >&2\nexit 1\n",
        ),
        Role::Esxi(f) => {
            let leaves = corpus(f).expect("corpus");
            h.file("hosthardware.txt", &esxi_hosthardware(&leaves));
            h.script(
                "vim-cmd",
                "[ \"$1\" = hostsvc/hosthardware ] || exit 1\ncat \"${0%/*}/hosthardware.txt\"\n",
            );
        }
        Role::Hang => h.script("cpuid", "exec sleep 20\n"),
        Role::Garbage => {
            h.script(
                "cpuid",
                "echo 'Segmentation fault (core dumped) %%%'\necho '0x???'\n",
            );
            fake_dd(None);
        }
        Role::Truncated(f) => {
            let text = cpuid_r(&corpus(f).expect("corpus"));
            let cut = &text[..text.len() / 2];
            let cut = &cut[..cut.rfind("eax=").map_or(cut.len(), |p| p + 7)];
            h.file("cpuid-r.txt", cut);
            h.script("cpuid", "cat \"${0%/*}/cpuid-r.txt\"\n");
            fake_dd(None);
        }
    }
    lab.start(h)
}

/// `vim-cmd hostsvc/hosthardware` output carrying the corpus file's basic leaves.
fn esxi_hosthardware(leaves: &[(u32, u32, [u32; 4])]) -> String {
    let basic: Vec<(u32, vmcompat::cpuid::Regs)> = leaves
        .iter()
        .filter(|(l, s, _)| *s == 0 && [0, 1, 0x8000_0000, 0x8000_0001].contains(l))
        .map(|(l, _, r)| (*l, vmcompat::cpuid::Regs::new(r[0], r[1], r[2], r[3])))
        .collect();
    format!(
        "(vim.host.HardwareInfo) {{\n   systemInfo = (vim.host.SystemInfo) {{\n      vendor = \"Test\"\n   }},\n{}\n}}\n",
        vmcompat::sources::ssh::esxi::render_cpu_feature(&basic, 3)
    )
}

const BACKENDS: [&str; 2] = ["libssh2", "openssh"];

fn rows(stdout: &str) -> Vec<Value> {
    let v: Value = serde_json::from_str(stdout).unwrap_or_else(|e| panic!("JSON: {e}\n{stdout}"));
    v["hosts"].as_array().cloned().unwrap_or_default()
}

fn row<'a>(rows: &'a [Value], name: &str) -> &'a Value {
    rows.iter()
        .find(|r| r["name"] == name)
        .unwrap_or_else(|| panic!("no row {name} in {rows:?}"))
}

#[test]
fn fleet_audited_end_to_end_over_ssh() {
    if !can_run("fleet_audited_end_to_end_over_ssh") || common::shared_dir().is_none() {
        return;
    }
    let intel = "intel-xeon-bronze-3104-cpu.txt";
    let amd = "amd-epyc-7713-64-core-processor.txt";
    let mut lab = Lab::new("e2e");
    let hosts = [
        ("xeon-a", host(&mut lab, Role::Cpuid(intel)), "ssh"),
        ("xeon-b", host(&mut lab, Role::Cpuid(intel)), "ssh"),
        ("xeon-dd", host(&mut lab, Role::Dd(intel)), "ssh"),
        ("epyc", host(&mut lab, Role::Cpuid(amd)), "ssh"),
        ("epyc-esxi", host(&mut lab, Role::Esxi(amd)), "esxi"),
        ("cpuinfo-only", host(&mut lab, Role::DdDenied), "ssh"),
    ];
    let known: String = (0..lab.servers.len()).map(|i| lab.known_line(i)).collect();
    std::fs::write(lab.dir.join("known_hosts"), known).expect("known_hosts");
    for backend in BACKENDS {
        let mut fleet = format!(
            "[fleet]\nname = \"lab\"\nknown_hosts = \"known_hosts\"\nssh_backend = \"{backend}\"\ndeadline = 20\n"
        );
        for (name, i, kind) in &hosts {
            let _ = write!(
                fleet,
                "\n[[host]]\nname = \"{name}\"\n{kind} = \"{}\"\nidentity = \"user_key\"\n",
                lab.target(*i)
            );
        }
        let path = lab.dir.join(format!("fleet-{backend}.toml"));
        std::fs::write(&path, fleet).expect("fleet file");
        let (code, stdout, stderr, took) =
            lab.vmcompat(&["audit", path.to_str().expect("utf-8"), "--format", "json"]);
        let rows = rows(&stdout);
        for (name, _, _) in &hosts {
            let r = row(&rows, name);
            assert!(r["error"].is_null(), "{backend}: {name}: {r}\n{stderr}");
        }
        // Intel and AMD cannot reach each other: findings, exit 1.
        assert_eq!(code, 1, "{backend}: {stderr}\n{stdout}");
        let group = |n: &str| row(&rows, n)["group"].clone();
        assert_eq!(group("xeon-a"), group("xeon-b"), "{backend}");
        assert_eq!(
            group("xeon-a"),
            group("xeon-dd"),
            "{backend}: dd walk = cpuid -r"
        );
        assert_ne!(group("xeon-a"), group("epyc"), "{backend}");
        assert_eq!(
            row(&rows, "epyc")["vendor"],
            row(&rows, "epyc-esxi")["vendor"]
        );
        assert_eq!(row(&rows, "epyc-esxi")["completeness"], "basic-leaves-only");
        assert_eq!(
            row(&rows, "cpuinfo-only")["completeness"],
            "from-cpuinfo-flags"
        );
        eprintln!(
            "{backend}: fleet of {} hosts audited in {took:?}",
            hosts.len()
        );
    }

    // The dd walk reads the same leaves as the corpus holds (those the walk visits).
    let (code, stdout, stderr, _) = lab.vmcompat(&[
        "report",
        "--host",
        &lab.target(hosts[2].1),
        "--identity",
        lab.user_key.to_str().expect("utf-8"),
        "--known-hosts",
        lab.dir.join("known_hosts").to_str().expect("utf-8"),
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let (code2, stdout2, stderr2, _) = lab.vmcompat(&[
        "report",
        "--host",
        &lab.target(hosts[0].1),
        "--identity",
        lab.user_key.to_str().expect("utf-8"),
        "--known-hosts",
        lab.dir.join("known_hosts").to_str().expect("utf-8"),
        "--ssh-backend",
        "openssh",
        "--format",
        "json",
    ]);
    assert_eq!(code2, 0, "{stderr2}");
    let strip = |s: &str| {
        let mut v: Value = serde_json::from_str(s).expect("json");
        v.as_object_mut().map(|o| o.remove("source"));
        v["features"].clone()
    };
    assert_eq!(
        strip(&stdout),
        strip(&stdout2),
        "dd walk and cpuid -r decode alike"
    );
    let esxi = lab.vmcompat(&[
        "report",
        "--host",
        &lab.target(hosts[4].1),
        "--esxi",
        "--identity",
        lab.user_key.to_str().expect("utf-8"),
        "--known-hosts",
        lab.dir.join("known_hosts").to_str().expect("utf-8"),
    ]);
    assert_eq!(esxi.0, 0, "{}", esxi.2);
    assert!(
        esxi.1.contains("leaves 0, 1, 0x80000000, 0x80000001"),
        "{}",
        esxi.1
    );
    assert!(esxi.1.contains("AVX2"), "{}", esxi.1);
}

#[test]
fn failure_matrix_each_host_a_row() {
    if !can_run("failure_matrix_each_host_a_row") || common::shared_dir().is_none() {
        return;
    }
    let intel = "intel-xeon-bronze-3104-cpu.txt";
    let mut lab = Lab::new("matrix");
    let good = host(&mut lab, Role::Cpuid(intel));
    let wrong_key = host(&mut lab, Role::Cpuid(intel));
    let unknown = host(&mut lab, Role::Cpuid(intel));
    let changed = host(&mut lab, Role::Cpuid(intel));
    let revoked = host(&mut lab, Role::Cpuid(intel));
    let hang = host(&mut lab, Role::Hang);
    let garbage = host(&mut lab, Role::Garbage);
    let truncated = host(&mut lab, Role::Truncated(intel));
    let no_vimcmd = host(&mut lab, Role::Cpuid(intel));
    // Refused: a port nothing listens on. Silent: accepts TCP, never speaks.
    let refused_port = free_port("127.0.0.1");
    let silent = TcpListener::bind("127.0.0.1:0").expect("listener");
    let silent_port = silent.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in silent.incoming().flatten() {
            held.push(s);
        }
    });
    let other_key = lab.dir.join("other_key");
    keygen(&other_key);
    let mut known = String::new();
    for i in [
        good, wrong_key, hang, garbage, truncated, no_vimcmd, revoked,
    ] {
        known.push_str(&lab.known_line(i));
    }
    let s = &lab.servers[changed];
    let _ = writeln!(known, "[{}]:{} {}", s.addr, s.port, lab.user_pub);
    let _ = writeln!(known, "@revoked * {}", lab.servers[revoked].host_key);
    std::fs::write(lab.dir.join("known_hosts"), known).expect("known_hosts");

    let cases: Vec<(&str, String, &str, &str)> = vec![
        ("good", lab.target(good), "ssh", ""),
        (
            "refused",
            format!("root@127.0.0.1:{refused_port}"),
            "ssh",
            "connection refused",
        ),
        (
            "silent",
            format!("root@127.0.0.1:{silent_port}"),
            "ssh",
            "timed out",
        ),
        (
            "wrong-key",
            lab.target(wrong_key),
            "ssh",
            "authentication failed",
        ),
        (
            "unknown-key",
            lab.target(unknown),
            "ssh",
            "unknown host key",
        ),
        (
            "changed-key",
            lab.target(changed),
            "ssh",
            "HOST KEY CHANGED",
        ),
        ("revoked-key", lab.target(revoked), "ssh", "REVOKED"),
        ("hang", lab.target(hang), "ssh", "timed out"),
        ("garbage", lab.target(garbage), "ssh", "malformed output"),
        (
            "truncated",
            lab.target(truncated),
            "ssh",
            "malformed output",
        ),
        (
            "no-vim-cmd",
            lab.target(no_vimcmd),
            "esxi",
            "command missing",
        ),
    ];
    for backend in BACKENDS {
        let mut fleet = format!(
            "[fleet]\nknown_hosts = \"known_hosts\"\nssh_backend = \"{backend}\"\nconnect_timeout = 2\ndeadline = 4\n"
        );
        for (name, target, kind, _) in &cases {
            let id = if *name == "wrong-key" {
                "other_key"
            } else {
                "user_key"
            };
            let _ = write!(
                fleet,
                "\n[[host]]\nname = \"{name}\"\n{kind} = \"{target}\"\nidentity = \"{id}\"\n"
            );
        }
        let path = lab.dir.join(format!("matrix-{backend}.toml"));
        std::fs::write(&path, fleet).expect("fleet");
        let (code, stdout, stderr, took) =
            lab.vmcompat(&["audit", path.to_str().expect("utf-8"), "--format", "json"]);
        assert_eq!(code, 2, "{backend}: {stderr}");
        let rows = rows(&stdout);
        assert!(row(&rows, "good")["error"].is_null(), "{backend}: {rows:?}");
        assert!(row(&rows, "good")["vendor"].is_string());
        for (name, target, _, want) in cases.iter().skip(1) {
            let err = row(&rows, name)["error"].as_str().unwrap_or("").to_string();
            eprintln!("{backend} {name}: {err}");
            assert!(
                err.contains(want),
                "{backend}: {name}: want {want:?} in {err:?}"
            );
            assert!(
                err.contains(target.trim_start_matches("root@")),
                "{backend}: {name}: {err}"
            );
        }
        let changed_err = row(&rows, "changed-key")["error"]
            .as_str()
            .unwrap_or("")
            .to_string();
        assert!(
            changed_err.contains("SHA256:"),
            "fingerprint shown: {changed_err}"
        );
        assert!(stderr.contains("could not be collected"), "{stderr}");
        // The deadline holds: everything ran at once, bounded by ~4 s.
        assert!(took < Duration::from_secs(12), "{backend}: took {took:?}");
        eprintln!("{backend}: failure matrix in {took:?}");
    }
}

#[test]
fn new_host_keys_are_recorded_only_when_asked() {
    if !can_run("new_host_keys_are_recorded_only_when_asked") || common::shared_dir().is_none() {
        return;
    }
    let mut lab = Lab::new("accept");
    let h = host(&mut lab, Role::Cpuid("amd-epyc-7713-64-core-processor.txt"));
    for backend in BACKENDS {
        let kh = lab.dir.join(format!("kh-{backend}"));
        let _ = std::fs::remove_file(&kh);
        let base = [
            "report",
            "--host",
            &lab.target(h),
            "--identity",
            lab.user_key.to_str().expect("utf-8"),
            "--known-hosts",
            kh.to_str().expect("utf-8"),
            "--ssh-backend",
            backend,
        ];
        let (code, _, stderr, _) = lab.vmcompat(&base);
        assert_eq!(code, 2, "{backend}: {stderr}");
        assert!(stderr.contains("unknown host key"), "{backend}: {stderr}");
        let mut accept = base.to_vec();
        accept.push("--accept-new-host-keys");
        let (code, stdout, stderr, _) = lab.vmcompat(&accept);
        assert_eq!(code, 0, "{backend}: {stderr}");
        assert!(stdout.contains("AMD"), "{stdout}");
        let recorded = std::fs::read_to_string(&kh).expect("recorded");
        assert!(recorded.contains(lab.servers[h].host_key.split(' ').nth(1).expect("b64")));
        let (code, _, stderr, _) = lab.vmcompat(&base);
        assert_eq!(code, 0, "{backend}: now known: {stderr}");
    }
}
