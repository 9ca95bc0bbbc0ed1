//! A lab of throwaway OpenSSH servers on loopback addresses (127.0.0.2, .3, ...)
//! for end-to-end tests: each "host" is an sshd whose sessions get a per-host
//! `bin` directory as their whole PATH (`SetEnv PATH=`), holding a few linked
//! system tools plus the fixture scripts the test gives it (name -> shell body).
//! Fixture files written beside the scripts are reachable from a script as
//! `"${0%/*}/FILE"`.
//!
//! Needs /usr/sbin/sshd and root. In CI (`CI=true`) their absence is a failure;
//! elsewhere tests say plainly that they were skipped ([`can_run`]).

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// The sshd binary the lab runs.
pub const SSHD: &str = "/usr/sbin/sshd";
/// The vmcompat binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_vmcompat");

/// Commands linked into each fixture host's PATH (besides the fixture scripts).
pub const TOOLS: [&str; 12] = [
    "sh", "cat", "grep", "od", "sleep", "id", "head", "sed", "printf", "true", "echo", "dd",
];

/// True when running in CI (`CI=true`), where skipping is a failure.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// `false` (after saying why) when the SSH tests cannot run here.
pub fn can_run(test: &str) -> bool {
    let why = if !Path::new(SSHD).exists() {
        Some(format!("{SSHD} is missing (install openssh-server)"))
    } else if unsafe { libc::geteuid() } != 0 {
        Some("they need root (sshd with per-test host keys and /run/sshd)".to_string())
    } else {
        None
    };
    match why {
        None => true,
        Some(w) if in_ci() => panic!("SSH test {test} cannot run: {w}; in CI it must"),
        Some(w) => {
            eprintln!("NOTE: SSH test {test} SKIPPED: {w}");
            false
        }
    }
}

fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Makes an ed25519 key pair at `path` (and `path.pub`); returns `type base64`.
pub fn keygen(path: &Path) -> String {
    let _ = std::fs::remove_file(path);
    run(Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "vmcompat-test", "-f"])
        .arg(path));
    let public = std::fs::read_to_string(path.with_extension("pub")).expect("public key");
    public
        .split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Writes an executable `#!/bin/sh` script.
pub fn write_script(path: &Path, body: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, format!("#!/bin/sh\n{body}")).expect("write script");
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

