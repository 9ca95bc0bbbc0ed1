//! `vmcompat audit --save` and `vmcompat drift`: two snapshots of a fleet made at
//! test time from corpus dumps, one host changed by a firmware update (it lost
//! TSX `hle rtm` and `md_clear`, its microcode and BIOS versions changed); the
//! same snapshot twice; a snapshot against the live fleet; garbage input. And
//! the local probe's fingerprint against `uname -r` and `/proc/cpuinfo`.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use vmcompat::cpuid::RawDump;
use vmcompat::model::Fingerprint;
use vmcompat::sources::formats::{self, native};

const INTEL: &str = "corpus/libcpuid/intel-xeon-gold-5218-cpu.txt";
const AMD: &str = "corpus/libcpuid/amd-epyc-7402p-24-core-processor.txt";

fn vmcompat(args: &[&str], dir: &Path) -> (i32, String, String) {
    vmcompat_env(args, dir, &[])
}

fn vmcompat_env(args: &[&str], dir: &Path, env: &[(&str, &Path)]) -> (i32, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vmcompat"));
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("COLUMNS", "200")
        .output()
        .expect("run vmcompat");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn fingerprint(microcode: &str, bios: &str) -> Fingerprint {
    Fingerprint {
        microcode: Some(microcode.into()),
        bios_vendor: Some("Dell Inc.".into()),
        bios_version: Some(bios.into()),
        bios_date: Some("01/11/2021".into()),
        kernel: Some("5.15.0-91-generic".into()),
        qemu: Some("6.2.0".into()),
        libvirt: Some("8.0.0".into()),
    }
}

fn write_dump(path: &Path, dump: &RawDump) {
    std::fs::write(path, native::to_toml(dump)).unwrap();
}

/// Clears `hle` and `rtm` (leaf 7 EBX bits 4 and 11) and `md_clear` (leaf 7 EDX
/// bit 10) on every logical CPU: what a microcode update that turns TSX off and
/// a broken MDS mitigation look like in CPUID.
fn lose_tsx_and_md_clear(dump: &mut RawDump) {
    for cpu in &mut dump.cpus {
        let mut r = cpu.get(7, 0).expect("leaf 7");
        assert_ne!(r.ebx & (1 << 4), 0, "the corpus CPU has hle");
        assert_ne!(r.ebx & (1 << 11), 0, "the corpus CPU has rtm");
        assert_ne!(r.edx & (1 << 10), 0, "the corpus CPU has md_clear");
        r.ebx &= !((1 << 4) | (1 << 11));
        r.edx &= !(1 << 10);
        cpu.insert(7, 0, r);
    }
}

/// A fleet in a temp dir: cluster `prod` (h1, h2, h3: Cascade Lake) and
/// cluster `analytics` (e1, e2: EPYC), each host a native dump with a fingerprint.
struct Lab {
    dir: tempfile::TempDir,
    intel: RawDump,
}

impl Lab {
    fn new(shared: &Path) -> Lab {
        let dir = tempfile::tempdir().unwrap();
        let mut intel = formats::read_file(&shared.join(INTEL)).unwrap();
        intel.fingerprint = fingerprint("0x5003006", "2.10.2");
        let mut amd = formats::read_file(&shared.join(AMD)).unwrap();
        amd.fingerprint = fingerprint("0x8301038", "2.3.6");
        let mut fleet = String::from("[fleet]\nname = \"lab\"\n");
        for (name, cluster, dump) in [
            ("h1", "prod", &intel),
            ("h2", "prod", &intel),
            ("h3", "prod", &intel),
            ("e1", "analytics", &amd),
            ("e2", "analytics", &amd),
        ] {
            write_dump(&dir.path().join(format!("{name}.toml")), dump);
            fleet.push_str(&format!(
                "\n[[host]]\nname = \"{name}\"\ncluster = \"{cluster}\"\ndump = \"{name}.toml\"\n"
            ));
        }
        // h1 has a VM inventory: one VM in a vms_dir.
        let vm = dir.path().join("vms/h1/ds1/web01");
        std::fs::create_dir_all(&vm).unwrap();
        std::fs::write(
            vm.join("web01.vmx"),
            ".encoding = \"UTF-8\"\nconfig.version = \"8\"\nvirtualHW.version = \"19\"\n\
             displayName = \"web01\"\nguestOS = \"ubuntu-64\"\n",
        )
        .unwrap();
        fleet = fleet.replacen(
            "dump = \"h1.toml\"\n",
            "dump = \"h1.toml\"\nvms_dir = \"vms/h1\"\n",
            1,
        );
        std::fs::write(dir.path().join("fleet.toml"), fleet).unwrap();
        Lab { dir, intel }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn save(&self, snapshot: &str) -> PathBuf {
        let (code, _, err) = vmcompat(&["audit", "fleet.toml", "--save", snapshot], self.path());
        assert!(code == 0 || code == 1, "audit --save exit {code}: {err}");
        assert!(err.contains("saved a snapshot of 5 hosts"), "{err}");
        self.path().join(snapshot)
    }

    /// h2 after the firmware update.
    fn update_h2(&self) {
        let mut d = self.intel.clone();
        lose_tsx_and_md_clear(&mut d);
        d.fingerprint = fingerprint("0x5003302", "2.11.2");
        write_dump(&self.path().join("h2.toml"), &d);
    }
}

#[test]
fn firmware_change_on_one_host_is_named_with_its_cluster() {
    let Some(shared) = common::shared_dir() else {
        return;
    };
    let lab = Lab::new(&shared);
    let before = lab.save("before");
    // The snapshot: an index and one small dump per host, fingerprint included.
    let index = std::fs::read_to_string(before.join("index.toml")).unwrap();
    assert!(index.contains("format = \"vmcompat-snapshot\""), "{index}");
    assert!(index.contains("dump = \"hosts/h2.toml\""), "{index}");
    assert!(index.contains("vms = [\"web01\"]"), "{index}");
    let h2 = std::fs::read_to_string(before.join("hosts/h2.toml")).unwrap();
    assert!(
        h2.contains("[fingerprint]\nmicrocode = \"0x5003006\""),
        "{h2}"
    );
    assert!(
        h2.len() < 16 * 1024,
        "one logical CPU per host: {} bytes",
        h2.len()
    );

    lab.update_h2();
    lab.save("after");

    let (code, out, err) = vmcompat(&["drift", "before", "after"], lab.path());
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("  h2 (cluster prod)\n"), "{out}");
    assert!(out.contains("    lost:   hle rtm md_clear\n"), "{out}");
    assert!(
        out.contains("    microcode: 0x5003006 -> 0x5003302\n"),
        "{out}"
    );
    assert!(
        out.contains("    BIOS version: 2.10.2 -> 2.11.2\n"),
        "{out}"
    );
    assert!(out.contains("unchanged: 4 hosts"), "{out}");
    assert!(
        out.contains("== Cluster prod (Intel): migration affected =="),
        "{out}"
    );
    assert!(out.contains("baseline LOWERED"), "{out}");
    assert!(!out.contains("Cluster analytics"), "{out}");
    // VMs on the hosts that kept TSX can no longer move to h2.
    assert!(
        out.contains("    h1, h3 -> h2: h2 lacks hle rtm md_clear\n"),
        "{out}"
    );
    assert!(out.contains("VMs there: h1/web01"), "{out}");
    assert!(!out.contains("h2 ->"), "{out}");
    assert!(
        out.contains("Verdict: changes that affect migration"),
        "{out}"
    );

    let (code, json, err) = vmcompat(
        &["drift", "before", "after", "--format", "json"],
        lab.path(),
    );
    assert_eq!(code, 1, "{err}");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let d = &v["drift"];
    assert_eq!(d["affects_migration"], true);
    assert_eq!(d["hosts"].as_array().unwrap().len(), 1, "{json}");
    let h = &d["hosts"][0];
    assert_eq!(h["name"], "h2");
    assert_eq!(h["lost"], serde_json::json!(["hle", "rtm", "md_clear"]));
    assert_eq!(h["gained"], serde_json::json!([]));
    let versions = h["versions"].as_array().unwrap();
    let microcode = versions.iter().find(|x| x["field"] == "microcode").unwrap();
    assert_eq!(
        (microcode["old"].as_str(), microcode["new"].as_str()),
        (Some("0x5003006"), Some("0x5003302"))
    );
    assert_eq!(versions.len(), 2, "microcode and BIOS version only: {json}");
    let clusters = d["clusters"].as_array().unwrap();
    assert_eq!(clusters.len(), 1, "{json}");
    assert_eq!(clusters[0]["cluster"], "prod");
    let lowered: Vec<&str> = clusters[0]["lowered"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|x| x.as_str())
        .collect();
    assert_eq!(lowered, ["hle", "rtm", "md_clear"]);
    // The cluster needed no mask before (all alike); its empty mask no longer
    // makes guests agree.
    assert_eq!(clusters[0]["mask"]["breaks_migration"], true, "{json}");
    let moves = clusters[0]["lost_moves"].as_array().unwrap();
    assert_eq!(moves.len(), 1, "{json}");
    assert_eq!(moves[0]["from"], serde_json::json!(["h1", "h3"]));
    assert_eq!(moves[0]["to"], serde_json::json!(["h2"]));
    assert_eq!(
        moves[0]["lacks"],
        serde_json::json!(["hle", "rtm", "md_clear"])
    );
    assert_eq!(moves[0]["vms"], serde_json::json!(["h1/web01"]));
    assert_eq!(v["old"]["kind"], "snapshot");

    // Back the other way (h2 gets the bits back): every host has them again, no
    // move is lost, the baseline rises, and the old mask is only stricter than
    // needed now: a change, not one that affects migration.
    let (code, out, _) = vmcompat(&["drift", "after", "before"], lab.path());
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("baseline raised"), "{out}");
    assert!(out.contains("stricter than needed"), "{out}");
    assert!(
        out.contains("Verdict: changes that do not affect migration"),
        "{out}"
    );
}

