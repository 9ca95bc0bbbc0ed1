//! The fleet file (`fleet.toml`): the hosts, where each one's CPUID comes from,
//! its cluster, and facts declared for hosts not yet bought or not reachable.
//!
//! ```toml
//! [fleet]
//! name = "example"
//!
//! [[host]]
//! name = "esx01"
//! cluster = "prod"
//! dump = "dumps/esx01.toml"      # or: profile = "xeon-e5-2600-v3", or: local = true
//! port_groups = ["VM Network", "vMotion"]
//! luns = ["naa.600a0b80005ad3e2000002c34f3e8b2d"]
//! datastores = ["datastore1"]
//! vmotion = { vmk = "vmk1", speed_mbps = 10000 }   # also mtu, netstack, ip = "a.b.c.d/len", gateway
//! esxi_version = "7.0.3"          # its ESXi release (read by `vmware -vl` for esxi hosts)
//! nfs = ["filer01:/vol/vmware"]   # NFS exports by server and path
//! vms_dir = "vms/esx01"           # VM readiness: the host's .vmx files
//! internal_port_groups = ["isolated"]   # port groups on switches with no uplinks
//! local_datastores = ["esx01-local"]    # datastores only this host sees
//! ```
//!
//! Remote hosts (see README "Remote hosts"):
//!
//! ```toml
//! [fleet]
//! known_hosts = "~/.ssh/known_hosts"   # default; relative paths: to the fleet file
//! accept_new_host_keys = false         # record keys of hosts not yet known
//! ssh_backend = "libssh2"              # or "openssh" (~/.ssh/config, ProxyJump)
//! jobs = 32                            # hosts collected at once
//! connect_timeout = 10                 # seconds
//! deadline = 60                        # seconds, per host, hard
//!
//! [[host]]
//! name = "web1"
//! ssh = "root@web1.example:22"         # Linux: cpuid -r, /dev/cpu/0/cpuid, /proc/cpuinfo
//! identity = "keys/id_ed25519"         # optional
//!
//! [[host]]
//! name = "esx02"
//! esxi = "root@esx02.example"          # vim-cmd hostsvc/hosthardware (basic leaves only)
//!
//! [[host_dir]]
//! ansible_tree = "tree"                # one host per file of `ansible ... --tree tree`
//! cluster = "web"
//! ```
//!
//! Unknown keys, duplicate host names, hosts with no source or two sources: an
//! error naming the line.

use crate::util::text::{toml_error, LineIndex};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::model::policy::Policy;
use crate::util::error::{Error, Result};

/// Where one host's CPUID comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostSourceSpec {
    /// The machine vmcompat runs on.
    Local,
    /// A dump file (any supported format), resolved relative to the fleet file.
    Dump(PathBuf),
    /// A named CPU profile from `profiles/`.
    Profile(String),
    /// A Linux host read over SSH.
    Ssh(RemoteHost),
    /// An ESXi host read over SSH (`vim-cmd hostsvc/hosthardware`).
    Esxi(RemoteHost),
    /// One per-host result file of an Ansible `--tree` directory.
    AnsibleResult(PathBuf),
    /// A host read from vCenter (or a saved export of it): its CPU view, facts
    /// and VMs, read once for the whole inventory.
    Vcenter(std::sync::Arc<crate::sources::vcenter::inventory::VcHost>),
    /// `from = "SCHEME:VALUE"`: a host read through a registered scheme
    /// ([`crate::sources::schemes`]), relative paths anchored at `base`.
    Address {
        /// The scheme.
        scheme: &'static crate::sources::schemes::Scheme,
        /// The part after `SCHEME:`.
        value: String,
        /// The fleet file's folder.
        base: PathBuf,
    },
}

/// A host reached over SSH.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteHost {
    /// `user@host:port`.
    pub target: crate::sources::ssh::Target,
    /// The private key for this host (instead of the default ones), if given.
    pub identity: Option<PathBuf>,
}

