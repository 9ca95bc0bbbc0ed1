//! VM readiness per destination, on the shared cases (each point of their
//! EXPECTED.md): `iso-on-unknown-datastore`, `vm-nic-portgroup` (issue 14),
//! `hardware-version` and `wsfc-nodes` (issue 18), run with the real binary on
//! the case files in place.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_vmcompat");

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(BIN)
        .args(args)
        .output()
        .expect("vmcompat runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The case directory, or `None` (said on stderr) when ../shared is absent.
fn case(name: &str) -> Option<PathBuf> {
    let dir = common::shared_dir()?.join("cases").join(name);
    assert!(dir.is_dir(), "case {} is missing", dir.display());
    Some(dir)
}

/// The text with line breaks and indentation folded (the table output wraps
/// at 80 columns).
fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `vms FLEET --format json` (exit code, report) and the table text.
fn vms(fleet: &Path) -> (i32, Value, String) {
    let f = fleet.to_str().expect("utf-8");
    let (code, stdout, stderr) = run(&["vms", f, "--format", "json"]);
    let json: Value =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("json: {e}\n{stdout}\n{stderr}"));
    let (code2, text, _) = run(&["vms", f]);
    assert_eq!(code, code2, "table and json agree on the exit code");
    assert!(
        text.lines()
            .all(|l| l.chars().count() <= 80 || l.split(' ').any(|w| w.chars().count() > 40)),
        "lines fit 80 columns unless a long word (path) forces it:\n{text}"
    );
    (code, json, text)
}

fn vm<'a>(r: &'a Value, name: &str) -> &'a Value {
    r["hosts"]
        .as_array()
        .expect("hosts")
        .iter()
        .flat_map(|h| h["vms"].as_array().expect("vms"))
        .find(|v| v["name"] == name)
        .unwrap_or_else(|| panic!("VM {name} not in the report"))
}

fn findings(v: &Value) -> Vec<&Value> {
    v["findings"].as_array().expect("findings").iter().collect()
}

fn severities(v: &Value) -> Vec<&str> {
    findings(v)
        .iter()
        .map(|f| f["severity"].as_str().unwrap_or(""))
        .collect()
}

/// Every finding carries VM, device, state, destinations, severity and fix.
fn well_formed(r: &Value) {
    for h in r["hosts"].as_array().expect("hosts") {
        for v in h["vms"].as_array().expect("vms") {
            for f in findings(v) {
                assert_eq!(f["vm"], v["name"], "{f}");
                assert!(f.get("device").is_some(), "{f}");
                assert!(
                    ["present", "absent", "unknown"].contains(&f["state"].as_str().unwrap_or("")),
                    "{f}"
                );
                assert!(f["destinations"].is_array(), "{f}");
                assert!(
                    ["error", "warning", "not-checked"]
                        .contains(&f["severity"].as_str().unwrap_or("")),
                    "{f}"
                );
                assert!(!f["fix"].as_str().unwrap_or("").is_empty(), "{f}");
            }
        }
    }
}