#[test]
fn unchanged_snapshots_and_live_fleet_exit_0() {
    let Some(shared) = common::shared_dir() else {
        return;
    };
    let lab = Lab::new(&shared);
    lab.save("s1");
    let (code, out, err) = vmcompat(&["drift", "s1", "s1"], lab.path());
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("Verdict: unchanged"), "{out}");
    // The snapshot against the live fleet it was taken from.
    let (code, out, err) = vmcompat(&["drift", "s1", "fleet.toml"], lab.path());
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("(live, "), "{out}");
    assert!(out.contains("unchanged: 5 hosts"), "{out}");
    // Saving again over the snapshot replaces it; index.toml names a snapshot.
    lab.save("s1");
    let (code, _, err) = vmcompat(&["drift", "s1/index.toml", "fleet.toml"], lab.path());
    assert_eq!(code, 0, "{err}");
    // A host added to the fleet, and only its kernel changed: no migration effect.
    let mut d = lab.intel.clone();
    d.fingerprint.kernel = Some("6.1.0-18-amd64".into());
    write_dump(&lab.path().join("h1.toml"), &d);
    let (code, out, err) = vmcompat(&["drift", "s1", "fleet.toml"], lab.path());
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("kernel: 5.15.0-91-generic -> 6.1.0-18-amd64"),
        "{out}"
    );
    assert!(
        out.contains("Verdict: changes that do not affect migration"),
        "{out}"
    );
}

