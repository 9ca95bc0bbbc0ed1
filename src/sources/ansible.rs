//! Offline collection at scale: the per-host JSON files that
//! `ansible all -m raw -a 'cpuid -r' --tree DIR` (or the `tree` callback) writes,
//! one per inventory host, named after it. `stdout` holds the command's output
//! (lines end in `\r\n`: the raw module uses a pseudo-terminal); a failed host
//! carries `"unreachable": true`, or a non-zero `rc` and a `msg`.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::cpuid::{RawDump, SourceKind};
use crate::sources::formats;
use crate::util::error::{Error, Result};

/// The per-host files of a tree directory, sorted by name (hidden files and
/// sub-directories skipped): (host name, path).
pub fn list(dir: &Path) -> Result<Vec<(String, PathBuf)>> {
    let rd = std::fs::read_dir(dir).map_err(|e| Error::reading(dir, e))?;
    let mut out = Vec::new();
    for entry in rd {
        let entry = entry.map_err(|e| Error::reading(dir, e))?;
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || !path.is_file() {
            continue;
        }
        out.push((name, path));
    }
    out.sort();
    if out.is_empty() {
        return Err(Error::input(
            dir.display().to_string(),
            "the Ansible tree directory holds no per-host file; run \
             `ansible all -m raw -a 'cpuid -r' --tree DIR` first",
        ));
    }
    Ok(out)
}

/// Reads one per-host file into a dump; an unreachable or failed host is an
/// [`Error::Collect`] that carries Ansible's own message.
pub fn read(path: &Path, host: &str) -> Result<RawDump> {
    let text = formats::read_text(path)?;
    parse(&text, host, &path.display().to_string())
}

fn field<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
}

/// Parses one per-host file's text; `origin` names the file.
pub fn parse(text: &str, host: &str, origin: &str) -> Result<RawDump> {
    let v: Value = serde_json::from_str(text).map_err(|e| {
        Error::input(
            origin,
            format!("not an Ansible --tree result (JSON expected): {e}"),
        )
    })?;
    let fail = |message: String| Error::Collect {
        host: host.to_string(),
        message: format!("{message} (Ansible result {origin})"),
    };
    let msg = field(&v, "msg")
        .or_else(|| field(&v, "stderr"))
        .map(|m| crate::util::text::snippet(m, 300))
        .unwrap_or_else(|| "no message".into());
    if v.get("unreachable").and_then(Value::as_bool) == Some(true) {
        return Err(fail(format!("unreachable when Ansible ran: {msg}")));
    }
    let rc = v.get("rc").and_then(Value::as_i64);
    if rc == Some(127) {
        return Err(fail(format!(
            "command missing: `cpuid` is not installed on the host (rc 127): {msg}"
        )));
    }
    if let Some(rc) = rc.filter(|&r| r != 0) {
        return Err(fail(format!("the command failed with rc {rc}: {msg}")));
    }
    if v.get("failed").and_then(Value::as_bool) == Some(true) {
        return Err(fail(format!("Ansible reports failure: {msg}")));
    }
    let Some(stdout) = v.get("stdout").and_then(Value::as_str) else {
        return Err(fail(
            "the result has no `stdout`; run the `raw` module with `cpuid -r`".into(),
        ));
    };
    let stdout = stdout.replace("\r\n", "\n");
    let mut dump = formats::parse_text(&stdout, &format!("{origin} (stdout)"))?;
    dump.provenance.detail = format!(
        "Ansible --tree result ({}), {}",
        dump.provenance.kind.describe(),
        origin
    );
    dump.provenance.kind = SourceKind::Remote;
    dump.provenance.origin = host.to_string();
    Ok(dump)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results() {
        let ok = r#"{"changed": true, "rc": 0, "stdout": "CPU 0:\r\n   0x00000000 0x00: eax=0x00000001 ebx=0x68747541 ecx=0x444d4163 edx=0x69746e65\r\n   0x00000001 0x00: eax=0x00a10f11 ebx=0x00020800 ecx=0xfffa3203 edx=0x178bfbff\r\n"}"#;
        let d = parse(ok, "h1", "t/h1").unwrap();
        assert_eq!(d.first().unwrap().get(1, 0).unwrap().eax, 0x00a10f11);
        assert_eq!(d.provenance.origin, "h1");
        let e = parse(
            r#"{"unreachable": true, "msg": "Failed to connect: refused"}"#,
            "h2",
            "t/h2",
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("h2: unreachable") && e.contains("refused"),
            "{e}"
        );
        let e = parse(
            r#"{"rc": 127, "msg": "non-zero return code", "stdout": "sh: cpuid: not found"}"#,
            "h3",
            "t",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("command missing"), "{e}");
        let e = parse(r#"{"rc": 2, "msg": "boom"}"#, "h", "t")
            .unwrap_err()
            .to_string();
        assert!(e.contains("rc 2") && e.contains("boom"), "{e}");
        assert!(parse("not json", "h", "t").is_err());
        assert!(parse(r#"{"rc": 0, "stdout": "garbage"}"#, "h", "t").is_err());
        assert!(parse(r#"{"rc": 0}"#, "h", "t").is_err());
    }
}
