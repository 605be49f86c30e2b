//! Helpers shared by the controller end-to-end tests: a controller scoped to one test
//! namespace, Secret and metrics readers, and certificate tools (our CLI and `openssl`).
#![allow(dead_code, clippy::expect_used, clippy::unwrap_used)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anchorage_e2e::{Cluster, ControllerProcess, wait_for};
use anyhow::{Context, Result, anyhow, bail};
use base64::Engine;

/// A free loopback port (bound then released).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// A controller plus the port its metrics are served on.
pub struct Controller {
    pub process: ControllerProcess,
    pub metrics_port: u16,
    pub health_port: u16,
}

impl Controller {
    /// Starts `anchorage controller` watching only `ns` (no leader election), so tests in
    /// other namespaces never see it.
    pub fn start(cluster: &Cluster, ns: &str, extra: &[&str]) -> Result<Controller> {
        Self::start_with(cluster, Some(ns), extra)
    }

    /// Starts a controller watching `ns` (or all namespaces) with extra flags.
    pub fn start_with(cluster: &Cluster, ns: Option<&str>, extra: &[&str]) -> Result<Controller> {
        let metrics_port = free_port();
        let health_port = free_port();
        let m = format!("127.0.0.1:{metrics_port}");
        let h = format!("127.0.0.1:{health_port}");
        let mut args = vec![
            "--metrics-listen-address",
            m.as_str(),
            "--health-listen-address",
            h.as_str(),
            "--log-level",
            "info,anchorage_controller=debug",
        ];
        if let Some(ns) = ns {
            args.extend(["--namespace", ns]);
        }
        if !extra.iter().any(|a| a.starts_with("--leader-elect")) {
            args.push("--leader-elect=false");
        }
        args.extend_from_slice(extra);
        let process = ControllerProcess::start(cluster, &args)?;
        let c = Controller {
            process,
            metrics_port,
            health_port,
        };
        wait_for(Duration::from_secs(30), || {
            Ok(c.http(c.health_port, "/readyz").is_ok())
        })
        .with_context(|| format!("controller never became ready; log:\n{}", c.process.log()))?;
        Ok(c)
    }

