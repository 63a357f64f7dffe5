//! The kinds of evidence file Prongsai accepts, recognised by their bytes, never by a name or a
//! declared type: a device checks a file before it queues it, and the server checks it again
//! before it stores it (it serves each with the media type found here, so a file that claims to
//! be a photo but is a web page is refused, not served).

/// An accepted evidence file type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileType {
    Jpeg,
    Png,
    Pdf,
    Docx,
    Xlsx,
    Odt,
    Ods,
    Text,
}

impl FileType {
    pub const ALL: [FileType; 8] = [
        FileType::Jpeg,
        FileType::Png,
        FileType::Pdf,
        FileType::Docx,
        FileType::Xlsx,
        FileType::Odt,
        FileType::Ods,
        FileType::Text,
    ];

    pub fn media_type(self) -> &'static str {
        match self {
            FileType::Jpeg => "image/jpeg",
            FileType::Png => "image/png",
            FileType::Pdf => "application/pdf",
            FileType::Docx => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            FileType::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            FileType::Odt => "application/vnd.oasis.opendocument.text",
            FileType::Ods => "application/vnd.oasis.opendocument.spreadsheet",
            FileType::Text => "text/plain; charset=utf-8",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            FileType::Jpeg => "jpg",
            FileType::Png => "png",
            FileType::Pdf => "pdf",
            FileType::Docx => "docx",
            FileType::Xlsx => "xlsx",
            FileType::Odt => "odt",
            FileType::Ods => "ods",
            FileType::Text => "txt",
        }
    }

    /// Photos may be shown in the page; every other type is only ever downloaded.
    pub fn inline(self) -> bool {
        matches!(self, FileType::Jpeg | FileType::Png)
    }

    /// The type a declared media type names, if it is one accepted (parameters ignored).
    pub fn from_media_type(media_type: &str) -> Option<FileType> {
        let essence = media_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
        FileType::ALL.into_iter().find(|t| t.media_type().split(';').next() == Some(essence.as_str()))
    }

    /// What the bytes are, if they are one of the accepted types.
    pub fn sniff(bytes: &[u8]) -> Option<FileType> {
        if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(FileType::Jpeg)
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(FileType::Png)
        } else if bytes.starts_with(b"%PDF-") {
            Some(FileType::Pdf)
        } else if bytes.starts_with(b"PK\x03\x04") {
            sniff_zip(bytes)
        } else if is_plain_text(bytes) {
            Some(FileType::Text)
        } else {
            None
        }
    }
}

/// An office document is a zip: OpenDocument names its type in a first, stored `mimetype` entry;
/// Office Open XML has `[Content_Types].xml` and its main part (`word/…`, `xl/…`).
fn sniff_zip(bytes: &[u8]) -> Option<FileType> {
    const ODF: &[u8] = b"mimetypeapplication/vnd.oasis.opendocument.";
    if bytes.len() > 30 + ODF.len() && &bytes[30..30 + ODF.len()] == ODF {
        let rest = &bytes[30 + ODF.len()..];
        return if rest.starts_with(b"text") && !rest.starts_with(b"text-") {
            Some(FileType::Odt)
        } else if rest.starts_with(b"spreadsheet") && !rest.starts_with(b"spreadsheet-") {
            Some(FileType::Ods)
        } else {
            None
        };
    }
    let has = |name: &[u8]| bytes.windows(name.len()).any(|w| w == name);
    if !has(b"[Content_Types].xml") {
        return None;
    }
    match (has(b"word/document.xml"), has(b"xl/workbook.xml")) {
        (true, false) => Some(FileType::Docx),
        (false, true) => Some(FileType::Xlsx),
        _ => None,
    }
}

/// UTF-8 (a BOM allowed) without NUL or other control characters but tab, line and page breaks.
fn is_plain_text(bytes: &[u8]) -> bool {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    !bytes.is_empty()
        && std::str::from_utf8(bytes)
            .is_ok_and(|text| text.chars().all(|c| !c.is_control() || matches!(c, '\t' | '\n' | '\r' | '\x0C')))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zip_with(first_name: &[u8], content: &[u8], more: &[&[u8]]) -> Vec<u8> {
        let mut out = b"PK\x03\x04".to_vec();
        out.extend_from_slice(&[0; 22]);
        out.extend_from_slice(&(first_name.len() as u16).to_le_bytes());
        out.extend_from_slice(&[0, 0]);
        out.extend_from_slice(first_name);
        out.extend_from_slice(content);
        for name in more {
            out.extend_from_slice(b"PK\x03\x04");
            out.extend_from_slice(name);
        }
        out
    }

    #[test]
    fn files_are_known_by_their_bytes() {
        let odt = zip_with(b"mimetype", b"application/vnd.oasis.opendocument.text", &[b"content.xml"]);
        let ods = zip_with(b"mimetype", b"application/vnd.oasis.opendocument.spreadsheet", &[]);
        let odt_template = zip_with(b"mimetype", b"application/vnd.oasis.opendocument.text-template", &[]);
        let docx = zip_with(b"[Content_Types].xml", b"<Types/>", &[b"word/document.xml"]);
        let xlsx = zip_with(b"[Content_Types].xml", b"<Types/>", &[b"xl/workbook.xml"]);
        let other_zip = zip_with(b"payload.exe", b"MZ", &[]);
        let cases: [(&[u8], Option<FileType>); 14] = [
            (b"\xFF\xD8\xFF\xE0\x00\x10JFIF", Some(FileType::Jpeg)),
            (b"\x89PNG\r\n\x1a\n\x00\x00", Some(FileType::Png)),
            (b"%PDF-1.7\n", Some(FileType::Pdf)),
            (&odt, Some(FileType::Odt)),
            (&ods, Some(FileType::Ods)),
            (&odt_template, None),
            (&docx, Some(FileType::Docx)),
            (&xlsx, Some(FileType::Xlsx)),
            (&other_zip, None),
            ("ผลการดำเนินงาน ไตรมาสที่ ๑\r\n".as_bytes(), Some(FileType::Text)),
            (b"\xEF\xBB\xBFhello", Some(FileType::Text)),
            (b"GIF89a\x01\x00", None),
            (b"text with a \x00 NUL", None),
            (b"", None),
        ];
        for (bytes, expected) in cases {
            assert_eq!(
                FileType::sniff(bytes),
                expected,
                "{:?}",
                String::from_utf8_lossy(&bytes[..bytes.len().min(40)])
            );
        }
    }

    #[test]
    fn a_web_page_is_text_at_most_and_never_inline() {
        // HTML is UTF-8 text: accepted only as text/plain, served as an attachment with nosniff.
        let page = b"<html><script>alert(document.cookie)</script></html>";
        assert_eq!(FileType::sniff(page), Some(FileType::Text));
        assert!(!FileType::Text.inline());
        assert!(FileType::Jpeg.inline() && FileType::Png.inline() && !FileType::Pdf.inline());
    }

    #[test]
    fn declared_media_types_map_to_types() {
        assert_eq!(FileType::from_media_type("image/JPEG"), Some(FileType::Jpeg));
        assert_eq!(FileType::from_media_type("text/plain; charset=windows-874"), Some(FileType::Text));
        assert_eq!(FileType::from_media_type("text/html"), None);
        assert_eq!(FileType::from_media_type("application/msword"), None);
        for t in FileType::ALL {
            assert_eq!(FileType::from_media_type(t.media_type()), Some(t));
        }
    }
}
