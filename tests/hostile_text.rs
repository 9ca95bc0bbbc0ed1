//! Untrusted text never reaches the terminal raw (issue 15, item 1).
//!
//! Symptom: ESC sequences (clear screen, OSC 52 clipboard write, OSC 8 links),
//! C1 controls and bidi overrides in `.vmx` display and network names, fleet
//! names, port-group and datastore names, and parse errors quoting input, were
//! printed as they came. Here hostile names go in through every local source
//! (fleet file, declared facts, `.vmx` files, dump files, profile names, mask
//! files) and out through every command, in every output format; the output must
//! carry no raw control character, and the names must still be visible, escaped.
//! The SSH sources (esxcli, getallvms, virsh) are fed hostile text in
//! tests/hostile_hosts.rs.

use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_vmcompat");

/// Characters that must never reach a terminal raw (besides `\n` and `\t`).
fn raw_unsafe(s: &str) -> Option<char> {
    s.chars().find(|&c| {
        (c < ' ' && c != '\n' && c != '\t')
            || ('\u{7f}'..='\u{9f}').contains(&c)
            || ('\u{202a}'..='\u{202e}').contains(&c)
            || ('\u{2066}'..='\u{2069}').contains(&c)
            || c == '\u{200b}'
    })
}

/// TOML escapes of the hostile payloads.
const ESC_CLEAR: &str = "\\u001b[2J\\u001b[H";
const OSC52: &str = "\\u001b]52;c;ZXZpbA==\\u0007";
const RLO: &str = "\\u202e";
const CSI8: &str = "\\u009b8m";

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("vmcompat-hostile-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

fn run(args: &[&str], cwd: &Path) -> (i32, String, String) {
    let out = Command::new(BIN)
        .args(args)
        .current_dir(cwd)
        .env("COLUMNS", "80")
        .output()
        .expect("vmcompat runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn assert_clean(what: &str, code: i32, stdout: &str, stderr: &str) {
    assert!(
        (0..=2).contains(&code),
        "{what}: exit {code} (a panic?)\n{stderr}"
    );
    for (stream, text) in [("stdout", stdout), ("stderr", stderr)] {
        if let Some(c) = raw_unsafe(text) {
            panic!("{what}: raw {c:?} on {stream}:\n{text}");
        }
    }
}

/// A fleet whose names, facts and VMs carry every hostile payload.
fn hostile_fleet(d: &Path) -> PathBuf {
    let vm = d.join("vms/h1/ds1/web01");
    std::fs::create_dir_all(&vm).expect("vm dir");
    std::fs::write(
        vm.join("web01.vmx"),
        "displayName = \"web\u{1b}[8m01\u{202e}exe.txt\"\nguestOS = \"ubuntu-64\"\n\
         ethernet0.present = \"TRUE\"\nethernet0.networkName = \"evil\u{1b}]8;;http://x\u{7}net\"\n\
         ide1:0.present = \"TRUE\"\nide1:0.deviceType = \"cdrom-image\"\n\
         ide1:0.fileName = \"/vmfs/volumes/local\u{9b}2J/x.iso\"\nide1:0.startConnected = \"TRUE\"\n",
    )
    .expect("vmx");
    let fleet = format!(
        "[fleet]\nname = \"fleet{ESC_CLEAR}\"\n\n\
         [[host]]\nname = \"esx{OSC52}01\"\ncluster = \"prod{RLO}\"\nprofile = \"xeon-e5-2600-v3\"\n\
         vms_dir = \"vms/h1\"\nport_groups = [\"VM Network\", \"vMotion{CSI8}\"]\n\
         datastores = [\"san{ESC_CLEAR}\"]\n\n\
         [[host]]\nname = \"esx02{RLO}\"\ncluster = \"prod{RLO}\"\nprofile = \"xeon-e5-2600-v4\"\n\
         port_groups = [\"VM Network\", \"vmotion{CSI8}\"]\ndatastores = [\"san2\"]\n"
    );
    let path = d.join("fleet.toml");
    std::fs::write(&path, fleet).expect("fleet");
    path
}

#[test]
fn hostile_names_through_every_command_come_out_escaped() {
    let d = dir("fleet");
    hostile_fleet(&d);
    let mut seen_escape = 0;
    for args in [
        &["audit", "fleet.toml"][..],
        &["audit", "fleet.toml", "--format", "json"],
        &["audit", "fleet.toml", "--only", "network"],
        &[
            "audit",
            "fleet.toml",
            "--only",
            "storage",
            "--format",
            "json",
        ],
        &["vms", "fleet.toml"],
        &["vms", "fleet.toml", "--format", "json"],
        &["mask", "fleet.toml"],
        &["mask", "fleet.toml", "--format", "json"],
        &["check", "fleet.toml", "--candidate", "xeon-e5-2600-v2"],
        &[
            "check",
            "fleet.toml",
            "--candidate",
            "xeon-e5-2600-v2",
            "--format",
            "json",
        ],
    ] {
        let (code, stdout, stderr) = run(args, &d);
        let what = args.join(" ");
        assert_clean(&what, code, &stdout, &stderr);
        assert_ne!(code, 2, "{what}: {stderr}");
        if stdout.contains("\\x1b") || stdout.contains("\\u001b") {
            seen_escape += 1;
        }
        if args.contains(&"json") {
            let v: serde_json::Value = serde_json::from_str(&stdout)
                .unwrap_or_else(|e| panic!("{what}: not one JSON document: {e}\n{stdout}"));
            // The JSON keeps the exact value (the escape is JSON's own).
            let all = v.to_string();
            if args[0] == "audit" || args[0] == "vms" {
                assert!(all.contains("esx02\u{202e}"), "{what}: {all}");
            }
        }
    }
    assert!(
        seen_escape >= 6,
        "the hostile names must stay visible, escaped"
    );
    // The table names the hostile host visibly: its ESC shown as \x1b.
    let (_, stdout, _) = run(&["audit", "fleet.toml"], &d);
    assert!(stdout.contains("esx\\x1b]52;c;ZXZpbA==\\x0701"), "{stdout}");
    assert!(stdout.contains("esx02\\u{202e}"), "{stdout}");
    let (_, stdout, _) = run(&["vms", "fleet.toml"], &d);
    assert!(stdout.contains("web\\x1b[8m01\\u{202e}exe.txt"), "{stdout}");
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn hostile_input_quoted_in_errors_comes_out_escaped() {
    let d = dir("errors");
    // A dump file whose bad line quotes an ESC sequence and a bidi override.
    std::fs::write(
        d.join("bad.txt"),
        "CPU 0:\n   0x00000000 0x00: eax=\u{1b}[2J\u{202e}zz\n",
    )
    .expect("bad dump");
    // A fleet file with a hostile unknown key and a hostile profile name.
    std::fs::write(
        d.join("badfleet.toml"),
        format!("[fleet]\nname = \"x\"\n[[host]]\nname = \"h\"\nprofile = \"nope{OSC52}\"\n"),
    )
    .expect("fleet");
    std::fs::write(
        d.join("mask.vmx"),
        "featMask.vm.cpuid.\u{202e}X = \"Val:0\"\ncpuid.1.ecx = \"----\u{1b}[2J\"\n",
    )
    .expect("mask");
    for args in [
        &["report", "--dump", "bad.txt"][..],
        &["diff", "bad.txt", "xeon-e5-2600-v3"],
        &["diff", "nope\u{1b}[2J", "xeon-e5-2600-v3"],
        &["audit", "badfleet.toml"],
        &["\u{1b}]52;c;eA==\u{7}"],
        &["audit", "--deadline", "\u{1b}[2J"],
        &["mask", "--explain", "mask.vmx"],
        &["mask", "--explain", "cpuid.1.ecx\u{9b}2J = \"0\""],
        &["check", "badfleet.toml", "--candidate", "\u{202e}x"],
    ] {
        let (code, stdout, stderr) = run(args, &d);
        let what = format!("{args:?}");
        assert_clean(&what, code, &stdout, &stderr);
        assert_eq!(
            code, 2,
            "{what}: expected a bad-input error\n{stdout}{stderr}"
        );
        if args.len() == 1 {
            // clap drops what looks like an ANSI sequence from the mistyped word.
            continue;
        }
        assert!(
            ["\\x1b", "\\u{1b}", "\\u{202e}", "\\u{9b}"]
                .iter()
                .any(|e| stderr.contains(e)),
            "{what}: the hostile input must be shown escaped: {stderr}"
        );
    }
    let _ = std::fs::remove_dir_all(&d);
}

/// Issue 15, item 1: look-alike characters. A host named `esх01` with a
/// Cyrillic `х` (U+0445), a port group `vМotion` with a Cyrillic `М` (U+041C)
/// and a datastore `sаn` with a Cyrillic `а` (U+0430) read as the Latin names
/// they imitate; in text output the look-alike letters are shown escaped, while
/// the real Latin names and a wholly Cyrillic name pass unchanged, and JSON
/// keeps the exact values.
#[test]
fn lookalike_letters_in_latin_names_are_shown_escaped() {
    let d = dir("lookalike");
    std::fs::write(
        d.join("fleet.toml"),
        "[fleet]\nname = \"lookalike\"\n\n\
         [[host]]\nname = \"es\u{445}01\"\ncluster = \"prod\"\nprofile = \"xeon-e5-2600-v3\"\n\
         port_groups = [\"VM Network\", \"v\u{41c}otion\", \"Сеть\"]\ndatastores = [\"s\u{430}n\"]\n\n\
         [[host]]\nname = \"esx02\"\ncluster = \"prod\"\nprofile = \"xeon-e5-2600-v4\"\n\
         port_groups = [\"VM Network\", \"vMotion\", \"Сеть\"]\ndatastores = [\"san\"]\n",
    )
    .expect("fleet");
    let (code, stdout, stderr) = run(&["audit", "fleet.toml"], &d);
    assert_clean("audit", code, &stdout, &stderr);
    for escaped in ["es\\u{445}01", "v\\u{41c}otion", "s\\u{430}n"] {
        assert!(stdout.contains(escaped), "{escaped} not shown:\n{stdout}");
    }
    // No raw look-alike letter in a Latin word is left.
    for raw in ['\u{445}', '\u{41c}', '\u{430}'] {
        assert!(
            !stdout
                .split_whitespace()
                .any(|w| w.contains(raw) && w.chars().any(|c| c.is_ascii_alphabetic())),
            "raw {raw:?} in a Latin word:\n{stdout}"
        );
    }
    assert!(stdout.contains("esx02"), "{stdout}");
    let (_, net, _) = run(&["audit", "fleet.toml", "--only", "network"], &d);
    assert!(
        net.contains("v\\u{41c}otion") && net.contains("vMotion"),
        "{net}"
    );
    // JSON keeps the exact names.
    let (_, json, _) = run(&["audit", "fleet.toml", "--format", "json"], &d);
    let v: serde_json::Value = serde_json::from_str(&json).expect("one JSON document");
    let all = v.to_string();
    assert!(all.contains("es\u{445}01"), "{all}");
    // An error quoting a look-alike name shows it escaped too.
    let (code, _, stderr) = run(&["diff", "xeon-e5-2600-v\u{4e0}", "xeon-e5-2600-v4"], &d);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("v\\u{4e0}"), "{stderr}");
    let _ = std::fs::remove_dir_all(&d);
}