/// A port free on `addr` right now.
pub fn free_port(addr: &str) -> u16 {
    TcpListener::bind((addr, 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// One running fixture sshd.
pub struct Server {
    /// Its loopback address.
    pub addr: String,
    /// Its port.
    pub port: u16,
    /// Its host key, `type base64`.
    pub host_key: String,
    child: Child,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

static NEXT_ADDR: AtomicU32 = AtomicU32::new(2);

/// A host being prepared: its directory and the `bin` directory its sessions see
/// as PATH. Write scripts and files into `bin`, then [`Lab::start`] it.
pub struct HostDir {
    /// The host's own directory (keys, sshd_config).
    pub dir: PathBuf,
    /// Its PATH: linked tools, fixture scripts and fixture files.
    pub bin: PathBuf,
    addr: String,
}

impl HostDir {
    /// Writes an executable fixture script `name` into the host's PATH.
    pub fn script(&self, name: &str, body: &str) {
        let _ = std::fs::remove_file(self.bin.join(name));
        write_script(&self.bin.join(name), body);
    }

    /// Writes a fixture file beside the scripts (`"${0%/*}/NAME"` in a script).
    pub fn file(&self, name: &str, text: &str) {
        std::fs::write(self.bin.join(name), text).expect("fixture file");
    }

    /// Makes the host look like it runs a libvirt daemon: a socket at
    /// `$XDG_RUNTIME_DIR/libvirt/libvirt-sock` (the session daemon's place).
    pub fn libvirt_socket(&self) {
        let dir = self.dir.join("run/libvirt");
        std::fs::create_dir_all(&dir).expect("run dir");
        let _ = std::fs::remove_file(dir.join("libvirt-sock"));
        std::os::unix::net::UnixListener::bind(dir.join("libvirt-sock")).expect("socket");
    }

    /// Links one more system tool into the host's PATH (if it exists here).
    pub fn tool(&self, tool: &str) {
        if let Some(path) = ["/usr/bin", "/bin", "/usr/sbin", "/sbin"]
            .iter()
            .map(|d| Path::new(d).join(tool))
            .find(|p| p.exists())
        {
            let _ = std::os::unix::fs::symlink(path, self.bin.join(tool));
        }
    }
}

/// A set of fixture hosts sharing one user key; everything goes when it drops.
pub struct Lab {
    /// The lab's directory (also HOME for [`Lab::vmcompat`]).
    pub dir: PathBuf,
    /// The user's private key, authorized on every host.
    pub user_key: PathBuf,
    /// The user's public key, `type base64`.
    pub user_pub: String,
    /// The running hosts, by index.
    pub servers: Vec<Server>,
    prepared: usize,
}

impl Drop for Lab {
    fn drop(&mut self) {
        self.servers.clear();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Lab {
    /// A new, empty lab named `name` (unique per test).
    pub fn new(name: &str) -> Lab {
        let _ = std::fs::create_dir_all("/run/sshd");
        let dir = std::env::temp_dir().join(format!("vmcompat-ssh-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("lab dir");
        let user_key = dir.join("user_key");
        let user_pub = keygen(&user_key);
        std::fs::write(dir.join("authorized_keys"), format!("{user_pub}\n"))
            .expect("authorized_keys");
        Lab {
            dir,
            user_key,
            user_pub,
            servers: Vec::new(),
            prepared: 0,
        }
    }

    /// Prepares a host: its directory and a PATH with [`TOOLS`] linked in.
    pub fn prepare(&mut self) -> HostDir {
        let n = NEXT_ADDR.fetch_add(1, Ordering::SeqCst);
        let addr = format!("127.0.0.{}", 2 + (n - 2) % 250);
        let dir = self.dir.join(format!("host{}", self.prepared));
        self.prepared += 1;
        let bin = dir.join("bin");
        std::fs::create_dir_all(&bin).expect("host dir");
        let h = HostDir { dir, bin, addr };
        for tool in TOOLS {
            h.tool(tool);
        }
        h
    }

    /// Starts a host whose PATH holds [`TOOLS`] plus `scripts` (name -> shell
    /// body) and `files` (name -> text, beside the scripts); returns its index.
    pub fn host_with(&mut self, scripts: &[(&str, &str)], files: &[(&str, &str)]) -> usize {
        let h = self.prepare();
        for (name, text) in files {
            h.file(name, text);
        }
        for (name, body) in scripts {
            h.script(name, body);
        }
        self.start(h)
    }

    /// Starts the sshd of a prepared host; returns its index.
    pub fn start(&mut self, h: HostDir) -> usize {
        let HostDir { dir, bin, addr } = h;
        let host_key_path = dir.join("host_key");
        let host_key = keygen(&host_key_path);
        let port = free_port(&addr);
        let config = dir.join("sshd_config");
        std::fs::write(
            &config,
            format!(
                "Port {port}\nListenAddress {addr}\nHostKey {}\nPidFile none\n\
                 AuthorizedKeysFile {}\nUsePAM no\nStrictModes no\nPermitRootLogin yes\n\
                 PasswordAuthentication no\nKbdInteractiveAuthentication no\n\
                 SetEnv PATH={} XDG_RUNTIME_DIR={}\nLogLevel ERROR\nMaxStartups 200\n",
                host_key_path.display(),
                self.dir.join("authorized_keys").display(),
                bin.display(),
                dir.join("run").display()
            ),
        )
        .expect("sshd_config");
        let child = Command::new(SSHD)
            .args(["-D", "-e", "-f"])
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("sshd starts");
        let until = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect((addr.as_str(), port)).is_err() {
            assert!(
                Instant::now() < until,
                "sshd on {addr}:{port} did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        self.servers.push(Server {
            addr,
            port,
            host_key,
            child,
        });
        self.servers.len() - 1
    }

    /// `root@addr:port` of host `i`.
    pub fn target(&self, i: usize) -> String {
        format!("root@{}:{}", self.servers[i].addr, self.servers[i].port)
    }

    /// Host `i`'s known_hosts line.
    pub fn known_line(&self, i: usize) -> String {
        format!(
            "[{}]:{} {}\n",
            self.servers[i].addr, self.servers[i].port, self.servers[i].host_key
        )
    }

    /// Writes `known_hosts` in the lab directory with every host's key.
    pub fn write_known_hosts(&self) -> PathBuf {
        let known: String = (0..self.servers.len())
            .map(|i| self.known_line(i))
            .collect();
        let path = self.dir.join("known_hosts");
        std::fs::write(&path, known).expect("known_hosts");
        path
    }

    /// Runs vmcompat (HOME = the lab, no agent): (exit code, stdout, stderr, time).
    pub fn vmcompat(&self, args: &[&str]) -> (i32, String, String, Duration) {
        let started = Instant::now();
        let out = Command::new(BIN)
            .args(args)
            .env_remove("SSH_AUTH_SOCK")
            .env("HOME", &self.dir)
            .output()
            .expect("vmcompat runs");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
            started.elapsed(),
        )
    }
}
