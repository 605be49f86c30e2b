//! `anchorage certificate inspect` and `fingerprint`.

use std::fmt::Write as _;
use std::path::PathBuf;

use anchorage_pki::{
    CertInfo, KeyAlgorithm, KeyUsage, format_go_duration, parse_certificates, parse_go_duration,
    renewal_time,
};
use anyhow::Context as _;
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

use super::{colon_hex, read_input};

/// Output format of `inspect`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Human-readable, laid out like `step certificate inspect` / `openssl x509 -text`.
    Text,
    /// A JSON array with one object per certificate.
    Json,
}

/// Arguments of `certificate inspect`.
#[derive(Debug, clap::Args)]
pub struct InspectArgs {
    /// PEM file with one or more certificates, or `-` for standard input.
    pub file: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Also show when cert-manager would renew with this renewBefore (Go duration, e.g. 25h).
    /// Without it (and without --renew-before-percentage) the default 2/3 of the lifetime is used.
    #[arg(long = "renew-before", value_name = "DURATION")]
    pub renew_before: Option<String>,
    /// Show the renewal time for this renewBeforePercentage (1..99).
    #[arg(long = "renew-before-percentage", value_name = "PERCENT")]
    pub renew_before_percentage: Option<i32>,
}

/// Arguments of `certificate fingerprint`.
#[derive(Debug, clap::Args)]
pub struct FingerprintArgs {
    /// PEM file with one or more certificates, or `-` for standard input.
    pub file: PathBuf,
}

/// JSON shape of one certificate.
#[derive(Debug, Serialize)]
struct JsonCert<'a> {
    subject: &'a str,
    issuer: &'a str,
    serial: &'a str,
    not_before: String,
    not_after: String,
    /// Seconds from now until notAfter (negative when expired).
    remaining_seconds: i64,
    expired: bool,
    renewal_time: String,
    common_name: Option<&'a str>,
    dns_names: &'a [String],
    ip_addresses: Vec<String>,
    uris: &'a [String],
    email_addresses: &'a [String],
    is_ca: bool,
    path_len: Option<u32>,
    usages: Vec<&'static str>,
    key_algorithm: &'static str,
    key_size: u32,
    curve: Option<&'static str>,
    signature_algorithm: &'a str,
    subject_key_id: Option<String>,
    authority_key_id: Option<String>,
    sha256_fingerprint: &'a str,
}

fn key_parts(alg: KeyAlgorithm) -> (&'static str, u32, Option<&'static str>) {
    match alg {
        KeyAlgorithm::Rsa { bits } => ("RSA", bits, None),
        KeyAlgorithm::Ecdsa { curve } => ("ECDSA", curve.bits(), Some(curve.name())),
        KeyAlgorithm::Ed25519 => ("Ed25519", 256, None),
    }
}

/// `3650d 0h 0m 0s`-style rendering of a span, or `expired 2h 0m 0s ago`.
fn remaining(d: SignedDuration) -> String {
    let secs = d.as_secs();
    let abs = secs.unsigned_abs();
    let text = format!(
        "{}d {}h {}m {}s",
        abs / 86_400,
        abs % 86_400 / 3_600,
        abs % 3_600 / 60,
        abs % 60
    );
    if secs < 0 {
        format!("expired {text} ago")
    } else {
        format!("{text} left")
    }
}

