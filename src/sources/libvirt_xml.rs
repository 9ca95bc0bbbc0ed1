//! libvirt XML (filled below).
