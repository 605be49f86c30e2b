//! `anchorage certificate ...`: offline steps of the Linkerd mTLS workflow, flag-compatible with
//! the `step certificate` commands of the operator guide (`create`, `inspect`, `bundle`,
//! `verify`, `fingerprint`).
//!
//! Every check runs before anything is written; on error the process prints one line on stderr
//! and exits 1 (see `main.rs`).

use std::io::Read as _;
use std::path::Path;

use anyhow::Context as _;
use jiff::Timestamp;

mod bundle;
mod create;
mod inspect;
mod output;

/// Test-only: an RFC 3339 instant used instead of the system clock by every `certificate`
/// subcommand (e.g. `ANCHORAGE_FAKE_NOW=2026-11-30T00:00:00Z`). Not meant for production use.
pub const FAKE_NOW_ENV: &str = "ANCHORAGE_FAKE_NOW";

/// `certificate` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Create a certificate and private key: a root CA, an intermediate CA (e.g. Linkerd's
    /// identity issuer), a leaf or a self-signed leaf (like `step certificate create`).
    Create(Box<create::CreateArgs>),
    /// Print the certificates of a PEM file (or `-` for stdin): names, validity with time left,
    /// SANs, key, constraints, usages, key identifiers and fingerprint.
    Inspect(inspect::InspectArgs),
    /// Concatenate certificates into one trust bundle, de-duplicated and normalised
    /// (like `step certificate bundle`).
    Bundle(bundle::BundleArgs),
    /// Verify a certificate chain against trust roots (OpenSSL path validation).
    Verify(bundle::VerifyArgs),
    /// Print the SHA-256 fingerprint of each certificate in a file (lower-case hex).
    Fingerprint(inspect::FingerprintArgs),
}

/// Runs one `certificate` subcommand.
///
/// # Errors
/// Any user or input error, as a one-line message.
pub fn run(cmd: Command) -> anyhow::Result<()> {
    let now = now()?;
    match cmd {
        Command::Create(args) => create::run(&args, now),
        Command::Inspect(args) => inspect::run(&args, now),
        Command::Bundle(args) => bundle::run_bundle(&args, now),
        Command::Verify(args) => bundle::run_verify(&args, now),
        Command::Fingerprint(args) => inspect::run_fingerprint(&args),
    }
}

/// The current instant, or [`FAKE_NOW_ENV`] when set (tests only).
fn now() -> anyhow::Result<Timestamp> {
    match std::env::var(FAKE_NOW_ENV) {
        Ok(v) if !v.is_empty() => v
            .parse::<Timestamp>()
            .with_context(|| format!("{FAKE_NOW_ENV}={v:?} is not an RFC 3339 instant")),
        _ => Ok(Timestamp::now()),
    }
}

/// Reads a file, or stdin for `-`.
fn read_input(path: &Path) -> anyhow::Result<Vec<u8>> {
    if path.as_os_str() == "-" {
        let mut buf = Vec::new();
        std::io::stdin()
            .read_to_end(&mut buf)
            .context("cannot read standard input")?;
        return Ok(buf);
    }
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

/// Colon-separated upper-case hex, as OpenSSL and step print key identifiers and serials.
fn colon_hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}
