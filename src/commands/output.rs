//! Where commands print: every text renderer's output and every JSON document
//! reaches standard output through here, made safe for a terminal by
//! [`crate::util::safe_text`], and a closed standard output (`vmcompat audit | head -1`)
//! ends the program quietly instead of panicking.

use std::io::{IsTerminal, Write};

/// The exit status after standard output was closed by its reader: 141, the
/// status a shell reports for a program ended by SIGPIPE (128 + 13), which is
/// what `cat`, `grep` and `sort` give in the same place.
pub const CLOSED_STDOUT_STATUS: i32 = 141;

/// Whether colour may be used on standard output: it is a terminal and
/// `NO_COLOR` (<https://no-color.org>) is not set to a non-empty value.
pub fn colour() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").map_or(true, |v| v.is_empty())
}

/// Prints a text rendering (tables, lists, mask lines), trailing blank space
/// trimmed, untrusted text escaped ([`crate::util::safe_text::terminal_output`]).
pub fn text(rendered: &str) {
    let wrapped = wrap_long_lines(rendered.trim_end(), usize::from(crate::render::width()));
    let safe = crate::util::safe_text::terminal_output(&wrapped, colour());
    write_stdout(&safe);
}

/// Prints text that must not be wrapped (mask lines, XML, a QEMU `-cpu` string:
/// what users copy), made safe like [`text`].
/// Comment lines (`# ...` in VMX/featMask/QEMU output, `<!-- ... -->` in
/// libvirt XML) are still wrapped, continued as comments.
pub fn text_unwrapped(rendered: &str) {
    let width = usize::from(crate::render::width());
    let mut out = String::with_capacity(rendered.len());
    for line in rendered.trim_end().lines() {
        let cont = if line.starts_with('#') {
            "#   "
        } else if line.starts_with("<!--") {
            "     "
        } else {
            ""
        };
        if cont.is_empty() || line.chars().count() <= width {
            out.push_str(line);
            out.push('\n');
            continue;
        }
        let mut cur = String::new();
        for word in line.split(' ') {
            if !cur.is_empty() && cur.chars().count() + 1 + word.chars().count() > width {
                out.push_str(&cur);
                out.push('\n');
                cur = cont.to_string();
            } else if !cur.is_empty() && cur != cont {
                cur.push(' ');
            }
            cur.push_str(word);
        }
        out.push_str(&cur);
        out.push('\n');
    }
    let safe = crate::util::safe_text::terminal_output(out.trim_end(), colour());
    write_stdout(&safe);
}

/// Wraps every line longer than `width` characters between words; the
/// continuation lines keep the line's indentation plus two spaces (feature
/// lists, findings and messages stay readable at 80 columns and when piped).
/// A single word longer than a line is left whole; a line marked
/// [`crate::render::VERBATIM`] is left whole and unmarked.
pub fn wrap_long_lines(text: &str, width: usize) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    for line in text.lines() {
        let indent = line.len() - line.trim_start().len();
        if let Some(rest) = line[indent..].strip_prefix(crate::render::VERBATIM) {
            // A line users paste: whole, never wrapped.
            out.push_str(&line[..indent]);
            out.push_str(rest);
            out.push('\n');
            continue;
        }
        if line.chars().count() <= width || line.contains('\u{1b}') {
            out.push_str(line);
            out.push('\n');
            continue;
        }
        let mut cur = " ".repeat(indent);
        let mut at_start = true;
        for word in line.trim_start().split(' ') {
            let (len, w) = (cur.chars().count(), word.chars().count());
            if !at_start && len + 1 + w > width {
                out.push_str(&cur);
                out.push('\n');
                cur = " ".repeat(indent + 2);
                at_start = true;
            }
            if !at_start {
                cur.push(' ');
            }
            cur.push_str(word);
            at_start = false;
        }
        out.push_str(&cur);
        out.push('\n');
    }
    out
}

/// Prints one JSON document, kept valid and exact ([`crate::util::safe_text::json_output`]).
pub fn json(document: &str) {
    let safe = crate::util::safe_text::json_output(document.trim_end());
    write_stdout(&safe);
}

/// Prints a rendering in the format the user chose: JSON when `is_json`.
/// Prints `report` in `format` (the one way commands print a result).
pub fn report(report: &dyn crate::render::Report, format: crate::render::OutputFormat) {
    print(&format.render(report), format.is_document());
}

/// Prints a rendering: a document (JSON) as it is, text fitted and made safe.
pub fn print(rendered: &str, is_json: bool) {
    if is_json {
        json(rendered);
    } else {
        text(rendered);
    }
}

/// Writes `s` and a line feed to standard output. A reader that went away
/// (EPIPE) ends the program at once with [`CLOSED_STDOUT_STATUS`] and no message,
/// as `cat` would; another write error is reported on standard error (exit 2).
pub fn write_stdout(s: &str) {
    let mut out = std::io::stdout().lock();
    let r = out
        .write_all(s.as_bytes())
        .and_then(|()| out.write_all(b"\n"))
        .and_then(|()| out.flush());
    if let Err(e) = r {
        stdout_failed(&e);
    }
}

/// Ends the program after a failed write to standard output: quietly with
/// [`CLOSED_STDOUT_STATUS`] for a closed pipe, else with a message and exit 2.
pub fn stdout_failed(e: &std::io::Error) -> ! {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        std::process::exit(CLOSED_STDOUT_STATUS);
    }
    let _ = writeln!(
        std::io::stderr(),
        "vmcompat: error: cannot write to standard output: {e}"
    );
    std::process::exit(2);
}

/// Prints a note or warning line on standard error, untrusted text escaped.
/// A closed standard error is ignored (the exit status still tells the story).
pub fn note(message: &str) {
    let safe = crate::util::safe_text::text(message);
    let _ = writeln!(std::io::stderr().lock(), "{safe}");
}

/// The width text output is laid out for, as ripgrep and ls decide it: `COLUMNS`
/// when it holds a number, else the terminal's width when standard output is a
/// terminal, else [`crate::render::DEFAULT_WIDTH`] (piped output stays readable).
pub fn terminal_width() -> u16 {
    if let Some(c) = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<u16>().ok())
        .filter(|&c| c > 0)
    {
        return c;
    }
    if std::io::stdout().is_terminal() {
        let mut ws: libc::winsize = unsafe { std::mem::zeroed() };
        // SAFETY: TIOCGWINSZ fills a winsize we own, on our own stdout.
        if unsafe { libc::ioctl(libc::STDOUT_FILENO, libc::TIOCGWINSZ, &mut ws) } == 0
            && ws.ws_col > 0
        {
            return ws.ws_col;
        }
    }
    crate::render::DEFAULT_WIDTH
}
