//! Calls by name with JSON arguments: how a page reaches a [`Shell`] it cannot call directly (the
//! browser's device Worker, over `postMessage`). The names and the arguments are the Tauri
//! commands' (camelCase fields), so the page's backend sends the same thing to either.

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use prongsai_core::admin::{AgencySecurity, NewUserRequest, UserChange};
use prongsai_core::edit::Edit;
use prongsai_core::model::SignatureDecision;
use prongsai_core::report_model::Part;
use prongsai_core::tracks::{Slot, Target};
use prongsai_core::wire::SignRequest;

use super::{CommandError, EvidenceFile, Shell, Upload};

#[derive(Deserialize)]
struct Login {
    server: String,
    username: String,
    password: String,
    otp: Option<String>,
}

#[derive(Deserialize)]
struct Year {
    year: i64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct InSlot {
    #[serde(default)]
    id: String,
    as_of: Option<String>,
    track: Option<String>,
    round: Option<String>,
}

#[derive(Deserialize)]
struct Apply {
    edits: Vec<Edit>,
    track: Option<String>,
    round: Option<String>,
}

#[derive(Deserialize)]
struct Sign {
    part: Option<Part>,
    step: String,
    decision: SignatureDecision,
    #[serde(default)]
    comment: String,
    date: Option<String>,
    track: Option<String>,
    round: Option<String>,
}

#[derive(Deserialize)]
struct Ids {
    ids: Vec<String>,
}

#[derive(Deserialize)]
struct AgencyCall {
    method: String,
    path: String,
    body: Option<Value>,
}

#[derive(Deserialize)]
struct Before {
    before: Option<i64>,
}

#[derive(Deserialize)]
struct AddUser {
    user: NewUserRequest,
}

#[derive(Deserialize)]
struct ChangeUser {
    username: String,
    change: UserChange,
}

#[derive(Deserialize)]
struct Username {
    username: String,
}

#[derive(Deserialize)]
struct BindApprover {
    step: String,
    approver: Option<String>,
}

#[derive(Deserialize)]
struct ChangePassword {
    current: String,
    new: String,
}

#[derive(Deserialize)]
struct Code {
    code: String,
}

#[derive(Deserialize)]
struct Disable {
    password: String,
    code: String,
}

#[derive(Deserialize)]
struct Settings {
    settings: AgencySecurity,
}

/// Reads a call's arguments.
fn read<T: DeserializeOwned>(name: &str, args: Value) -> Result<T, CommandError> {
    // A call with no arguments may send none at all.
    let args = if args.is_null() { Value::Object(Default::default()) } else { args };
    serde_json::from_value(args).map_err(|e| CommandError::BadRequest(format!("{name}: {e}")))
}

fn answer<T: serde::Serialize>(value: T) -> Result<Value, CommandError> {
    serde_json::to_value(value).map_err(|e| CommandError::BadRequest(e.to_string()))
}

/// A file's bytes, which travel beside a call's arguments.
fn file(name: &str, bytes: Option<Vec<u8>>) -> Result<Vec<u8>, CommandError> {
    bytes.ok_or_else(|| CommandError::BadRequest(format!("{name}: send the file's bytes")))
}

impl Shell {
    /// Answers the call `name` with its JSON arguments (and a file's bytes, for the calls that
    /// carry one: `add_evidence_file` with the file's particulars in `file`, `upload` with what
    /// to do with it in `upload`). A call that answers a file (`report_file`) answers its bytes
    /// beside the JSON.
    pub async fn call(
        &self,
        name: &str,
        args: Value,
        bytes: Option<Vec<u8>>,
    ) -> Result<(Value, Option<Vec<u8>>), CommandError> {
        if name == "report_file" {
            #[derive(Deserialize)]
            struct Args {
                format: String,
                track: Option<String>,
                round: Option<String>,
            }
            let a: Args = read(name, args)?;
            let file = self.report_file(&a.format, a.track.as_deref(), a.round.as_deref()).await?;
            let about = serde_json::json!({ "file_name": file.file_name, "media_type": file.media_type });
            return Ok((about, Some(file.bytes)));
        }
        Ok((self.call_for_json(name, args, bytes).await?, None))
    }

