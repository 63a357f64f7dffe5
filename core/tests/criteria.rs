//! ITA item codes live only in the criteria data (`core/data/ita`): no Rust, typst, HTML or JS
//! source of Prongsai names one, so a new assessment year's renumbering never needs a new build.
//! Comments may mention them.

use std::path::{Path, PathBuf};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Every source file of ours (not vendored code, build output, test artifacts or data).
fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().to_string();
        if path.is_dir() {
            if !matches!(
                name.as_str(),
                "target" | "node_modules" | "artifacts" | "dist" | "vendor" | "fuzz" | "data" | "gen" | ".git"
            ) {
                sources(&path, out);
            }
        } else if matches!(path.extension().and_then(|e| e.to_str()), Some("rs" | "typ" | "html" | "js" | "mjs")) {
            out.push(path);
        }
    }
}

/// The text with its comments blanked out (`//` to the end of the line, `/* … */`, `<!-- … -->`).
fn without_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        let next = [rest.find("//"), rest.find("/*"), rest.find("<!--")].into_iter().flatten().min();
        let Some(at) = next else {
            out.push_str(rest);
            break;
        };
        // A `//` inside an address ("https://") is not a comment.
        if rest[at..].starts_with("//") && rest[..at].ends_with(':') {
            out.push_str(&rest[..at + 2]);
            rest = &rest[at + 2..];
            continue;
        }
        out.push_str(&rest[..at]);
        let (close, keep_newline) = if rest[at..].starts_with("//") {
            ("\n", true)
        } else if rest[at..].starts_with("/*") {
            ("*/", false)
        } else {
            ("-->", false)
        };
        match rest[at + 2..].find(close) {
            Some(end) => {
                if keep_newline {
                    out.push('\n');
                }
                rest = &rest[at + 2 + end + close.len()..];
            }
            None => break,
        }
    }
    out
}

/// An item code: a capital or small O followed by one or two digits, standing alone.
fn item_codes(line: &str) -> Vec<String> {
    let chars: Vec<char> = line.chars().collect();
    let word = |c: char| c.is_alphanumeric() || c == '_';
    let mut found = Vec::new();
    for i in 0..chars.len() {
        if !matches!(chars[i], 'O' | 'o') || (i > 0 && word(chars[i - 1])) {
            continue;
        }
        let digits: String = chars[i + 1..].iter().take_while(|c| c.is_ascii_digit()).collect();
        let after = chars.get(i + 1 + digits.len()).copied();
        if (1..=2).contains(&digits.len()) && !after.is_some_and(word) {
            found.push(format!("{}{digits}", chars[i]));
        }
    }
    found
}

#[test]
fn no_source_names_an_item_code() {
    let mut files = Vec::new();
    for dir in ["core", "sync-server", "client", "report", "frontend", "src-tauri", "tests", "xtask"] {
        sources(&workspace().join(dir), &mut files);
    }
    assert!(files.len() > 50, "the sources were found ({})", files.len());
    let mut named = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap_or_default();
        for (n, line) in without_comments(&text).lines().enumerate() {
            for code in item_codes(line) {
                named.push(format!("{}:{}: {code}", file.strip_prefix(workspace()).unwrap_or(file).display(), n + 1));
            }
        }
    }
    assert!(named.is_empty(), "item codes belong in core/data/ita, not in code:\n{}", named.join("\n"));
}

#[test]
fn the_scan_finds_codes_and_ignores_comments() {
    // Built here, so this file names no code itself.
    let (big, small) = (format!("O{}", 43), format!("o{}", 42));
    assert_eq!(item_codes(&format!("let x = \"{big}\"; y({small})")), [big.clone(), small.clone()]);
    assert!(item_codes("Overview O123 ROOT o4x").is_empty());
    let text = format!("a // {big} here\nb /* {small}\n */ c <!-- {big} --> \"https://x/{big}\"");
    assert_eq!(item_codes(&without_comments(&text)), [big], "the address is code, the comments are not");
}
