//! `anchorage certificate create`: step-compatible profiles (DESIGN.md §9).

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use anchorage_pki::{
    CaMaterial, CsrParams, EcCurve, KeyAlgorithm, KeyEncoding, KeyUsage, PrivateKey, SignParams,
    build_csr, check_common_name, format_go_duration, parse_csr, parse_go_duration, self_sign_csr,
    sign_csr,
};
use anyhow::{Context as _, bail};
use jiff::{SignedDuration, Timestamp};

use super::output::{CERT_MODE, KEY_MODE, OutFile, check_destinations, write_all};
use super::read_input;

/// Default validity of `root-ca` and `intermediate-ca` (step: 10 years).
const CA_VALIDITY: SignedDuration = SignedDuration::from_hours(87_600);
/// Default validity of `leaf` and `self-signed` (step: 24 hours).
const LEAF_VALIDITY: SignedDuration = SignedDuration::from_hours(24);

/// Certificate profile, as step's `--profile`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Profile {
    /// Self-signed CA: CA:TRUE pathlen:1, keyCertSign + cRLSign. Default validity 87600h.
    RootCa,
    /// CA signed by --ca: CA:TRUE pathlen:0, keyCertSign + cRLSign. Default validity 87600h.
    IntermediateCa,
    /// End-entity signed by --ca: digitalSignature (+keyEncipherment for RSA), serverAuth +
    /// clientAuth; SANs default to the subject. Default validity 24h.
    Leaf,
    /// Self-signed end-entity with the leaf's extensions. Default validity 24h.
    SelfSigned,
}

impl Profile {
    fn is_ca(self) -> bool {
        matches!(self, Profile::RootCa | Profile::IntermediateCa)
    }
    fn needs_ca(self) -> bool {
        matches!(self, Profile::IntermediateCa | Profile::Leaf)
    }
    fn default_validity(self) -> SignedDuration {
        if self.is_ca() {
            CA_VALIDITY
        } else {
            LEAF_VALIDITY
        }
    }
    fn name(self) -> &'static str {
        match self {
            Profile::RootCa => "root-ca",
            Profile::IntermediateCa => "intermediate-ca",
            Profile::Leaf => "leaf",
            Profile::SelfSigned => "self-signed",
        }
    }
}

/// Key type, as step's `--kty`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Kty {
    /// Elliptic curve (ECDSA); default curve P-256.
    #[value(name = "EC")]
    Ec,
    /// RSA; default size 2048 bits.
    #[value(name = "RSA")]
    Rsa,
    /// Octet key pair (Ed25519).
    #[value(name = "OKP")]
    Okp,
}

/// Curve, as step's `--curve`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Curve {
    /// NIST P-256 (default for EC).
    #[value(name = "P-256")]
    P256,
    /// NIST P-384.
    #[value(name = "P-384")]
    P384,
    /// NIST P-521.
    #[value(name = "P-521")]
    P521,
    /// Ed25519 (with --kty OKP).
    #[value(name = "Ed25519")]
    Ed25519,
}

