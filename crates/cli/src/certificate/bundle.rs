//! `anchorage certificate bundle` and `verify`.

use std::net::IpAddr;
use std::path::PathBuf;

use anchorage_pki::{cert_info, encode_pem, load_certificates};
use anyhow::{Context as _, bail};
use jiff::Timestamp;
use openssl::stack::Stack;
use openssl::x509::store::X509StoreBuilder;
use openssl::x509::verify::X509VerifyParam;
use openssl::x509::{X509, X509StoreContext};

use super::output::{CERT_MODE, OutFile, write_all};
use super::read_input;

/// Arguments of `certificate bundle`.
#[derive(Debug, clap::Args)]
pub struct BundleArgs {
    /// Input certificate files (PEM, each may hold several), then the output file last, e.g.
    /// `ca-new.crt original-trust.crt bundle.crt`.
    #[arg(required = true, num_args = 2.., value_name = "CRT... OUT_FILE")]
    pub files: Vec<PathBuf>,
    /// Overwrite the output file if it exists.
    #[arg(long, short = 'f')]
    pub force: bool,
}

/// Arguments of `certificate verify`.
#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// Certificate to verify (PEM); further certificates in the file are used as intermediates.
    pub crt: PathBuf,
    /// Trusted root certificates (PEM bundle).
    #[arg(long)]
    pub roots: PathBuf,
    /// Also check that the certificate is valid for this DNS name or IP address.
    #[arg(long)]
    pub host: Option<String>,
}

/// Runs `certificate bundle`: first-seen order, de-duplicated by DER, normalised PEM; refuses a
/// non-CA certificate; warns on stderr about expired ones.
pub fn run_bundle(args: &BundleArgs, now: Timestamp) -> anyhow::Result<()> {
    let Some((out, inputs)) = args.files.split_last() else {
        bail!("give at least one input certificate file and the output file");
    };
    if inputs.is_empty() {
        bail!("give at least one input certificate file before the output file");
    }
    super::output::check_destinations(&[out.as_path()], args.force)?;
    let mut seen: Vec<Vec<u8>> = Vec::new();
    let mut pem = Vec::new();
    for path in inputs {
        let data = read_input(path)?;
        let what = path.display().to_string();
        for cert in load_certificates(&data, &what)? {
            let info = cert_info(&cert).with_context(|| format!("cannot read {what}"))?;
            if !info.is_ca {
                bail!(
                    "{} in {what} is not a CA certificate (no CA:TRUE); a trust bundle holds only CA certificates",
                    info.subject
                );
            }
            if info.not_after < now {
                eprintln!(
                    "warning: {} in {what} expired at {} (notAfter)",
                    info.subject, info.not_after
                );
            }
            if !seen.contains(&info.der) {
                pem.extend_from_slice(&encode_pem("CERTIFICATE", &info.der));
                seen.push(info.der);
            }
        }
    }
    write_all(
        &[OutFile {
            path: out,
            data: pem,
            mode: CERT_MODE,
        }],
        args.force,
    )?;
    println!("Your certificate has been saved in {}.", out.display());
    Ok(())
}

/// Runs `certificate verify`: OpenSSL path validation at `now` (or `ANCHORAGE_FAKE_NOW`).
pub fn run_verify(args: &VerifyArgs, now: Timestamp) -> anyhow::Result<()> {
    let crt_pem = read_input(&args.crt)?;
    let roots_pem = read_input(&args.roots)?;
    let mut certs = load_certificates(&crt_pem, &args.crt.display().to_string())?.into_iter();
    let Some(leaf) = certs.next() else {
        bail!("{} holds no certificate", args.crt.display());
    };
    let mut untrusted: Stack<X509> = Stack::new()?;
    for c in certs {
        untrusted.push(c)?;
    }
    let mut store = X509StoreBuilder::new()?;
    for root in load_certificates(&roots_pem, &args.roots.display().to_string())? {
        store.add_cert(root)?;
    }
    let mut param = X509VerifyParam::new()?;
    param.set_time(now.as_second());
    if let Some(host) = &args.host {
        match host.parse::<IpAddr>() {
            Ok(ip) => param.set_ip(ip)?,
            Err(_) => param.set_host(host)?,
        }
    }
    store.set_param(&param)?;
    let store = store.build();
    let mut ctx = X509StoreContext::new()?;
    let (ok, error, depth) = ctx.init(&store, &leaf, &untrusted, |c| {
        let ok = c.verify_cert()?;
        Ok((ok, c.error(), c.error_depth()))
    })?;
    let subject = cert_info(&leaf)
        .map(|i| i.subject)
        .unwrap_or_else(|_| args.crt.display().to_string());
    if !ok {
        bail!(
            "{subject} did not verify against {}: {} (at depth {depth})",
            args.roots.display(),
            error.error_string()
        );
    }
    println!("{}: OK", args.crt.display());
    Ok(())
}
