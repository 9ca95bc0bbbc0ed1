//! corpus format.