    fn http(&self, port: u16, path: &str) -> Result<String> {
        let out = Command::new("curl")
            .args([
                "-sf",
                "--max-time",
                "5",
                &format!("http://127.0.0.1:{port}{path}"),
            ])
            .output()
            .context("running curl")?;
        if !out.status.success() {
            bail!("GET {path} failed");
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// The /metrics text.
    pub fn metrics(&self) -> Result<String> {
        self.http(self.metrics_port, "/metrics")
    }

    /// API writes so far, excluding Events (`anchorage_api_writes_total`).
    pub fn writes(&self) -> Result<u64> {
        Ok(self
            .metrics()?
            .lines()
            .filter(|l| {
                l.starts_with("anchorage_api_writes_total{") && !l.contains("resource=\"events\"")
            })
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum::<f64>() as u64)
    }

    /// Fails if the controller log contains private key material.
    pub fn assert_no_key_material(&self) {
        let log = self.process.log();
        assert!(
            !log.contains("PRIVATE KEY") && !log.contains("tls.key\":\"") && !log.contains("MII"),
            "controller log contains key material: {}",
            self.process.log_path().display()
        );
    }
}

/// The `anchorage` binary.
pub fn anchorage_bin() -> PathBuf {
    ControllerProcess::binary()
}

/// Runs a program, failing with its stderr.
pub fn run(program: &Path, args: &[&str]) -> Result<String> {
    let out = Command::new(program)
        .args(args)
        .output()
        .with_context(|| format!("running {}", program.display()))?;
    if !out.status.success() {
        bail!(
            "{} {} failed: {}",
            program.display(),
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Runs `openssl args...`.
pub fn openssl(args: &[&str]) -> Result<String> {
    run(Path::new("openssl"), args)
}

/// Creates a step-style root CA with our CLI in `dir`: returns (crt path, key path).
pub fn root_ca(dir: &Path, subject: &str, extra: &[&str]) -> Result<(PathBuf, PathBuf)> {
    let crt = dir.join(format!("{subject}.crt"));
    let key = dir.join(format!("{subject}.key"));
    let crt_s = crt.to_string_lossy().into_owned();
    let key_s = key.to_string_lossy().into_owned();
    let mut args = vec![
        "certificate",
        "create",
        subject,
        crt_s.as_str(),
        key_s.as_str(),
        "--profile",
        "root-ca",
        "--no-password",
        "--insecure",
    ];
    args.extend_from_slice(extra);
    run(&anchorage_bin(), &args)?;
    Ok((crt, key))
}

/// `kubectl create secret tls NAME --cert --key -n NS`.
pub fn tls_secret(cluster: &Cluster, ns: &str, name: &str, crt: &Path, key: &Path) -> Result<()> {
    cluster.kubectl(&[
        "create",
        "secret",
        "tls",
        name,
        &format!("--cert={}", crt.display()),
        &format!("--key={}", key.display()),
        "-n",
        ns,
    ])?;
    Ok(())
}

/// One data entry of a Secret, decoded; `None` when the Secret or entry is missing.
pub fn secret_entry(cluster: &Cluster, ns: &str, name: &str, key: &str) -> Result<Option<Vec<u8>>> {
    let escaped = key.replace('.', "\\.");
    let out = cluster.kubectl(&[
        "get",
        "secret",
        name,
        "-n",
        ns,
        "--ignore-not-found",
        "-o",
        &format!("jsonpath={{.data.{escaped}}}"),
    ])?;
    let out = out.trim();
    if out.is_empty() {
        return Ok(None);
    }
    Ok(Some(base64::engine::general_purpose::STANDARD.decode(out)?))
}

/// A jsonpath query on one object.
pub fn jsonpath(cluster: &Cluster, kind: &str, name: &str, ns: &str, path: &str) -> Result<String> {
    Ok(cluster
        .kubectl(&[
            "get",
            kind,
            name,
            "-n",
            ns,
            "-o",
            &format!("jsonpath={path}"),
        ])?
        .trim()
        .to_string())
}

/// Names of the CertificateRequests in `ns`.
pub fn request_names(cluster: &Cluster, ns: &str) -> Result<Vec<String>> {
    let out = cluster.kubectl(&[
        "get",
        "certificaterequests",
        "-n",
        ns,
        "-o",
        "jsonpath={range .items[*]}{.metadata.name}{\"\\n\"}{end}",
    ])?;
    Ok(out
        .lines()
        .map(str::to_string)
        .filter(|s| !s.is_empty())
        .collect())
}

/// Writes bytes to `dir/name` and returns the path.
pub fn write(dir: &Path, name: &str, bytes: &[u8]) -> Result<PathBuf> {
    let p = dir.join(name);
    std::fs::write(&p, bytes).with_context(|| format!("writing {}", p.display()))?;
    Ok(p)
}

/// Waits for a Certificate to be Ready=True.
pub fn wait_ready(cluster: &Cluster, ns: &str, name: &str, secs: u64) -> Result<()> {
    cluster.wait_condition(
        "certificate",
        name,
        Some(ns),
        "Ready",
        "True",
        Duration::from_secs(secs),
    )
}

/// PEM blocks of a bundle, as strings.
pub fn pem_blocks(pem: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(pem);
    let mut out = Vec::new();
    let mut cur = String::new();
    for line in text.lines() {
        cur.push_str(line);
        cur.push('\n');
        if line.starts_with("-----END ") {
            out.push(std::mem::take(&mut cur));
        }
    }
    out
}

/// SHA-256 of a certificate's or key's public key (hex), via openssl.
pub fn spki_sha256_of_cert(dir: &Path, cert_pem: &[u8]) -> Result<String> {
    let p = write(dir, "spki-cert.pem", cert_pem)?;
    let pubkey = openssl(&["x509", "-in", &p.to_string_lossy(), "-noout", "-pubkey"])?;
    let q = write(dir, "spki-pub.pem", pubkey.as_bytes())?;
    let der = Command::new("openssl")
        .args([
            "pkey",
            "-pubin",
            "-in",
            &q.to_string_lossy(),
            "-outform",
            "DER",
        ])
        .output()?;
    Ok(openssl_sha256(&der.stdout))
}

/// SHA-256 (hex) of the public key of a private key PEM.
pub fn spki_sha256_of_key(dir: &Path, key_pem: &[u8]) -> Result<String> {
    let p = write(dir, "spki-key.pem", key_pem)?;
    let der = Command::new("openssl")
        .args([
            "pkey",
            "-in",
            &p.to_string_lossy(),
            "-pubout",
            "-outform",
            "DER",
        ])
        .output()?;
    if !der.status.success() {
        return Err(anyhow!(
            "openssl pkey failed: {}",
            String::from_utf8_lossy(&der.stderr)
        ));
    }
    Ok(openssl_sha256(&der.stdout))
}

fn openssl_sha256(bytes: &[u8]) -> String {
    use std::io::Write;
    let mut child = Command::new("openssl")
        .args(["dgst", "-sha256", "-r"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("openssl dgst");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(bytes)
        .expect("write");
    let out = child.wait_with_output().expect("openssl output");
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string()
}

/// Installs (or updates) the generated CRDs with server-side apply.
pub fn install_crds(cluster: &Cluster) -> Result<()> {
    let crds = run(&anchorage_bin(), &["crds"])?;
    cluster.kubectl_stdin(
        &["apply", "--server-side", "--force-conflicts", "-f", "-"],
        &crds,
    )?;
    for crd in [
        "certificates.cert-manager.io",
        "certificaterequests.cert-manager.io",
        "issuers.cert-manager.io",
        "clusterissuers.cert-manager.io",
    ] {
        cluster.kubectl(&[
            "wait",
            "--for=condition=Established",
            &format!("crd/{crd}"),
            "--timeout=60s",
        ])?;
    }
    Ok(())
}

/// Deletes a namespace if present and waits until it is gone.
pub fn delete_namespace_and_wait(cluster: &Cluster, ns: &str) -> Result<()> {
    cluster.kubectl(&[
        "delete",
        "namespace",
        ns,
        "--ignore-not-found",
        "--wait=false",
    ])?;
    wait_for(Duration::from_secs(120), || {
        Ok(cluster
            .kubectl(&["get", "namespace", ns, "--ignore-not-found", "-o", "name"])?
            .trim()
            .is_empty())
    })
}

/// Seconds since the epoch of an RFC 3339 timestamp.
pub fn epoch(ts: &str) -> Result<i64> {
    let t: jiff::Timestamp = ts.parse().with_context(|| format!("parsing {ts:?}"))?;
    Ok(t.as_second())
}

/// The value of one metric series whose line contains all of `needles`.
pub fn metric_value(metrics: &str, name: &str, needles: &[&str]) -> Option<f64> {
    metrics
        .lines()
        .filter(|l| l.starts_with(&format!("{name}{{")))
        .find(|l| needles.iter().all(|n| l.contains(n)))
        .and_then(|l| l.rsplit(' ').next()?.parse().ok())
}

/// Creates a root CA with our CLI, stores it as Secret `ca-key-pair` and applies Issuer `ca`
/// in `ns`; waits for the issuer to be Ready.
pub fn ca_issuer(cluster: &Cluster, ns: &str, dir: &Path) -> Result<(PathBuf, PathBuf)> {
    let (crt, key) = root_ca(dir, &format!("root.{ns}.test"), &["--not-after", "8760h"])?;
    tls_secret(cluster, ns, "ca-key-pair", &crt, &key)?;
    cluster.apply(
        Some(ns),
        "apiVersion: cert-manager.io/v1\nkind: Issuer\nmetadata:\n  name: ca\nspec:\n  ca:\n    secretName: ca-key-pair\n",
    )?;
    cluster.wait_condition(
        "issuer",
        "ca",
        Some(ns),
        "Ready",
        "True",
        Duration::from_secs(30),
    )?;
    Ok((crt, key))
}

/// A Certificate manifest for Issuer `ca` with extra spec lines (YAML, two-space indented
/// under `spec:`).
pub fn certificate(name: &str, extra_spec: &str) -> String {
    format!(
        "apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata:\n  name: {name}\nspec:\n  secretName: {name}-tls\n  issuerRef:\n    name: ca\n    kind: Issuer\n{extra_spec}"
    )
}

/// The Events about object `name` in `ns`, one `Type Reason: message` per line.
pub fn events(cluster: &Cluster, ns: &str, name: &str) -> String {
    cluster
        .kubectl(&[
            "get",
            "events",
            "-n",
            ns,
            "--field-selector",
            &format!("involvedObject.name={name}"),
            "-o",
            "jsonpath={range .items[*]}{.type} {.reason}: {.message}{\"\\n\"}{end}",
        ])
        .unwrap_or_default()
}