#[test]
fn iso_on_unknown_datastore() {
    let Some(dir) = case("iso-on-unknown-datastore") else {
        return;
    };
    let (code, r, text) = vms(&dir.join("fleet.toml"));
    assert_eq!(code, 1, "vm1 and vm4 are errors");
    well_formed(&r);
    // vm1: ISO on esx01's local datastore, connected: error naming the setting.
    let vm1 = vm(&r, "vm1-iso-local-connected");
    assert_eq!(severities(vm1), ["error"], "{vm1}");
    let f = findings(vm1)[0];
    assert_eq!(
        (f["kind"].as_str(), f["device"].as_str()),
        (Some("local-image"), Some("ide1:0"))
    );
    assert_eq!(f["state"], "absent");
    assert_eq!(f["destinations"], serde_json::json!(["esx02"]));
    assert!(
        f["fix"]
            .as_str()
            .unwrap()
            .contains("ide1:0.startConnected = \"FALSE\""),
        "{f}"
    );
    assert!(
        f["fix"].as_str().unwrap().contains("ide1:0.fileName"),
        "{f}"
    );
    // vm2: the same ISO, not connected: a warning, and not told to disconnect.
    let vm2 = vm(&r, "vm2-iso-local-disconnected");
    assert_eq!(severities(vm2), ["warning"], "{vm2}");
    let fix = findings(vm2)[0]["fix"].as_str().unwrap();
    assert!(
        !fix.contains("startConnected") && !fix.to_lowercase().contains("disconnect it"),
        "{fix}"
    );
    assert_eq!(vm2["destinations"][0]["verdict"], "yes", "it can move");
    // vm4: the host's CD drive, connected: error.
    let vm4 = vm(&r, "vm4-host-cdrom-connected");
    assert_eq!(severities(vm4), ["error"], "{vm4}");
    assert_eq!(findings(vm4)[0]["kind"], "host-device");
    // vm5: a client device, not connected: no error (nothing at all).
    let vm5 = vm(&r, "vm5-client-device");
    assert!(!severities(vm5).contains(&"error"), "{vm5}");
    assert!(
        findings(vm5).is_empty(),
        "a disconnected client device ties nothing: {vm5}"
    );
    // vm3: ISO on a shared datastore: ok.
    let vm3 = vm(&r, "vm3-iso-shared-connected");
    assert!(findings(vm3).is_empty(), "{vm3}");
    assert_eq!(vm3["destinations"][0]["verdict"], "yes");
    // vm6 (UUID path) and vm7 (undeclared datastore): not known, said so, with
    // how to declare it; never "esx02 cannot see it".
    for (name, how) in [
        ("vm6-iso-uuid-path", "esxcli storage vmfs extent list"),
        ("vm7-undeclared-ds", "`datastores`"),
    ] {
        let v = vm(&r, name);
        assert_eq!(severities(v), ["not-checked"], "{v}");
        let f = findings(v)[0];
        assert_eq!(f["state"], "unknown");
        assert_eq!(f["destinations"], serde_json::json!(["esx02"]));
        let problem = f["problem"].as_str().unwrap();
        assert!(problem.contains("not known"), "{problem}");
        assert!(!problem.contains("cannot see"), "{problem}");
        assert!(f["fix"].as_str().unwrap().contains(how), "{f}");
        assert_eq!(v["destinations"][0]["verdict"], "not-checked");
    }
    // Nothing disconnected is told to disconnect again.
    for v in [vm2, vm5] {
        for f in findings(v) {
            assert!(
                !f["fix"]
                    .as_str()
                    .unwrap()
                    .contains("startConnected = \"FALSE\""),
                "{f}"
            );
        }
    }
    let t = flat(&text);
    assert!(t.contains("maintenance mode would stall on 2 VM(s): vm1-iso-local-connected, vm4-host-cdrom-connected"), "{text}");
    assert!(t.contains("not checked [local-image ide1:0]"), "{text}");
    assert!(
        !t.contains("esx02 cannot see (") || !t.contains("nfs-iso-lib\", which esx02"),
        "{text}"
    );
}

