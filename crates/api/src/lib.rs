//! anchorage-api: the cert-manager.io/v1 API types served by anchorage.