#[test]
fn garbage_input_exits_2_naming_the_file() {
    let Some(shared) = common::shared_dir() else {
        return;
    };
    let lab = Lab::new(&shared);
    lab.save("s1");
    std::fs::write(lab.path().join("garbage.toml"), "this is {{ not a fleet\n").unwrap();
    let (code, _, err) = vmcompat(&["drift", "s1", "garbage.toml"], lab.path());
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("garbage.toml"), "{err}");
    // A directory that is not a snapshot.
    std::fs::create_dir(lab.path().join("empty")).unwrap();
    let (code, _, err) = vmcompat(&["drift", "empty", "s1"], lab.path());
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("empty") && err.contains("not a vmcompat snapshot"),
        "{err}"
    );
    // A snapshot whose index is garbage, or whose dump is.
    std::fs::write(lab.path().join("s1/hosts/h3.toml"), "garbage\n").unwrap();
    let (code, _, err) = vmcompat(&["drift", "s1", "fleet.toml"], lab.path());
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("h3.toml"), "{err}");
    std::fs::write(lab.path().join("s1/index.toml"), "format = 3\n").unwrap();
    let (code, _, err) = vmcompat(&["drift", "s1", "fleet.toml"], lab.path());
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("index.toml:1:"), "{err}");
    // --save refuses to replace a directory that is not a snapshot.
    std::fs::write(lab.path().join("empty/keep.txt"), "mine").unwrap();
    let (code, _, err) = vmcompat(
        &["audit", "fleet.toml", "--only", "cpu", "--save", "empty"],
        lab.path(),
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("not a vmcompat snapshot"), "{err}");
    assert!(lab.path().join("empty/keep.txt").exists());
}