#[test]
fn vm_nic_portgroup() {
    let Some(dir) = case("vm-nic-portgroup") else {
        return;
    };
    // Host level: the audit names both spellings, the missing datastore, the slow link.
    let fleet = dir.join("fleet.toml");
    let (_, stdout, stderr) = run(&["audit", fleet.to_str().unwrap(), "--format", "json"]);
    let a: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stderr}"));
    let sn = a["storage_network"]["findings"]
        .as_array()
        .expect("findings");
    let of = |k: &str| sn.iter().filter(|f| f["kind"] == k).collect::<Vec<_>>();
    let mm = of("port-group-label-mismatch");
    assert_eq!(mm.len(), 1, "{sn:?}");
    let msg = mm[0]["message"].as_str().unwrap();
    assert!(
        msg.contains("\"VM-Prod\"") && msg.contains("\"VM-prod\""),
        "{msg}"
    );
    let ds = of("datastore-not-shared");
    assert!(
        ds.iter()
            .any(|f| f["message"].as_str().unwrap().contains("san-02")
                && f["hosts"] == serde_json::json!(["esx-13"])),
        "{ds:?}"
    );
    let slow = of("slow-vmotion-link");
    assert_eq!(slow.len(), 1);
    assert_eq!(
        (slow[0]["severity"].as_str(), &slow[0]["hosts"]),
        (Some("warning"), &serde_json::json!(["esx-13"]))
    );

    // VM level: web21's NIC on "VM-Prod" is absent on esx-13 (named: VM, NIC,
    // port group, host); it can still move to esx-12.
    let (code, r, _) = vms(&fleet);
    assert_eq!(code, 1, "fw01's internal NIC is an error");
    well_formed(&r);
    let web21 = vm(&r, "web21");
    let pg: Vec<&Value> = findings(web21)
        .into_iter()
        .filter(|f| f["kind"] == "port-group")
        .collect();
    assert_eq!(pg.len(), 1, "{web21}");
    assert_eq!(
        (
            pg[0]["vm"].as_str(),
            pg[0]["device"].as_str(),
            pg[0]["uses"].as_str(),
            pg[0]["state"].as_str()
        ),
        (
            Some("web21"),
            Some("ethernet0"),
            Some("port group \"VM-Prod\""),
            Some("absent")
        )
    );
    assert_eq!(pg[0]["destinations"], serde_json::json!(["esx-13"]));
    assert_eq!(pg[0]["severity"], "warning", "esx-12 remains");
    assert!(
        pg[0]["problem"]
            .as_str()
            .unwrap()
            .contains("can move to esx-12"),
        "{}",
        pg[0]
    );
    let verdicts: Vec<(&str, &str)> = web21["destinations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["host"].as_str().unwrap(), d["verdict"].as_str().unwrap()))
        .collect();
    assert_eq!(verdicts, [("esx-12", "yes"), ("esx-13", "no")]);
    // fw01: the internal (no-uplink) port group, connected: an error.
    let fw01 = vm(&r, "fw01");
    assert!(
        findings(fw01)
            .iter()
            .any(|f| f["kind"] == "internal-network"
                && f["device"] == "ethernet1"
                && f["severity"] == "error"),
        "{fw01}"
    );

    // The variant: no destination has "VM-Prod": web21 cannot move anywhere
    // (said, as an error, where the seed said "ok").
    let (code, r, text) = vms(&dir.join("fleet-variant.toml"));
    assert_eq!(code, 1);
    let web21 = vm(&r, "web21");
    let e: Vec<&Value> = findings(web21)
        .into_iter()
        .filter(|f| f["severity"] == "error")
        .collect();
    assert_eq!(e.len(), 1, "{web21}");
    assert_eq!(e[0]["kind"], "port-group");
    assert_eq!(
        e[0]["destinations"],
        serde_json::json!(["esx-12", "esx-13"])
    );
    assert!(
        e[0]["problem"]
            .as_str()
            .unwrap()
            .contains("cannot move to any other host"),
        "{}",
        e[0]
    );
    assert!(web21["destinations"]
        .as_array()
        .unwrap()
        .iter()
        .all(|d| d["verdict"] == "no"));
    let t = flat(&text);
    assert!(
        t.contains(
            "VM web21 [san-01] web21/web21.vmx CANNOT MOVE to any other host of its cluster"
        ),
        "{text}"
    );
    assert!(
        !t.contains("VM web21 [san-01] web21/web21.vmx ok"),
        "{text}"
    );
}

#[test]
fn hardware_version_against_the_destination_esxi() {
    let Some(dir) = case("hardware-version") else {
        return;
    };
    let (code, r, text) = vms(&dir.join("fleet-version.toml"));
    assert_eq!(code, 1);
    well_formed(&r);
    // app13 can move to esx67 (6.7 runs up to 14).
    let app13 = vm(&r, "app13");
    assert!(findings(app13).is_empty(), "{app13}");
    assert_eq!(app13["destinations"][0]["verdict"], "yes");
    // app19 cannot: an error naming both (hardware version 19, esx67 on 6.7).
    let app19 = vm(&r, "app19");
    let f = findings(app19);
    assert_eq!(f.len(), 1, "{app19}");
    assert_eq!(
        (f[0]["kind"].as_str(), f[0]["severity"].as_str()),
        (Some("hardware-version"), Some("error"))
    );
    let p = f[0]["problem"].as_str().unwrap();
    assert!(
        p.contains("hardware version 19")
            && p.contains("esx67")
            && p.contains("ESXi 6.7")
            && p.contains("up to 14"),
        "{p}"
    );
    assert!(p.contains("ESXi 7.0 U2 or later"), "{p}");
    // So esx70 cannot be emptied onto esx67: said.
    assert_eq!(r["hosts"][0]["blocking"], serde_json::json!(["app19"]));
    assert!(flat(&text).contains("Host esx70 (destinations: esx67): 2 VM(s); maintenance mode would stall on 1 VM(s): app19"), "{text}");
    // Without the versions: the check was not made, and said so.
    let (code, r, text) = vms(&dir.join("fleet.toml"));
    assert_eq!(code, 0);
    let notes = r["hosts"][0]["not_checked"]
        .as_array()
        .expect("not_checked");
    assert_eq!(notes.len(), 1);
    let n = notes[0].as_str().unwrap();
    assert!(
        n.contains("hardware-version check not made for esx67") && n.contains("esxi_version"),
        "{n}"
    );
    assert!(findings(vm(&r, "app19")).is_empty());
    assert!(
        flat(&text).contains("not checked: hardware-version check not made for esx67"),
        "{text}"
    );
}

