//! PEM (RFC 7468) reading and writing.
//!
//! Reading is lenient the way real-world files need: CRLF line endings, blank lines, text
//! between blocks (e.g. `openssl x509 -text` output) and RFC 1421 headers are accepted.
//! Writing is strict, as Linkerd's Go decoder needs: LF endings, 64-column base64 and exactly one
//! final newline, with no blank lines.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::PkiError;

/// One decoded PEM block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PemBlock {
    /// The label between `BEGIN ` and `-----`, e.g. `CERTIFICATE`.
    pub label: String,
    /// RFC 1421 headers (`Proc-Type: 4,ENCRYPTED`), if any, as `(name, value)`.
    pub headers: Vec<(String, String)>,
    /// The decoded DER bytes.
    pub der: Vec<u8>,
}

/// Parses every PEM block in `input`. `what` names the input in error messages.
///
/// # Errors
/// [`PkiError::Pem`] for a BEGIN without a matching END, a mismatched END label or invalid base64.
/// An input without any block yields an empty vector, not an error.
pub fn parse_pem(input: &[u8], what: &str) -> Result<Vec<PemBlock>, PkiError> {
    let text = String::from_utf8_lossy(input);
    let err = |reason: String| PkiError::Pem {
        what: what.to_string(),
        reason,
    };
    let mut blocks = Vec::new();
    // (label, headers, base64 body) of the block being read.
    type Open = (String, Vec<(String, String)>, String);
    let mut current: Option<Open> = None;
    for raw in text.split('\n') {
        let line = raw.trim_matches(|c: char| c == '\r' || c == ' ' || c == '\t');
        match current.as_mut() {
            None => {
                if let Some(label) = line
                    .strip_prefix("-----BEGIN ")
                    .and_then(|l| l.strip_suffix("-----"))
                {
                    current = Some((label.to_string(), Vec::new(), String::new()));
                }
            }
            Some((label, headers, body)) => {
                if let Some(end) = line
                    .strip_prefix("-----END ")
                    .and_then(|l| l.strip_suffix("-----"))
                {
                    if end != label {
                        return Err(err(format!(
                            "block `BEGIN {label}` is closed by `END {end}`"
                        )));
                    }
                    let der = STANDARD
                        .decode(body.as_bytes())
                        .map_err(|e| err(format!("bad base64 in the {label} block: {e}")))?;
                    blocks.push(PemBlock {
                        label: std::mem::take(label),
                        headers: std::mem::take(headers),
                        der,
                    });
                    current = None;
                } else if line.starts_with("-----BEGIN ") {
                    return Err(err(format!("block `BEGIN {label}` has no END line")));
                } else if body.is_empty() && line.contains(':') {
                    if let Some((k, v)) = line.split_once(':') {
                        headers.push((k.trim().to_string(), v.trim().to_string()));
                    }
                } else {
                    body.push_str(line);
                }
            }
        }
    }
    if let Some((label, _, _)) = current {
        return Err(err(format!("block `BEGIN {label}` has no END line")));
    }
    Ok(blocks)
}

/// Encodes one PEM block: LF endings, 64-column base64, one final newline.
pub fn encode_pem(label: &str, der: &[u8]) -> Vec<u8> {
    let b64 = STANDARD.encode(der);
    let mut out = String::with_capacity(b64.len() + b64.len() / 64 + 2 * label.len() + 40);
    out.push_str("-----BEGIN ");
    out.push_str(label);
    out.push_str("-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        // base64 output is ASCII, so every chunk is valid UTF-8.
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out.push_str("-----END ");
    out.push_str(label);
    out.push_str("-----\n");
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_format() {
        let der: Vec<u8> = (0..=255u8).collect();
        let pem = encode_pem("CERTIFICATE", &der);
        let s = String::from_utf8(pem.clone()).unwrap();
        assert!(s.ends_with("-----END CERTIFICATE-----\n"));
        assert!(!s.ends_with("\n\n"));
        assert!(s.lines().all(|l| l.len() <= 64 || l.starts_with("-----")));
        let blocks = parse_pem(&pem, "test").unwrap();
        assert_eq!(blocks.len(), 1);
        assert_eq!(blocks[0].der, der);
    }

    #[test]
    fn lenient_reading() {
        let pem = String::from_utf8(encode_pem("X", b"hello world")).unwrap();
        let crlf = format!(
            "junk text\r\n\r\n{}\r\n\r\n  \r\n",
            pem.replace('\n', "\r\n")
        );
        let blocks = parse_pem(crlf.as_bytes(), "test").unwrap();
        assert_eq!(blocks[0].der, b"hello world");
        assert_eq!(blocks[0].label, "X");
    }

    #[test]
    fn headers_are_kept() {
        let pem = "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\naGk=\n-----END RSA PRIVATE KEY-----\n";
        let blocks = parse_pem(pem.as_bytes(), "key").unwrap();
        assert_eq!(blocks[0].headers[0].0, "Proc-Type");
        assert_eq!(blocks[0].der, b"hi");
    }

    #[test]
    fn malformed_inputs() {
        assert!(parse_pem(b"-----BEGIN X-----\naGk=\n", "t").is_err());
        assert!(parse_pem(b"-----BEGIN X-----\naGk=\n-----END Y-----\n", "t").is_err());
        assert!(parse_pem(b"-----BEGIN X-----\n!!!!\n-----END X-----\n", "t").is_err());
        assert!(parse_pem(b"nothing here", "t").unwrap().is_empty());
    }
}
