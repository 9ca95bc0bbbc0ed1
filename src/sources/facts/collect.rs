//! Gathering every host's facts: declared ones from the fleet file, the others
//! over SSH (one script, one round trip per host, under the per-host deadline).

use super::esxi::FactsError;
use crate::model::facts::FactsHost;
use crate::model::facts::HostFacts;
use crate::sources::fleet::file::{HostSourceSpec, HostSpec};
use crate::sources::fleet::remote::RemoteSettings;
use crate::sources::ssh::{text, within_deadline, SshOptions, Target, Unfinished};

/// Runs `script` on `target` and returns its standard output, all within
/// `opts.deadline` ([`within_deadline`]).
pub fn run_script(target: &Target, opts: &SshOptions, script: String) -> Result<String, String> {
    let deadline = opts.deadline;
    let out = within_deadline(target, opts, "facts", move |s, a| {
        a.note("running the storage/network commands");
        s.exec(&script, deadline)
    });
    match out {
        Ok(out) => Ok(text(&out.stdout)),
        Err(Unfinished::Failed(e)) => Err(e.to_string()),
        Err(Unfinished::NoThread(e)) => Err(format!("cannot start a thread for this host: {e}")),
        Err(Unfinished::TimedOut { .. }) => Err(format!(
            "timed out: no storage/network facts within the per-host deadline of {} s",
            opts.deadline.as_secs_f64()
        )),
    }
}

/// One host's facts: declared ones if the fleet file gives any, else read over
/// SSH for `ssh`/`esxi` hosts; `None` for other hosts with nothing declared.
pub fn host_facts(spec: &HostSpec, settings: &RemoteSettings) -> Option<Result<HostFacts, String>> {
    if let Some(f) = super::declared::from_spec(spec) {
        return Some(Ok(f));
    }
    let (r, esxi) = match &spec.source {
        HostSourceSpec::Vcenter(h) => return Some(Ok(h.facts.clone())),
        HostSourceSpec::Ssh(r) => (r, false),
        HostSourceSpec::Esxi(r) => (r, true),
        _ => return None,
    };
    let opts = r.options(&settings.ssh);
    let script = if esxi {
        super::esxi::script()
    } else {
        super::linux::script()
    };
    let output = match crate::sources::ssh::prefetch::take(&r.target) {
        Some(read) => read,
        None => run_script(&r.target, &opts, script),
    };
    let parsed = output.and_then(|out| {
        if esxi {
            super::esxi::parse(&out)
        } else {
            super::linux::parse(&out)
        }
        .map_err(|e: FactsError| e.to_string())
    });
    Some(parsed.map_err(|e| format!("{} ({}): {e}", r.target, if esxi { "esxi" } else { "ssh" })))
}

/// The facts script for a kind of remote host (for [`crate::sources::ssh::prefetch`]).
pub fn script_for(kind: crate::sources::ssh::RemoteKind) -> String {
    match kind {
        crate::sources::ssh::RemoteKind::Linux => super::linux::script(),
        crate::sources::ssh::RemoteKind::Esxi => super::esxi::script(),
    }
}

/// Every host's facts (remote ones with bounded concurrency, the others
/// inline); hosts named in `skip` (their CPU could not be collected) are left
/// out with that reason.
pub fn gather(hosts: &[HostSpec], skip: &[String], settings: &RemoteSettings) -> Vec<FactsHost> {
    let skip: std::collections::HashSet<&str> = skip.iter().map(String::as_str).collect();
    let entry = |h: &HostSpec, r: Option<Result<HostFacts, String>>| {
        let (facts, error) = match r {
            None => (None, None),
            Some(Ok(f)) => (Some(f), None),
            Some(Err(e)) => (None, Some(e)),
        };
        FactsHost {
            name: h.name.clone(),
            cluster: h.cluster.clone(),
            facts,
            error,
        }
    };
    let needs_ssh = |h: &HostSpec| {
        !skip.contains(h.name.as_str())
            && super::declared::from_spec(h).is_none()
            && matches!(
                h.source,
                HostSourceSpec::Ssh(_) | HostSourceSpec::Esxi(_) | HostSourceSpec::Vcenter(_)
            )
    };
    let remote: Vec<usize> = (0..hosts.len()).filter(|&i| needs_ssh(&hosts[i])).collect();
    let mut read: Vec<Option<Result<HostFacts, String>>> =
        crate::sources::ssh::pool::run(&remote, settings.jobs, |&i| {
            host_facts(&hosts[i], settings)
        });
    let mut read = remote.iter().copied().zip(read.drain(..)).peekable();
    hosts
        .iter()
        .enumerate()
        .map(|(i, h)| {
            if read.peek().is_some_and(|(j, _)| *j == i) {
                let r = read.next().and_then(|(_, r)| r);
                return entry(h, r);
            }
            if skip.contains(h.name.as_str()) {
                return entry(
                    h,
                    Some(Err("not checked: the host could not be collected".into())),
                );
            }
            entry(h, super::declared::from_spec(h).map(Ok))
        })
        .collect()
}
