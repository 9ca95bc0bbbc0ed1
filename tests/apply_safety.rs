//! `mask --apply` as an editor would behave (issue 15, item 5), each test from
//! its symptom: it rewrote a 0444 file as a user without write permission to it;
//! changed the owner of a file; split hard links; left an unmentioned `.bak`
//! when it failed in a sticky directory; made backup and temp files readable by
//! everyone before narrowing their mode; left `*.vmcompat-PID.tmp` after a kill;
//! was not idempotent on CR-only files; did not say which lines it replaced or
//! that the VM must be powered off and reloaded.
//!
//! Tests that need another user run the binary as `nobody` (uid 65534) and are
//! skipped, saying so, when not run as root.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_vmcompat");
const NOBODY: u32 = 65534;

struct Dir(PathBuf);
impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn dir(name: &str, mode: u32) -> Dir {
    let d = std::env::temp_dir().join(format!("vmcompat-apply-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("dir");
    std::fs::set_permissions(&d, std::fs::Permissions::from_mode(mode)).expect("chmod");
    std::fs::write(
        d.join("fleet.toml"),
        "[fleet]\nname = \"two\"\n\n[[host]]\nname = \"a\"\nprofile = \"xeon-e5-2600-v3\"\n\n\
         [[host]]\nname = \"b\"\nprofile = \"xeon-e5-2600-v4\"\n",
    )
    .expect("fleet");
    std::fs::set_permissions(d.join("fleet.toml"), std::fs::Permissions::from_mode(0o644))
        .expect("chmod");
    Dir(d)
}

fn is_root() -> bool {
    // SAFETY: geteuid cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// Runs `vmcompat mask fleet.toml --apply VMX [extra]` in `d`, as `uid` if given.
fn apply(d: &Path, vmx: &str, extra: &[&str], uid: Option<u32>) -> (i32, String) {
    let mut c = Command::new(BIN);
    c.args(["mask", "fleet.toml", "--apply", vmx])
        .args(extra)
        .current_dir(d);
    if let Some(u) = uid {
        c.uid(u).gid(u);
    }
    let out = c.output().expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const VMX: &str =
    "displayName = \"web\"\ncpuid.1.ecx = \"----:----:----:----:----:----:----:---0\"\n";

fn names(d: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(d)
        .expect("dir")
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect();
    v.sort();
    v
}

#[test]
fn says_what_it_replaced_and_that_the_vm_must_be_off() {
    let d = dir("say", 0o755);
    std::fs::write(d.0.join("vm.vmx"), VMX).expect("vmx");
    let (code, stderr) = apply(&d.0, "vm.vmx", &[], None);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("  - cpuid.1.ecx = \"----:----:----:----:----:----:----:---0\""),
        "{stderr}"
    );
    assert!(stderr.contains("  + cpuid.7.0.ebx"), "{stderr}");
    assert!(
        stderr.contains("powered off") && stderr.contains("reload"),
        "{stderr}"
    );
    let (code, stderr) = apply(&d.0, "vm.vmx", &[], None);
    assert_eq!(code, 0);
    assert!(stderr.contains("already carries this mask"), "{stderr}");
}

#[test]
fn read_only_files_are_refused_unless_forced_and_keep_their_mode() {
    let d = dir("ro", 0o755);
    let vmx = d.0.join("vm.vmx");
    std::fs::write(&vmx, VMX).expect("vmx");
    std::fs::set_permissions(&vmx, std::fs::Permissions::from_mode(0o444)).expect("chmod");
    let (code, stderr) = apply(&d.0, "vm.vmx", &[], None);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("read-only (mode 0444)") && stderr.contains("--force"),
        "{stderr}"
    );
    assert_eq!(std::fs::read_to_string(&vmx).expect("read"), VMX);
    assert_eq!(names(&d.0), ["fleet.toml", "vm.vmx"], "no backup left");
    let (code, stderr) = apply(&d.0, "vm.vmx", &["--force"], None);
    assert_eq!(code, 0, "{stderr}");
    assert_ne!(std::fs::read_to_string(&vmx).expect("read"), VMX);
    assert_eq!(
        std::fs::metadata(&vmx).expect("meta").mode() & 0o7777,
        0o444
    );
    assert_eq!(
        std::fs::metadata(d.0.join("vm.vmx.bak"))
            .expect("bak")
            .mode()
            & 0o7777,
        0o444
    );
}

#[test]
fn a_user_without_write_permission_is_refused_even_in_a_writable_directory() {
    if !is_root() {
        eprintln!("NOTE: SKIPPED: needs root to run as another user");
        return;
    }
    let d = dir("noperm", 0o777);
    let vmx = d.0.join("vm.vmx");
    std::fs::write(&vmx, VMX).expect("vmx");
    std::fs::set_permissions(&vmx, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let (code, stderr) = apply(&d.0, "vm.vmx", &[], Some(NOBODY));
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("no permission to write it (mode 0644, owner uid 0"),
        "{stderr}"
    );
    let (code, stderr) = apply(&d.0, "vm.vmx", &["--force"], Some(NOBODY));
    assert_eq!(code, 2, "--force does not give rights: {stderr}");
    assert_eq!(std::fs::read_to_string(&vmx).expect("read"), VMX);
    assert_eq!(names(&d.0), ["fleet.toml", "vm.vmx"], "no backup left");
}

#[test]
fn owner_mode_and_hard_links_are_kept_and_sticky_directories_work() {
    if !is_root() {
        eprintln!("NOTE: SKIPPED: needs root to chown and run as another user");
        return;
    }
    // A sticky, world-writable directory (like /tmp); the file belongs to uid
    // 4321 and is writable by all, with a second hard link.
    let d = dir("owner", 0o1777);
    let vmx = d.0.join("vm.vmx");
    std::fs::write(&vmx, VMX).expect("vmx");
    std::os::unix::fs::chown(&vmx, Some(4321), Some(4321)).expect("chown");
    std::fs::set_permissions(&vmx, std::fs::Permissions::from_mode(0o666)).expect("chmod");
    std::fs::hard_link(&vmx, d.0.join("link.vmx")).expect("link");
    let ino = std::fs::metadata(&vmx).expect("meta").ino();
    let (code, stderr) = apply(&d.0, "vm.vmx", &[], Some(NOBODY));
    assert_eq!(code, 0, "{stderr}");
    let m = std::fs::metadata(&vmx).expect("meta");
    assert_eq!(
        (m.ino(), m.uid(), m.mode() & 0o7777, m.nlink()),
        (ino, 4321, 0o666, 2)
    );
    assert_eq!(
        std::fs::read(&vmx).expect("read"),
        std::fs::read(d.0.join("link.vmx")).expect("read")
    );
    assert!(
        stderr.contains("vm.vmx.bak"),
        "the backup is named: {stderr}"
    );
    // As root: a root-run --apply keeps the file's owner, and gives the backup the same.
    let (code, stderr) = apply(&d.0, "link.vmx", &["--groups", "A"], None);
    assert!(code == 0 || code == 2, "{stderr}");
    assert_eq!(std::fs::metadata(&vmx).expect("meta").uid(), 4321);
}

#[test]
fn backups_are_never_wider_than_the_original_and_cr_only_files_round_trip() {
    let d = dir("cr", 0o755);
    let vmx = d.0.join("vm.vmx");
    std::fs::write(&vmx, VMX.replace('\n', "\r")).expect("vmx");
    std::fs::set_permissions(&vmx, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let (code, stderr) = apply(&d.0, "vm.vmx", &[], None);
    assert_eq!(code, 0, "{stderr}");
    let after = std::fs::read(&vmx).expect("read");
    assert!(
        !after.contains(&b'\n'),
        "CR-only endings kept: {:?}",
        String::from_utf8_lossy(&after)
    );
    assert!(
        after.starts_with(b"displayName = \"web\"\rcpuid."),
        "{:?}",
        String::from_utf8_lossy(&after)
    );
    let (code, stderr) = apply(&d.0, "vm.vmx", &[], None);
    assert_eq!(code, 0);
    assert!(
        stderr.contains("already carries this mask"),
        "idempotent: {stderr}"
    );
    assert_eq!(
        std::fs::metadata(d.0.join("vm.vmx.bak"))
            .expect("bak")
            .mode()
            & 0o7777,
        0o600
    );
}

#[test]
fn stale_temp_files_of_killed_runs_are_cleaned_up() {
    let d = dir("stale", 0o755);
    // A PID that surely ran and ended.
    let mut child = Command::new("true").spawn().expect("true");
    let dead = child.id();
    child.wait().expect("wait");
    let stale = d.0.join(format!(".report.html.vmcompat-{dead}.tmp"));
    std::fs::write(&stale, "half").expect("stale");
    let live = d.0.join(format!(".report.html.vmcompat-{}.tmp", 1));
    std::fs::write(&live, "pid 1 lives").expect("live");
    let out = Command::new(BIN)
        .args(["audit", "fleet.toml", "--html", "report.html"])
        .current_dir(&d.0)
        .output()
        .expect("runs");
    assert!(out.status.code().is_some_and(|c| c < 2), "{out:?}");
    assert!(!stale.exists(), "the dead run's temp file is gone");
    assert!(live.exists(), "a live process's file is left alone");
    assert!(d.0.join("report.html").exists());
}
