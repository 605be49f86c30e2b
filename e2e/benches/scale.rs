//! Scale benchmark on the local control plane (DESIGN.md §8, issues 5 and 6). Not a test: it
//! prints figures, it asserts nothing.
//!
//! Run with `make bench` (release binary) or
//! `ANCHORAGE_BIN=target/release/anchorage cargo bench -p anchorage-e2e --bench scale`.
//! Knobs: ANCHORAGE_BENCH_CERTS (default 1000), ANCHORAGE_BENCH_SECRETS (unrelated Secrets for
//! the memory run, default 30000; 0 skips it).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::fmt::Write as _;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anchorage_e2e::{Cluster, ControllerProcess, logs_dir, unique_suffix, wait_for};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// VmRSS and VmHWM of a process, in KiB.
fn rss_kib(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |k: &str| {
        status
            .lines()
            .find(|l| l.starts_with(k))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

struct Ctl {
    child: Child,
    metrics: u16,
    health: u16,
}

impl Ctl {
    fn start(cluster: &Cluster, ns: Option<&str>, extra: &[&str]) -> Ctl {
        let metrics = free_port();
        let health = free_port();
        let log = logs_dir().join(format!("bench-controller-{}.log", unique_suffix()));
        std::fs::create_dir_all(logs_dir()).unwrap();
        let f = std::fs::File::create(&log).unwrap();
        let mut cmd = Command::new(ControllerProcess::binary());
        cmd.arg("controller")
            .arg("--kubeconfig")
            .arg(cluster.kubeconfig())
            .args(["--leader-elect=false", "--log-level", "warn"])
            .arg(format!("--metrics-listen-address=127.0.0.1:{metrics}"))
            .arg(format!("--health-listen-address=127.0.0.1:{health}"))
            .args(extra)
            .stdout(f.try_clone().unwrap())
            .stderr(f);
        if let Some(ns) = ns {
            cmd.args(["--namespace", ns]);
        }
        let child = cmd.spawn().unwrap();
        let c = Ctl {
            child,
            metrics,
            health,
        };
        wait_for(Duration::from_secs(60), || {
            Ok(c.get(c.health, "/readyz").is_some())
        })
        .unwrap();
        c
    }

    fn get(&self, port: u16, path: &str) -> Option<String> {
        let out = Command::new("curl")
            .args([
                "-sf",
                "--max-time",
                "10",
                &format!("http://127.0.0.1:{port}{path}"),
            ])
            .output()
            .ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    }

    fn metric_sum(&self, name: &str, exclude: &str) -> f64 {
        self.get(self.metrics, "/metrics")
            .unwrap_or_default()
            .lines()
            .filter(|l| l.starts_with(name) && (exclude.is_empty() || !l.contains(exclude)))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum()
    }

    /// Approximate quantile from a Prometheus histogram (upper bound of the bucket).
    fn quantile(&self, hist: &str, q: f64) -> f64 {
        let text = self.get(self.metrics, "/metrics").unwrap_or_default();
        let mut buckets: Vec<(f64, f64)> = text
            .lines()
            .filter(|l| l.starts_with(&format!("{hist}_bucket{{")))
            .filter_map(|l| {
                let le = l.split("le=\"").nth(1)?.split('"').next()?;
                let le = if le == "+Inf" {
                    f64::INFINITY
                } else {
                    le.parse().ok()?
                };
                Some((le, l.rsplit(' ').next()?.parse().ok()?))
            })
            .collect();
        buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
        let total = buckets.last().map(|b| b.1).unwrap_or(0.0);
        buckets
            .iter()
            .find(|(_, c)| *c >= total * q)
            .map(|(le, _)| *le)
            .unwrap_or(f64::NAN)
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Ctl {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn anchorage(args: &[&str]) {
    let st = Command::new(ControllerProcess::binary())
        .args(args)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(st.success(), "anchorage {args:?}");
}

fn setup_ca(cluster: &Cluster, ns: &str, dir: &Path) {
    let crt = dir.join("ca.crt");
    let key = dir.join("ca.key");
    anchorage(&[
        "certificate",
        "create",
        "bench.root",
        crt.to_str().unwrap(),
        key.to_str().unwrap(),
        "--profile",
        "root-ca",
        "--no-password",
        "--insecure",
        "--force",
    ]);
    cluster
        .kubectl(&[
            "create",
            "secret",
            "tls",
            "ca-key-pair",
            "-n",
            ns,
            &format!("--cert={}", crt.display()),
            &format!("--key={}", key.display()),
        ])
        .unwrap();
    cluster
        .apply(Some(ns), "apiVersion: cert-manager.io/v1\nkind: Issuer\nmetadata:\n  name: ca\nspec:\n  ca:\n    secretName: ca-key-pair\n")
        .unwrap();
}

fn certificates_yaml(n: usize, renew: &str) -> String {
    let mut y = String::new();
    for i in 0..n {
        let _ = write!(
            y,
            "---\napiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata:\n  name: c{i}\nspec:\n  secretName: c{i}-tls\n  duration: 24h\n  renewBefore: {renew}\n  issuerRef:\n    name: ca\n  dnsNames: [c{i}.bench.svc]\n  privateKey:\n    algorithm: ECDSA\n"
        );
    }
    y
}

fn ready_count(cluster: &Cluster, ns: &str) -> usize {
    cluster
        .kubectl(&["get", "certificates", "-n", ns, "-o",
            "jsonpath={range .items[*]}{.status.conditions[?(@.type==\"Ready\")].status}{\"\\n\"}{end}"])
        .unwrap_or_default()
        .lines()
        .filter(|l| *l == "True")
        .count()
}

fn main() {
    // `cargo bench` passes --bench; ignore arguments.
    let cluster = Cluster::shared().expect("local cluster");
    let crds = Command::new(ControllerProcess::binary())
        .arg("crds")
        .output()
        .unwrap()
        .stdout;
    cluster
        .kubectl_stdin(
            &["apply", "--server-side", "--force-conflicts", "-f", "-"],
            &String::from_utf8_lossy(&crds),
        )
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let n = env_usize("ANCHORAGE_BENCH_CERTS", 1000);
    let secrets = env_usize("ANCHORAGE_BENCH_SECRETS", 30000);
    println!(
        "anchorage scale benchmark: binary {}",
        ControllerProcess::binary().display()
    );

    // --- Run B-lite: N Certificates at once on one CA issuer. ---
    let ns = format!("bench-{}", unique_suffix());
    cluster.kubectl(&["create", "namespace", &ns]).unwrap();
    setup_ca(cluster, &ns, dir.path());
    let ctl = Ctl::start(cluster, Some(&ns), &[]);
    std::thread::sleep(Duration::from_secs(2));
    let (idle_rss, _) = rss_kib(ctl.pid());
    let writes0 = ctl.metric_sum("anchorage_api_writes_total", "resource=\"events\"");
    let yaml = certificates_yaml(n, "8h");
    let file = dir.path().join("certs.yaml");
    std::fs::write(&file, yaml).unwrap();
    let t0 = Instant::now();
    cluster
        .kubectl(&["apply", "-n", &ns, "-f", file.to_str().unwrap()])
        .unwrap();
    let applied = t0.elapsed();
    let mut peak = 0u64;
    wait_for(Duration::from_secs(600), || {
        peak = peak.max(rss_kib(ctl.pid()).1);
        Ok(ready_count(cluster, &ns) == n)
    })
    .expect("all Ready");
    let all_ready = t0.elapsed();
    let writes = ctl.metric_sum("anchorage_api_writes_total", "resource=\"events\"") - writes0;
    let events = ctl.metric_sum("anchorage_api_writes_total{resource=\"events\"", "");
    let (rss_after, hwm) = rss_kib(ctl.pid());
    let w_steady0 = ctl.metric_sum("anchorage_api_writes_total", "");
    std::thread::sleep(Duration::from_secs(10));
    let w_steady = ctl.metric_sum("anchorage_api_writes_total", "") - w_steady0;
    println!(
        "\n## {n} Certificates applied at once on one CA Issuer (2 cores, local control plane)"
    );
    println!(
        "kubectl apply of {n} objects: {:.1} s",
        applied.as_secs_f64()
    );
    println!(
        "all Ready after: {:.1} s (from the start of the apply; target <= 20 s for 1000)",
        all_ready.as_secs_f64()
    );
    println!(
        "API writes per issuance (excluding Events): {:.2} (target <= 5); Events per issuance: {:.2}",
        writes / n as f64,
        events / n as f64
    );
    println!("writes in 10 s of steady state: {w_steady}");
    println!(
        "reconcile errors (mostly optimistic-concurrency conflicts, retried at once): {}",
        ctl.metric_sum("certmanager_controller_sync_error_count", "")
    );
    println!(
        "signing latency p50 <= {} s, p99 <= {} s (histogram bucket bounds)",
        ctl.quantile("anchorage_signing_duration_seconds", 0.5),
        ctl.quantile("anchorage_signing_duration_seconds", 0.99)
    );
    println!(
        "issuance latency (request created -> Secret written) p50 <= {} s, p99 <= {} s",
        ctl.quantile("anchorage_issuance_duration_seconds", 0.5),
        ctl.quantile("anchorage_issuance_duration_seconds", 0.99)
    );
    println!(
        "controller RSS: idle {:.1} MiB, after {:.1} MiB, peak {:.1} MiB (target <= 40 MiB); ratio peak/idle {:.2}",
        idle_rss as f64 / 1024.0,
        rss_after as f64 / 1024.0,
        hwm.max(peak) as f64 / 1024.0,
        hwm.max(peak) as f64 / idle_rss.max(1) as f64
    );
    drop(ctl);
    // Wait until the namespace is gone so the memory baseline below is not inflated by it.
    let _ = cluster.kubectl(&["delete", "namespace", &ns, "--wait=false"]);
    let _ = wait_for(Duration::from_secs(300), || {
        Ok(cluster
            .kubectl(&["get", "namespace", &ns, "--ignore-not-found", "-o", "name"])?
            .trim()
            .is_empty())
    });

    // --- Run A: unrelated Secrets must not grow memory. ---
    if secrets > 0 {
        let ns_a = format!("bench-a-{}", unique_suffix());
        cluster.kubectl(&["create", "namespace", &ns_a]).unwrap();
        setup_ca(cluster, &ns_a, dir.path());
        cluster
            .apply(Some(&ns_a), &certificates_yaml(10, "8h"))
            .unwrap();
        // Baseline: the controller with no unrelated Secrets.
        let base = Ctl::start(cluster, None, &[]);
        wait_for(Duration::from_secs(60), || {
            Ok(ready_count(cluster, &ns_a) == 10)
        })
        .unwrap();
        std::thread::sleep(Duration::from_secs(2));
        let (base_rss, _) = rss_kib(base.pid());
        drop(base);
        // Unrelated Opaque Secrets of ~10 KiB, created in chunks.
        let ns_s = format!("bench-secrets-{}", unique_suffix());
        cluster.kubectl(&["create", "namespace", &ns_s]).unwrap();
        let payload = "A".repeat(13_652); // ~10 KiB decoded, a multiple of 4 base64 characters
        let t = Instant::now();
        let chunk = 500;
        let mut i = 0;
        while i < secrets {
            let mut y = String::new();
            for j in i..(i + chunk).min(secrets) {
                let _ = write!(
                    y,
                    "---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: s{j}\ntype: Opaque\ndata:\n  blob: {payload}\n"
                );
            }
            let f = dir.path().join("secrets.yaml");
            std::fs::write(&f, y).unwrap();
            cluster
                .kubectl(&[
                    "create",
                    "-n",
                    &ns_s,
                    "-f",
                    f.to_str().unwrap(),
                    "-o",
                    "name",
                ])
                .unwrap();
            i += chunk;
        }
        println!(
            "\n## {secrets} unrelated Opaque Secrets (~10 KiB each), created in {:.0} s",
            t.elapsed().as_secs_f64()
        );
        // 10 new Certificates while no controller runs; then start it with the Secrets present.
        let ns_b = format!("bench-b-{}", unique_suffix());
        cluster.kubectl(&["create", "namespace", &ns_b]).unwrap();
        setup_ca(cluster, &ns_b, dir.path());
        cluster
            .apply(Some(&ns_b), &certificates_yaml(10, "8h"))
            .unwrap();
        let t = Instant::now();
        let loaded = Ctl::start(cluster, None, &[]);
        wait_for(Duration::from_secs(120), || {
            Ok(ready_count(cluster, &ns_b) == 10)
        })
        .unwrap();
        let ready_in = t.elapsed();
        std::thread::sleep(Duration::from_secs(2));
        let (loaded_rss, loaded_hwm) = rss_kib(loaded.pid());
        println!(
            "controller RSS with 10 Certificates: {:.1} MiB without, {:.1} MiB with the Secrets (peak {:.1} MiB); ratio {:.2} (target <= 1.5)",
            base_rss as f64 / 1024.0,
            loaded_rss as f64 / 1024.0,
            loaded_hwm as f64 / 1024.0,
            loaded_rss as f64 / base_rss.max(1) as f64
        );
        println!(
            "10 Certificates Ready {:.1} s after the controller started (target <= 10 s)",
            ready_in.as_secs_f64()
        );
        drop(loaded);
        let _ = cluster.kubectl(&["delete", "namespace", &ns_s, &ns_a, &ns_b, "--wait=false"]);
    }
}
