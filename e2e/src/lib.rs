//! End-to-end test fixture for anchorage.
//!
//! Tests run against a real control plane (etcd, kube-apiserver, kube-controller-manager built
//! from Go modules, see `e2e/README.md`) started once by `e2e/local-cluster up` and shared by
//! every test; each test works in its own [`TestNamespace`]. All API access goes through a real
//! client, the `kubectl` built next to the API server, so YAML is applied exactly as a user
//! would apply it.
//!
//! Failures point at the logs: errors from [`Cluster::kubectl`] carry stderr, timeouts in
//! [`Cluster::wait_condition`] carry the object's YAML, and a [`ControllerProcess`] or
//! [`TestNamespace`] dropped while a test panics prints the controller log tail and the paths
//! of the control-plane logs.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, anyhow, bail};

/// The repository root (the cargo workspace root).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Where the cluster keeps its kubeconfig and logs: `$ANCHORAGE_E2E_DIR`, else `target/e2e`.
pub fn state_dir() -> PathBuf {
    match std::env::var_os("ANCHORAGE_E2E_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => workspace_root().join("target").join("e2e"),
    }
}

/// Directory for log files of the control plane and of controller processes.
pub fn logs_dir() -> PathBuf {
    state_dir().join("logs")
}

/// A unique, DNS-label-safe suffix (lowercase base36) for names created by tests.
pub fn unique_suffix() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    let mut n = u64::from(nanos)
        ^ (u64::from(std::process::id()) << 32)
        ^ COUNTER
            .fetch_add(1, Ordering::Relaxed)
            .wrapping_mul(0x9e37_79b9_7f4a_7c15);
    let mut s = String::new();
    for _ in 0..6 {
        let digit = u32::try_from(n % 36).unwrap_or_default();
        s.push(char::from_digit(digit, 36).unwrap_or('x'));
        n /= 36;
    }
    s
}

/// The shared local control plane.
#[derive(Debug)]
pub struct Cluster {
    kubeconfig: PathBuf,
    bin_dir: PathBuf,
    local_cluster: PathBuf,
}

