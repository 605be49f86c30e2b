//! `anchorage controller`: runs the reconcilers, the admin HTTP server and leader election.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anchorage_controller::clock::SystemClock;
use anchorage_controller::context::{ControllerConfig, LeaderState};
use anchorage_controller::leader::{LeaderElection, LeaseConfig};
use anchorage_controller::metrics::Metrics;
use anchorage_controller::{Health, Runtime};
use anyhow::Context as _;

use crate::admin;

/// Log output format.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum LogFormat {
    /// One JSON object per line (default in the Helm chart).
    Json,
    /// Human-readable text.
    Text,
}

/// Arguments of `anchorage controller`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Path to a kubeconfig file; without it the in-cluster configuration (or $KUBECONFIG,
    /// then ~/.kube/config) is used.
    #[arg(long, env = "KUBECONFIG")]
    pub kubeconfig: Option<PathBuf>,
    /// Only watch namespaced resources (Issuers, Certificates, CertificateRequests, Secrets)
    /// in this namespace. Default: all namespaces.
    #[arg(long)]
    pub namespace: Option<String>,
    /// Namespace holding the CA Secrets of ClusterIssuers. Default: $POD_NAMESPACE, else
    /// `cert-manager`.
    #[arg(long)]
    pub cluster_resource_namespace: Option<String>,
    /// How far notBefore is set before the signing instant, as a Go duration (clock-skew
    /// tolerance for Linkerd identity; `0s` gives strict cert-manager parity).
    #[arg(long, default_value = "30s")]
    pub backdate: String,
    /// Do not approve CertificateRequests automatically (an external approver must set
    /// Approved=True).
    #[arg(long)]
    pub disable_auto_approval: bool,
    /// Log format.
    #[arg(long, value_enum, default_value = "text")]
    pub log_format: LogFormat,
    /// Log level or tracing filter (error, warn, info, debug, trace, or e.g. `anchorage=debug`).
    #[arg(long, default_value = "info")]
    pub log_level: String,
    /// Elect a leader through a Lease; only the holder writes. `--leader-elect=false` to disable.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    pub leader_elect: bool,
    /// Namespace of the leader Lease. Default: $POD_NAMESPACE, else `default`.
    #[arg(long)]
    pub leader_election_namespace: Option<String>,
    /// Name of the leader Lease.
    #[arg(long, default_value = "anchorage-controller")]
    pub leader_election_lease_name: String,
    /// How long a Lease is valid after its last renewal (Go duration).
    #[arg(long, default_value = "15s")]
    pub leader_election_lease_duration: String,
    /// How soon the holder renews (Go duration, shorter than the lease duration).
    #[arg(long, default_value = "10s")]
    pub leader_election_renew_deadline: String,
    /// Delay between Lease attempts after an error (Go duration).
    #[arg(long, default_value = "2s")]
    pub leader_election_retry_period: String,
    /// Address for Prometheus metrics (path /metrics).
    #[arg(long, default_value = "0.0.0.0:9402")]
    pub metrics_listen_address: SocketAddr,
    /// Address for the health probes (/livez, /readyz).
    #[arg(long, default_value = "0.0.0.0:9403")]
    pub health_listen_address: SocketAddr,
    /// Maximum concurrent reconciles per controller (bounds signing concurrency).
    #[arg(long, default_value_t = 8)]
    pub concurrency: u16,
}

fn go_duration(flag: &str, value: &str) -> anyhow::Result<Duration> {
    let d = anchorage_pki::parse_go_duration(value).with_context(|| format!("--{flag}"))?;
    Duration::try_from(d)
        .map_err(|_| anyhow::anyhow!("--{flag}: must not be negative, got {value:?}"))
}

fn init_tracing(args: &Args) -> anyhow::Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_new(&args.log_level)
        .with_context(|| format!("--log-level {:?}", args.log_level))?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colours only on a terminal: log files and collectors get plain text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    let res = match args.log_format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
    res.map_err(|e| anyhow::anyhow!("could not set up logging: {e}"))
}

/// Runs the controller until SIGTERM/SIGINT.
pub fn run(args: Args) -> anyhow::Result<()> {
    init_tracing(&args)?;
    // Few threads keep memory flat (each thread gets its own allocator arena): key generation
    // and signing run on at most 4 blocking threads.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .max_blocking_threads(4)
        .enable_all()
        .build()
        .context("could not start the async runtime")?;
    runtime.block_on(run_async(args))
}

async fn client(args: &Args) -> anyhow::Result<kube::Client> {
    let config = match &args.kubeconfig {
        Some(path) => {
            let kc = kube::config::Kubeconfig::read_from(path)
                .with_context(|| format!("reading kubeconfig {}", path.display()))?;
            kube::Config::from_custom_kubeconfig(kc, &kube::config::KubeConfigOptions::default())
                .await
                .with_context(|| format!("loading kubeconfig {}", path.display()))?
        }
        None => kube::Config::infer()
            .await
            .context("no kubeconfig given and no in-cluster configuration found")?,
    };
    kube::Client::try_from(config).context("creating the Kubernetes client")
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = ctrl_c => {},
                    _ = term.recv() => {},
                }
            }
            Err(_) => {
                let _ = ctrl_c.await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}