#[test]
fn probe_records_this_machines_fingerprint() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let env = [("XDG_CACHE_HOME", cache.as_path())];
    // A cache entry for QEMU whose key does not match the binary (an older
    // build) is not believed.
    let qemu = std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .map(|d| d.join("qemu-system-x86_64"))
        .find(|p| p.is_file());
    if let Some(q) = &qemu {
        use std::os::unix::fs::MetadataExt;
        let m = std::fs::metadata(q).unwrap();
        std::fs::create_dir_all(cache.join("vmcompat")).unwrap();
        std::fs::write(
            cache.join("vmcompat/tool-versions.tsv"),
            format!(
                "{}\t{}\t{}\t{}\t{}.{}\t0.0-stale\n",
                q.display(),
                m.dev(),
                m.ino(),
                m.size(),
                m.mtime() - 1,
                m.mtime_nsec()
            ),
        )
        .unwrap();
    }
    let (code, _, err) = vmcompat_env(&["probe", "-o", "me.toml"], dir.path(), &env);
    assert_eq!(code, 0, "{err}");
    let dump = formats::read_file(&dir.path().join("me.toml")).unwrap();
    if let Some(q) = &qemu {
        let out = Command::new(q).arg("--version").output().unwrap();
        let real =
            vmcompat::model::fingerprint::qemu_version(&String::from_utf8_lossy(&out.stdout));
        assert_eq!(dump.fingerprint.qemu, real);
        // Now cached under the right key: the next probe reads the same.
        let cached = std::fs::read_to_string(cache.join("vmcompat/tool-versions.tsv")).unwrap();
        assert!(!cached.contains("0.0-stale"), "{cached}");
        let (code, _, err) = vmcompat_env(&["probe", "-o", "again.toml"], dir.path(), &env);
        assert_eq!(code, 0, "{err}");
        let again = formats::read_file(&dir.path().join("again.toml")).unwrap();
        assert_eq!(again.fingerprint.qemu, real);
    } else {
        assert!(
            std::env::var("CI").is_err(),
            "qemu-system-x86_64 is missing: .ci/run installs it (qemu-system-x86)"
        );
        eprintln!("NOTE: no qemu-system-x86_64 here: its version and cache were not checked");
    }
    let uname = Command::new("uname").arg("-r").output().expect("uname -r");
    let release = String::from_utf8_lossy(&uname.stdout).trim().to_string();
    assert_eq!(dump.fingerprint.kernel.as_deref(), Some(release.as_str()));
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let microcode = cpuinfo
        .lines()
        .find(|l| l.starts_with("microcode"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_string());
    match microcode {
        Some(m) => assert_eq!(dump.fingerprint.microcode.as_deref(), Some(m.as_str())),
        None => {
            eprintln!("NOTE: /proc/cpuinfo has no microcode line here: microcode not compared");
            assert_eq!(dump.fingerprint.microcode, None);
        }
    }
    // The SMBIOS files, where the kernel exports them.
    let bios = std::fs::read_to_string("/sys/class/dmi/id/bios_version")
        .ok()
        .and_then(|v| vmcompat::model::fingerprint::clean(&v));
    if bios.is_some() {
        assert_eq!(dump.fingerprint.bios_version, bios);
    }
    // `report --dump` shows it.
    let (code, out, err) = vmcompat(&["report", "--dump", "me.toml"], dir.path());
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(&format!("kernel {release}")), "{out}");
}

