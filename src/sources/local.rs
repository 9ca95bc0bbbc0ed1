//! Reading CPUID from the machine vmcompat runs on: every logical CPU, each read
//! by a thread pinned to it, through raw-cpuid's native reader.

use crate::cpuid::enumerate;
use crate::cpuid::{Completeness, CpuLeaves, Provenance, RawDump, Regs, SourceKind};
use crate::util::error::{Error, Result};

/// Reads every leaf and subleaf of every logical CPU this process may run on.
pub fn probe() -> Result<RawDump> {
    let cpus = allowed_cpus()?;
    let mut out: Vec<Result<CpuLeaves>> = Vec::with_capacity(cpus.len());
    let mut side = (None, String::new(), Default::default());
    // One thread per CPU, each pinned to its CPU before it reads, in parallel; the
    // walk needs little stack. Meanwhile this thread reads the kernel's flags, the
    // host name and the fingerprint (microcode, BIOS, kernel, QEMU, libvirt).
    std::thread::scope(|scope| {
        let handles: Vec<_> = cpus
            .iter()
            .map(|&cpu| {
                std::thread::Builder::new()
                    .stack_size(256 * 1024)
                    .spawn_scoped(scope, move || read_pinned(cpu))
            })
            .collect();
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").ok();
        let flags = cpuinfo
            .as_deref()
            .and_then(super::formats::proc_cpuinfo::first_flags);
        let fingerprint = crate::sources::local_fingerprint::read(cpuinfo.as_deref());
        side = (flags, hostname(), fingerprint);
        for h in handles {
            let result = match h {
                Ok(h) => h.join().unwrap_or_else(|_| {
                    Err(Error::Collect {
                        host: "local".into(),
                        message: "a CPUID reader thread panicked".into(),
                    })
                }),
                Err(e) => Err(Error::Collect {
                    host: "local".into(),
                    message: format!("cannot start a CPUID reader thread: {e}"),
                }),
            };
            out.push(result);
        }
    });
    let (os_flags, origin, fingerprint) = side;
    let mut dump = RawDump::new(
        Provenance {
            kind: SourceKind::Local,
            origin,
            detail: format!("vmcompat {} local probe", env!("CARGO_PKG_VERSION")),
        },
        Completeness::Full,
    );
    dump.cpus = out.into_iter().collect::<Result<Vec<_>>>()?;
    dump.os_flags = os_flags;
    dump.fingerprint = fingerprint;
    Ok(dump)
}

/// One CPUID query on the current CPU.
fn native(leaf: u32, subleaf: u32) -> Regs {
    let r = raw_cpuid::native_cpuid::cpuid_count(leaf, subleaf);
    Regs::new(r.eax, r.ebx, r.ecx, r.edx)
}

#[cfg(target_os = "linux")]
fn allowed_cpus() -> Result<Vec<u32>> {
    // SAFETY: cpu_set_t is plain data; sched_getaffinity fills it for this thread.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    let rc =
        unsafe { libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) };
    if rc != 0 {
        return Err(Error::Collect {
            host: "local".into(),
            message: format!(
                "cannot list the CPUs this process may run on: {}",
                std::io::Error::last_os_error()
            ),
        });
    }
    let max = libc::CPU_SETSIZE as usize;
    // SAFETY: CPU_ISSET reads within the set for indices below CPU_SETSIZE.
    Ok((0..max)
        .filter(|&i| unsafe { libc::CPU_ISSET(i, &set) })
        .map(|i| i as u32)
        .collect())
}

#[cfg(not(target_os = "linux"))]
fn allowed_cpus() -> Result<Vec<u32>> {
    let n = std::thread::available_parallelism().map_or(1, |n| n.get());
    Ok((0..n as u32).collect())
}

#[cfg(target_os = "linux")]
fn read_pinned(cpu: u32) -> Result<CpuLeaves> {
    // SAFETY: as above; pins only the calling (freshly spawned) thread.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    unsafe { libc::CPU_SET(cpu as usize, &mut set) };
    let rc = unsafe { libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) };
    if rc != 0 {
        return Err(Error::Collect {
            host: "local".into(),
            message: format!(
                "cannot pin a thread to CPU {cpu}: {}",
                std::io::Error::last_os_error()
            ),
        });
    }
    Ok(enumerate::walk(cpu, native))
}

#[cfg(not(target_os = "linux"))]
fn read_pinned(cpu: u32) -> Result<CpuLeaves> {
    // Without thread pinning the reads may land on any CPU; on the platforms we
    // support for fleets (Linux) they are pinned.
    Ok(enumerate::walk(cpu, native))
}

/// This machine's host name, for provenance.
fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .ok()
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "localhost".into())
}
