//! Thai first, English second: every text on screen is written in both, side by side where it
//! is used, and `Lang` picks one.

use prongsai_core::app::Connection;
use prongsai_core::model::Status;
use prongsai_core::view::ReviewState;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Lang {
    #[default]
    Th,
    En,
}

impl Lang {
    pub fn pick(self, th: &'static str, en: &'static str) -> &'static str {
        match self {
            Lang::Th => th,
            Lang::En => en,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Th => "th",
            Lang::En => "en",
        }
    }

    pub fn other(self) -> Lang {
        match self {
            Lang::Th => Lang::En,
            Lang::En => Lang::Th,
        }
    }

    pub fn status(self, status: &Status) -> &'static str {
        match status {
            Status::NotStarted => self.pick("ยังไม่เริ่ม", "Not started"),
            Status::InProgress => self.pick("กำลังดำเนินการ", "In progress"),
            Status::Done => self.pick("ดำเนินการแล้ว", "Done"),
            Status::Blocked => self.pick("ติดปัญหา", "Blocked"),
            Status::Other(_) => self.pick("สถานะอื่น", "Other status"),
        }
    }

    pub fn review(self, review: ReviewState) -> &'static str {
        match review {
            ReviewState::Draft => self.pick("ยังไม่ส่งตรวจ", "Not submitted"),
            ReviewState::AwaitingReview => self.pick("รอตรวจ", "Awaiting review"),
            ReviewState::Approved => self.pick("ผ่านการตรวจ", "Approved"),
            ReviewState::Returned => self.pick("ส่งกลับแก้ไข", "Returned"),
            ReviewState::ChangedSinceApproval => self.pick("แก้ไขหลังผ่านการตรวจ", "Changed since approval"),
        }
    }

    pub fn connection(self, connection: Connection) -> &'static str {
        match connection {
            Connection::Offline => self.pick("ออฟไลน์", "Offline"),
            Connection::Connecting => self.pick("กำลังเชื่อมต่อ", "Connecting"),
            Connection::Syncing => self.pick("กำลังซิงก์", "Syncing"),
            Connection::UpToDate => self.pick("ข้อมูลเป็นปัจจุบัน", "Up to date"),
            Connection::SignedOut => self.pick("ต้องเข้าสู่ระบบใหม่", "Sign in again"),
        }
    }

    /// What a failed call means for the person, and what to do.
    pub fn error(self, kind: &str) -> &'static str {
        match kind {
            "unauthorized" => self.pick(
                "ชื่อผู้ใช้หรือรหัสผ่านไม่ถูกต้อง หรือการเข้าสู่ระบบหมดอายุ กรุณาเข้าสู่ระบบอีกครั้ง",
                "Wrong user name or password, or the sign-in expired. Please sign in again.",
            ),
            "rate_limited" => self.pick(
                "ลองเข้าสู่ระบบผิดหลายครั้งเกินไป กรุณารอสักครู่แล้วลองใหม่",
                "Too many failed sign-ins. Wait a moment and try again.",
            ),
            "offline" => self.pick(
                "ติดต่อเซิร์ฟเวอร์ไม่ได้ ตรวจสอบที่อยู่เซิร์ฟเวอร์และการเชื่อมต่อ แล้วลองอีกครั้ง",
                "Cannot reach the server. Check its address and the connection, then try again.",
            ),
            "invalid_server" => self.pick(
                "ที่อยู่เซิร์ฟเวอร์ไม่ถูกต้อง ตัวอย่าง: http://192.168.1.10:8080",
                "The server address is not valid. Example: http://192.168.1.10:8080",
            ),
            "read_only" => self
                .pick("คุณไม่มีสิทธิ์แก้ไขรายการนี้ การแก้ไขไม่ถูกบันทึก", "You may not change this item; the change was not saved."),
            "invalid" => {
                self.pick("ข้อมูลไม่ถูกต้อง กรุณาตรวจสอบแล้วลองอีกครั้ง", "The input is not valid. Check it and try again.")
            }
            "desktop_only" => {
                self.pick("ทำได้ในโปรแกรมโปร่งใสบนคอมพิวเตอร์", "This is done in the Prongsai app on a computer.")
            }
            "other_tab" => self.pick(
                "โปร่งใสเปิดเป็นเครื่องทำงานอยู่ในแท็บอื่นของเบราว์เซอร์นี้ ปิดแท็บนั้นแล้วหน้านี้จะทำงานต่อเอง",
                "Prongsai is open as a device in another tab of this browser: close that tab and this one carries on.",
            ),
            "not_on_device" => self.pick(
                "ยังไม่มีข้อมูลนี้ในเครื่อง ต้องเชื่อมต่อเซิร์ฟเวอร์อย่างน้อยหนึ่งครั้ง",
                "This data is not on the device yet. Connect to the server once.",
            ),
            "unavailable" => self.pick(
                "เซิร์ฟเวอร์ยังบันทึกข้อมูลไม่ได้ในขณะนี้ กรุณาลองใหม่ภายหลัง (ข้อมูลในเครื่องยังอยู่ครบ)",
                "The server cannot store data right now. Try again later (everything on this device is kept).",
            ),
            "busy" => self.pick(
                "เซิร์ฟเวอร์กำลังตรวจสอบการเข้าสู่ระบบจำนวนมาก กรุณารอสักครู่แล้วลองใหม่",
                "The server is busy checking other sign-ins. Wait a moment and try again.",
            ),
            "too_large" => self.pick("ไฟล์มีขนาดใหญ่เกินกำหนด", "The file is larger than accepted."),
            "unsupported_type" => self.pick(
                "ไม่รับไฟล์ชนิดนี้ รับเฉพาะรูปภาพ JPEG/PNG, PDF, Word (DOCX), Excel (XLSX), ODT, ODS หรือไฟล์ข้อความ",
                "This kind of file is not accepted: JPEG/PNG photos, PDF, DOCX, XLSX, ODT, ODS or text only.",
            ),
            "quota_exceeded" => self.pick(
                "พื้นที่เก็บหลักฐานของหน่วยงานเต็มแล้ว ติดต่อผู้ดูแลระบบ",
                "The agency's evidence storage is full. Contact the administrator.",
            ),
            "disk_full" => self.pick(
                "พื้นที่บนเซิร์ฟเวอร์ใกล้เต็ม ไฟล์หลักฐานจะส่งเมื่อผู้ดูแลระบบเพิ่มพื้นที่ (การแก้ไขข้อมูลยังซิงก์ตามปกติ)",
                "The server's disk is nearly full. Evidence files will upload once space is freed (edits still sync).",
            ),
            "second_factor_required" => self.pick(
                "รหัสผ่านถูกต้อง กรุณากรอกรหัส ๖ หลักจากแอปยืนยันตัวตนในโทรศัพท์",
                "The password is right: enter the 6-digit code from your authenticator app.",
            ),
            "second_factor_wrong" => self.pick(
                "รหัสจากแอปไม่ถูกต้องหรือใช้ไปแล้ว ตรวจสอบเวลาในโทรศัพท์แล้วลองรหัสใหม่",
                "The code is wrong or was used already. Check the phone's time and try the next code.",
            ),
            "enroll_second_factor" => self.pick(
                "หน่วยงานกำหนดให้ยืนยันตัวตนสองขั้นตอน กรุณาตั้งค่าในหน้าบัญชีของฉันก่อน",
                "Your agency requires a second factor: set it up on your account page first.",
            ),
            "username_taken" => self.pick("ชื่อผู้ใช้นี้มีผู้ใช้แล้ว", "This username is taken."),
            "last_admin" => self.pick(
                "ทำไม่ได้: ผู้ใช้นี้เป็นผู้ดูแลระบบคนสุดท้ายของหน่วยงาน ให้ผู้อื่นเป็นผู้ดูแลระบบก่อน",
                "Not possible: this is the agency's last admin. Make someone else admin first.",
            ),
            "already_exists" => self.pick("มีรายการนี้อยู่แล้ว", "This already exists."),
            "not_published" => self.pick(
                "รายงานยังไม่ได้เผยแพร่ ต้องลงนามครบทุกขั้นตอนก่อน",
                "The report is not published yet: every step must sign first.",
            ),
            "year_closed" => self.pick(
                "ปีงบประมาณนี้ปิดแล้ว แก้ไขไม่ได้จนกว่าผู้ดูแลระบบจะเปิดอีกครั้ง",
                "This fiscal year is closed: nothing changes until the admin reopens it.",
            ),
            "update_required" => self.pick(
                "เอกสารนี้สร้างด้วยแอปรุ่นใหม่กว่า กรุณาอัปเดตแอปก่อนแก้ไข",
                "This document was written by a newer version: update the app to change it.",
            ),
            "import_refused" => self.pick(
                "อ่านไฟล์แผนไม่ได้ ใช้ไฟล์ Excel (XLSX) หรือ CSV ตามแบบฟอร์มแผน",
                "The plan file could not be read: use an XLSX or CSV in the plan template's layout.",
            ),
            "no_year" => self.pick(
                "หน่วยงานยังไม่มีปีงบประมาณในระบบ ติดต่อผู้ดูแลระบบ",
                "The agency has no fiscal year on the server yet. Contact the administrator.",
            ),
            "forbidden" => self.pick(
                "คุณไม่มีสิทธิ์ทำรายการนี้ (ลงนามได้เฉพาะขั้นตอนของตนเอง)",
                "You may not do this (each approver signs only their own step).",
            ),
            "out_of_order" => self.pick(
                "ยังลงนามไม่ได้ ต้องรอผู้ลงนามขั้นก่อนหน้าเห็นชอบบันทึกฉบับปัจจุบันก่อน",
                "Not yet: the earlier step must approve the current memo first.",
            ),
            "bad_file" => self.pick(
                "ใช้ไฟล์นี้เป็นหลักฐานไม่ได้ รับเฉพาะรูปภาพ PDF Word Excel หรือข้อความ ขนาดไม่เกิน 25 MB",
                "This file cannot be evidence: photos, PDF, Word, Excel or text up to 25 MB.",
            ),
            "not_found" => {
                self.pick("ไม่พบมาตรการนี้ อาจถูกลบไปแล้ว", "This measure was not found; it may have been removed.")
            }
            "not_signed_in" => self.pick("ยังไม่ได้เข้าสู่ระบบ", "Not signed in."),
            _ => self.pick("เกิดข้อผิดพลาด กรุณาลองอีกครั้ง", "Something went wrong. Please try again."),
        }
    }

    /// A failed user-administration or password call, worded for that page.
    pub fn admin_error(self, kind: &str) -> &'static str {
        match kind {
            "forbidden" => self.pick(
                "ทำรายการนี้ไม่ได้: เฉพาะผู้ดูแลระบบของหน่วยงาน หรือรหัสผ่านปัจจุบันไม่ถูกต้อง",
                "Not allowed: only the agency's admin may do this, or the current password is wrong.",
            ),
            "offline" => self.pick(
                "การจัดการผู้ใช้ต้องเชื่อมต่อเซิร์ฟเวอร์ กรุณาลองอีกครั้งเมื่อออนไลน์",
                "Managing users needs the server. Try again when online.",
            ),
            other => self.error(other),
        }
    }
}
