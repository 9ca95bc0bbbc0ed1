//! Finding and reading VMs: every `.vmx` under a local directory, or every VM an
//! ESXi host lists (`vim-cmd vmsvc/getallvms`) read over SSH.
//!
//! A local directory laid out like `/vmfs/volumes` (`DATASTORE/VM/VM.vmx`) tells
//! each VM's home datastore. Beside `VM.vmx`, `VM.vmsd` gives its snapshots and
//! `VM.summary` (saved `vim-cmd vmsvc/get.summary` output) its power state and
//! VMware Tools status.

use std::path::{Path, PathBuf};

use crate::model::vm::VmSource;
use crate::model::{vmsd, vmx};
use crate::sources::ssh::transport::Session;
use crate::sources::ssh::{
    text, within_deadline, FailureKind, RemoteError, SshOptions, Target, Unfinished,
};
use crate::util::error::{Error, Result};
use crate::util::text::snippet;

/// Directory levels searched below `vms_dir`.
const MAX_DEPTH: usize = 8;
/// Largest `.vmx`/`.vmsd`/summary file read (real ones are a few KiB).
const MAX_BYTES: u64 = 4 * 1024 * 1024;

fn read_small(path: &Path) -> std::result::Result<String, String> {
    let bytes = crate::util::local_file::read_bytes(path, MAX_BYTES).map_err(|e| e.to_string())?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

fn find_vmx(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.filter_map(|e| e.ok()).collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let Ok(kind) = e.file_type() else { continue };
        let path = e.path();
        if kind.is_dir() && depth < MAX_DEPTH {
            find_vmx(&path, depth + 1, out)?;
        } else if kind.is_file()
            && path
                .extension()
                .is_some_and(|x| x.eq_ignore_ascii_case("vmx"))
        {
            out.push(path);
        }
    }
    Ok(())
}

fn sibling(vmx_path: &Path, ext: &str) -> PathBuf {
    vmx_path.with_extension(ext)
}

/// Builds a VM from its texts (shared by the directory and SSH readers, so both
/// give the same result for the same files).
fn assemble(
    host: &str,
    listed_name: Option<&str>,
    path: String,
    origin: &str,
    home_datastore: Option<String>,
    vmx_text: &str,
    vmsd_text: Option<(&str, String)>,
) -> VmSource {
    let fallback = listed_name.map(str::to_string).unwrap_or_else(|| {
        Path::new(origin)
            .file_stem()
            .map_or_else(|| origin.to_string(), |s| s.to_string_lossy().into_owned())
    });
    let parsed = vmx::parse(vmx_text, origin);
    let mut vm = match parsed {
        Ok(v) => {
            let name = v.get("displayName").map_or(fallback, str::to_string);
            VmSource {
                home_datastore,
                ..VmSource::new(host, &name, &path, v)
            }
        }
        Err(e) => return VmSource::unreadable(host, &fallback, &path, e.to_string()),
    };
    if let Some((text, origin)) = vmsd_text {
        match vmsd::parse(text, &origin) {
            Ok(s) => vm.snapshots = Some(s),
            Err(e) => vm.problem = Some(e.to_string()),
        }
    }
    vm
}

/// Reads every `.vmx` under `dir` (recursively) as VMs of `host`.
pub fn read_dir(host: &str, dir: &Path) -> Result<Vec<VmSource>> {
    let mut files = Vec::new();
    find_vmx(dir, 0, &mut files).map_err(|e| Error::reading(dir, e))?;
    let mut out = Vec::with_capacity(files.len());
    for f in files {
        let origin = f.display().to_string();
        let rel: Vec<String> = f
            .strip_prefix(dir)
            .unwrap_or(&f)
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        let (ds, path) = if rel.len() >= 3 {
            (
                Some(rel[0].clone()),
                format!("[{}] {}", rel[0], rel[1..].join("/")),
            )
        } else {
            (None, origin.clone())
        };
        let vmx_text = match read_small(&f) {
            Ok(t) => t,
            Err(e) => {
                let name = f
                    .file_stem()
                    .map_or(String::new(), |s| s.to_string_lossy().into_owned());
                out.push(VmSource::unreadable(host, &name, &path, e));
                continue;
            }
        };
        let vmsd_path = sibling(&f, "vmsd");
        let vmsd = read_small(&vmsd_path).ok();
        let runtime = read_small(&sibling(&f, "summary"))
            .ok()
            .map(|t| vmsd::parse_runtime(&t));
        let mut vm = assemble(
            host,
            None,
            path,
            &origin,
            ds,
            &vmx_text,
            vmsd.as_deref()
                .map(|t| (t, vmsd_path.display().to_string())),
        );
        vm.runtime = runtime;
        out.push(vm);
    }
    Ok(out)
}

/// One line of `vim-cmd vmsvc/getallvms`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedVm {
    /// The VM id (`vim-cmd vmsvc/... <id>`).
    pub id: u64,
    /// Its name.
    pub name: String,
    /// The datastore of its `.vmx`.
    pub datastore: String,
    /// The `.vmx` path inside the datastore.
    pub file: String,
}

