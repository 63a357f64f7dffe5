//! Tauri embeds the frontend's `dist` when this crate compiles. A clean clone has no `dist` yet
//! (scripts/build-frontend.sh makes it), so a placeholder page keeps `cargo check` working and
//! says what to do if it is ever shown.

use std::path::Path;

const PLACEHOLDER: &str = r#"<!doctype html>
<html lang="th"><head><meta charset="utf-8"><title>Prongsai</title></head>
<body style="font-family: sans-serif; padding: 2rem">
<h1>ยังไม่ได้สร้างหน้าจอของแอป</h1>
<p>The frontend has not been built. Run <code>scripts/build-frontend.sh</code>, then build the app again.</p>
</body></html>
"#;

fn main() {
    let dist = Path::new(env!("CARGO_MANIFEST_DIR")).join("../frontend/dist");
    if !dist.join("index.html").exists() {
        std::fs::create_dir_all(&dist).expect("create frontend/dist");
        std::fs::write(dist.join("index.html"), PLACEHOLDER).expect("write the placeholder page");
    }
    println!("cargo:rerun-if-changed=../frontend/dist");
    tauri_build::build();
}
