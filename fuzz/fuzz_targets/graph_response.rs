//! Decoding Graph's answers: collection pages, `$batch` responses and error bodies. The first
//! byte picks which.
#![no_main]

use hangar_graph::decode;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&which, body)) = data.split_first() else {
        return;
    };
    match which % 3 {
        0 => {
            let _ = decode::page(body);
        }
        1 => {
            let _ = decode::batch(body);
        }
        _ => {
            let (code, message, _) = decode::error(body);
            let _ = code;
            assert!(message.len() <= 2_010, "an error message is cut to 2,000 bytes");
        }
    }
});
