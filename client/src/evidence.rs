//! Evidence files as a device prepares them: photos are downscaled and re-encoded before anything
//! is kept or sent, which also drops their EXIF block (camera, time, GPS position), since
//! evidence is published on the agency's website. Other files are kept as they are.

use std::io::Cursor;

use image::{DynamicImage, ImageDecoder, ImageReader};

/// The longest side of a photo as it is kept and uploaded.
pub const MAX_PHOTO_SIDE: u32 = 2048;
/// The largest file the server accepts (its default `max_blob_bytes`).
pub const MAX_FILE_BYTES: usize = 25 * 1024 * 1024;

/// Kinds of files accepted as evidence besides photos.
const DOCUMENT_TYPES: &[&str] = &[
    "application/pdf",
    "application/msword",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.ms-excel",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "text/plain",
];

#[derive(Debug, thiserror::Error)]
pub enum EvidenceError {
    #[error("the file is {size} bytes; the largest accepted is {MAX_FILE_BYTES}")]
    TooLarge { size: usize },
    #[error("files of type {0:?} are not accepted as evidence (photos, PDF, Word, Excel, text)")]
    Unsupported(String),
    #[error("the photo cannot be read: {0}")]
    BadImage(String),
}

/// A file ready to keep and upload: content-addressed by the hash of its final bytes.
#[derive(Clone, Debug)]
pub struct PreparedFile {
    pub sha256: String,
    pub file_name: String,
    pub media_type: String,
    pub bytes: Vec<u8>,
}

/// Prepares a file for evidence: photos are downscaled to [`MAX_PHOTO_SIDE`], turned upright by
/// their EXIF orientation and re-encoded as JPEG without metadata; documents pass unchanged.
pub fn prepare(file_name: &str, media_type: &str, bytes: Vec<u8>) -> Result<PreparedFile, EvidenceError> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(EvidenceError::TooLarge { size: bytes.len() });
    }
    let media_type = media_type.trim().to_ascii_lowercase();
    let (file_name, media_type, bytes) = if is_photo(&media_type) {
        let jpeg = reencode_photo(&bytes)?;
        (with_extension(file_name, "jpg"), "image/jpeg".to_string(), jpeg)
    } else if DOCUMENT_TYPES.contains(&media_type.as_str()) {
        (file_name.to_string(), media_type, bytes)
    } else {
        return Err(EvidenceError::Unsupported(media_type));
    };
    let sha256 = prongsai_core::hash::sha256_hex(&bytes);
    Ok(PreparedFile { sha256, file_name, media_type, bytes })
}

fn is_photo(media_type: &str) -> bool {
    matches!(media_type, "image/jpeg" | "image/jpg" | "image/png" | "image/webp")
}

fn reencode_photo(bytes: &[u8]) -> Result<Vec<u8>, EvidenceError> {
    let bad = |e: image::ImageError| EvidenceError::BadImage(e.to_string());
    let reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| EvidenceError::BadImage(e.to_string()))?;
    let mut decoder = reader.into_decoder().map_err(bad)?;
    let orientation = decoder.orientation().map_err(bad)?;
    let mut image = DynamicImage::from_decoder(decoder).map_err(bad)?;
    image.apply_orientation(orientation);
    if image.width().max(image.height()) > MAX_PHOTO_SIDE {
        image = image.resize(MAX_PHOTO_SIDE, MAX_PHOTO_SIDE, image::imageops::FilterType::Triangle);
    }
    let rgb = DynamicImage::ImageRgb8(image.to_rgb8());
    let mut out = Vec::new();
    let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85);
    rgb.write_with_encoder(encoder).map_err(bad)?;
    Ok(out)
}

/// "IMG_2031.HEIC.png" → "IMG_2031.HEIC.jpg"; a name without an extension gets one.
fn with_extension(file_name: &str, extension: &str) -> String {
    let stem = match file_name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() && ext.len() <= 5 => stem,
        _ => file_name,
    };
    let stem = if stem.trim().is_empty() { "photo" } else { stem };
    format!("{stem}.{extension}")
}

/// Test material shared by this crate's tests and the end-to-end tests.
#[doc(hidden)]
pub mod testing {
    use image::DynamicImage;

    /// A JPEG with an EXIF block carrying a GPS position, as phones write them.
    pub fn photo_with_gps(width: u32, height: u32) -> Vec<u8> {
        photo_with_gps_turned(width, height, 1)
    }