/// Arguments of `certificate create`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Defaults (as step): key EC P-256 (signature ecdsa-with-SHA256); validity 87600h (10 years) for \
root-ca and intermediate-ca, 24h for leaf and self-signed; notBefore = now.
Private keys are never encrypted: --no-password --insecure is required. Key files get mode 0600.
Existing files are never overwritten without --force, and nothing is written when a check fails.")]
pub struct CreateArgs {
    /// Subject common name (at most 64 bytes), e.g. root.linkerd.cluster.local.
    pub subject: String,
    /// Where to write the certificate (PEM).
    pub crt_file: PathBuf,
    /// Where to write the private key (PEM, mode 0600; EC keys as `EC PRIVATE KEY`).
    pub key_file: PathBuf,
    /// Certificate profile.
    #[arg(long, value_enum, default_value = "leaf")]
    pub profile: Profile,
    /// Issuing CA certificate (PEM; may hold its chain). Required for intermediate-ca and leaf.
    #[arg(long, value_name = "CRT")]
    pub ca: Option<PathBuf>,
    /// Private key of --ca (PEM, unencrypted).
    #[arg(long = "ca-key", value_name = "KEY")]
    pub ca_key: Option<PathBuf>,
    /// End of validity: a Go duration from now (8760h, 1h30m) or an RFC 3339 time.
    /// Default 87600h for CA profiles, 24h otherwise.
    #[arg(
        long = "not-after",
        value_name = "DURATION|RFC3339",
        allow_hyphen_values = true
    )]
    pub not_after: Option<String>,
    /// Start of validity: a Go duration from now (-5m) or an RFC 3339 time. Default now.
    #[arg(
        long = "not-before",
        value_name = "DURATION|RFC3339",
        allow_hyphen_values = true
    )]
    pub not_before: Option<String>,
    /// Key type: EC (default), RSA or OKP.
    #[arg(long, value_enum)]
    pub kty: Option<Kty>,
    /// Curve: P-256 (default for EC), P-384, P-521, Ed25519 (OKP).
    #[arg(long, value_enum)]
    pub curve: Option<Curve>,
    /// RSA key size in bits (2048..8192, default 2048).
    #[arg(long)]
    pub size: Option<u32>,
    /// Subject alternative name (DNS name, IP address, e-mail or URI); repeatable. Leaf
    /// profiles default to the subject.
    #[arg(long, value_name = "NAME")]
    pub san: Vec<String>,
    /// Do not encrypt the private key (requires --insecure).
    #[arg(long = "no-password")]
    pub no_password: bool,
    /// Acknowledge writing an unencrypted private key.
    #[arg(long)]
    pub insecure: bool,
    /// Overwrite existing output files.
    #[arg(long, short = 'f')]
    pub force: bool,
}

/// Parses `--not-after` / `--not-before`: RFC 3339 (any offset, converted to UTC) or a Go
/// duration relative to `now`.
fn parse_time(flag: &str, value: &str, now: Timestamp) -> anyhow::Result<Timestamp> {
    if let Ok(t) = value.parse::<Timestamp>() {
        return Ok(t);
    }
    match parse_go_duration(value) {
        Ok(d) => now
            .checked_add(d)
            .with_context(|| format!("--{flag} {value} is out of range")),
        Err(e) => bail!(
            "invalid value {value:?} for --{flag}: {e}; use a Go duration such as 8760h or 1h30m (there is no day unit), or an RFC 3339 time such as 2027-01-01T00:00:00Z"
        ),
    }
}

fn key_algorithm(args: &CreateArgs) -> anyhow::Result<KeyAlgorithm> {
    let kty = args.kty.unwrap_or(match args.curve {
        Some(Curve::Ed25519) => Kty::Okp,
        _ if args.size.is_some() => Kty::Rsa,
        _ => Kty::Ec,
    });
    match kty {
        Kty::Ec => {
            if args.size.is_some() {
                bail!("--size applies to --kty RSA only; choose an EC key with --curve");
            }
            let curve = match args.curve.unwrap_or(Curve::P256) {
                Curve::P256 => EcCurve::P256,
                Curve::P384 => EcCurve::P384,
                Curve::P521 => EcCurve::P521,
                Curve::Ed25519 => bail!("--curve Ed25519 needs --kty OKP"),
            };
            Ok(KeyAlgorithm::Ecdsa { curve })
        }
        Kty::Rsa => {
            if args.curve.is_some() {
                bail!("--curve does not apply to --kty RSA; use --size");
            }
            let bits = args.size.unwrap_or(2048);
            if !(2048..=8192).contains(&bits) {
                bail!("--size {bits} is out of range: RSA keys must have 2048 to 8192 bits");
            }
            Ok(KeyAlgorithm::Rsa { bits })
        }
        Kty::Okp => {
            if args.size.is_some() {
                bail!("--size applies to --kty RSA only");
            }
            match args.curve.unwrap_or(Curve::Ed25519) {
                Curve::Ed25519 => Ok(KeyAlgorithm::Ed25519),
                other => bail!("--kty OKP supports only --curve Ed25519, not {other:?}"),
            }
        }
    }
}

