//! CSR-signing throughput on one core, as a ratio to `openssl speed ecdsap256` sign/s measured
//! in the same run (DESIGN.md §8 target: >= 0.5).
//!
//! Run with `make bench` (`cargo bench -p anchorage-pki`). Set `ANCHORAGE_BENCH_SECONDS` to
//! change the measuring time per figure (default 3 s).

use std::process::Command;
use std::time::{Duration, Instant};

use anchorage_pki::{
    CaMaterial, CsrParams, EcCurve, KeyAlgorithm, KeyEncoding, KeyUsage, PrivateKey, SignParams,
    build_csr, parse_csr, self_sign_csr, sign_csr,
};
use jiff::{SignedDuration, Timestamp};

fn p256() -> Result<PrivateKey, Box<dyn std::error::Error>> {
    Ok(PrivateKey::generate(KeyAlgorithm::Ecdsa {
        curve: EcCurve::P256,
    })?)
}

/// Runs `f` repeatedly for `secs` seconds and returns operations per second.
fn rate(
    secs: f64,
    mut f: impl FnMut() -> Result<(), Box<dyn std::error::Error>>,
) -> Result<f64, Box<dyn std::error::Error>> {
    // Warm-up.
    for _ in 0..50 {
        f()?;
    }
    let budget = Duration::from_secs_f64(secs);
    let start = Instant::now();
    let mut n: u64 = 0;
    while start.elapsed() < budget {
        for _ in 0..50 {
            f()?;
        }
        n += 50;
    }
    Ok(n as f64 / start.elapsed().as_secs_f64())
}

/// `openssl speed -seconds N ecdsap256` sign/s, single process.
fn openssl_speed(secs: u32) -> Result<f64, Box<dyn std::error::Error>> {
    let out = Command::new("openssl")
        .args(["speed", "-seconds", &secs.to_string(), "ecdsap256"])
        .output()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find(|l| l.contains("ecdsa") && l.contains("nistp256"))
        .ok_or("no nistp256 line in `openssl speed` output")?;
    let fields: Vec<&str> = line.split_whitespace().collect();
    // "... 256 bits ecdsa (nistp256)   0.0000s   0.0001s  40000.0  13000.0": sign/s, verify/s.
    let sign = fields
        .len()
        .checked_sub(2)
        .and_then(|i| fields.get(i))
        .ok_or("short `openssl speed` line")?;
    Ok(sign.parse()?)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // `cargo bench` passes `--bench`; `cargo test --benches` would too. Nothing to filter.
    let secs: f64 = std::env::var("ANCHORAGE_BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3.0);
    let now: Timestamp = "2026-11-30T00:00:00Z".parse()?;

    // A step-like root and identity issuer (P-256), then leaves signed by the issuer.
    let root_key = p256()?;
    let root_csr = parse_csr(&build_csr(
        &root_key,
        &CsrParams {
            common_name: Some("root.linkerd.cluster.local".into()),
            is_ca: true,
            usages: vec![KeyUsage::CertSign, KeyUsage::CrlSign],
            ..CsrParams::default()
        },
    )?)?;
    let mut p = SignParams::new(now, SignedDuration::from_hours(87600));
    p.is_ca = true;
    p.path_len = Some(1);
    p.usages = vec![KeyUsage::CertSign, KeyUsage::CrlSign];
    let root = self_sign_csr(&root_csr, &root_key, &p)?;
    let ca = CaMaterial::load(
        &root.certificate_pem,
        &root_key.to_pem(KeyEncoding::Pkcs8)?,
        None,
    )?;

    let leaf_key = p256()?;
    let leaf_csr_pem = build_csr(
        &leaf_key,
        &CsrParams {
            dns_names: vec!["linkerd-sp-validator.linkerd.svc".into()],
            usages: vec![
                KeyUsage::DigitalSignature,
                KeyUsage::KeyEncipherment,
                KeyUsage::ServerAuth,
            ],
            ..CsrParams::default()
        },
    )?;
    let leaf_csr = parse_csr(&leaf_csr_pem)?;
    let mut leaf = SignParams::new(now, SignedDuration::from_hours(24));
    leaf.backdate = SignedDuration::from_secs(30);
    leaf.usages = leaf_csr.usages.clone();

    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("machine: {cores} cores; measuring {secs} s per figure, one thread");

    let sign_rate = rate(secs, || {
        sign_csr(&leaf_csr, &ca, &leaf)?;
        Ok(())
    })?;
    println!("sign_csr (P-256 CA, parsed CSR):          {sign_rate:>10.1} certs/s");

    let full_rate = rate(secs, || {
        let csr = parse_csr(&leaf_csr_pem)?;
        sign_csr(&csr, &ca, &leaf)?;
        Ok(())
    })?;
    println!("parse_csr (verifies signature) + sign_csr: {full_rate:>10.1} certs/s");

    let openssl = openssl_speed(secs.round().max(1.0) as u32)?;
    println!("openssl speed ecdsap256:                   {openssl:>10.1} sign/s");
    let ratio = sign_rate / openssl;
    println!(
        "ratio sign_csr / openssl sign:             {ratio:>10.3} (target >= 0.5: {})",
        if ratio >= 0.5 { "met" } else { "NOT met" }
    );
    println!(
        "ratio (parse+sign) / openssl sign:         {:>10.3} (includes one ECDSA verify)",
        full_rate / openssl
    );
    Ok(())
}