impl RemoteHost {
    /// The SSH options for this host: `base`, with the host's own `identity`
    /// where it gives one.
    pub fn options(
        &self,
        base: &crate::sources::ssh::SshOptions,
    ) -> crate::sources::ssh::SshOptions {
        let mut opts = base.clone();
        if self.identity.is_some() {
            opts.identity = self.identity.clone();
        }
        opts
    }
}

/// The fleet-level SSH settings (`[fleet]` keys); unset ones take the defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FleetSsh {
    /// `known_hosts`: the known_hosts file (resolved relative to the fleet file).
    pub known_hosts: Option<PathBuf>,
    /// `accept_new_host_keys`: record keys of hosts not yet known.
    pub accept_new_host_keys: Option<bool>,
    /// `ssh_backend`: `libssh2` (default) or `openssh`.
    pub backend: Option<crate::sources::ssh::Backend>,
    /// `jobs`: hosts collected at once.
    pub jobs: Option<usize>,
    /// `connect_timeout`, seconds.
    pub connect_timeout: Option<u64>,
    /// `deadline`, seconds per host.
    pub deadline: Option<u64>,
}

/// The vMotion VMkernel port declared for a host.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VmotionDecl {
    /// The VMkernel interface (`vmk1`).
    pub vmk: String,
    /// Its link speed in Mb/s.
    pub speed_mbps: Option<u32>,
    /// Its MTU in bytes (1500, 9000).
    pub mtu: Option<u32>,
    /// Its TCP/IP stack: `defaultTcpipStack` or `vmotion` (the vMotion stack).
    pub netstack: Option<String>,
    /// Its IPv4 address with prefix length: `"10.0.50.11/24"` (checked when the
    /// fleet file is read; see [`VmotionDecl::ipv4`]).
    pub ip: Option<String>,
    /// The gateway of its stack (routed vMotion).
    pub gateway: Option<std::net::Ipv4Addr>,
}

impl VmotionDecl {
    /// `ip` as address and prefix length; `None` when not given, `Err` saying
    /// what is expected when malformed.
    pub fn ipv4(&self) -> Option<std::result::Result<(std::net::Ipv4Addr, u8), String>> {
        let ip = self.ip.as_deref()?;
        let bad = || {
            format!("vmotion.ip {ip:?}: expected an IPv4 address with its prefix length, such as \"10.0.50.11/24\"")
        };
        Some(ip.split_once('/').ok_or_else(bad).and_then(|(a, p)| {
            let a = a.trim().parse().map_err(|_| bad())?;
            let p: u8 = p.trim().parse().map_err(|_| bad())?;
            if p > 32 {
                return Err(bad());
            }
            Ok((a, p))
        }))
    }
}

/// One host of the fleet file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostSpec {
    /// Unique name.
    pub name: String,
    /// Cluster, if given.
    pub cluster: Option<String>,
    /// Where its CPUID comes from.
    pub source: HostSourceSpec,
    /// 1-based line of the host's `name` in the fleet file.
    pub line: usize,
    /// Declared shared LUNs (naa/WWN ids).
    pub luns: Option<Vec<String>>,
    /// Declared datastores.
    pub datastores: Option<Vec<String>>,
    /// Declared port-group labels.
    pub port_groups: Option<Vec<String>>,
    /// Declared vMotion port.
    pub vmotion: Option<VmotionDecl>,
    /// Declared NFS exports (`server:/path`), mounted under their own names.
    pub nfs: Option<Vec<String>>,
    /// VM readiness keys (`vms_dir`, `internal_port_groups`, `local_datastores`).
    pub vm_keys: HostVmKeys,
}

impl HostSpec {
    /// A host read from one file of an Ansible tree (`line`: where the tree is
    /// named in the fleet file, 0 for `--ansible-tree`).
    pub fn ansible(name: String, cluster: Option<String>, path: PathBuf, line: usize) -> HostSpec {
        HostSpec {
            name,
            cluster,
            source: HostSourceSpec::AnsibleResult(path),
            line,
            luns: None,
            datastores: None,
            port_groups: None,
            vmotion: None,
            nfs: None,
            vm_keys: HostVmKeys::default(),
        }
    }
}