impl ListedVm {
    /// `/vmfs/volumes/<datastore>/<file>`.
    pub fn vmx_path(&self) -> String {
        format!("/vmfs/volumes/{}/{}", self.datastore, self.file)
    }
}

/// Parses `vim-cmd vmsvc/getallvms`: `Vmid Name File Guest-OS Version
/// Annotation` rows, the file as `[datastore1] web01/web01.vmx`. Names may hold
/// spaces; annotation continuation lines (no leading id) are skipped.
pub fn parse_getallvms(out: &str) -> Vec<ListedVm> {
    let mut vms = Vec::new();
    for line in out.lines() {
        let t = line.trim_start();
        let id_end = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
        let Ok(id) = t[..id_end].parse::<u64>() else {
            continue;
        };
        let rest = &t[id_end..];
        if !rest.starts_with(char::is_whitespace) {
            continue;
        }
        // The file column: the last " [ds] ....vmx" on the line that parses.
        let opens: Vec<usize> = rest.match_indices(" [").map(|(i, _)| i).collect();
        if let Some(vm) = opens
            .iter()
            .rev()
            .find_map(|&open| file_column(id, rest, open))
        {
            vms.push(vm);
        }
    }
    vms
}

fn file_column(id: u64, rest: &str, open: usize) -> Option<ListedVm> {
    let name = rest[..open].trim().to_string();
    let file_part = &rest[open + 1..];
    let close = file_part.find(']')?;
    let datastore = file_part[1..close].to_string();
    let after = file_part[close + 1..].trim_start();
    let end = after.to_ascii_lowercase().find(".vmx")?;
    let file = after[..end + 4].to_string();
    if name.is_empty() || datastore.is_empty() || file.len() <= 4 {
        return None;
    }
    Some(ListedVm {
        id,
        name,
        datastore,
        file,
    })
}

/// Quotes a string for a POSIX shell.
pub fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// What [`read_esxi_running`] reads: every VM with the tail of its
/// `vmware.log` (`None`: none, or unreadable), and the host's ESXi release.
#[derive(Debug, Clone, Default)]
pub struct RunningVms {
    /// Each VM, with the last [`super::runlog::TAIL_BYTES`] of its `vmware.log`.
    pub vms: Vec<(VmSource, Option<String>)>,
    /// The host's release (`vmware -vl`), when it could be read.
    pub esxi_version: Option<crate::model::esxi_version::EsxiVersion>,
}

/// The command that prints the tail of the `vmware.log` beside `vmx_path`
/// (`/vmfs/volumes/DS/VM/VM.vmx`), bounded in bytes.
pub fn log_tail_command(vmx_path: &str) -> String {
    let dir = vmx_path.rsplit_once('/').map_or(".", |(d, _)| d);
    format!(
        "tail -c {} {}",
        super::runlog::TAIL_BYTES,
        shell_quote(&format!("{dir}/vmware.log"))
    )
}

fn read_remote(
    session: &mut dyn Session,
    host: &str,
    target: &Target,
    opts: &SshOptions,
) -> std::result::Result<Vec<VmSource>, RemoteError> {
    Ok(read_remote_full(session, host, target, opts, false)?
        .vms
        .into_iter()
        .map(|(v, _)| v)
        .collect())
}

/// Reads the VMs; with `running`, also each VM's `vmware.log` tail and the
/// host's release (one more command per VM, each under the same time limit
/// and output cap as every remote command).
fn read_remote_full(
    session: &mut dyn Session,
    host: &str,
    target: &Target,
    opts: &SshOptions,
    running: bool,
) -> std::result::Result<RunningVms, RemoteError> {
    let t = opts.deadline;
    let mut result = RunningVms::default();
    if running {
        let vl = session.exec("vmware -vl", t)?;
        if vl.status == Some(0) {
            result.esxi_version =
                crate::model::esxi_version::parse_vmware_vl(&text(&vl.stdout)).ok();
        }
    }
    let list = session.exec("vim-cmd vmsvc/getallvms", t)?;
    if list.status != Some(0) {
        let kind = if list.status == Some(127) {
            FailureKind::CommandMissing
        } else {
            FailureKind::Malformed
        };
        return Err(RemoteError::new(
            kind,
            format!(
                "`vim-cmd vmsvc/getallvms` on {target} exited with status {:?}: {}",
                list.status,
                snippet(&text(&list.stderr), 200)
            ),
        ));
    }
    let out = &mut result.vms;
    for vm in parse_getallvms(&text(&list.stdout)) {
        let path = vm.vmx_path();
        let shown = format!("[{}] {}", vm.datastore, vm.file);
        let cat = session.exec(&format!("cat {}", shell_quote(&path)), t)?;
        if cat.status != Some(0) {
            out.push((
                VmSource::unreadable(
                    host,
                    &vm.name,
                    &shown,
                    format!(
                        "cannot read {path} on {target}: {}",
                        snippet(&text(&cat.stderr), 160)
                    ),
                ),
                None,
            ));
            continue;
        }
        let vmsd_path = format!("{}.vmsd", path.get(..path.len() - 4).unwrap_or(&path));
        let vmsd = session.exec(&format!("cat {}", shell_quote(&vmsd_path)), t)?;
        let vmsd_text = (vmsd.status == Some(0)).then(|| text(&vmsd.stdout));
        let summary = session.exec(&format!("vim-cmd vmsvc/get.summary {}", vm.id), t)?;
        let runtime =
            (summary.status == Some(0)).then(|| vmsd::parse_runtime(&text(&summary.stdout)));
        let mut read = assemble(
            host,
            Some(&vm.name),
            shown,
            &format!("{target}:{path}"),
            Some(vm.datastore.clone()),
            &text(&cat.stdout),
            vmsd_text
                .as_deref()
                .map(|s| (s, format!("{target}:{vmsd_path}"))),
        );
        read.runtime = runtime;
        let log = if running {
            let tail = session.exec(&log_tail_command(&path), t)?;
            (tail.status == Some(0) && !tail.stdout.is_empty()).then(|| text(&tail.stdout))
        } else {
            None
        };
        out.push((read, log));
    }
    Ok(result)
}

