//! The `.vmsd` beside a `.vmx` (its snapshot list) and the runtime facts an ESXi
//! host reports about a VM (`vim-cmd vmsvc/get.summary` or `get.guest`).

use serde::Serialize;

use crate::util::error::Result;

/// The snapshots a `.vmsd` lists.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Snapshots {
    /// `snapshot.numSnapshots` (or the number of `snapshotN.uid` entries when absent).
    pub count: usize,
    /// Their display names, as listed.
    pub names: Vec<String>,
}

/// Reads `.vmsd` text (the `.vmx` syntax); `origin` names it in errors.
pub fn parse(text: &str, origin: &str) -> Result<Snapshots> {
    let v = super::vmx::parse(text, origin)?;
    let listed = v.devices("snapshot");
    let names: Vec<String> = listed
        .iter()
        .filter_map(|d| v.get(&format!("{d}.displayName")).map(str::to_string))
        .collect();
    let count = v
        .get("snapshot.numSnapshots")
        .and_then(|n| n.trim().parse::<usize>().ok())
        .unwrap_or_else(|| {
            listed
                .iter()
                .filter(|d| v.get(&format!("{d}.uid")).is_some())
                .count()
        });
    Ok(Snapshots { count, names })
}

/// What the host reports about a running VM.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Runtime {
    /// `poweredOn`, `poweredOff`, `suspended`, if reported.
    pub power_state: Option<String>,
    /// `toolsOk`, `toolsNotInstalled`, `toolsNotRunning`, `toolsOld`, if reported.
    pub tools_status: Option<String>,
    /// `guestToolsRunning`, `guestToolsNotRunning`, ..., if reported.
    pub tools_running: Option<String>,
}

impl Runtime {
    /// True when the VM is known to be powered off (or suspended).
    pub fn is_off(&self) -> bool {
        matches!(
            self.power_state.as_deref(),
            Some("poweredOff") | Some("suspended")
        )
    }

    /// Why the VM has no heartbeat, if the host says it has none.
    pub fn no_heartbeat(&self) -> Option<&'static str> {
        if self.tools_status.as_deref() == Some("toolsNotInstalled") {
            Some("VMware Tools is not installed")
        } else if self.tools_running.as_deref() == Some("guestToolsNotRunning")
            || self.tools_status.as_deref() == Some("toolsNotRunning")
        {
            Some("VMware Tools is not running")
        } else {
            None
        }
    }
}

/// Reads `vim-cmd vmsvc/get.summary` or `get.guest` output: the
/// `powerState`, `toolsStatus` and `toolsRunningStatus` fields, wherever they are.
pub fn parse_runtime(text: &str) -> Runtime {
    let mut r = Runtime::default();
    for line in text.lines() {
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        let v = v
            .trim()
            .trim_end_matches(',')
            .trim()
            .trim_matches('"')
            .to_string();
        if v.is_empty() || v == "<unset>" {
            continue;
        }
        match k.trim() {
            "powerState" => r.power_state = Some(v),
            "toolsStatus" => r.tools_status = Some(v),
            "toolsRunningStatus" => r.tools_running = Some(v),
            _ => {}
        }
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshots_and_runtime() {
        let s = parse(
            ".encoding = \"UTF-8\"\nsnapshot.lastUID = \"2\"\nsnapshot.current = \"2\"\nsnapshot0.uid = \"1\"\nsnapshot0.displayName = \"before patch\"\nsnapshot1.uid = \"2\"\nsnapshot1.displayName = \"after\"\nsnapshot.numSnapshots = \"2\"\n",
            "x.vmsd",
        )
        .expect("parses");
        assert_eq!(s.count, 2);
        assert_eq!(s.names, vec!["before patch", "after"]);
        assert_eq!(parse("", "x").expect("empty").count, 0);
        let r = parse_runtime(
            "Listsummary:\n(vim.vm.Summary) {\n   runtime = (vim.vm.RuntimeInfo) {\n      powerState = \"poweredOn\",\n   },\n   guest = (vim.vm.Summary.GuestSummary) {\n      toolsStatus = \"toolsNotRunning\",\n      toolsRunningStatus = \"guestToolsNotRunning\",\n   },\n}\n",
        );
        assert_eq!(r.power_state.as_deref(), Some("poweredOn"));
        assert_eq!(r.no_heartbeat(), Some("VMware Tools is not running"));
        assert!(!r.is_off());
        assert_eq!(parse_runtime("toolsStatus = <unset>").no_heartbeat(), None);
    }
}

#[cfg(test)]
mod props {
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn any_text_parses_or_names_a_line(text in "[a-zA-Z0-9:._\"|# =\\r\\n\u{e9}-]{0,200}") {
            let _ = super::parse(&text, "p.vmsd");
            let _ = super::parse_runtime(&text);
        }
    }
}
