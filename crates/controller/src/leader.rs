//! Leader election on a `coordination.k8s.io/v1` Lease (kube-lease-manager).
//!
//! Every replica keeps its caches warm; only the holder writes. The lease state is published
//! on a watch channel read by [`crate::context::LeaderState`]. If the lease task fails, the
//! process must exit (the caller awaits [`LeaderElection::run`] and treats its end as fatal).

use std::time::Duration;

use kube::Client;
use kube_lease_manager::{LeaseManagerBuilder, LeaseParams};
use tokio::sync::watch;

/// Lease settings (flags `--leader-election-*`).
#[derive(Debug, Clone)]
pub struct LeaseConfig {
    /// Namespace of the Lease.
    pub namespace: String,
    /// Lease name (default `anchorage-controller`).
    pub name: String,
    /// This replica's identity (pod name or hostname plus a random suffix).
    pub identity: String,
    /// How long a lease is valid after its last renewal (default 15 s).
    pub lease_duration: Duration,
    /// The holder renews this long after acquiring/renewing (default 10 s); the remaining
    /// `lease_duration - renew_deadline` is the grace period.
    pub renew_deadline: Duration,
    /// Delay between attempts after an error talking to the API server (default 2 s).
    pub retry_period: Duration,
}

/// Errors of the lease task.
#[derive(Debug, thiserror::Error)]
pub enum LeaderError {
    /// The lease manager failed.
    #[error("leader election on Lease {namespace}/{name} failed: {message}")]
    Lease {
        /// Lease namespace.
        namespace: String,
        /// Lease name.
        name: String,
        /// What failed.
        message: String,
    },
}

/// A running leader election.
#[derive(Debug)]
pub struct LeaderElection {
    config: LeaseConfig,
    tx: watch::Sender<bool>,
}

impl LeaderElection {
    /// Creates the election and the receiver that reports leadership.
    pub fn new(config: LeaseConfig) -> (Self, watch::Receiver<bool>) {
        let (tx, rx) = watch::channel(false);
        (Self { config, tx }, rx)
    }

    /// Runs until the lease task fails (returns the error; the caller exits the process) or
    /// `shutdown` resolves: then writes stop, the Lease is released so a standby takes over at
    /// once instead of after the lease duration, and `Ok(())` is returned.
    pub async fn run(
        self,
        client: Client,
        shutdown: impl std::future::Future<Output = ()>,
    ) -> Result<(), LeaderError> {
        tokio::pin!(shutdown);
        let cfg = &self.config;
        let err = |message: String| LeaderError::Lease {
            namespace: cfg.namespace.clone(),
            name: cfg.name.clone(),
            message,
        };
        let duration = cfg.lease_duration.as_secs().max(2);
        let grace = duration
            .saturating_sub(cfg.renew_deadline.as_secs())
            .clamp(1, duration - 1);
        let params = LeaseParams::new(cfg.identity.clone(), duration, grace);
        let mut failures = 0u32;
        loop {
            let manager = match LeaseManagerBuilder::new(client.clone(), cfg.name.clone())
                .with_namespace(cfg.namespace.clone())
                .with_parameters(params.clone())
                .build()
                .await
            {
                Ok(m) => m,
                Err(e) => {
                    failures += 1;
                    if failures > 5 {
                        return Err(err(e.to_string()));
                    }
                    tracing::warn!(error = %e, "could not set up the leader Lease; retrying");
                    tokio::time::sleep(cfg.retry_period).await;
                    continue;
                }
            };
            loop {
                let changed = tokio::select! {
                    changed = manager.changed() => changed,
                    () = &mut shutdown => {
                        self.tx.send_replace(false);
                        if let Err(e) = manager.release().await {
                            tracing::warn!(error = %e, "could not release the leader Lease");
                        }
                        return Ok(());
                    }
                };
                match changed {
                    Ok(is_leader) => {
                        failures = 0;
                        if *self.tx.borrow() != is_leader {
                            tracing::info!(identity = %cfg.identity, leader = is_leader, "leadership changed");
                        }
                        self.tx.send_replace(is_leader);
                    }
                    Err(e) => {
                        // Stop writing at once: we can no longer prove we hold the lease.
                        self.tx.send_replace(false);
                        failures += 1;
                        tracing::warn!(error = %e, "leader Lease error");
                        if failures > 5 {
                            return Err(err(e.to_string()));
                        }
                        tokio::time::sleep(cfg.retry_period).await;
                        break;
                    }
                }
            }
        }
    }
}
