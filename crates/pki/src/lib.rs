//! anchorage-pki: keys, CSRs, CA material, signing and renewal maths over OpenSSL.
//! Pure functions over bytes and explicit instants: no Kubernetes, no async runtime.
