//! Any bytes as a plan file to import (XLSX, CSV in any encoding, or anything else): the reader
//! must answer with a report or an error and never panic.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    prongsai_report::import::fuzz_one(data);
});