/// A fleet file in a temporary directory using the case's `vms_dir` in place.
fn wsfc_fleet(dir: &Path, tag: &str, versions: [Option<&str>; 2]) -> PathBuf {
    let tmp = std::env::temp_dir().join(format!("vmcompat-wsfc-{}-{tag}", std::process::id()));
    std::fs::create_dir_all(&tmp).expect("tmp");
    let v =
        |i: usize| versions[i].map_or_else(String::new, |v| format!("esxi_version = \"{v}\"\n"));
    let text = format!(
        "[[host]]\nname = \"esx-a\"\ncluster = \"sql\"\nprofile = \"xeon-scalable-2nd-gen\"\nvms_dir = {:?}\n{}port_groups = [\"VM Network\"]\ndatastores = [\"san-ds01\"]\n\n[[host]]\nname = \"esx-b\"\ncluster = \"sql\"\nprofile = \"xeon-scalable-2nd-gen\"\n{}port_groups = [\"VM Network\"]\ndatastores = [\"san-ds01\"]\n",
        dir.join("vms/esx-a").to_str().unwrap(),
        v(0),
        v(1)
    );
    let f = tmp.join("fleet.toml");
    std::fs::write(&f, text).expect("write");
    f
}

#[test]
fn wsfc_nodes() {
    let Some(dir) = case("wsfc-nodes") else {
        return;
    };
    let (code, r, _) = vms(&dir.join("fleet.toml"));
    assert_eq!(code, 1);
    well_formed(&r);
    // sql-n1: cluster across boxes on physical RDMs, HW 19: a warning with the
    // prerequisites, not an error.
    let n1 = vm(&r, "sql-n1-cab-prdm");
    assert_eq!(severities(n1), ["warning"], "{n1}");
    let p = findings(n1)[0]["problem"].as_str().unwrap();
    for want in [
        "hardware version 11",
        "vMotion network",
        "another node",
        "vSphere 6.0",
    ] {
        assert!(p.contains(want), "missing {want:?}: {p}");
    }
    assert!(findings(n1)[0]["fix"]
        .as_str()
        .unwrap()
        .contains("anti-affinity"));
    // n2, n3, n4: errors, each with its own reason.
    let reason = |name: &str| -> String {
        let v = vm(&r, name);
        let e: Vec<&Value> = findings(v)
            .into_iter()
            .filter(|f| f["severity"] == "error")
            .collect();
        assert_eq!(e.len(), 1, "{v}");
        assert_eq!(e[0]["kind"], "shared-bus");
        e[0]["problem"].as_str().unwrap().to_string()
    };
    let (n2, n3, n4) = (
        reason("sql-n2-cib"),
        reason("sql-n3-cab-hw10"),
        reason("sql-n4-cab-vrdm"),
    );
    assert!(
        n2.contains("cluster in a box") && n2.contains("\"virtual\""),
        "{n2}"
    );
    assert!(
        n3.contains("hardware version 10") && n3.contains("11 or later"),
        "{n3}"
    );
    assert!(
        n4.contains("virtual-mode RDM") && n4.contains("physical-mode"),
        "{n4}"
    );
    // No fix breaks the guest cluster: none turns bus sharing off.
    for h in r["hosts"].as_array().unwrap() {
        for v in h["vms"].as_array().unwrap() {
            for f in findings(v) {
                let fix = f["fix"].as_str().unwrap();
                assert!(
                    !fix.contains("sharedBus = \"none\"") && !fix.contains("sharedBus"),
                    "{fix}"
                );
                assert!(!fix.contains("sharing = \"none\""), "{fix}");
            }
        }
    }
    // Where the versions are known the rule follows them: before 6.0, the old
    // rule (an error); 6.0 and later, the warning.
    let old = wsfc_fleet(&dir, "old", [Some("5.5.0"), Some("5.5.0")]);
    let (_, r, _) = vms(&old);
    let n1 = vm(&r, "sql-n1-cab-prdm");
    let bus: Vec<&Value> = findings(n1)
        .into_iter()
        .filter(|f| f["kind"] == "shared-bus")
        .collect();
    assert_eq!(bus.len(), 1, "{n1}");
    assert_eq!(bus[0]["severity"], "error");
    assert!(bus[0]["problem"]
        .as_str()
        .unwrap()
        .contains("before vSphere 6.0"));
    let new = wsfc_fleet(&dir, "new", [Some("7.0.3"), Some("6.0.0")]);
    let (_, r, _) = vms(&new);
    // (6.0 runs hardware version 11 only: the HW-19 node cannot go to esx-b for that reason.)
    let n1 = vm(&r, "sql-n1-cab-prdm");
    let kinds: Vec<(&str, &str)> = findings(n1)
        .iter()
        .map(|f| (f["kind"].as_str().unwrap(), f["severity"].as_str().unwrap()))
        .collect();
    assert_eq!(
        kinds,
        [("hardware-version", "error"), ("shared-bus", "warning")],
        "{n1}"
    );
    // A pre-6.0 destination only: the VM cannot go there.
    let mixed = wsfc_fleet(&dir, "mixed", [Some("7.0.3"), Some("5.5")]);
    let (_, r, _) = vms(&mixed);
    let n1 = vm(&r, "sql-n1-cab-prdm");
    let bus: Vec<&Value> = findings(n1)
        .into_iter()
        .filter(|f| f["kind"] == "shared-bus")
        .collect();
    assert_eq!(bus[0]["severity"], "error", "{n1}");
    assert!(
        bus[0]["problem"]
            .as_str()
            .unwrap()
            .contains("esx-b: ESXi 5.5, older than 6.0"),
        "{n1}"
    );
    assert_eq!(n1["destinations"][0]["verdict"], "no");
    for f in [old, new, mixed] {
        let _ = std::fs::remove_dir_all(f.parent().unwrap());
    }
}

