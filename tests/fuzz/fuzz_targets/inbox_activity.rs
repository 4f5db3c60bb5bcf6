//! The inbox path from raw body to typed activity: envelope, type, fields, and
//! the addressees the moderation checks read from the same JSON.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    if let Ok(activity) = unionhall_federation::inbox::parse_activity(body) {
        let _ = (activity.id(), activity.actor());
    }
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) {
        let _ = unionhall_federation::activities::audience_of(&value);
    }
});
