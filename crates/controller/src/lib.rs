//! anchorage-controller: the reconcilers that talk to the Kubernetes API server.
