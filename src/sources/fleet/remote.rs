//! Remote hosts of a fleet: settings from the fleet file and the command line,
//! and collection of every SSH/ESXi host with bounded concurrency.

use std::path::PathBuf;
use std::time::Duration;

use super::file::{FleetSsh, HostSourceSpec, HostSpec};
use crate::cpuid::RawDump;
use crate::sources::ssh::{collect_host, pool, Backend, RemoteKind, SshOptions, Target};
use crate::util::error::Error;

/// SSH settings given on the command line; each overrides the fleet file's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SshArgs {
    /// known_hosts file to check host keys against (default ~/.ssh/known_hosts).
    pub known_hosts: Option<PathBuf>,
    /// Accept and record the keys of hosts not yet in known_hosts (a changed or
    /// revoked key is always refused).
    pub accept_new_host_keys: bool,
    /// SSH transport: libssh2 (default) or openssh (the `ssh` client: honours
    /// ~/.ssh/config, ProxyJump, certificates).
    pub ssh_backend: Option<Backend>,
    /// Private key to log in with (after ssh-agent), instead of ~/.ssh/id_*.
    pub identity: Option<PathBuf>,
    /// Seconds allowed for connecting and the SSH handshake (default 10; 1..=86400).
    pub connect_timeout: Option<u64>,
    /// Hard limit in seconds for everything done with one host (default 60; 1..=86400).
    pub deadline: Option<u64>,
}

/// The longest `deadline` or `connect_timeout` accepted, in seconds (one day):
/// longer ones are surely typos, and absurd ones would overflow the clock.
pub const MAX_SECONDS: u64 = 86_400;

/// Checks a number of seconds given for `key`: 1..=[`MAX_SECONDS`].
pub fn check_seconds(key: &str, value: u64) -> Result<u64, String> {
    if (1..=MAX_SECONDS).contains(&value) {
        Ok(value)
    } else {
        Err(format!(
            "`{key}` is {value} seconds; expected a whole number of seconds from 1 to {MAX_SECONDS} (one day)"
        ))
    }
}

/// Everything needed to collect a fleet's remote hosts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteSettings {
    /// Options shared by every host (a host's own `identity` replaces `identity`).
    pub ssh: SshOptions,
    /// Hosts collected at once.
    pub jobs: usize,
}

impl Default for RemoteSettings {
    fn default() -> RemoteSettings {
        RemoteSettings {
            ssh: SshOptions::default(),
            jobs: pool::DEFAULT_JOBS,
        }
    }
}

impl RemoteSettings {
    /// Merges the command line over the fleet file over the defaults.
    pub fn new(fleet: &FleetSsh, args: &SshArgs, jobs: Option<usize>) -> RemoteSettings {
        let d = SshOptions::default();
        RemoteSettings {
            ssh: SshOptions {
                backend: args.ssh_backend.or(fleet.backend).unwrap_or(d.backend),
                known_hosts: args
                    .known_hosts
                    .clone()
                    .or_else(|| fleet.known_hosts.clone()),
                accept_new_host_keys: args.accept_new_host_keys
                    || fleet.accept_new_host_keys.unwrap_or(false),
                identity: args.identity.clone(),
                connect_timeout: args
                    .connect_timeout
                    .or(fleet.connect_timeout)
                    .map_or(d.connect_timeout, |s| {
                        Duration::from_secs(s.clamp(1, MAX_SECONDS))
                    }),
                deadline: args
                    .deadline
                    .or(fleet.deadline)
                    .map_or(d.deadline, |s| Duration::from_secs(s.clamp(1, MAX_SECONDS))),
            },
            jobs: jobs.or(fleet.jobs).unwrap_or(pool::DEFAULT_JOBS).max(1),
        }
    }
}

/// True for hosts read over SSH.
pub fn is_remote(spec: &HostSpec) -> bool {
    matches!(
        spec.source,
        HostSourceSpec::Ssh(_) | HostSourceSpec::Esxi(_)
    )
}