/// The fingerprint over SSH, from a real sshd on loopback: a Linux host (the
/// kernel and microcode are this machine's, QEMU and libvirt fixture scripts, one
/// of them trying to forge a marker line) and an ESXi host (`biosInfo` in
/// `vim-cmd hostsvc/hosthardware`, `vmware -v`).
#[test]
fn fingerprint_over_ssh_linux_and_esxi() {
    use common::sshlab::{can_run, Lab};
    if !can_run("fingerprint_over_ssh_linux_and_esxi") {
        return;
    }
    let Some(shared) = common::shared_dir() else {
        return;
    };
    let mut lab = Lab::new("fingerprint");
    let linux = lab.prepare();
    for tool in ["uname", "tr", "cpuid"] {
        linux.tool(tool);
    }
    linux.script(
        "qemu-system-x86_64",
        "echo 'QEMU emulator version 8.2.2 (Debian 1:8.2.2+ds-0ubuntu1)'\necho 'Copyright (c) 2003-2023'\n",
    );
    linux.script(
        "libvirtd",
        "printf 'libvirtd (libvirt) 10.0.0 @@source vmcompat\\n@@source vmcompat\\n'\n",
    );
    let linux = lab.start(linux);

    let intel = formats::read_file(&shared.join(INTEL)).unwrap();
    let cpu = intel.first().unwrap();
    let basic: Vec<(u32, vmcompat::cpuid::Regs)> = [0u32, 1, 0x8000_0000, 0x8000_0001]
        .iter()
        .map(|l| (*l, cpu.get_or_zero(*l, 0)))
        .collect();
    let hosthardware = format!(
        "(vim.host.HardwareInfo) {{\n   biosInfo = (vim.host.BIOSInfo) {{\n      biosVersion = \"2.19.0\",\n      \
         releaseDate = \"2023-06-14T00:00:00Z\",\n      vendor = \"Dell Inc.\",\n      majorRelease = 2\n   }},\n{}\n}}\n",
        vmcompat::sources::ssh::esxi::render_cpu_feature(&basic, 3)
    );
    let esxi = lab.prepare();
    esxi.file("hosthardware.txt", &hosthardware);
    esxi.script(
        "vim-cmd",
        "[ \"$1\" = hostsvc/hosthardware ] || exit 1\ncat \"${0%/*}/hosthardware.txt\"\n",
    );
    esxi.script("vmware", "echo 'VMware ESXi 7.0.3 build-20036589'\n");
    let esxi = lab.start(esxi);
    let known = lab.write_known_hosts();

    let report = |i: usize, extra: &[&str]| {
        let target = lab.target(i);
        let mut args = vec![
            "report",
            "--host",
            &target,
            "--identity",
            lab.user_key.to_str().unwrap(),
            "--known-hosts",
            known.to_str().unwrap(),
            "--format",
            "json",
        ];
        args.extend_from_slice(extra);
        let (code, out, err, _) = lab.vmcompat(&args);
        assert_eq!(code, 0, "{err}");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        v["fingerprint"].clone()
    };
    let fp = report(linux, &[]);
    let uname = Command::new("uname").arg("-r").output().expect("uname -r");
    assert_eq!(
        fp["kernel"].as_str(),
        Some(String::from_utf8_lossy(&uname.stdout).trim()),
        "{fp}"
    );
    let microcode = std::fs::read_to_string("/proc/cpuinfo")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("microcode"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_string());
    assert_eq!(fp["microcode"].as_str(), microcode.as_deref(), "{fp}");
    assert_eq!(
        fp["qemu"].as_str(),
        Some("8.2.2 (Debian 1:8.2.2+ds-0ubuntu1)"),
        "{fp}"
    );
    // The forged marker lines were cut (first line only, `@` removed): the
    // version is read, the CPUID part of the answer was not disturbed.
    assert_eq!(fp["libvirt"].as_str(), Some("10.0.0"), "{fp}");

    let fp = report(esxi, &["--esxi"]);
    assert_eq!(fp["bios_version"].as_str(), Some("2.19.0"), "{fp}");
    assert_eq!(fp["bios_vendor"].as_str(), Some("Dell Inc."), "{fp}");
    assert_eq!(
        fp["bios_date"].as_str(),
        Some("2023-06-14T00:00:00Z"),
        "{fp}"
    );
    assert_eq!(
        fp["kernel"].as_str(),
        Some("VMware ESXi 7.0.3 build-20036589"),
        "{fp}"
    );
}
