//! The verification code a signed report carries: 16 characters of Crockford base32 (80 bits)
//! derived from the report's content hash and every step's signature, so that a reader holding a
//! printed copy can look it up at `/verify/{code}` and see whether the documents still hash the
//! same and who signed. Any change to the content or to a signature gives another code.

use sha2::{Digest, Sha256};

use crate::report_model::Report;

/// Characters in a code.
pub const CODE_LEN: usize = 16;

/// Crockford's base32 alphabet: no I, L, O or U.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// The code of a report as it stands (its content and its signatures, signed or not).
pub fn code(report: &Report) -> String {
    let mut hash = Sha256::new();
    hash.update(b"prongsai-verification-v1\n");
    hash.update(report.content_hash.as_bytes());
    for (block, signature) in
        report.content.approval_steps.iter().zip(report.signatures.iter().chain(std::iter::repeat(&None)))
    {
        hash.update(b"\n");
        hash.update(block.step.as_bytes());
        match signature {
            Some(s) => {
                let line = serde_json::json!([
                    s.decision.as_str(),
                    s.comment,
                    s.name,
                    s.position,
                    s.date.map(|d| d.to_string()),
                    s.up_to_date,
                ]);
                hash.update(b"|");
                hash.update(line.to_string().as_bytes());
            }
            None => hash.update(b"|-"),
        }
    }
    encode(&hash.finalize()[..CODE_LEN * 5 / 8])
}

/// Crockford base32 of `bytes`, most significant bit first (`bytes.len() * 8` a multiple of 5).
fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 8 / 5);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(ALPHABET[((buffer >> bits) & 31) as usize] as char);
        }
    }
    out
}

/// A code as someone typed or pasted it, in its canonical form: case, hyphens and spaces ignored,
/// O read as 0 and I or L as 1 (Crockford's rules). `None` when it cannot be a code.
pub fn normalize(text: &str) -> Option<String> {
    let mut out = String::with_capacity(CODE_LEN);
    for c in text.chars().filter(|c| *c != '-' && !c.is_whitespace()) {
        let c = match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            c if ALPHABET.contains(&(c as u8)) && c.is_ascii() => c,
            _ => return None,
        };
        out.push(c);
    }
    (out.len() == CODE_LEN).then_some(out)
}

/// The code in groups of four, as printed: "7K3M-Q9XA-2PTR-HW0D".
pub fn grouped(code: &str) -> String {
    code.as_bytes().chunks(4).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join("-")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::SignatureDecision;
    use crate::report_model::{ApprovalBlock, PrintedSignature, ReportContent};

    fn report() -> Report {
        let content = ReportContent {
            approval_steps: vec![
                ApprovalBlock { step: "s1".into(), ..Default::default() },
                ApprovalBlock { step: "s2".into(), ..Default::default() },
            ],
            ..Default::default()
        };
        let signed = |step: &str| PrintedSignature {
            step: step.into(),
            decision: SignatureDecision::Approved,
            comment: "เห็นชอบ".into(),
            name: "นายทดสอบ ลงนาม".into(),
            position: "ปลัด".into(),
            date: "2022-03-21".parse().ok(),
            up_to_date: true,
        };
        Report {
            content_hash: content.hash(),
            content,
            signatures: vec![Some(signed("s1")), Some(signed("s2"))],
            items: None,
            part: Default::default(),
        }
    }

    #[test]
    fn a_code_is_sixteen_crockford_characters_that_change_with_content_and_signatures() {
        let base = report();
        let code = super::code(&base);
        assert_eq!(code.len(), CODE_LEN);
        assert!(code.bytes().all(|b| ALPHABET.contains(&b)), "{code}");
        assert_eq!(super::code(&report()), code, "the same report gives the same code");

        let mut other = report();
        other.content_hash = "another".into();
        assert_ne!(super::code(&other), code, "the content changes the code");
        let mut other = report();
        other.signatures[1].as_mut().expect("signed").date = "2022-03-22".parse().ok();
        assert_ne!(super::code(&other), code, "a signature's date changes the code");
        let mut other = report();
        other.signatures[1] = None;
        assert_ne!(super::code(&other), code, "a missing signature changes the code");
    }

    #[test]
    fn a_typed_code_reads_back_whatever_its_case_and_grouping() {
        let code = super::code(&report());
        assert_eq!(normalize(&grouped(&code).to_lowercase()).as_deref(), Some(code.as_str()));
        assert_eq!(normalize("oooo-iiii-llll-0000").as_deref(), Some("0000111111110000"));
        assert_eq!(normalize("0000-1111-2222-333U"), None, "U is not in the alphabet");
        assert_eq!(normalize("0000-1111"), None, "too short");
        assert_eq!(normalize("๐๐๐๐๑๑๑๑๒๒๒๒๓๓๓๓"), None, "Thai digits are not a code");
        assert_eq!(grouped("ABCDEFGHJKMNPQRS"), "ABCD-EFGH-JKMN-PQRS");
    }

    #[test]
    fn encoding_follows_crockford() {
        // 0x00 0x44 0x32 0x14 0xC7 = 00000 00001 00010 00011 00100 00101 00110 00111
        assert_eq!(encode(&[0x00, 0x44, 0x32, 0x14, 0xC7]), "01234567");
        assert_eq!(encode(&[0xFF; 5]), "ZZZZZZZZ");
    }
}