/// Collects one SSH or ESXi host (other sources: `None`).
pub fn collect_one(spec: &HostSpec, settings: &RemoteSettings) -> Option<Result<RawDump, Error>> {
    let (r, kind) = match &spec.source {
        HostSourceSpec::Ssh(r) => (r, RemoteKind::Linux),
        HostSourceSpec::Esxi(r) => (r, RemoteKind::Esxi),
        _ => return None,
    };
    let opts = r.options(&settings.ssh);
    Some(collect_host(&r.target, kind, &opts).map_err(|e| match e {
        Error::Collect { message, .. } => Error::Collect {
            host: spec.name.clone(),
            message: format!("{} ({}): {message}", r.target, kind_word(kind)),
        },
        other => other,
    }))
}

fn kind_word(kind: RemoteKind) -> &'static str {
    match kind {
        RemoteKind::Linux => "ssh",
        RemoteKind::Esxi => "esxi",
    }
}

/// Collects every remote host of `hosts` with at most `settings.jobs` at once;
/// returns (index in `hosts`, result) for each of them.
pub fn collect_all(
    hosts: &[HostSpec],
    settings: &RemoteSettings,
) -> Vec<(usize, Result<RawDump, Error>)> {
    let idx: Vec<usize> = (0..hosts.len()).filter(|&i| is_remote(&hosts[i])).collect();
    pool::run(&idx, settings.jobs, |&i| {
        let r = collect_one(&hosts[i], settings).unwrap_or_else(|| {
            Err(Error::Collect {
                host: hosts[i].name.clone(),
                message: "not a remote host".into(),
            })
        });
        (i, r)
    })
}

/// The fleet to audit: the fleet file (if any) plus one host per file of each
/// `--ansible-tree` directory.
pub fn fleet_spec(
    fleet: Option<&std::path::Path>,
    trees: &[PathBuf],
) -> crate::util::error::Result<crate::sources::fleet::file::FleetSpec> {
    let mut spec = match fleet {
        Some(path) => crate::sources::fleet::file::read(path)?,
        None => crate::sources::fleet::file::FleetSpec {
            path: PathBuf::from("ansible-tree"),
            name: trees
                .first()
                .and_then(|t| t.file_name())
                .map_or_else(|| "ansible".into(), |n| n.to_string_lossy().into_owned()),
            policy: None,
            guests: Vec::new(),
            hosts: Vec::new(),
            ssh: FleetSsh::default(),
            vcenter: None,
        },
    };
    // A set, not a scan per host: Ansible trees of large fleets hold many thousands.
    let mut names: std::collections::HashSet<String> =
        spec.hosts.iter().map(|h| h.name.clone()).collect();
    for dir in trees {
        for (name, path) in crate::sources::ansible::list(dir)? {
            if !names.insert(name.clone()) {
                return Err(Error::Usage(format!(
                    "host {name:?} of --ansible-tree {} is already in the fleet; give each host once",
                    dir.display()
                )));
            }
            spec.hosts.push(HostSpec::ansible(name, None, path, 0));
        }
    }
    if spec.hosts.is_empty() && spec.vcenter.is_none() {
        return Err(Error::Usage(
            "no hosts: give a fleet file or --ansible-tree DIR".into(),
        ));
    }
    Ok(spec)
}
/// Reads the host of `vmcompat report --host user@host[:port]` (`--esxi`: ESXi).
pub fn read_cli_host(
    host: &str,
    esxi: bool,
    args: &SshArgs,
) -> crate::util::error::Result<RawDump> {
    let target = Target::parse(host).map_err(|m| Error::Usage(format!("--host {m}")))?;
    let settings = RemoteSettings::new(&FleetSsh::default(), args, None);
    let kind = if esxi {
        RemoteKind::Esxi
    } else {
        RemoteKind::Linux
    };
    collect_host(&target, kind, &settings.ssh)
}
