//! Content hashes: what a division submitted, what the coordinator approved, what an approver
//! signed. A hash covers content only (never who or when), so re-saving the same text keeps it.

use sha2::{Digest, Sha256};

use crate::model::DivisionResult;
use crate::position;

/// Hex SHA-256 of bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The hash of a division result's content: status, text, percent and evidence (in order).
pub fn result_content_hash(result: &DivisionResult) -> String {
    let mut evidence: Vec<(String, String, serde_json::Value)> = result
        .evidence
        .iter()
        .map(|(id, e)| {
            let value = serde_json::json!({
                "sha256": e.sha256, "url": e.url, "file_name": e.file_name, "caption": e.caption,
            });
            (e.pos.clone(), id.clone(), value)
        })
        .collect();
    position::sort_by_position(&mut evidence);
    let canonical = serde_json::json!({
        "status": result.status.as_str(),
        "text": result.text.as_str(),
        "percent": result.percent,
        "evidence": evidence.into_iter().map(|(_, _, v)| v).collect::<Vec<_>>(),
    });
    sha256_hex(canonical.to_string().as_bytes())
}
