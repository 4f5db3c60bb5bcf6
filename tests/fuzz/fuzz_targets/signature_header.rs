//! The HTTP Signature header and the checks made of it before any key is
//! fetched. The input's first line is the `Signature` value; each further line
//! `name: value` is another header (Date, Digest, Host, Signature-Input...).
#![no_main]

use libfuzzer_sys::fuzz_target;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use unionhall_federation::authentication::{parse_signature, SignedRequest};
use unionhall_federation::signatures::{verify_digest, SignatureHeader};

fuzz_target!(|input: &[u8]| {
    let Ok(text) = std::str::from_utf8(input) else {
        return;
    };
    let mut lines = text.split('\n');
    let signature = lines.next().unwrap_or_default();
    let mut headers = HeaderMap::new();
    if let Ok(value) = HeaderValue::from_str(signature) {
        headers.insert("signature", value);
    }
    for line in lines {
        if let Some((name, value)) = line.split_once(':') {
            if let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(name.trim().as_bytes()),
                HeaderValue::from_str(value.trim()),
            ) {
                headers.append(name, value);
            }
        }
    }
    if let Ok(parsed) = SignatureHeader::parse(signature) {
        let _ = parsed.key_owner();
        let _ = parsed.signing_string("POST", "/inbox", &headers, "example.org");
    }
    let request = SignedRequest {
        method: "POST",
        path_and_query: "/inbox",
        headers: &headers,
    };
    let _ = parse_signature(&request);
    let _ = verify_digest(&headers, input);
});