/// Sorts SANs like step: IP addresses, e-mail addresses (`@`), URIs (`scheme:`), else DNS.
/// A DNS name must be an RFC 1123 host name (optionally `*.`-prefixed); something that looks
/// like an IP address but does not parse (`10.0.0.256`) is refused rather than written as DNS.
fn split_sans(sans: &[String], p: &mut CsrParams, check_dns: bool) -> anyhow::Result<()> {
    for s in sans {
        if let Ok(ip) = s.parse::<IpAddr>() {
            p.ip_addresses.push(ip);
        } else if s.contains("://") || (s.contains(':') && !s.contains('@')) {
            p.uris.push(s.clone());
        } else if s.contains('@') {
            p.email_addresses.push(s.clone());
        } else {
            if check_dns {
                check_dns_name(s)?;
            }
            p.dns_names.push(s.clone());
        }
    }
    Ok(())
}

/// RFC 1123 host name check for `--san` (a leading `*.` wildcard label is allowed).
fn check_dns_name(name: &str) -> anyhow::Result<()> {
    let host = name.strip_prefix("*.").unwrap_or(name);
    let labels: Vec<&str> = host.split('.').collect();
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    };
    if name.len() > 253 || !labels.iter().all(|l| label_ok(l)) {
        bail!("--san {name:?}: not a valid DNS name, IP address, e-mail address or URI");
    }
    if labels.iter().all(|l| l.chars().all(|c| c.is_ascii_digit())) {
        bail!("--san {name:?}: not a valid IP address (and all-numeric names are not DNS names)");
    }
    Ok(())
}

/// Runs `certificate create`.
pub fn run(args: &CreateArgs, now: Timestamp) -> anyhow::Result<()> {
    // 1. Flags (cheap checks first; nothing is written on any error).
    if args.no_password && !args.insecure {
        bail!("flag '--no-password' requires the '--insecure' flag");
    }
    if !(args.no_password && args.insecure) {
        bail!(
            "anchorage does not encrypt private keys: pass --no-password --insecure to write an unencrypted key (protect it with file permissions or a secret store)"
        );
    }
    let profile = args.profile;
    match (profile.needs_ca(), &args.ca, &args.ca_key) {
        (true, Some(_), Some(_)) | (false, None, None) => {}
        (true, _, _) => bail!(
            "--profile {} needs both --ca and --ca-key (the issuing CA's certificate and key)",
            profile.name()
        ),
        (false, _, _) => bail!(
            "--profile {} is self-signed: do not pass --ca/--ca-key (use intermediate-ca or leaf to sign with a CA)",
            profile.name()
        ),
    }
    check_common_name(&args.subject)?;
    let alg = key_algorithm(args)?;
    let not_before = match &args.not_before {
        Some(v) => parse_time("not-before", v, now)?,
        None => now,
    };
    let not_after = match &args.not_after {
        Some(v) => parse_time("not-after", v, now)?,
        None => now
            .checked_add(profile.default_validity())
            .context("default validity is out of range")?,
    };
    let duration = not_after.duration_since(not_before);
    if duration <= SignedDuration::ZERO {
        bail!(
            "--not-after {not_after} is not after --not-before {not_before}; give a later --not-after"
        );
    }
    let outputs = [args.crt_file.as_path(), args.key_file.as_path()];
    check_destinations(&outputs, args.force)?;
    let ca = match (&args.ca, &args.ca_key) {
        (Some(crt), Some(key)) => Some(load_ca(crt, key, now)?),
        _ => None,
    };

    // 2. Build.
    let key = PrivateKey::generate(alg)?;
    let mut params = CsrParams {
        common_name: Some(args.subject.clone()),
        is_ca: profile.is_ca(),
        ..CsrParams::default()
    };
    let sans: Vec<String> = if args.san.is_empty() && !profile.is_ca() {
        vec![args.subject.clone()]
    } else {
        args.san.clone()
    };
    // Explicit --san values are checked; the subject used as the default SAN is taken as is
    // (step's behaviour; a 64-byte subject is a valid CN even if not a valid DNS label).
    split_sans(&sans, &mut params, !args.san.is_empty())?;
    let usages = match profile {
        Profile::RootCa | Profile::IntermediateCa => vec![KeyUsage::CertSign, KeyUsage::CrlSign],
        Profile::Leaf | Profile::SelfSigned => {
            let mut u = vec![KeyUsage::DigitalSignature];
            if matches!(alg, KeyAlgorithm::Rsa { .. }) {
                u.push(KeyUsage::KeyEncipherment);
            }
            u.extend([KeyUsage::ServerAuth, KeyUsage::ClientAuth]);
            u
        }
    };
    params.usages = usages.clone();
    let csr = parse_csr(&build_csr(&key, &params)?)?;
    let sign = SignParams {
        is_ca: profile.is_ca(),
        usages,
        path_len: match profile {
            Profile::RootCa => Some(1),
            Profile::IntermediateCa => Some(0),
            _ => None,
        },
        ..SignParams::new(not_before, duration)
    };
    let issued = match &ca {
        Some(ca) => sign_csr(&csr, ca, &sign)?,
        None => self_sign_csr(&csr, &key, &sign)?,
    };
    if issued.clipped {
        eprintln!(
            "warning: notAfter was clipped to the issuing CA's notAfter {} (requested {}, {} from notBefore)",
            issued.not_after,
            not_after,
            format_go_duration(duration)
        );
    }
    // The certificate file holds the new certificate only (step writes no chain by default).
    let crt_pem = anchorage_pki::encode_pem("CERTIFICATE", &issued.certificate_der);
    let key_pem = key.to_pem(KeyEncoding::Pkcs1)?;

    // 3. Write both or neither.
    write_all(
        &[
            OutFile {
                path: &args.crt_file,
                data: crt_pem,
                mode: CERT_MODE,
            },
            OutFile {
                path: &args.key_file,
                data: key_pem,
                mode: KEY_MODE,
            },
        ],
        args.force,
    )?;
    println!(
        "Your certificate has been saved in {}.",
        args.crt_file.display()
    );
    println!(
        "Your private key has been saved in {}.",
        args.key_file.display()
    );
    Ok(())
}