/// The fleet-file keys of a host that VM readiness reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostVmKeys {
    /// `vms_dir`: a local directory of the host's `.vmx` files (searched
    /// recursively; resolved relative to the fleet file).
    pub vms_dir: Option<PathBuf>,
    /// `internal_port_groups`: declared port groups on switches with no uplinks.
    pub internal_port_groups: Option<Vec<String>>,
    /// `local_datastores`: declared datastores only this host sees.
    pub local_datastores: Option<Vec<String>>,
    /// `esxi_version`: the host's ESXi release (`"7.0.2"`, `"6.7.0 Update 2"`),
    /// for hosts not read over SSH (where `vmware -vl` gives it).
    pub esxi_version: Option<crate::model::esxi_version::EsxiVersion>,
}

/// A parsed fleet file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FleetSpec {
    /// The file it came from.
    pub path: PathBuf,
    /// The fleet's name (defaults to the file name).
    pub name: String,
    /// The policy the file asks for, if any (the command line overrides it).
    pub policy: Option<Policy>,
    /// `guests`: keys of the guest operating systems run on the fleet
    /// (`guests/guests.toml`); empty: check every shipped guest. `--guest` overrides.
    pub guests: Vec<String>,
    /// The hosts, in file order.
    pub hosts: Vec<HostSpec>,
    /// SSH settings for remote hosts.
    pub ssh: FleetSsh,
    /// The vCenter whose hosts join the fleet (`[fleet] vcenter = "URL"`), if any.
    pub vcenter: Option<VcenterSpec>,
}