/// openssl's display names for keyUsage bits and well-known EKUs.
fn usage_label(u: KeyUsage) -> &'static str {
    match u {
        KeyUsage::Signing | KeyUsage::DigitalSignature => "Digital Signature",
        KeyUsage::ContentCommitment => "Non Repudiation",
        KeyUsage::KeyEncipherment => "Key Encipherment",
        KeyUsage::DataEncipherment => "Data Encipherment",
        KeyUsage::KeyAgreement => "Key Agreement",
        KeyUsage::CertSign => "Certificate Sign",
        KeyUsage::CrlSign => "CRL Sign",
        KeyUsage::EncipherOnly => "Encipher Only",
        KeyUsage::DecipherOnly => "Decipher Only",
        KeyUsage::Any => "Any Extended Key Usage",
        KeyUsage::ServerAuth => "TLS Web Server Authentication",
        KeyUsage::ClientAuth => "TLS Web Client Authentication",
        KeyUsage::CodeSigning => "Code Signing",
        KeyUsage::EmailProtection | KeyUsage::SMime => "E-mail Protection",
        KeyUsage::IpsecEndSystem => "IPSec End System",
        KeyUsage::IpsecTunnel => "IPSec Tunnel",
        KeyUsage::IpsecUser => "IPSec User",
        KeyUsage::Timestamping => "Time Stamping",
        KeyUsage::OcspSigning => "OCSP Signing",
        KeyUsage::MicrosoftSgc => "Microsoft Server Gated Crypto",
        KeyUsage::NetscapeSgc => "Netscape Server Gated Crypto",
    }
}

fn is_key_usage_bit(u: KeyUsage) -> bool {
    matches!(
        u,
        KeyUsage::Signing
            | KeyUsage::DigitalSignature
            | KeyUsage::ContentCommitment
            | KeyUsage::KeyEncipherment
            | KeyUsage::DataEncipherment
            | KeyUsage::KeyAgreement
            | KeyUsage::CertSign
            | KeyUsage::CrlSign
            | KeyUsage::EncipherOnly
            | KeyUsage::DecipherOnly
    )
}

fn text(c: &CertInfo, now: Timestamp, renewal: Timestamp, renewal_rule: &str) -> String {
    let mut s = String::new();
    let (kalg, kbits, curve) = key_parts(c.key_algorithm);
    let _ = writeln!(s, "Certificate:");
    let _ = writeln!(s, "    Data:");
    let _ = writeln!(s, "        Serial Number: {}", c.serial_hex);
    let _ = writeln!(s, "    Signature Algorithm: {}", c.signature_algorithm);
    let _ = writeln!(s, "        Issuer: {}", c.issuer);
    let _ = writeln!(s, "        Validity");
    let _ = writeln!(s, "            Not Before: {}", c.not_before);
    let _ = writeln!(
        s,
        "            Not After : {} ({})",
        c.not_after,
        remaining(c.not_after.duration_since(now))
    );
    let _ = writeln!(s, "            Renewal   : {renewal} ({renewal_rule})");
    let _ = writeln!(s, "        Subject: {}", c.subject);
    let _ = writeln!(s, "        Subject Public Key Info:");
    let _ = writeln!(s, "            Public Key Algorithm: {kalg}");
    let _ = writeln!(s, "                Public-Key: ({kbits} bit)");
    if let Some(curve) = curve {
        let _ = writeln!(s, "                Curve: {curve}");
    }
    let _ = writeln!(s, "        X509v3 extensions:");
    let _ = writeln!(s, "            X509v3 Basic Constraints:");
    match (c.is_ca, c.path_len) {
        (true, Some(p)) => {
            let _ = writeln!(s, "                CA:TRUE, pathlen:{p}");
        }
        (true, None) => {
            let _ = writeln!(s, "                CA:TRUE");
        }
        _ => {
            let _ = writeln!(s, "                CA:FALSE");
        }
    }
    let ku: Vec<&str> = c
        .usages
        .iter()
        .filter(|u| is_key_usage_bit(**u))
        .map(|u| usage_label(*u))
        .collect();
    if !ku.is_empty() {
        let _ = writeln!(s, "            X509v3 Key Usage:");
        let _ = writeln!(s, "                {}", ku.join(", "));
    }
    let eku: Vec<&str> = c
        .usages
        .iter()
        .filter(|u| !is_key_usage_bit(**u))
        .map(|u| usage_label(*u))
        .collect();
    if !eku.is_empty() {
        let _ = writeln!(s, "            X509v3 Extended Key Usage:");
        let _ = writeln!(s, "                {}", eku.join(", "));
    }
    if let Some(id) = &c.subject_key_id {
        let _ = writeln!(s, "            X509v3 Subject Key Identifier:");
        let _ = writeln!(s, "                {}", colon_hex(id));
    }
    if let Some(id) = &c.authority_key_id {
        let _ = writeln!(s, "            X509v3 Authority Key Identifier:");
        let _ = writeln!(s, "                keyid:{}", colon_hex(id));
    }
    let mut sans: Vec<String> = Vec::new();
    sans.extend(c.dns_names.iter().map(|d| format!("DNS:{d}")));
    sans.extend(c.ip_addresses.iter().map(|i| format!("IP Address:{i}")));
    sans.extend(c.uris.iter().map(|u| format!("URI:{u}")));
    sans.extend(c.email_addresses.iter().map(|e| format!("email:{e}")));
    if !sans.is_empty() {
        let _ = writeln!(s, "            X509v3 Subject Alternative Name:");
        let _ = writeln!(s, "                {}", sans.join(", "));
    }
    let _ = writeln!(s, "    SHA-256 Fingerprint: {}", c.sha256_fingerprint);
    s
}

