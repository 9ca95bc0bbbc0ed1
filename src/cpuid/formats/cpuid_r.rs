//! cpuid_r format.