impl Cluster {
    /// Starts the local cluster once per test process (`e2e/local-cluster up`, which reuses an
    /// already running healthy cluster and builds the binaries on first use).
    pub fn shared() -> Result<&'static Cluster> {
        static CLUSTER: OnceLock<std::result::Result<Cluster, String>> = OnceLock::new();
        CLUSTER
            .get_or_init(|| Cluster::start().map_err(|e| format!("{e:#}")))
            .as_ref()
            .map_err(|e| anyhow!("local cluster unavailable: {e}"))
    }

    fn start() -> Result<Cluster> {
        let local_cluster = workspace_root().join("e2e").join("local-cluster");
        // stderr is inherited so a (slow, cold) build shows its progress.
        let status = Command::new(&local_cluster)
            .arg("up")
            .stdin(Stdio::null())
            .stdout(Stdio::inherit())
            .stderr(Stdio::inherit())
            .status()
            .with_context(|| format!("running {} up", local_cluster.display()))?;
        if !status.success() {
            bail!(
                "{} up failed ({status}); logs in {}",
                local_cluster.display(),
                logs_dir().display()
            );
        }
        let out = Command::new(&local_cluster)
            .arg("bin-dir")
            .stdin(Stdio::null())
            .output()
            .with_context(|| format!("running {} bin-dir", local_cluster.display()))?;
        if !out.status.success() {
            bail!(
                "{} bin-dir failed: {}",
                local_cluster.display(),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let bin_dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        let cluster = Cluster {
            kubeconfig: state_dir().join("kubeconfig"),
            bin_dir,
            local_cluster,
        };
        if !cluster.kubeconfig.is_file() {
            bail!("no kubeconfig at {}", cluster.kubeconfig.display());
        }
        if !cluster.kubectl_path().is_file() {
            bail!("no kubectl at {}", cluster.kubectl_path().display());
        }
        Ok(cluster)
    }

    /// Path of the admin kubeconfig.
    pub fn kubeconfig(&self) -> &Path {
        &self.kubeconfig
    }

    /// Directory holding `kubectl`, `kube-apiserver`, `kube-controller-manager` and `etcd`.
    pub fn bin_dir(&self) -> &Path {
        &self.bin_dir
    }

    /// Path of the `kubectl` built with the control plane (same version as the API server).
    pub fn kubectl_path(&self) -> PathBuf {
        self.bin_dir.join("kubectl")
    }

    /// Paths of the control-plane log files.
    pub fn log_paths(&self) -> Vec<PathBuf> {
        ["etcd", "kube-apiserver", "kube-controller-manager"]
            .iter()
            .map(|c| logs_dir().join(format!("{c}.log")))
            .collect()
    }

    /// A `kubectl` command with `KUBECONFIG` set, for callers that need to manage the process.
    pub fn kubectl_command(&self) -> Command {
        let mut cmd = Command::new(self.kubectl_path());
        cmd.env("KUBECONFIG", &self.kubeconfig);
        cmd
    }

    /// Runs `kubectl args...` and returns its stdout; on failure the error holds stderr.
    pub fn kubectl(&self, args: &[&str]) -> Result<String> {
        let out = self
            .kubectl_command()
            .args(args)
            .stdin(Stdio::null())
            .output()
            .context("spawning kubectl")?;
        check_output("kubectl", args, out)
    }

    /// Runs `kubectl args...` with `stdin` on its standard input and returns its stdout.
    pub fn kubectl_stdin(&self, args: &[&str], stdin: &str) -> Result<String> {
        let mut child = self
            .kubectl_command()
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .context("spawning kubectl")?;
        let mut pipe = child.stdin.take().context("kubectl stdin")?;
        let input = stdin.to_owned();
        // Write from a thread so a large input cannot deadlock against a full stdout pipe.
        let writer = std::thread::spawn(move || pipe.write_all(input.as_bytes()));
        let out = child.wait_with_output().context("waiting for kubectl")?;
        match writer.join() {
            Ok(Ok(())) => {}
            Ok(Err(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
            Ok(Err(e)) => return Err(e).context("writing kubectl stdin"),
            Err(_) => bail!("kubectl stdin writer panicked"),
        }
        check_output("kubectl", args, out)
    }

    /// `kubectl apply -f -` of `yaml`, in namespace `ns` if given; returns kubectl's output.
    pub fn apply(&self, ns: Option<&str>, yaml: &str) -> Result<String> {
        let mut args = vec!["apply", "-f", "-"];
        if let Some(ns) = ns {
            args.extend(["-n", ns]);
        }
        self.kubectl_stdin(&args, yaml)
    }

    /// Creates a namespace `<prefix>-<random>` that is deleted when the value is dropped.
    pub fn namespace(&'static self, prefix: &str) -> Result<TestNamespace> {
        let name = format!("{prefix}-{}", unique_suffix());
        self.kubectl(&["create", "namespace", &name])?;
        Ok(TestNamespace {
            cluster: self,
            name,
        })
    }

    /// Waits until `kind/name` (in `ns`, if namespaced) has a status condition `condition_type`
    /// with status `status` (e.g. `"True"`). On timeout the error includes the object's YAML.
    pub fn wait_condition(
        &self,
        kind: &str,
        name: &str,
        ns: Option<&str>,
        condition_type: &str,
        status: &str,
        timeout: Duration,
    ) -> Result<()> {
        let target = format!("{kind}/{name}");
        let jsonpath =
            format!("jsonpath={{.status.conditions[?(@.type==\"{condition_type}\")].status}}");
        let mut args = vec!["get", target.as_str(), "-o", jsonpath.as_str()];
        if let Some(ns) = ns {
            args.extend(["-n", ns]);
        }
        let waited = wait_for(timeout, || Ok(self.kubectl(&args)?.trim() == status));
        waited.map_err(|e| {
            let mut get = vec!["get", target.as_str(), "-o", "yaml"];
            if let Some(ns) = ns {
                get.extend(["-n", ns]);
            }
            let yaml = self
                .kubectl(&get)
                .unwrap_or_else(|e| format!("(could not get it: {e:#})"));
            anyhow!(
                "{target} never had condition {condition_type}={status}: {e:#}\n{yaml}\n{}",
                self.log_hint()
            )
        })
    }

    /// Restarts kube-apiserver (same port, same etcd) via `e2e/local-cluster restart-apiserver`
    /// and returns once it is ready again.
    pub fn restart_apiserver(&self) -> Result<()> {
        let out = Command::new(&self.local_cluster)
            .arg("restart-apiserver")
            .stdin(Stdio::null())
            .output()
            .context("running local-cluster restart-apiserver")?;
        check_output("local-cluster", &["restart-apiserver"], out).map(|_| ())
    }

    /// One line naming the control-plane log files, for error messages.
    pub fn log_hint(&self) -> String {
        let paths: Vec<String> = self
            .log_paths()
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        format!("control-plane logs: {}", paths.join(", "))
    }
}

fn check_output(program: &str, args: &[&str], out: Output) -> Result<String> {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    if out.status.success() {
        Ok(stdout)
    } else {
        bail!(
            "`{program} {}` failed ({}): {}{}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim(),
            if stdout.trim().is_empty() {
                String::new()
            } else {
                format!("\nstdout: {}", stdout.trim())
            }
        )
    }
}

/// Polls `check` every 200 ms until it returns `Ok(true)` or `timeout` passes. Errors from
/// `check` count as "not yet"; the last one is reported on timeout.
pub fn wait_for(timeout: Duration, mut check: impl FnMut() -> Result<bool>) -> Result<()> {
    let deadline = Instant::now() + timeout;
    let mut last_err = None;
    loop {
        match check() {
            Ok(true) => return Ok(()),
            Ok(false) => {}
            Err(e) => last_err = Some(e),
        }
        if Instant::now() >= deadline {
            return Err(match last_err {
                Some(e) => e.context(format!("timed out after {timeout:?}")),
                None => anyhow!("timed out after {timeout:?}"),
            });
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// A namespace for one test; deleted (without waiting) on drop. If the test is panicking, the
/// namespace is kept for inspection and the log paths are printed.
#[derive(Debug)]
pub struct TestNamespace {
    cluster: &'static Cluster,
    name: String,
}

impl TestNamespace {
    /// The namespace name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl std::fmt::Display for TestNamespace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name)
    }
}

impl Drop for TestNamespace {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "test failed: keeping namespace {} (KUBECONFIG={}); {}",
                self.name,
                self.cluster.kubeconfig.display(),
                self.cluster.log_hint()
            );
            return;
        }
        if let Err(e) = self.cluster.kubectl(&[
            "delete",
            "namespace",
            &self.name,
            "--wait=false",
            "--ignore-not-found",
        ]) {
            eprintln!("could not delete namespace {}: {e:#}", self.name);
        }
    }
}

/// A running `anchorage controller` process, killed on drop. Its stdout and stderr go to a
/// log file under `target/e2e/logs/`; the tail is printed if the test panics.
#[derive(Debug)]
pub struct ControllerProcess {
    child: Child,
    log_path: PathBuf,
}

impl ControllerProcess {
    /// The anchorage binary: `$ANCHORAGE_BIN`, else `target/debug/anchorage`
    /// (`make e2e` builds it first).
    pub fn binary() -> PathBuf {
        match std::env::var_os("ANCHORAGE_BIN") {
            Some(p) if !p.is_empty() => PathBuf::from(p),
            _ => workspace_root()
                .join("target")
                .join("debug")
                .join("anchorage"),
        }
    }

    /// Spawns `anchorage controller --kubeconfig <kubeconfig> extra_args...`.
    pub fn start(cluster: &Cluster, extra_args: &[&str]) -> Result<ControllerProcess> {
        let binary = Self::binary();
        if !binary.is_file() {
            bail!(
                "{} does not exist; build it with `cargo build --bin anchorage`",
                binary.display()
            );
        }
        let dir = logs_dir();
        fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let log_path = dir.join(format!("controller-{}.log", unique_suffix()));
        let log =
            File::create(&log_path).with_context(|| format!("creating {}", log_path.display()))?;
        let log_err = log.try_clone().context("cloning log file handle")?;
        let child = Command::new(&binary)
            .arg("controller")
            .arg("--kubeconfig")
            .arg(cluster.kubeconfig())
            .args(extra_args)
            .env("KUBECONFIG", cluster.kubeconfig())
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err)
            .spawn()
            .with_context(|| format!("spawning {}", binary.display()))?;
        Ok(ControllerProcess { child, log_path })
    }

    /// Path of the controller's log file.
    pub fn log_path(&self) -> &Path {
        &self.log_path
    }

    /// The controller's log so far.
    pub fn log(&self) -> String {
        fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    /// Process id of the controller.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Kills the process (SIGKILL) and reaps it.
    pub fn kill(&mut self) -> Result<()> {
        if self.is_running() {
            self.child.kill().context("killing controller")?;
        }
        self.child.wait().context("waiting for controller")?;
        Ok(())
    }
}

impl Drop for ControllerProcess {
    fn drop(&mut self) {
        if let Err(e) = self.kill() {
            eprintln!("could not kill controller {}: {e:#}", self.child.id());
        }
        if std::thread::panicking() {
            let log = self.log();
            let lines: Vec<&str> = log.lines().collect();
            let tail = &lines[lines.len().saturating_sub(80)..];
            eprintln!(
                "--- controller log {} (last {} lines) ---\n{}\n--- end of controller log ---",
                self.log_path.display(),
                tail.len(),
                tail.join("\n")
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffixes_are_dns_labels_and_differ() {
        let a = unique_suffix();
        let b = unique_suffix();
        assert_ne!(a, b);
        assert_eq!(a.len(), 6);
        assert!(
            a.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        );
    }

    #[test]
    fn wait_for_reports_last_error() {
        let err = wait_for(Duration::from_millis(300), || bail!("boom")).unwrap_err();
        let msg = format!("{err:#}");
        assert!(msg.contains("boom") && msg.contains("timed out"), "{msg}");
        let mut n = 0;
        wait_for(Duration::from_secs(5), || {
            n += 1;
            Ok(n >= 2)
        })
        .unwrap();
    }
}