/// Runs `certificate inspect`.
pub fn run(args: &InspectArgs, now: Timestamp) -> anyhow::Result<()> {
    let rb = args
        .renew_before
        .as_deref()
        .map(parse_go_duration)
        .transpose()
        .context("invalid --renew-before")?;
    if let Some(p) = args.renew_before_percentage
        && !(1..=99).contains(&p)
    {
        anyhow::bail!("--renew-before-percentage must be between 1 and 99, got {p}");
    }
    let rule = match (rb, args.renew_before_percentage) {
        (Some(d), _) => format!("renewBefore {}", format_go_duration(d)),
        (None, Some(p)) => format!("renewBeforePercentage {p}"),
        (None, None) => "cert-manager default: 2/3 of the lifetime".to_string(),
    };
    let input = read_input(&args.file)?;
    let certs = parse_certificates(&input)
        .with_context(|| format!("cannot inspect {}", args.file.display()))?;
    match args.format {
        Format::Text => {
            let mut out = String::new();
            for c in &certs {
                let renewal =
                    renewal_time(c.not_before, c.not_after, rb, args.renew_before_percentage);
                out.push_str(&text(c, now, renewal, &rule));
            }
            print!("{out}");
        }
        Format::Json => {
            let list: Vec<JsonCert<'_>> = certs
                .iter()
                .map(|c| {
                    let (key_algorithm, key_size, curve) = key_parts(c.key_algorithm);
                    JsonCert {
                        subject: &c.subject,
                        issuer: &c.issuer,
                        serial: &c.serial_hex,
                        not_before: c.not_before.to_string(),
                        not_after: c.not_after.to_string(),
                        remaining_seconds: c.not_after.duration_since(now).as_secs(),
                        expired: c.not_after < now,
                        renewal_time: renewal_time(
                            c.not_before,
                            c.not_after,
                            rb,
                            args.renew_before_percentage,
                        )
                        .to_string(),
                        common_name: c.common_name.as_deref(),
                        dns_names: &c.dns_names,
                        ip_addresses: c.ip_addresses.iter().map(|i| i.to_string()).collect(),
                        uris: &c.uris,
                        email_addresses: &c.email_addresses,
                        is_ca: c.is_ca,
                        path_len: c.path_len,
                        usages: c.usages.iter().map(|u| u.as_str()).collect(),
                        key_algorithm,
                        key_size,
                        curve,
                        signature_algorithm: &c.signature_algorithm,
                        subject_key_id: c.subject_key_id.as_deref().map(colon_hex),
                        authority_key_id: c.authority_key_id.as_deref().map(colon_hex),
                        sha256_fingerprint: &c.sha256_fingerprint,
                    }
                })
                .collect();
            println!("{}", serde_json::to_string_pretty(&list)?);
        }
    }
    Ok(())
}

/// Runs `certificate fingerprint`: one line per certificate.
pub fn run_fingerprint(args: &FingerprintArgs) -> anyhow::Result<()> {
    let input = read_input(&args.file)?;
    let certs = parse_certificates(&input)
        .with_context(|| format!("cannot read certificates from {}", args.file.display()))?;
    for c in certs {
        println!("{}", c.sha256_fingerprint);
    }
    Ok(())
}