#[test]
fn a_malformed_esxi_version_is_bad_input_naming_file_and_line() {
    let dir = std::env::temp_dir().join(format!("vmcompat-esxiver-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tmp");
    let f = dir.join("fleet.toml");
    std::fs::write(
        &f,
        "[[host]]\nname = \"a\"\nprofile = \"xeon-e5-2600-v3\"\nesxi_version = \"seven\"\n",
    )
    .expect("write");
    let (code, _, stderr) = run(&["vms", f.to_str().unwrap()]);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("fleet.toml:4"), "{stderr}");
    assert!(
        stderr.contains("expected an ESXi version such as"),
        "{stderr}"
    );
}

/// `esxcli` on the lab host: the fixture texts of tests/fixtures/esxi-facts.
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
  vmsvc/getallvms) echo "Vmid   Name   File   Guest OS   Version   Annotation" ;;
  *) echo "Unknown command: '$1'" >&2; exit 1 ;;
esac
"#;

/// `vmware -vl` of an ESXi 6.7 Update 2 host (the update only on line 2).
const VMWARE: &str = "echo 'VMware ESXi 6.7.0 build-13006603'\necho 'VMware ESXi 6.7.0 Update 2'\n";

#[test]
fn esxi_version_read_over_ssh_with_vmware_vl() {
    use common::sshlab::{can_run, Lab};
    if !can_run("esxi_version_read_over_ssh_with_vmware_vl") {
        return;
    }
    let Some(dir) = case("hardware-version") else {
        return;
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let fixture = |n: &str| {
        std::fs::read_to_string(root.join("tests/fixtures/esxi-facts").join(n)).expect("fixture")
    };
    // The CPU as `vim-cmd hostsvc/hosthardware` shows it: leaves 0 and 1 of a Xeon.
    let hw = "(vim.host.HardwareInfo) {\n   cpuFeature = (vim.host.CpuIdInfo) [\n      (vim.host.CpuIdInfo) {\n         level = 0,\n         vendor = <unset>,\n         eax = \"0000:0000:0000:0000:0000:0000:0001:0110\",\n         ebx = \"0111:0101:0110:1110:0110:0101:0100:0111\",\n         ecx = \"0110:1100:0110:0101:0111:0100:0110:1110\",\n         edx = \"0100:1001:0110:0101:0110:1110:0110:1001\"\n      },\n      (vim.host.CpuIdInfo) {\n         level = 1,\n         vendor = <unset>,\n         eax = \"0000:0000:0000:0101:0000:0110:0101:0100\",\n         ebx = \"0000:0000:0000:0000:0000:1000:0000:0000\",\n         ecx = \"0111:1111:1111:1110:1111:1011:1111:1111\",\n         edx = \"1011:1111:1110:1011:1111:1011:1111:1111\"\n      }\n   ]\n}\n";
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
    let texts: Vec<(String, String)> = names
        .iter()
        .map(|n| (format!("{n}.txt"), fixture(&format!("{n}.txt"))))
        .collect();
    let mut files: Vec<(&str, &str)> = texts
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    files.push(("hosthardware.txt", hw));
    let mut lab = Lab::new("esxi-version");
    let esx = lab.host_with(
        &[("esxcli", ESXCLI), ("vim-cmd", VIM_CMD), ("vmware", VMWARE)],
        &files,
    );
    let known = lab.write_known_hosts();
    let fleet = format!(
        "[fleet]\nname = \"rolling\"\ndeadline = 20\n\n[[host]]\nname = \"esx70\"\ncluster = \"prod\"\nprofile = \"xeon-scalable-2nd-gen\"\nvms_dir = {:?}\nport_groups = [\"VM Network\"]\ndatastores = [\"san-01\"]\n\n[[host]]\nname = \"esx67\"\ncluster = \"prod\"\nesxi = \"{}\"\n",
        dir.join("vms/esx70").to_str().expect("utf-8"),
        lab.target(esx)
    );
    let path = lab.dir.join("fleet.toml");
    std::fs::write(&path, fleet).expect("fleet");
    let (_, stdout, stderr, _) = lab.vmcompat(&[
        "vms",
        path.to_str().expect("utf-8"),
        "--format",
        "json",
        "--identity",
        lab.user_key.to_str().expect("utf-8"),
        "--known-hosts",
        known.to_str().expect("utf-8"),
    ]);
    let r: Value =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}\n{stderr}"));
    let hwv = |name: &str| -> Vec<String> {
        findings(vm(&r, name))
            .into_iter()
            .filter(|f| f["kind"] == "hardware-version")
            .map(|f| f["problem"].as_str().unwrap_or("").to_string())
            .collect()
    };
    assert!(hwv("app13").is_empty(), "{stdout}");
    let p = hwv("app19");
    assert_eq!(p.len(), 1, "{stdout}\n{stderr}");
    assert!(
        p[0].contains("esx67: ESXi 6.7 U2 (build 13006603), which runs hardware versions up to 15"),
        "{}",
        p[0]
    );
    assert!(
        r["hosts"][0]["not_checked"]
            .as_array()
            .expect("notes")
            .is_empty(),
        "{stdout}"
    );
}

#[test]
fn other_clusters_only_when_asked() {
    let fleet = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/vms/fleet.toml");
    let f = fleet.to_str().expect("utf-8");
    let (_, stdout, _) = run(&["vms", f, "--format", "json"]);
    let r: Value = serde_json::from_str(&stdout).expect("json");
    assert_eq!(r["hosts"][0]["destinations"], serde_json::json!(["esx02"]));
    let (_, stdout, _) = run(&["vms", f, "--all-clusters", "--format", "json"]);
    let r: Value = serde_json::from_str(&stdout).expect("json");
    assert_eq!(
        r["hosts"][0]["destinations"],
        serde_json::json!(["esx02", "esx03", "esx04"])
    );
    // web01 (on shared01, "VM Network") can go to esx02 only: the lab hosts
    // lack shared01.
    let web01 = vm(&r, "web01");
    let v: Vec<(&str, &str)> = web01["destinations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["host"].as_str().unwrap(), d["verdict"].as_str().unwrap()))
        .collect();
    assert_eq!(
        v,
        [("esx02", "yes"), ("esx03", "no"), ("esx04", "no")],
        "{web01}"
    );
}