/// Reads every VM an ESXi host lists, over SSH, within `opts.deadline`.
pub fn read_esxi(host: &str, target: &Target, opts: &SshOptions) -> Result<Vec<VmSource>> {
    in_thread(host, target, opts, false, |session, h, t, o| {
        read_remote(session, h, t, o)
    })
}

/// [`read_esxi`], with each VM's `vmware.log` tail (`tail -c`, the last
/// [`super::runlog::TAIL_BYTES`], as for a local VM folder) and the host's
/// release (`vmware -vl`): what a running VM uses, for `vms --evc-mode`.
pub fn read_esxi_running(host: &str, target: &Target, opts: &SshOptions) -> Result<RunningVms> {
    in_thread(host, target, opts, true, |session, h, t, o| {
        read_remote_full(session, h, t, o, true)
    })
}

/// Runs `read` on one SSH session within `opts.deadline` ([`within_deadline`]).
fn in_thread<R: Send + 'static>(
    host: &str,
    target: &Target,
    opts: &SshOptions,
    logs: bool,
    read: fn(&mut dyn Session, &str, &Target, &SshOptions) -> std::result::Result<R, RemoteError>,
) -> Result<R> {
    let (t, o, h) = (target.clone(), opts.clone(), host.to_string());
    let result = within_deadline(target, opts, "vms", move |session, a| {
        a.note(if logs {
            "reading the VMs and their vmware.log (vim-cmd vmsvc/getallvms, cat, tail)"
        } else {
            "reading the VMs (vim-cmd vmsvc/getallvms, cat)"
        });
        read(session, &h, &t, &o)
    });
    let collect_err = |message: String| Error::Collect {
        host: format!("{host} ({target})"),
        message,
    };
    result.map_err(|u| match u {
        Unfinished::Failed(e) => collect_err(e.to_string()),
        Unfinished::NoThread(e) => collect_err(format!("cannot start a thread: {e}")),
        Unfinished::TimedOut { .. } => collect_err(format!(
            "reading the VMs took longer than the deadline of {} s; raise `deadline`",
            opts.deadline.as_secs()
        )),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn getallvms_rows() {
        let out = "Vmid     Name                  File                     Guest OS       Version   Annotation\n\
1      web01         [datastore1] web01/web01.vmx      ubuntu64Guest   vmx-19    \n\
12     my db [old]   [SAN LUN 7] my db/my db.VMX   rhel8_64Guest   vmx-19    line one\n\
continued annotation 3 [x] y.vmx\n\
x      junk\n";
        let vms = parse_getallvms(out);
        assert_eq!(vms.len(), 2, "{vms:?}");
        assert_eq!(
            vms[0].vmx_path(),
            "/vmfs/volumes/datastore1/web01/web01.vmx"
        );
        assert_eq!(vms[1].id, 12);
        assert_eq!(vms[1].name, "my db [old]");
        assert_eq!(vms[1].datastore, "SAN LUN 7");
        assert_eq!(vms[1].file, "my db/my db.VMX");
        assert_eq!(shell_quote("a'b"), "'a'\\''b'");
        assert_eq!(
            log_tail_command("/vmfs/volumes/ds 1/it's/it's.vmx"),
            "tail -c 8388608 '/vmfs/volumes/ds 1/it'\\''s/vmware.log'"
        );
    }
}

#[cfg(test)]
mod props {
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn any_getallvms_text_parses(text in "[a-zA-Z0-9:._\"|# =\\r\\n\u{e9}-]{0,200}") {
            let _ = super::parse_getallvms(&text);
        }
    }
}