    /// As [`photo_with_gps`], stored as a camera held sideways stores it: the pixels as the
    /// sensor read them and an EXIF orientation (1–8) saying how to turn them upright. The stored
    /// image's top-left tenth is white, so a test can see where that corner ends up.
    pub fn photo_with_gps_turned(width: u32, height: u32, orientation: u16) -> Vec<u8> {
        let image = DynamicImage::ImageRgb8(image::RgbImage::from_fn(width, height, |x, y| {
            if x < width / 10 && y < height / 10 {
                return image::Rgb([255, 255, 255]);
            }
            image::Rgb([u8::try_from(x % 200).unwrap_or(0), u8::try_from(y % 200).unwrap_or(0), 64])
        }));
        let mut jpeg = Vec::new();
        image
            .write_with_encoder(image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 90))
            .expect("encoding a generated image works");
        // APP1 "Exif\0\0", a little-endian TIFF header, IFD0 with one entry (Orientation, a SHORT)
        // and no next IFD, then a marker string standing for the GPS data.
        let mut exif = b"Exif\0\0II*\0\x08\0\0\0".to_vec();
        exif.extend_from_slice(&1u16.to_le_bytes());
        exif.extend_from_slice(&[0x12, 0x01, 3, 0, 1, 0, 0, 0]);
        exif.extend_from_slice(&orientation.to_le_bytes());
        exif.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
        exif.extend_from_slice(b"GPSLatitude 13.52N GPSLongitude 99.81E");
        let length = u16::try_from(exif.len() + 2).expect("a small segment").to_be_bytes();
        let mut with_exif = vec![0xFF, 0xD8, 0xFF, 0xE1, length[0], length[1]];
        with_exif.extend_from_slice(&exif);
        with_exif.extend_from_slice(&jpeg[2..]);
        with_exif
    }

    /// Whether the corner of `photo` at (`right`, `bottom`) is the fixture's white tenth.
    pub fn white_corner(photo: &[u8], right: bool, bottom: bool) -> bool {
        let Ok(image) = image::load_from_memory(photo) else { return false };
        let image = image.to_rgb8();
        let (w, h) = image.dimensions();
        let x = if right { w - 1 - w / 40 } else { w / 40 };
        let y = if bottom { h - 1 - h / 40 } else { h / 40 };
        image.get_pixel(x, y).0.iter().all(|&c| c > 230)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::evidence::testing::{photo_with_gps, photo_with_gps_turned, white_corner};

    #[test]
    fn photos_are_downscaled_and_lose_their_exif_and_gps() {
        let original = photo_with_gps(3000, 1500);
        assert!(original.windows(4).any(|w| w == b"Exif"));
        let prepared = prepare("ภาพอบรม.JPG", "image/jpeg", original).expect("prepared");
        assert!(!prepared.bytes.windows(4).any(|w| w == b"Exif"), "no EXIF block");
        assert!(!prepared.bytes.windows(3).any(|w| w == b"GPS"), "no GPS data");
        let decoded = image::load_from_memory(&prepared.bytes).expect("still a photo");
        assert_eq!((decoded.width(), decoded.height()), (2048, 1024));
        assert_eq!(prepared.file_name, "ภาพอบรม.jpg");
        assert_eq!(prepared.media_type, "image/jpeg");
        assert_eq!(prepared.sha256, prongsai_core::hash::sha256_hex(&prepared.bytes));
        assert!(white_corner(&prepared.bytes, false, false), "an upright photo keeps its top-left corner");
    }

    #[test]
    fn a_photo_taken_with_the_camera_sideways_is_turned_upright() {
        // Orientation 6: the sensor's rows are the picture's right-hand column (rotate 90° clockwise
        // to view), as a phone held upright with its camera's long side across writes it.
        let sideways = photo_with_gps_turned(3000, 1500, 6);
        let prepared = prepare("หน้างาน.jpg", "image/jpeg", sideways).expect("prepared");
        let decoded = image::load_from_memory(&prepared.bytes).expect("a photo");
        assert_eq!((decoded.width(), decoded.height()), (1024, 2048), "upright, then downscaled");
        assert!(white_corner(&prepared.bytes, true, false), "the stored top-left is now top-right");
        assert!(!white_corner(&prepared.bytes, false, false));
        // Upside down (3) and mirrored (2) too: the corner lands where a viewer would see it.
        let upside_down = prepare("a.jpg", "image/jpeg", photo_with_gps_turned(400, 300, 3)).expect("prepared");
        assert!(white_corner(&upside_down.bytes, true, true));
        let mirrored = prepare("a.jpg", "image/jpeg", photo_with_gps_turned(400, 300, 2)).expect("prepared");
        assert!(white_corner(&mirrored.bytes, true, false));
        assert!(!prepared.bytes.windows(4).any(|w| w == b"Exif"), "no orientation left to apply twice");
    }

    #[test]
    fn small_photos_keep_their_size_and_documents_pass_unchanged() {
        let prepared = prepare("a.png", "image/jpeg", photo_with_gps(640, 480)).expect("prepared");
        let decoded = image::load_from_memory(&prepared.bytes).expect("photo");
        assert_eq!((decoded.width(), decoded.height()), (640, 480));
        let pdf = b"%PDF-1.4 minutes of the meeting".to_vec();
        let kept = prepare("รายงานการประชุม.pdf", "application/pdf", pdf.clone()).expect("pdf");
        assert_eq!(kept.bytes, pdf);
        assert_eq!(kept.file_name, "รายงานการประชุม.pdf");
    }

    #[test]
    fn what_is_not_evidence_is_refused_with_a_reason() {
        assert!(matches!(
            prepare("x.exe", "application/x-msdownload", vec![1, 2, 3]),
            Err(EvidenceError::Unsupported(_))
        ));
        assert!(matches!(prepare("x.jpg", "image/jpeg", b"not a photo".to_vec()), Err(EvidenceError::BadImage(_))));
        assert!(matches!(
            prepare("big.pdf", "application/pdf", vec![0; MAX_FILE_BYTES + 1]),
            Err(EvidenceError::TooLarge { .. })
        ));
    }
}
