//! A roster CSV file as an organizer might upload it (or a spreadsheet mangle it).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    if let Ok(text) = std::str::from_utf8(input) {
        let _ = unionhall_members::csv::read(text);
    }
});
