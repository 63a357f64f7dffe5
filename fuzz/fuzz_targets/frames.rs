//! Any bytes as one incoming WebSocket frame of the sync protocol: the server's frame check must
//! answer (accept or refuse) and never panic.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    prongsai_sync_server::sync::fuzz_one(data);
});