/// The `[fleet]` keys naming a vCenter: `vcenter = "https://vc.example.com/sdk"`,
/// `vcenter_user`, `vcenter_datacenter`, `vcenter_cluster`,
/// `vcenter_thumbprint` (`AA:BB:...`, SHA-256) or `vcenter_ca_file`, and
/// `vcenter_password_file` (never the password itself).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VcenterSpec {
    /// The `/sdk` URL.
    pub url: String,
    /// The user (`VMCOMPAT_VCENTER_USER` overrides it).
    pub user: Option<String>,
    /// Only hosts of this datacenter.
    pub datacenter: Option<String>,
    /// Only hosts of this cluster.
    pub cluster: Option<String>,
    /// The pinned SHA-256 thumbprint of the vCenter certificate.
    pub thumbprint: Option<String>,
    /// A PEM file of CA certificates to verify the vCenter certificate with.
    pub ca_file: Option<PathBuf>,
    /// A file holding the password (its first line).
    pub password_file: Option<PathBuf>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    fleet: Option<RawFleet>,
    #[serde(default)]
    host: Vec<Spanned<RawHost>>,
    #[serde(default)]
    host_dir: Vec<Spanned<RawHostDir>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHostDir {
    ansible_tree: String,
    cluster: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFleet {
    name: Option<String>,
    policy: Option<Policy>,
    guests: Option<Vec<String>>,
    known_hosts: Option<String>,
    accept_new_host_keys: Option<bool>,
    ssh_backend: Option<crate::sources::ssh::Backend>,
    jobs: Option<usize>,
    connect_timeout: Option<Spanned<u64>>,
    deadline: Option<Spanned<u64>>,
    vcenter: Option<String>,
    vcenter_user: Option<String>,
    vcenter_datacenter: Option<String>,
    vcenter_cluster: Option<String>,
    vcenter_thumbprint: Option<String>,
    vcenter_ca_file: Option<String>,
    vcenter_password_file: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHost {
    name: Spanned<String>,
    cluster: Option<String>,
    local: Option<bool>,
    dump: Option<String>,
    profile: Option<Spanned<String>>,
    luns: Option<Vec<String>>,
    datastores: Option<Vec<String>>,
    port_groups: Option<Vec<String>>,
    vmotion: Option<VmotionDecl>,
    nfs: Option<Vec<String>>,
    ssh: Option<Spanned<String>>,
    esxi: Option<Spanned<String>>,
    identity: Option<String>,
    vms_dir: Option<String>,
    internal_port_groups: Option<Vec<String>>,
    local_datastores: Option<Vec<String>>,
    esxi_version: Option<Spanned<String>>,
    from: Option<Spanned<String>>,
}

/// Expands `~/` to the home directory, then anchors relative paths at `base`.
pub fn resolve_path(base: &Path, p: &str) -> PathBuf {
    match (p.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => base.join(p),
    }
}

/// Reads and checks a fleet file.
pub fn read(path: &Path) -> Result<FleetSpec> {
    let text = crate::sources::formats::read_text(path)?;
    parse(&text, path)
}

/// Parses fleet-file text; `path` names it in errors and anchors relative dump paths.
pub fn parse(text: &str, path: &Path) -> Result<FleetSpec> {
    let origin = path.display().to_string();
    let raw: RawFile = toml::from_str(text).map_err(|e| toml_error(text, &origin, &e))?;
    let base = path.parent().unwrap_or(Path::new("."));
    let lines = LineIndex::new(text);
    let mut hosts: Vec<HostSpec> = Vec::with_capacity(raw.host.len());
    let mut seen: std::collections::HashMap<String, usize> = Default::default();
    for spanned in raw.host {
        let host_line = lines.line(spanned.span().start);
        let h = spanned.into_inner();
        let line = lines.line(h.name.span().start);
        let name = h.name.into_inner();
        if name.trim().is_empty() {
            return Err(Error::at_line(&origin, line, "host name is empty"));
        }
        if let Some(first) = seen.insert(name.clone(), line) {
            return Err(Error::at_line(
                &origin,
                line,
                format!("duplicate host name {name:?} (first defined on line {first})"),
            ));
        }
        let mut sources = Vec::new();
        if h.local == Some(true) {
            sources.push(HostSourceSpec::Local);
        }
        if let Some(d) = h.dump {
            sources.push(HostSourceSpec::Dump(base.join(d)));
        }
        if let Some(p) = h.profile {
            let at = lines.line(p.span().start);
            crate::shipped::profiles::check_name(p.get_ref())
                .map_err(|m| Error::at_line(&origin, at, m))?;
            sources.push(HostSourceSpec::Profile(p.into_inner()));
        }
        if let Some(a) = h.from {
            let at = lines.line(a.span().start);
            let (scheme, value) = crate::sources::schemes::split(a.get_ref()).ok_or_else(|| {
                Error::at_line(
                    &origin,
                    at,
                    format!(
                        "from = {:?}: expected SCHEME:VALUE, one of {}",
                        a.get_ref(),
                        crate::sources::schemes::names()
                    ),
                )
            })?;
            sources.push(HostSourceSpec::Address {
                scheme,
                value: value.to_string(),
                base: base.to_path_buf(),
            });
        }
        let identity = h.identity.as_deref().map(|i| resolve_path(base, i));
        for (value, esxi) in [(h.ssh, false), (h.esxi, true)] {
            let Some(value) = value else { continue };
            let at = lines.line(value.span().start);
            let target = crate::sources::ssh::Target::parse(value.get_ref())
                .map_err(|m| Error::at_line(&origin, at, m.to_string()))?;
            let r = RemoteHost {
                target,
                identity: identity.clone(),
            };
            sources.push(if esxi {
                HostSourceSpec::Esxi(r)
            } else {
                HostSourceSpec::Ssh(r)
            });
        }
        let source = match sources.len() {
            1 => sources.remove(0),
            0 => {
                return Err(Error::at_line(
                    &origin,
                    host_line,
                    format!(
                        "host {name:?} has no source: give one of `local = true`, `dump = \"FILE\"`, `profile = \"NAME\"`, `ssh = \"USER@HOST\"`, `esxi = \"USER@HOST\"`, `from = \"SCHEME:VALUE\"`"
                    ),
                ))
            }
            _ => {
                return Err(Error::at_line(
                    &origin,
                    host_line,
                    format!("host {name:?} has more than one source: give exactly one of local, dump, profile, ssh, esxi, from"),
                ))
            }
        };
        let esxi_version = match h.esxi_version {
            None => None,
            Some(v) => Some(crate::model::esxi_version::parse(v.get_ref()).map_err(|m| {
                Error::at_line(
                    &origin,
                    lines.line(v.span().start),
                    format!("esxi_version: {m}"),
                )
            })?),
        };
        if let Some(Err(m)) = h.vmotion.as_ref().and_then(VmotionDecl::ipv4) {
            return Err(Error::at_line(&origin, line, m));
        }
        hosts.push(HostSpec {
            name,
            cluster: h.cluster,
            source,
            line,
            luns: h.luns,
            datastores: h.datastores,
            port_groups: h.port_groups,
            vmotion: h.vmotion,
            nfs: h.nfs,
            vm_keys: HostVmKeys {
                vms_dir: h.vms_dir.as_deref().map(|d| resolve_path(base, d)),
                internal_port_groups: h.internal_port_groups,
                local_datastores: h.local_datastores,
                esxi_version,
            },
        });
    }
    for spanned in raw.host_dir {
        let line = lines.line(spanned.span().start);
        let d = spanned.into_inner();
        let dir = resolve_path(base, &d.ansible_tree);
        let files = crate::sources::ansible::list(&dir)
            .map_err(|e| Error::at_line(&origin, line, format!("ansible_tree: {e}")))?;
        for (name, path) in files {
            if let Some(prev) = seen.insert(name.clone(), line) {
                return Err(Error::at_line(
                    &origin,
                    line,
                    format!(
                        "host {name:?} of ansible_tree {} is already defined on line {prev}",
                        dir.display(),
                    ),
                ));
            }
            hosts.push(HostSpec::ansible(name, d.cluster.clone(), path, line));
        }
    }
    let fleet = raw.fleet;
    let vcenter = fleet.as_ref().and_then(|f| {
        let url = f.vcenter.clone()?;
        Some(VcenterSpec {
            url,
            user: f.vcenter_user.clone(),
            datacenter: f.vcenter_datacenter.clone(),
            cluster: f.vcenter_cluster.clone(),
            thumbprint: f.vcenter_thumbprint.clone(),
            ca_file: f.vcenter_ca_file.as_deref().map(|p| resolve_path(base, p)),
            password_file: f
                .vcenter_password_file
                .as_deref()
                .map(|p| resolve_path(base, p)),
        })
    });
    if hosts.is_empty() && vcenter.is_none() {
        return Err(Error::input(
            &origin,
            "the fleet file lists no [[host]] (and names no `vcenter` in [fleet])",
        ));
    }
    let seconds = |v: &Option<Spanned<u64>>, key: &str| -> Result<Option<u64>> {
        v.as_ref()
            .map(|v| {
                crate::sources::fleet::remote::check_seconds(key, *v.get_ref())
                    .map_err(|m| Error::at_line(&origin, lines.line(v.span().start), m))
            })
            .transpose()
    };
    let (connect_timeout, deadline) = match &fleet {
        Some(f) => (
            seconds(&f.connect_timeout, "connect_timeout")?,
            seconds(&f.deadline, "deadline")?,
        ),
        None => (None, None),
    };
    let ssh = fleet
        .as_ref()
        .map(|f| FleetSsh {
            known_hosts: f.known_hosts.as_deref().map(|k| resolve_path(base, k)),
            accept_new_host_keys: f.accept_new_host_keys,
            backend: f.ssh_backend,
            jobs: f.jobs,
            connect_timeout,
            deadline,
        })
        .unwrap_or_default();
    let name = fleet
        .as_ref()
        .and_then(|f| f.name.clone())
        .unwrap_or_else(|| {
            path.file_stem()
                .map_or_else(|| "fleet".into(), |s| s.to_string_lossy().into_owned())
        });
    Ok(FleetSpec {
        path: path.to_path_buf(),
        name,
        policy: fleet.as_ref().and_then(|f| f.policy),
        guests: fleet.and_then(|f| f.guests).unwrap_or_default(),
        hosts,
        ssh,
        vcenter,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(text: &str) -> Result<FleetSpec> {
        parse(text, Path::new("/fleets/f.toml"))
    }

    #[test]
    fn parses_hosts_and_resolves_dump_paths() {
        let f = parse_str(
            "[fleet]\nname = \"lab\"\npolicy = \"esx3\"\n\n[[host]]\nname = \"a\"\ndump = \"d/a.toml\"\ncluster = \"c1\"\n\n[[host]]\nname = \"b\"\nprofile = \"xeon-e5-2600-v3\"\nport_groups = [\"VM Network\"]\n",
        )
        .expect("parses");
        assert_eq!(f.name, "lab");
        assert_eq!(f.policy, Some(Policy::Esx3));
        assert_eq!(
            f.hosts[0].source,
            HostSourceSpec::Dump("/fleets/d/a.toml".into())
        );
        assert_eq!(
            f.hosts[1].source,
            HostSourceSpec::Profile("xeon-e5-2600-v3".into())
        );
        assert_eq!(f.hosts[1].line, 11);
    }

    #[test]
    fn remote_hosts_and_ssh_settings() {
        let f = parse_str(
            "[fleet]\nknown_hosts = \"kh\"\naccept_new_host_keys = true\nssh_backend = \"openssh\"\njobs = 8\ndeadline = 5\n\n[[host]]\nname = \"a\"\nssh = \"root@127.0.0.2:2222\"\nidentity = \"id\"\n\n[[host]]\nname = \"b\"\nesxi = \"root@127.0.0.3\"\n",
        )
        .expect("parses");
        match &f.hosts[0].source {
            HostSourceSpec::Ssh(r) => {
                assert_eq!(r.target.to_string(), "root@127.0.0.2:2222");
                assert_eq!(r.identity.as_deref(), Some(Path::new("/fleets/id")));
            }
            s => panic!("{s:?}"),
        }
        assert!(matches!(&f.hosts[1].source, HostSourceSpec::Esxi(r) if r.target.port == 22));
        assert_eq!(f.ssh.known_hosts.as_deref(), Some(Path::new("/fleets/kh")));
        assert_eq!(f.ssh.backend, Some(crate::sources::ssh::Backend::Openssh));
        assert_eq!(
            (f.ssh.jobs, f.ssh.deadline, f.ssh.accept_new_host_keys),
            (Some(8), Some(5), Some(true))
        );
        let bad = parse_str("[[host]]\nname = \"a\"\nssh = \"root@h:99999\"\n").expect_err("port");
        assert!(bad.to_string().contains("f.toml:3"), "{bad}");
        let two =
            parse_str("[[host]]\nname = \"a\"\nssh = \"h\"\nesxi = \"h\"\n").expect_err("two");
        assert!(two.to_string().contains("more than one source"), "{two}");
        let backend =
            parse_str("[fleet]\nssh_backend = \"putty\"\n[[host]]\nname = \"a\"\nlocal = true\n")
                .expect_err("backend");
        assert!(backend.to_string().contains("f.toml:2"), "{backend}");
        let dir =
            parse_str("[[host_dir]]\nansible_tree = \"/nonexistent/tree\"\n").expect_err("dir");
        assert!(dir.to_string().contains("f.toml:1: ansible_tree"), "{dir}");
    }

    #[test]
    fn errors_name_the_line() {
        let dup = parse_str(
            "[[host]]\nname = \"a\"\nlocal = true\n[[host]]\nname = \"a\"\nlocal = true\n",
        )
        .expect_err("duplicate");
        assert!(
            dup.to_string()
                .contains("f.toml:5: duplicate host name \"a\" (first defined on line 2)"),
            "{dup}"
        );
        let unknown = parse_str("[[host]]\nname = \"a\"\nlocal = true\nflavour = 1\n")
            .expect_err("unknown key");
        assert!(unknown.to_string().contains("f.toml:4"), "{unknown}");
        assert!(unknown.to_string().contains("flavour"), "{unknown}");
        let none = parse_str("[[host]]\nname = \"a\"\n").expect_err("no source");
        assert!(
            none.to_string()
                .contains("f.toml:1: host \"a\" has no source"),
            "{none}"
        );
        let two = parse_str("[[host]]\nname = \"a\"\nlocal = true\nprofile = \"epyc-7002\"\n")
            .expect_err("two sources");
        assert!(two.to_string().contains("more than one source"), "{two}");
        assert!(parse_str("").is_err());
        assert!(parse_str("[[host]\n").is_err());
    }
}