    async fn call_for_json(&self, name: &str, args: Value, bytes: Option<Vec<u8>>) -> Result<Value, CommandError> {
        match name {
            "startup" => answer(self.startup().await?),
            "login" => {
                let a: Login = read(name, args)?;
                answer(self.login(&a.server, &a.username, &a.password, a.otp.as_deref()).await?)
            }
            "sign_out" => answer(self.sign_out().await?),
            "set_year" => answer(self.set_year(read::<Year>(name, args)?.year).await?),
            "sync_state" => answer(self.sync_state().await),
            "overview" => {
                let a: InSlot = read(name, args)?;
                answer(self.overview(a.as_of.as_deref(), a.track.as_deref(), a.round.as_deref()).await?)
            }
            "last_overview" => {
                let a: InSlot = read(name, args)?;
                answer(self.last_overview(a.track.as_deref(), a.round.as_deref()).await?)
            }
            "track_overviews" => answer(self.track_overviews(read::<InSlot>(name, args)?.as_of.as_deref()).await?),
            "measure" => {
                let a: InSlot = read(name, args)?;
                answer(self.measure(&a.id, a.as_of.as_deref(), a.track.as_deref(), a.round.as_deref()).await?)
            }
            "history" => {
                let a: InSlot = read(name, args)?;
                answer(self.history(&a.id, a.track.as_deref(), a.round.as_deref()).await?)
            }
            "activity" => answer(self.activity().await?),
            "apply" => {
                let a: Apply = read(name, args)?;
                answer(self.apply(a.edits, a.track.as_deref(), a.round.as_deref()).await?)
            }
            "add_evidence_file" => {
                #[derive(Deserialize)]
                struct Args {
                    file: EvidenceFile,
                }
                let a: Args = read(name, args)?;
                answer(self.add_evidence_file(a.file, file(name, bytes)?).await?)
            }
            "upload" => {
                #[derive(Deserialize)]
                struct Args {
                    upload: Upload,
                }
                let a: Args = read(name, args)?;
                answer(self.upload_to_server(a.upload, file(name, bytes)?).await?)
            }
            "sign" => {
                let a: Sign = read(name, args)?;
                let target =
                    Target { slot: Slot::of(a.track.as_deref(), a.round.as_deref()), part: a.part.unwrap_or_default() };
                let request = SignRequest { decision: a.decision, comment: a.comment, date: a.date };
                answer(self.sign(target, &a.step, request).await?)
            }
            "memo" => {
                let a: InSlot = read(name, args)?;
                answer(self.memo(a.track.as_deref(), a.round.as_deref()).await?)
            }
            "itas_sheet" => answer(self.itas_sheet().await?),
            "notifications_read" => answer(self.notifications_read().await?),
            "mark_notifications_read" => answer(self.mark_notifications_read(read::<Ids>(name, args)?.ids).await?),
            "agency_call" => {
                let a: AgencyCall = read(name, args)?;
                answer(self.agency_call(&a.method, &a.path, a.body).await?)
            }
            "users" => answer(self.users().await?),
            "audit_log" => answer(self.audit_log(read::<Before>(name, args)?.before).await?),
            "add_user" => answer(self.add_user(&read::<AddUser>(name, args)?.user).await?),
            "change_user" => {
                let a: ChangeUser = read(name, args)?;
                answer(self.change_user(&a.username, &a.change).await?)
            }
            "reset_password" => answer(self.reset_password(&read::<Username>(name, args)?.username).await?),
            "revoke_sessions" => answer(self.revoke_sessions(&read::<Username>(name, args)?.username).await?),
            "bind_approver" => {
                let a: BindApprover = read(name, args)?;
                answer(self.bind_approver(&a.step, a.approver.as_deref()).await?)
            }
            "change_password" => {
                let a: ChangePassword = read(name, args)?;
                answer(self.change_password(&a.current, &a.new).await?)
            }
            "second_factor" => answer(self.second_factor().await?),
            "enroll_second_factor" => answer(self.enroll_second_factor().await?),
            "confirm_second_factor" => answer(self.confirm_second_factor(&read::<Code>(name, args)?.code).await?),
            "disable_second_factor" => {
                let a: Disable = read(name, args)?;
                answer(self.disable_second_factor(&a.password, &a.code).await?)
            }
            "security" => answer(self.security().await?),
            "set_security" => answer(self.set_security(&read::<Settings>(name, args)?.settings).await?),
            "reset_second_factor" => answer(self.reset_second_factor(&read::<Username>(name, args)?.username).await?),
            _ => Err(CommandError::BadRequest(format!("no call named {name:?} here"))),
        }
    }
}
