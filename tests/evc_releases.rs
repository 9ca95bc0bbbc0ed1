//! Issue 18, item 3 and 4 gaps: a cluster's EVC mode is never one its oldest
//! host's ESXi release does not know (audit's setting, `vms --evc-mode`), and
//! `vms --evc-mode` over SSH reads each running VM's `vmware.log` (its tail)
//! as it does from a VM folder, with the same answers.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_vmcompat");

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(BIN)
        .args(args)
        .env("COLUMNS", "1000")
        .output()
        .expect("vmcompat runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("vmcompat-rel-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// (EVC mode key, note) of every setting of `audit --only cpu` on `fleet`.
fn evc_settings(fleet: &Path) -> Vec<(String, Value)> {
    let (code, stdout, stderr) = run(&[
        "audit",
        fleet.to_str().expect("utf-8"),
        "--only",
        "cpu",
        "--format",
        "json",
    ]);
    assert!(code == 0 || code == 1, "{stderr}");
    let r: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    r["settings"]
        .as_array()
        .expect("settings")
        .iter()
        .map(|s| {
            (
                s["evc"]["name"].as_str().unwrap_or("").to_string(),
                s["evc"]["note"].clone(),
            )
        })
        .collect()
}

#[test]
fn declared_esxi_67_lowers_the_clusters_evc_mode_in_the_audit() {
    let Some(shared) = common::shared_dir() else {
        return;
    };
    // The case's rolling upgrade: two Cascade Lake hosts, esx67 on ESXi 6.7.
    let fleet = shared.join("cases/hardware-version/fleet-version.toml");
    let s = evc_settings(&fleet);
    assert_eq!(s.len(), 1, "{s:?}");
    assert_eq!(s[0].0, "intel-skylake", "{s:?}");
    assert_eq!(
        s[0].1,
        "intel-cascadelake needs ESXi 6.7 U3; esx67 runs 6.7, so the mode offered is \
         intel-skylake until every host runs ESXi 6.7 U3 or later"
    );
    // The table says so too.
    let (_, table, _) = run(&["audit", fleet.to_str().expect("utf-8"), "--only", "cpu"]);
    assert!(
        table.contains("vSphere EVC mode: intel-skylake")
            && table.contains("intel-cascadelake needs ESXi 6.7 U3; esx67 runs 6.7"),
        "{table}"
    );
}

#[test]
fn the_cpus_decide_when_every_release_knows_the_mode_or_none_is_known() {
    let dir = temp_dir("audit");
    let fleet = dir.join("fleet.toml");
    let write = |v67: &str| {
        std::fs::write(
            &fleet,
            format!(
                "[fleet]\nname = \"r\"\n\
                 [[host]]\nname = \"esx70\"\ncluster = \"prod\"\nprofile = \"xeon-scalable-2nd-gen\"\nesxi_version = \"7.0.2\"\n\
                 [[host]]\nname = \"esx67\"\ncluster = \"prod\"\nprofile = \"xeon-scalable-2nd-gen\"\n{v67}\n"
            ),
        )
        .expect("fleet");
    };
    // 6.7 U3 knows Cascade Lake: not lowered, no note.
    write("esxi_version = \"6.7.0 Update 3\"");
    assert_eq!(
        evc_settings(&fleet),
        [("intel-cascadelake".to_string(), Value::Null)]
    );
    // esx67's release unknown: only known releases count.
    write("");
    assert_eq!(
        evc_settings(&fleet),
        [("intel-cascadelake".to_string(), Value::Null)]
    );
    // ESXi 6.5 knows neither Skylake nor Cascade Lake: Broadwell.
    write("esxi_version = \"6.5.0\"");
    let s = evc_settings(&fleet);
    assert_eq!(s[0].0, "intel-broadwell", "{s:?}");
    assert!(
        s[0].1
            .as_str()
            .is_some_and(|n| n.starts_with("intel-cascadelake needs ESXi 6.7 U3; esx67 runs 6.5")),
        "{s:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn vms_evc_mode_names_the_host_whose_release_does_not_know_the_mode() {
    let Some(shared) = common::shared_dir() else {
        return;
    };
    let fleet = shared.join("cases/hardware-version/fleet-version.toml");
    let f = fleet.to_str().expect("utf-8");
    let (code, stdout, stderr) = run(&[
        "vms",
        "--evc-mode",
        "intel-cascadelake",
        "--format",
        "json",
        f,
    ]);
    assert_eq!(code, 1, "{stderr}");
    let v: Value = serde_json::from_str(&stdout).expect("json");
    let hosts = v[0]["hosts_not_qualifying"].as_array().expect("hosts");
    assert_eq!(hosts.len(), 1, "{stdout}");
    assert_eq!(hosts[0]["name"], "esx67");
    assert_eq!(
        hosts[0]["why"],
        "intel-cascadelake needs ESXi 6.7 U3; esx67 runs 6.7"
    );
    // Skylake is known to 6.7: nothing stops it.
    let (_, stdout, _) = run(&["vms", "--evc-mode", "intel-skylake", "--format", "json", f]);
    let v: Value = serde_json::from_str(&stdout).expect("json");
    assert_eq!(
        v[0]["hosts_not_qualifying"],
        serde_json::json!([]),
        "{stdout}"
    );
}

/// Leaves 0 and 1 of a Xeon as `vim-cmd hostsvc/hosthardware` prints them.
const HOSTHARDWARE: &str = "(vim.host.HardwareInfo) {\n   cpuFeature = (vim.host.CpuIdInfo) [\n      (vim.host.CpuIdInfo) {\n         level = 0,\n         vendor = <unset>,\n         eax = \"0000:0000:0000:0000:0000:0000:0001:0110\",\n         ebx = \"0111:0101:0110:1110:0110:0101:0100:0111\",\n         ecx = \"0110:1100:0110:0101:0111:0100:0110:1110\",\n         edx = \"0100:1001:0110:0101:0110:1110:0110:1001\"\n      },\n      (vim.host.CpuIdInfo) {\n         level = 1,\n         vendor = <unset>,\n         eax = \"0000:0000:0000:0101:0000:0110:0101:0100\",\n         ebx = \"0000:0000:0000:0000:0000:1000:0000:0000\",\n         ecx = \"0111:1111:1111:1110:1111:1011:1111:1111\",\n         edx = \"1011:1111:1110:1011:1111:1011:1111:1111\"\n      }\n   ]\n}\n";

/// A VM folder `root/ds1/NAME` with its .vmx, summary (power state) and,
/// when `reqs` is given, the `vmware.log` lines of its last power-on.
fn vm(root: &Path, name: &str, state: &str, reqs: Option<&[&str]>) {
    let d = root.join("ds1").join(name);
    std::fs::create_dir_all(&d).expect("vm dir");
    std::fs::write(
        d.join(format!("{name}.vmx")),
        format!("displayName = \"{name}\"\nvirtualHW.version = \"14\"\n"),
    )
    .expect("vmx");
    std::fs::write(
        d.join(format!("{name}.summary")),
        format!("   runtime = (vim.vm.RuntimeInfo) {{\n      powerState = \"{state}\",\n   }}\n"),
    )
    .expect("summary");
    if let Some(reqs) = reqs {
        // Older lines first: only the last power-on counts.
        let mut text = String::from(
            "2025-01-01T10:00:00.000Z In(05) vmx - FeatureCompat: Requirements:\n\
             2025-01-01T10:00:00.000Z In(05) vmx - VM Features Required: cpuid.AVX512F - Bool:Min:1\n",
        );
        text.push_str("2025-03-01T10:00:00.000Z In(05) vmx - FeatureCompat: Requirements:\n");
        for r in reqs {
            text.push_str(&format!(
                "2025-03-01T10:00:00.000Z In(05) vmx - VM Features Required: cpuid.{r} - Bool:Min:1\n"
            ));
        }
        std::fs::write(d.join("vmware.log"), text).expect("log");
    }
}

#[test]
fn vms_evc_mode_over_ssh_reads_vmware_log_like_a_vm_folder() {
    use common::sshlab::{can_run, Lab};
    if !can_run("vms --evc-mode over ssh") {
        return;
    }
    let real = |tool: &str| {
        ["/bin", "/usr/bin"]
            .iter()
            .map(|d| format!("{d}/{tool}"))
            .find(|p| Path::new(p).exists())
            .unwrap_or_else(|| panic!("{tool}"))
    };
    let (cat, tail) = (real("cat"), real("tail"));
    let mut lab = Lab::new("evc-log");
    let root = lab.dir.join("vmfs");
    let merom = ["Intel", "SSE3", "SSSE3", "CMPXCHG16B", "LAHF64", "NX", "LM"];
    let mut snb = merom.to_vec();
    snb.extend([
        "SSE41",
        "SSE42",
        "POPCNT",
        "AES",
        "PCLMULQDQ",
        "AVX",
        "XSAVE",
    ]);
    vm(&root, "low", "poweredOn", Some(&merom));
    vm(&root, "high", "poweredOn", Some(&snb));
    vm(&root, "nolog", "poweredOn", None);
    vm(&root, "off", "poweredOff", Some(&snb));
    let names = ["high", "low", "nolog", "off"];
    let mut rows = String::from("Vmid   Name   File   Guest OS   Version   Annotation\n");
    let mut summaries = String::new();
    for (i, n) in names.iter().enumerate() {
        rows.push_str(&format!(
            "{}      {n}      [ds1] {n}/{n}.vmx      otherGuest64    vmx-14\n",
            i + 1
        ));
        summaries.push_str(&format!(
            "  {}) exec {cat} '{}' ;;\n",
            i + 1,
            root.join("ds1")
                .join(n)
                .join(format!("{n}.summary"))
                .display()
        ));
    }
    let h = lab.prepare();
    h.file("getallvms.txt", &rows);
    h.file("hosthardware.txt", HOSTHARDWARE);
    h.script(
        "vim-cmd",
        &format!(
            "d=\"${{0%/*}}\"\ncase \"$1\" in\n hostsvc/hosthardware) exec {cat} \"$d/hosthardware.txt\" ;;\n vmsvc/getallvms) exec {cat} \"$d/getallvms.txt\" ;;\n vmsvc/get.summary)\n  case \"$2\" in\n{summaries}  *) echo 'vim.fault.NotFound' >&2; exit 1 ;;\n  esac ;;\n *) echo \"Unknown command: '$1'\" >&2; exit 1 ;;\nesac\n"
        ),
    );
    let map = format!("{}/${{p#/vmfs/volumes/}}", root.display());
    h.script(
        "cat",
        &format!("p=\"$1\"\ncase \"$p\" in\n /vmfs/volumes/*) exec {cat} \"{map}\" ;;\n *) exec {cat} \"$@\" ;;\nesac\n"),
    );
    // Only `tail -c BYTES PATH`, as vmcompat asks; anything else fails.
    h.script(
        "tail",
        &format!("[ \"$1\" = -c ] || exit 9\np=\"$3\"\ncase \"$p\" in\n /vmfs/volumes/*) exec {tail} -c \"$2\" \"{map}\" ;;\n *) exit 9 ;;\nesac\n"),
    );
    h.script(
        "vmware",
        "echo 'VMware ESXi 6.7.0 build-13006603'\necho 'VMware ESXi 6.7.0 Update 2'\n",
    );
    let esx = lab.start(h);
    let known = lab.write_known_hosts();
    let fleet = |vms_dir: Option<&Path>| -> PathBuf {
        let extra = vms_dir.map_or(String::new(), |d| {
            format!("vms_dir = {:?}\n", d.display().to_string())
        });
        let path = lab.dir.join(if vms_dir.is_some() {
            "dir.toml"
        } else {
            "ssh.toml"
        });
        std::fs::write(
            &path,
            format!(
                "[fleet]\nname = \"evc\"\ndeadline = 20\n\n[[host]]\nname = \"esx01\"\ncluster = \"gold\"\nesxi = \"{}\"\n{extra}",
                lab.target(esx)
            ),
        )
        .expect("fleet");
        path
    };
    let (ssh_fleet, dir_fleet) = (fleet(None), fleet(Some(&root.join("."))));
    let evc = |f: &Path, mode: &str| -> (i32, Value) {
        let (code, stdout, stderr, _) = lab.vmcompat(&[
            "vms",
            "--evc-mode",
            mode,
            "--format",
            "json",
            f.to_str().expect("utf-8"),
            "--identity",
            lab.user_key.to_str().expect("utf-8"),
            "--known-hosts",
            known.to_str().expect("utf-8"),
        ]);
        let v = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}\n{stderr}"));
        (code, v)
    };
    let (ssh_code, ssh) = evc(&ssh_fleet, "intel-westmere");
    let (dir_code, dir) = evc(&dir_fleet, "intel-westmere");
    let list = |v: &Value, l: &str| -> Vec<(String, String)> {
        let mut x: Vec<_> = v[0][l]
            .as_array()
            .unwrap_or_else(|| panic!("{l}: {v}"))
            .iter()
            .map(|a| (a["name"].to_string(), a["why"].to_string()))
            .collect();
        x.sort();
        x
    };
    // What the log shows, over SSH.
    let names_in = |l: &str| -> Vec<String> {
        list(&ssh, l)
            .into_iter()
            .map(|(n, _)| n.trim_matches('"').to_string())
            .collect()
    };
    assert_eq!(names_in("power_off_first"), ["high"], "{ssh}");
    assert_eq!(names_in("power_cycle"), ["low"], "{ssh}");
    assert_eq!(names_in("not_known"), ["nolog"], "{ssh}");
    let high = &list(&ssh, "power_off_first")[0].1;
    assert!(
        high.contains("avx") && high.contains("from vmware.log"),
        "{high}"
    );
    assert!(
        !high.contains("avx512f"),
        "an older power-on's line counted: {high}"
    );
    assert!(list(&ssh, "power_cycle")[0].1.contains("sse4_2"), "{ssh}");
    // The same answers as from the VM folders.
    assert_eq!(ssh_code, 1);
    assert_eq!(ssh_code, dir_code);
    for l in [
        "hosts_not_qualifying",
        "power_off_first",
        "power_cycle",
        "not_known",
    ] {
        assert_eq!(list(&ssh, l), list(&dir, l), "{l}");
    }
    assert_eq!(ssh[0]["unaffected"], dir[0]["unaffected"]);
    // The release `vmware -vl` gives counts: 6.7 U2 does not know Ice Lake.
    let (code, v) = evc(&ssh_fleet, "intel-icelake");
    assert_eq!(code, 1);
    let why = &list(&v, "hosts_not_qualifying")[0].1;
    assert!(
        why.contains("intel-icelake needs ESXi 7.0 U2; esx01 runs 6.7 U2"),
        "{why}"
    );
}

#[test]
fn report_caps_the_highest_evc_mode_at_the_given_esxi_release() {
    let Some(shared) = common::shared_dir() else {
        return;
    };
    // A Broadwell host: intel-broadwell came with ESXi 6.0.
    let dump = shared.join("cases/per-vm-evc/esx-bdw.txt");
    let d = dump.to_str().expect("utf-8");
    let report = |extra: &[&str]| -> Value {
        let mut args = vec!["report", "--dump", d, "--format", "json"];
        args.extend(extra);
        let (code, stdout, stderr) = run(&args);
        assert_eq!(code, 0, "{stderr}");
        serde_json::from_str(&stdout).expect("json")
    };
    let mode = |r: &Value| {
        r["summary"]["vmware_evc_mode"]
            .as_str()
            .unwrap_or("")
            .to_string()
    };
    let warned = |r: &Value| {
        r["summary"]["warnings"]
            .as_array()
            .expect("warnings")
            .iter()
            .any(|w| {
                w.as_str().is_some_and(|w| {
                    w.contains("intel-broadwell needs ESXi 6.0; this host runs 5.5")
                })
            })
    };
    let plain = report(&[]);
    assert!(mode(&plain).starts_with("intel-broadwell "), "{plain}");
    assert!(!warned(&plain));
    let on60 = report(&["--esxi-version", "6.0.0"]);
    assert_eq!(mode(&on60), mode(&plain));
    let on55 = report(&["--esxi-version", "5.5"]);
    assert!(mode(&on55).starts_with("intel-haswell "), "{on55}");
    assert!(warned(&on55), "{on55}");
    // A release that is not one: bad input, exit 2, saying what is expected.
    let (code, _, stderr) = run(&["report", "--dump", d, "--esxi-version", "seven"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("--esxi-version: expected an ESXi version"),
        "{stderr}"
    );
}