fn load_ca(crt: &Path, key: &Path, now: Timestamp) -> anyhow::Result<CaMaterial> {
    let crt_pem = read_input(crt)?;
    let key_pem = read_input(key)?;
    let ca = CaMaterial::load(&crt_pem, &key_pem, None)
        .with_context(|| format!("cannot use {} / {} as the CA", crt.display(), key.display()))?;
    ca.check_valid_at(now)?;
    Ok(ca)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_time_bc19() {
        let now: Timestamp = "2026-11-30T00:00:00Z".parse().unwrap();
        let t = |v: &str| parse_time("not-after", v, now);
        assert_eq!(
            t("87600h").unwrap(),
            "2036-11-27T00:00:00Z".parse::<Timestamp>().unwrap()
        );
        assert_eq!(
            t("262800h").unwrap(),
            "2056-11-22T00:00:00Z".parse::<Timestamp>().unwrap()
        );
        assert_eq!(
            t("2027-01-01T00:00:00+02:00").unwrap(),
            "2026-12-31T22:00:00Z".parse::<Timestamp>().unwrap()
        );
        let err = t("90d").unwrap_err().to_string();
        assert!(
            err.contains(r#"time: unknown unit "d" in duration "90d""#),
            "{err}"
        );
    }

    #[test]
    fn san_kinds() {
        let mut p = CsrParams::default();
        split_sans(
            &[
                "a.example".into(),
                "10.0.0.1".into(),
                "::1".into(),
                "me@example.test".into(),
                "spiffe://td/ns/x".into(),
            ],
            &mut p,
            true,
        )
        .unwrap();
        assert_eq!(p.dns_names, vec!["a.example"]);
        assert_eq!(p.ip_addresses.len(), 2);
        assert_eq!(p.email_addresses, vec!["me@example.test"]);
        assert_eq!(p.uris, vec!["spiffe://td/ns/x"]);
    }

    #[test]
    fn bad_sans_are_refused() {
        for bad in [
            "10.0.0.256",
            "1.2.3.4.5",
            "bad name!",
            "-a.example",
            "a..example",
        ] {
            let mut p = CsrParams::default();
            assert!(split_sans(&[bad.into()], &mut p, true).is_err(), "{bad}");
        }
        let mut p = CsrParams::default();
        split_sans(
            &[
                "*.svc.example.test".into(),
                "webhook.linkerd.cluster.local".into(),
            ],
            &mut p,
            true,
        )
        .unwrap();
        assert_eq!(p.dns_names.len(), 2);
    }
}
