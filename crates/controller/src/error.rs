//! Errors of the reconcilers, split into retryable and terminal ones.

use std::time::Duration;

/// An error raised while reconciling one object.
///
/// Retryable errors (API hiccups, conflicts) are retried with exponential backoff by the
/// controller runtime; terminal problems with the user's input are never returned as errors:
/// they become status conditions and events, and the reconcile ends successfully.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A Kubernetes API call failed.
    #[error("kubernetes API call {action} failed: {source}")]
    Kube {
        /// What was being done, e.g. `update Secret linkerd/linkerd-identity-issuer`.
        action: String,
        /// The client error.
        #[source]
        source: kube::Error,
    },
    /// A serialisation step failed (a bug or an unexpected object shape).
    #[error("could not encode {what}: {source}")]
    Json {
        /// What was being encoded.
        what: String,
        /// The serde error.
        #[source]
        source: serde_json::Error,
    },
    /// Crypto failed on input we produced ourselves (not on user input).
    #[error("{context}: {source}")]
    Pki {
        /// What was being done.
        context: String,
        /// The underlying error.
        #[source]
        source: anchorage_pki::PkiError,
    },
    /// A blocking crypto task panicked or was cancelled.
    #[error("background task failed: {0}")]
    Task(String),
    /// The object lacks a name or namespace the API server always sets.
    #[error("object is missing {0}")]
    MissingMetadata(&'static str),
}

impl Error {
    /// Wraps a kube error with what was being done.
    pub fn kube(action: impl Into<String>, source: kube::Error) -> Self {
        Self::Kube {
            action: action.into(),
            source,
        }
    }

    /// Whether this error is an optimistic-concurrency conflict (HTTP 409), which is retried fast.
    pub fn is_conflict(&self) -> bool {
        matches!(self, Self::Kube { source: kube::Error::Api(s), .. } if s.code == 409)
    }

    /// Retry delay for the `n`-th consecutive failure (1-based): 1 s doubling to a 5 min cap,
    /// or 200 ms for conflicts. Never zero, so a failing object cannot hot-loop.
    pub fn retry_after(&self, n: u32) -> Duration {
        if self.is_conflict() {
            return Duration::from_millis(200);
        }
        let exp = n.saturating_sub(1).min(9);
        Duration::from_secs((1u64 << exp).min(300))
    }
}

/// Runs CPU-heavy work (key generation, signing) off the async worker threads, so RSA 4096+
/// key generation cannot starve watches, probes or the leader Lease renewal.
pub async fn blocking<T, F>(f: F) -> Result<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::Task(e.to_string()))
}

/// Result alias for reconcilers.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_backoff_grows_and_caps() {
        let e = Error::MissingMetadata("name");
        assert_eq!(e.retry_after(1), Duration::from_secs(1));
        assert_eq!(e.retry_after(2), Duration::from_secs(2));
        assert_eq!(e.retry_after(5), Duration::from_secs(16));
        assert_eq!(e.retry_after(30), Duration::from_secs(300));
    }
}