async fn run_async(args: Args) -> anyhow::Result<()> {
    let pod_namespace = std::env::var("POD_NAMESPACE")
        .ok()
        .filter(|s| !s.is_empty());
    let backdate = anchorage_pki::parse_go_duration(&args.backdate).context("--backdate")?;
    if backdate.is_negative() {
        anyhow::bail!("--backdate must not be negative, got {:?}", args.backdate);
    }
    let config = ControllerConfig {
        backdate,
        cluster_resource_namespace: args
            .cluster_resource_namespace
            .clone()
            .or_else(|| pod_namespace.clone())
            .unwrap_or_else(|| "cert-manager".into()),
        auto_approve: !args.disable_auto_approval,
        namespace: args.namespace.clone(),
        concurrency: args.concurrency.max(1),
    };
    let lease_duration = go_duration(
        "leader-election-lease-duration",
        &args.leader_election_lease_duration,
    )?;
    let renew_deadline = go_duration(
        "leader-election-renew-deadline",
        &args.leader_election_renew_deadline,
    )?;
    let retry_period = go_duration(
        "leader-election-retry-period",
        &args.leader_election_retry_period,
    )?;
    if renew_deadline >= lease_duration {
        anyhow::bail!(
            "--leader-election-renew-deadline ({}) must be shorter than --leader-election-lease-duration ({})",
            args.leader_election_renew_deadline,
            args.leader_election_lease_duration
        );
    }
    let client = client(&args).await?;
    let metrics = Arc::new(Metrics::new().context("creating metrics")?);
    let health = Arc::new(Health::new());
    let hostname = std::env::var("POD_NAME")
        .or_else(|_| std::env::var("HOSTNAME"))
        .unwrap_or_else(|_| "anchorage".into());
    let identity = format!("{hostname}_{:08x}", rand_suffix());

    admin::serve(
        args.metrics_listen_address,
        args.health_listen_address,
        metrics.clone(),
        health.clone(),
    )
    .await
    .context("starting the admin HTTP servers")?;

    let shutdown = futures_shared_shutdown();
    let (leader, lease_task) = if args.leader_elect {
        let (election, rx) = LeaderElection::new(LeaseConfig {
            namespace: args
                .leader_election_namespace
                .clone()
                .or_else(|| pod_namespace.clone())
                .unwrap_or_else(|| "default".into()),
            name: args.leader_election_lease_name.clone(),
            identity: identity.clone(),
            lease_duration,
            renew_deadline,
            retry_period,
        });
        let client = client.clone();
        (
            LeaderState::new(rx),
            Some(tokio::spawn(election.run(client, shutdown.clone()))),
        )
    } else {
        (LeaderState::always(), None)
    };
    tracing::info!(
        identity = %identity,
        leader_elect = args.leader_elect,
        cluster_resource_namespace = %config.cluster_resource_namespace,
        "starting anchorage controller"
    );

    let run = anchorage_controller::run(
        client,
        Runtime {
            config,
            clock: Arc::new(SystemClock),
            metrics,
            leader,
            health: health.clone(),
            instance: Some(identity),
        },
        shutdown.clone(),
    );
    // After SIGTERM, in-flight reconciles get a grace period; kube-runtime would otherwise
    // also wait for every scheduled requeue (renewals are hours away) before returning.
    let grace = {
        let shutdown = shutdown.clone();
        async move {
            shutdown.await;
            tokio::time::sleep(Duration::from_secs(5)).await;
        }
    };
    let controllers = async move {
        tokio::select! {
            () = run => {}
            () = grace => tracing::info!("stopped after the shutdown grace period"),
        }
    };
    match lease_task {
        Some(mut task) => {
            tokio::pin!(controllers);
            tokio::select! {
                () = &mut controllers => {
                    // Shutdown: the lease task releases the Lease; wait for it briefly.
                    let _ = tokio::time::timeout(Duration::from_secs(5), &mut task).await;
                    Ok(())
                }
                res = &mut task => {
                    match res {
                        // Released on shutdown: let the controllers finish stopping.
                        Ok(Ok(())) => {
                            controllers.await;
                            Ok(())
                        }
                        Ok(Err(e)) => {
                            health.alive.store(false, std::sync::atomic::Ordering::Relaxed);
                            Err(anyhow::anyhow!(e)).context("leader election failed; exiting")
                        }
                        Err(e) => {
                            health.alive.store(false, std::sync::atomic::Ordering::Relaxed);
                            anyhow::bail!("leader election task died: {e}")
                        }
                    }
                }
            }
        }
        None => {
            controllers.await;
            Ok(())
        }
    }
}

fn futures_shared_shutdown()
-> futures::future::Shared<std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + Sync>>> {
    use futures::FutureExt;
    let fut: std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + Sync>> =
        Box::pin(async {
            shutdown_signal().await;
            tracing::info!("shutdown signal received; stopping");
        });
    fut.shared()
}

fn rand_suffix() -> u32 {
    let mut buf = [0u8; 4];
    if openssl::rand::rand_bytes(&mut buf).is_err() {
        return std::process::id();
    }
    u32::from_le_bytes(buf)
}
