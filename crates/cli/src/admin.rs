//! Admin HTTP servers: Prometheus metrics (`/metrics`) and health probes (`/livez`, `/readyz`).

use std::net::SocketAddr;
use std::sync::Arc;

use anchorage_controller::Health;
use anchorage_controller::metrics::Metrics;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;

async fn metrics(State(m): State<Arc<Metrics>>) -> impl IntoResponse {
    match m.render() {
        Ok(body) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
            body,
        ),
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            [(header::CONTENT_TYPE, "text/plain")],
            format!("could not render metrics: {e}"),
        ),
    }
}

async fn livez(State(h): State<Arc<Health>>) -> impl IntoResponse {
    if h.is_alive() {
        (StatusCode::OK, "ok")
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "leader election or a controller loop has failed",
        )
    }
}

async fn readyz(State(h): State<Arc<Health>>) -> impl IntoResponse {
    if h.is_ready() {
        (StatusCode::OK, "ok")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "caches not synced yet")
    }
}

/// Binds both listeners (failing fast when a port is taken) and serves them in the background.
pub async fn serve(
    metrics_addr: SocketAddr,
    health_addr: SocketAddr,
    m: Arc<Metrics>,
    h: Arc<Health>,
) -> std::io::Result<()> {
    let metrics_app = Router::new().route("/metrics", get(metrics)).with_state(m);
    let health_app = Router::new()
        .route("/livez", get(livez))
        .route("/healthz", get(livez))
        .route("/readyz", get(readyz))
        .with_state(h);
    let ml = tokio::net::TcpListener::bind(metrics_addr).await?;
    let hl = tokio::net::TcpListener::bind(health_addr).await?;
    tracing::info!(metrics = %metrics_addr, health = %health_addr, "admin servers listening");
    tokio::spawn(async move {
        if let Err(e) = axum::serve(ml, metrics_app).await {
            tracing::error!(error = %e, "metrics server stopped");
        }
    });
    tokio::spawn(async move {
        if let Err(e) = axum::serve(hl, health_app).await {
            tracing::error!(error = %e, "health server stopped");
        }
    });
    Ok(())
}
