//! Prints the merged view of the sample agency (อบต.ปากช่อง, fiscal year 2565) as of a date.
//! Usage: cargo run -p prongsai-core --example sample_view [YYYY-MM-DD] [--json]

use prongsai_core::sample::pakchong_2565;
use prongsai_core::thai::{format_date_official, to_thai_digits};
use prongsai_core::{AgencyYear, CommitMeta, Date, merged_view};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let today: Date = match args.iter().find(|a| !a.starts_with("--")) {
        Some(date) => date.parse()?,
        None => "2022-03-21".parse()?,
    };
    let created_at = 1_640_995_200_000;
    let meta = CommitMeta::new("สร้างข้อมูลตัวอย่าง", "sample", created_at);
    let docs = pakchong_2565().typed_documents(created_at)?.into_automerge(&meta, |k| format!("automerge:{k}"))?;
    let year = AgencyYear::from_documents(docs.iter())?;
    let view = merged_view(&year, today);
    if args.iter().any(|a| a == "--json") {
        println!("{}", serde_json::to_string_pretty(&view)?);
        return Ok(());
    }
    println!("{} ปีงบประมาณ พ.ศ. {}", view.agency.name, to_thai_digits(&view.year.to_string()));
    println!("ณ วันที่ {}", format_date_official(today));
    let c = &view.counts;
    println!(
        "มาตรการ {} ข้อ · วิธีดำเนินการ {} ข้อ · ความรับผิดชอบของกอง {} รายการ · ผลที่เผยแพร่ {} ข้อ",
        to_thai_digits(&c.measures.to_string()),
        to_thai_digits(&c.methods.to_string()),
        to_thai_digits(&c.responsibilities.to_string()),
        to_thai_digits(&c.published_results.to_string()),
    );
    println!("เกินกำหนด {} รายการ\n", to_thai_digits(&view.late.len().to_string()));
    for m in &view.measures {
        println!("{}. {}  [{}]", to_thai_digits(&m.number.to_string()), m.title, m.schedule_label);
        for method in &m.methods {
            println!("   - {}", method.text);
        }
        let names: Vec<String> = m
            .responsible
            .iter()
            .enumerate()
            .map(|(i, d)| format!("{}.{}", to_thai_digits(&(i + 1).to_string()), year.division_name(d)))
            .collect();
        println!("   ผู้รับผิดชอบ: {}", names.join(" "));
        println!("   ผลการดำเนินงาน: {}\n", m.published_result);
    }
    Ok(())
}
