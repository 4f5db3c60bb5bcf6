//! The `resource` parameter of a WebFinger request.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    if let Ok(resource) = std::str::from_utf8(input) {
        let _ = unionhall_federation::discovery::parse_resource(resource);
    }
});
