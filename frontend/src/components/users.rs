//! User administration for the agency's admin (an อบต. has no one at a command line): add and
//! disable users, set divisions and roles, reset a password, sign someone out everywhere, and
//! bind the approval chain's steps to approvers. Also the page where anyone changes their own
//! password. Everything here is a call to the server, which checks who may do it.

use std::rc::Rc;

use prongsai_core::admin::{self, AuditEntry, NewUserRequest, PasswordIssued, ROLES, UserAccount, UserChange};
use prongsai_core::model::Role;
use prongsai_core::view::{ApprovalView, DivisionSummary};
use wasm_bindgen_futures::spawn_local;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use super::AppContext;
use crate::backend::{self, BackendError};
use crate::i18n::Lang;
use crate::state::Action;

/// A role's name on screen.
pub fn role_label(role: &Role, lang: Lang) -> &'static str {
    match role {
        Role::Staff => lang.pick("เจ้าหน้าที่", "Staff"),
        Role::DivisionHead => lang.pick("หัวหน้าส่วนราชการ", "Division head"),
        Role::Coordinator => lang.pick("ผู้ประสานงาน", "Coordinator"),
        Role::Approver => lang.pick("ผู้ลงนาม", "Approver"),
        Role::Viewer => lang.pick("ผู้ดูข้อมูล", "Viewer"),
        Role::Admin => lang.pick("ผู้ดูแลระบบ", "Admin"),
        Role::Other(_) => lang.pick("บทบาทอื่น", "Other role"),
    }
}

/// What the page says after an action: a notice, or a password to pass on (shown once).
#[derive(Clone, Debug, PartialEq)]
enum Outcome {
    Done(String),
    Password { username: String, password: String },
    Failed(String),
}

fn failed(lang: Lang, e: &BackendError) -> Outcome {
    Outcome::Failed(format!("{} ({})", lang.admin_error(&e.kind), e.message))
}

#[component]
pub fn UsersPage() -> Html {
    let app = use_context::<AppContext>().expect("UsersPage is inside the app");
    let lang = app.lang;
    let users = use_state(|| None::<Rc<Vec<UserAccount>>>);
    let outcome = use_state(|| None::<Outcome>);
    let reload = use_state(|| 0u32);
    // The agency's divisions in use, from its profile (a new agency has no year to read them from).
    let profile_divisions = use_state(Vec::<DivisionSummary>::new);
    {
        let (users, outcome, profile_divisions) = (users.clone(), outcome.clone(), profile_divisions.clone());
        use_effect_with((*reload, app.revision), move |_| {
            spawn_local(async move {
                match backend::users().await {
                    Ok(list) => users.set(Some(Rc::new(list))),
                    Err(e) => outcome.set(Some(failed(lang, &e))),
                }
                if let Ok(o) = backend::agency::<prongsai_core::wire::AgencyOverview>("GET", "/profile", None).await {
                    profile_divisions.set(
                        o.profile
                            .active_divisions()
                            .map(|d| DivisionSummary { id: d.id.clone(), name: d.name.clone(), ..Default::default() })
                            .collect(),
                    );
                }
            });
        });
    }
    // Runs one call; on success reloads the list (and the overview, for approval bindings).
    let run: Rc<dyn Fn(Call)> = {
        let (outcome, reload, app) = (outcome.clone(), reload.clone(), app.clone());
        Rc::new(move |call: Call| {
            let (outcome, reload, app) = (outcome.clone(), reload.clone(), app.clone());
            spawn_local(async move {
                match call.await {
                    Ok(done) => {
                        outcome.set(Some(done));
                        reload.set(*reload + 1);
                        app.dispatch(Action::DocumentsChanged);
                    }
                    Err(e) => outcome.set(Some(failed(app.lang, &e))),
                }
            });
        })
    };
    let divisions: Vec<DivisionSummary> = if profile_divisions.is_empty() {
        app.overview.as_ref().map(|o| o.divisions.clone()).unwrap_or_default()
    } else {
        (*profile_divisions).clone()
    };
    let steps: Vec<ApprovalView> = app.overview.as_ref().map(|o| o.approvals.clone()).unwrap_or_default();
    let notice = (*outcome).clone().map(|o| match o {
        Outcome::Done(text) => html! { <p class="ok" role="status" data-testid="users-done">{ text }</p> },
        Outcome::Failed(text) => html! { <p class="error" role="alert" data-testid="users-error">{ text }</p> },
        Outcome::Password { username, password } => html! {
            <p class="password-once" role="status" data-testid="users-password">
                { format!("{} {username}: ", lang.pick("รหัสผ่านของ", "Password for")) }
                <code data-testid="issued-password">{ password }</code>
                { lang.pick(" (แสดงครั้งเดียว กรุณาแจ้งผู้ใช้ และให้เปลี่ยนรหัสผ่านเมื่อเข้าสู่ระบบ)", " (shown once: pass it on, and ask them to change it)") }
            </p>
        },
    });
    let Some(list) = (*users).clone() else {
        return html! {
            <section class="users-page" data-testid="users-page">
                { notice.unwrap_or_default() }
                <p class="loading">{ lang.pick("กำลังโหลดรายชื่อผู้ใช้…", "Loading users…") }</p>
            </section>
        };
    };
    let rows = list.iter().map(|user| {
        html! { <UserRow key={user.username.clone()} user={user.clone()} divisions={divisions.clone()} lang={lang} run={RunCall(run.clone())} /> }
    });
    let approvers: Vec<&UserAccount> =
        list.iter().filter(|u| !u.disabled && u.roles.contains(&Role::Approver)).collect();
    let chain = steps.iter().map(|step| {
        let onchange = {
            let (run, step_id) = (run.clone(), step.step.clone());
            Callback::from(move |e: Event| {
                let value = e.target_unchecked_into::<HtmlSelectElement>().value();
                let step_id = step_id.clone();
                run(Box::pin(async move {
                    let approver = (!value.is_empty()).then_some(value);
                    backend::bind_approver(&step_id, approver.as_deref()).await?;
                    Ok(Outcome::Done(lang.pick("กำหนดผู้ลงนามแล้ว", "Approver set").to_string()))
                }))
            })
        };
        let current = step.approver.clone().unwrap_or_default();
        html! {
            <li data-testid="chain-step" data-step={step.step.clone()}>
                <span>{ format!("{} ({})", step.title, step.position) }</span>
                <select onchange={onchange} aria-label={format!("{} {}", lang.pick("ผู้ลงนามขั้น", "Approver of"), step.title)}>
                    <option value="" selected={current.is_empty()}>{ lang.pick("— ยังไม่กำหนด —", "— none —") }</option>
                    { for approvers.iter().map(|u| html! {
                        <option value={u.username.clone()} selected={u.username == current}>{ format!("{} ({})", u.display_name, u.username) }</option>
                    }) }
                </select>
            </li>
        }
    });
    html! {
        <section class="users-page" data-testid="users-page">
            <h1>{ lang.pick("ผู้ใช้ของหน่วยงาน", "The agency's users") }</h1>
            { notice.unwrap_or_default() }
            <SecuritySettings lang={lang} run={RunCall(run.clone())} revision={*reload} />
            <AddUserForm divisions={divisions.clone()} lang={lang} run={RunCall(run.clone())} />
            <div class="table-wrap">
                <table class="users">
                    <thead><tr>
                        <th>{ lang.pick("ผู้ใช้", "User") }</th>
                        <th>{ lang.pick("ส่วนราชการ", "Division") }</th>
                        <th>{ lang.pick("บทบาท", "Roles") }</th>
                        <th>{ lang.pick("สถานะ", "Status") }</th>
                        <th>{ lang.pick("การทำรายการ", "Actions") }</th>
                    </tr></thead>
                    <tbody>{ for rows }</tbody>
                </table>
            </div>
            <h2>{ lang.pick("ผู้ลงนามตามลำดับ", "The approval chain") }</h2>
            <ol class="chain">{ for chain }</ol>
            <AuditLog lang={lang} revision={*reload} />
        </section>
    }
}

#[derive(Properties, PartialEq)]
pub struct AuditLogProps {
    pub lang: Lang,
    /// Moves after each action on this page, so the log shows it.
    pub revision: u32,
}

/// The agency's audit log: every administrative and operator action, newest first, with who
/// did it and from which session; "older" pages back.
#[component]
pub fn AuditLog(props: &AuditLogProps) -> Html {
    let lang = props.lang;
    let entries = use_state(Vec::<AuditEntry>::new);
    let error = use_state(|| None::<String>);
    {
        let (entries, error) = (entries.clone(), error.clone());
        use_effect_with(props.revision, move |_| {
            spawn_local(async move {
                match backend::audit_log(None).await {
                    Ok(list) => entries.set(list),
                    Err(e) => error.set(Some(format!("{} ({})", lang.admin_error(&e.kind), e.message))),
                }
            });
        });
    }
    let older = {
        let (entries, error) = (entries.clone(), error.clone());
        Callback::from(move |_| {
            let (entries, error) = (entries.clone(), error.clone());
            let before = entries.last().map(|e: &AuditEntry| e.id);
            spawn_local(async move {
                match backend::audit_log(before).await {
                    Ok(more) => entries.set(entries.iter().cloned().chain(more).collect()),
                    Err(e) => error.set(Some(format!("{} ({})", lang.admin_error(&e.kind), e.message))),
                }
            });
        })
    };
    let rows = entries.iter().map(|entry| {
        let (thai, english) = entry.action.label();
        let when = crate::format::when(entry.at, lang);
        let detail = match &entry.detail {
            serde_json::Value::Null => String::new(),
            other => other.to_string(),
        };
        html! {
            <tr data-testid="audit-entry" data-action={serde_json::to_value(entry.action).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()}>
                <td class="when">{ when }</td>
                <td>{ &entry.actor }<br/><small class="muted">{ &entry.session }</small></td>
                <td>{ lang.pick(thai, english) }</td>
                <td>{ &entry.target }</td>
                <td class="detail"><code>{ detail }</code></td>
            </tr>
        }
    });
    html! {
        <section class="audit" data-testid="audit-log">
            <h2>{ lang.pick("บันทึกการดำเนินการของผู้ดูแล", "Audit log") }</h2>
            if let Some(text) = &*error { <p class="error" role="alert">{ text }</p> }
            <div class="table-wrap">
                <table class="audit">
                    <thead><tr>
                        <th>{ lang.pick("เมื่อ", "When") }</th>
                        <th>{ lang.pick("ผู้ดำเนินการ", "Who") }</th>
                        <th>{ lang.pick("การดำเนินการ", "Action") }</th>
                        <th>{ lang.pick("รายการ", "Target") }</th>
                        <th>{ lang.pick("รายละเอียด", "Details") }</th>
                    </tr></thead>
                    <tbody>{ for rows }</tbody>
                </table>
            </div>
            if entries.len() >= 200 {
                <button class="secondary" onclick={older}>{ lang.pick("ดูรายการก่อนหน้า", "Older entries") }</button>
            }
        </section>
    }
}

#[derive(Properties, PartialEq)]
pub struct SecuritySettingsProps {
    pub lang: Lang,
    pub run: RunCall,
    pub revision: u32,
}

/// The agency's security settings: whether admins and approvers must use a second factor.
#[component]
pub fn SecuritySettings(props: &SecuritySettingsProps) -> Html {
    let lang = props.lang;
    let settings = use_state(|| None::<admin::AgencySecurity>);
    {
        let settings = settings.clone();
        use_effect_with(props.revision, move |_| {
            spawn_local(async move {
                if let Ok(current) = backend::security().await {
                    settings.set(Some(current));
                }
            });
        });
    }
    let Some(current) = *settings else { return html! {} };
    let toggle = {
        let run = props.run.clone();
        Callback::from(move |e: Event| {
            let on = e.target_unchecked_into::<HtmlInputElement>().checked();
            (run.0)(Box::pin(async move {
                backend::set_security(admin::AgencySecurity { second_factor_required: on }).await?;
                Ok(Outcome::Done(lang.pick("บันทึกการตั้งค่าความปลอดภัยแล้ว", "Security settings saved").to_string()))
            }))
        })
    };
    html! {
        <label class="security" data-testid="require-second-factor">
            <input type="checkbox" checked={current.second_factor_required} onchange={toggle} />
            { lang.pick(
                " ผู้ดูแลระบบและผู้ลงนามต้องยืนยันตัวตนสองขั้นตอน (รหัสจากแอปในโทรศัพท์)",
                " Admins and approvers must use a second factor (a code from a phone app)") }
        </label>
    }
}

type Call = std::pin::Pin<Box<dyn std::future::Future<Output = Result<Outcome, BackendError>>>>;

/// Runs one server call for a child row and reports its outcome on the page.
#[derive(Clone)]
pub struct RunCall(Rc<dyn Fn(Call)>);

impl PartialEq for RunCall {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

#[derive(Properties, PartialEq)]
pub struct UserRowProps {
    pub user: UserAccount,
    pub divisions: Vec<DivisionSummary>,
    pub lang: Lang,
    pub run: RunCall,
}

#[component]
pub fn UserRow(props: &UserRowProps) -> Html {
    let lang = props.lang;
    let user = &props.user;
    let send: Rc<dyn Fn(UserChange, &'static str)> = {
        let (run, username) = (props.run.clone(), user.username.clone());
        Rc::new(move |change: UserChange, done: &'static str| {
            let username = username.clone();
            (run.0)(Box::pin(async move {
                backend::change_user(&username, &change).await?;
                Ok(Outcome::Done(format!("{done}: {username}")))
            }))
        })
    };
    let division = {
        let send = send.clone();
        Callback::from(move |e: Event| {
            let value = e.target_unchecked_into::<HtmlSelectElement>().value();
            let change = UserChange { division: Some((!value.is_empty()).then_some(value)), ..UserChange::default() };
            send(change, lang.pick("ย้ายส่วนราชการแล้ว", "Division changed"))
        })
    };
    let roles = ROLES.iter().map(|role| {
        let has = user.roles.contains(role);
        let onchange = {
            let (send, current, role) = (send.clone(), user.roles.clone(), role.clone());
            Callback::from(move |e: Event| {
                let on = e.target_unchecked_into::<HtmlInputElement>().checked();
                let mut roles: Vec<Role> = current.iter().filter(|r| **r != role).cloned().collect();
                if on {
                    roles.push(role.clone());
                }
                send(
                    UserChange { roles: Some(roles), ..UserChange::default() },
                    lang.pick("เปลี่ยนบทบาทแล้ว", "Roles changed"),
                )
            })
        };
        html! {
            <label class="check">
                <input type="checkbox" checked={has} onchange={onchange} data-role={role.as_str().to_string()} />
                { role_label(role, lang) }
            </label>
        }
    });
    let toggle = {
        let (send, disable) = (send.clone(), !user.disabled);
        let done = if disable {
            lang.pick("ระงับการใช้งานแล้ว", "Disabled")
        } else {
            lang.pick("เปิดใช้งานแล้ว", "Enabled")
        };
        Callback::from(move |_: MouseEvent| send(UserChange { disabled: Some(disable), ..UserChange::default() }, done))
    };
    let reset = {
        let (run, username) = (props.run.clone(), user.username.clone());
        let question = lang.pick(
            "ตั้งรหัสผ่านใหม่ให้ผู้ใช้นี้? ผู้ใช้จะถูกออกจากระบบในทุกอุปกรณ์",
            "Set a new password for this user? They are signed out on every device.",
        );
        Callback::from(move |_: MouseEvent| {
            if !confirm(question) {
                return;
            }
            let username = username.clone();
            (run.0)(Box::pin(async move {
                let PasswordIssued { password, .. } = backend::reset_password(&username).await?;
                Ok(Outcome::Password { username, password: password.unwrap_or_default() })
            }))
        })
    };
    let revoke = {
        let (run, username) = (props.run.clone(), user.username.clone());
        Callback::from(move |_: MouseEvent| {
            let username = username.clone();
            (run.0)(Box::pin(async move {
                let n = backend::revoke_sessions(&username).await?;
                Ok(Outcome::Done(format!(
                    "{} {username}: {n}",
                    lang.pick("ออกจากระบบทุกอุปกรณ์แล้ว", "Signed out everywhere")
                )))
            }))
        })
    };
    let forget_factor = {
        let (run, username) = (props.run.clone(), user.username.clone());
        Callback::from(move |_: MouseEvent| {
            let username = username.clone();
            (run.0)(Box::pin(async move {
                backend::reset_second_factor(&username).await?;
                Ok(Outcome::Done(format!(
                    "{} {username}",
                    lang.pick(
                        "ล้างการยืนยันตัวตนสองขั้นตอนแล้ว ผู้ใช้ตั้งค่าใหม่ได้เมื่อเข้าสู่ระบบ:",
                        "Second factor cleared; they set it up again at sign-in:"
                    )
                )))
            }))
        })
    };
    let current = user.division.clone().unwrap_or_default();
    html! {
        <tr data-testid="user-row" data-username={user.username.clone()} class={classes!(user.disabled.then_some("disabled"))}>
            <td>
                <b>{ user.display_name.clone() }</b><br />
                <span class="muted">{ format!("{} · {}", user.username, user.position) }</span>
                if !user.approval_steps.is_empty() {
                    <br /><span class="muted">{ format!("{} {}", lang.pick("ลงนามขั้น", "Signs step"), user.approval_steps.join(", ")) }</span>
                }
            </td>
            <td>
                <select onchange={division} data-testid="user-division" aria-label={lang.pick("ส่วนราชการ", "Division")}>
                    <option value="" selected={current.is_empty()}>{ lang.pick("— ไม่สังกัดส่วนราชการ —", "— no division —") }</option>
                    { for props.divisions.iter().map(|d| html! { <option value={d.id.clone()} selected={d.id == current}>{ d.name.clone() }</option> }) }
                </select>
            </td>
            <td class="roles">{ for roles }</td>
            <td>
                { if user.disabled { lang.pick("ระงับการใช้งาน", "Disabled") } else { lang.pick("ใช้งานได้", "Active") } }
                <br /><span class="muted">{ format!("{} {}", lang.pick("เข้าสู่ระบบอยู่", "Sessions:"), user.active_sessions) }</span>
                if user.second_factor {
                    <br /><span class="muted" data-testid="user-second-factor">{ lang.pick("ยืนยันตัวตนสองขั้นตอน", "Second factor on") }</span>
                }
            </td>
            <td class="actions">
                <button class="small" onclick={toggle} data-testid="user-toggle">
                    { if user.disabled { lang.pick("เปิดใช้งาน", "Enable") } else { lang.pick("ระงับ", "Disable") } }
                </button>
                <button class="small" onclick={reset} data-testid="user-reset">{ lang.pick("ตั้งรหัสผ่านใหม่", "Reset password") }</button>
                <button class="small" onclick={revoke} data-testid="user-revoke">{ lang.pick("ออกจากระบบทุกอุปกรณ์", "Sign out everywhere") }</button>
                if user.second_factor {
                    <button class="small" onclick={forget_factor} data-testid="user-reset-second-factor">{ lang.pick("ล้างการยืนยันสองขั้นตอน (โทรศัพท์หาย)", "Clear second factor (lost phone)") }</button>
                }
            </td>
        </tr>
    }
}

/// A form's draft, changed by closures applied to the current value (never to a copy captured
/// at render time, which two quick events in a row would overwrite).
#[derive(Clone, Default, PartialEq)]
pub struct Draft<T>(pub T);

impl<T: Clone + 'static> Reducible for Draft<T> {
    type Action = Rc<dyn Fn(&mut T)>;

    fn reduce(self: Rc<Self>, change: Self::Action) -> Rc<Self> {
        let mut next = self.0.clone();
        change(&mut next);
        Rc::new(Draft(next))
    }
}

fn confirm(question: &str) -> bool {
    web_sys::window().and_then(|w| w.confirm_with_message(question).ok()).unwrap_or(false)
}

#[derive(Properties, PartialEq)]
pub struct AddUserFormProps {
    pub divisions: Vec<DivisionSummary>,
    pub lang: Lang,
    pub run: RunCall,
}

/// The form that adds a user; the server generates the password and the page shows it once.
#[component]
pub fn AddUserForm(props: &AddUserFormProps) -> Html {
    let lang = props.lang;
    let draft = use_reducer(Draft::<NewUserRequest>::default);
    let problem = use_state(|| None::<String>);
    let set = |apply: fn(&mut NewUserRequest, String)| {
        let draft = draft.dispatcher();
        Callback::from(move |e: Event| {
            let value = match e.target_dyn_into::<HtmlSelectElement>() {
                Some(select) => select.value(),
                None => e.target_unchecked_into::<HtmlInputElement>().value(),
            };
            draft.dispatch(Rc::new(move |d: &mut NewUserRequest| apply(d, value.clone())));
        })
    };
    // Text goes into the draft on every keystroke, so a re-render (the user list refreshing) never
    // puts an older value back into a field being typed in.
    let typed = |apply: fn(&mut NewUserRequest, String)| set(apply).reform(|e: InputEvent| Event::from(e));
    let roles = ROLES.iter().map(|role| {
        let onchange = {
            let (draft, role) = (draft.dispatcher(), role.clone());
            Callback::from(move |e: Event| {
                let on = e.target_unchecked_into::<HtmlInputElement>().checked();
                let role = role.clone();
                draft.dispatch(Rc::new(move |d: &mut NewUserRequest| {
                    d.roles.retain(|r| *r != role);
                    if on {
                        d.roles.push(role.clone());
                    }
                }));
            })
        };
        html! {
            <label class="check">
                <input type="checkbox" checked={draft.0.roles.contains(role)} onchange={onchange} data-new-role={role.as_str().to_string()} />
                { role_label(role, lang) }
            </label>
        }
    });
    let submit = {
        let (draft, problem, run) = (draft.clone(), problem.clone(), props.run.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let request = draft.0.clone();
            let request = NewUserRequest { username: request.username.trim().to_string(), ..request };
            if let Err(why) =
                admin::check_user(&request.username, &request.display_name, &request.roles, request.division.as_deref())
            {
                problem.set(Some(why));
                return;
            }
            problem.set(None);
            draft.dispatch(Rc::new(|d: &mut NewUserRequest| *d = NewUserRequest::default()));
            (run.0)(Box::pin(async move {
                let issued = backend::add_user(&request).await?;
                Ok(Outcome::Password { username: issued.user.username, password: issued.password.unwrap_or_default() })
            }))
        })
    };
    html! {
        <form class="add-user" onsubmit={submit} data-testid="add-user">
            <h2>{ lang.pick("เพิ่มผู้ใช้", "Add a user") }</h2>
            <div class="grid">
                <label>{ lang.pick("ชื่อผู้ใช้ (อังกฤษ)", "Username") }
                    <input type="text" value={draft.0.username.clone()} oninput={typed(|d, v| d.username = v)} autocapitalize="off" data-testid="new-username" /></label>
                <label>{ lang.pick("ชื่อ-นามสกุล", "Full name") }
                    <input type="text" value={draft.0.display_name.clone()} oninput={typed(|d, v| d.display_name = v)} data-testid="new-name" /></label>
                <label>{ lang.pick("ตำแหน่ง", "Position") }
                    <input type="text" value={draft.0.position.clone()} oninput={typed(|d, v| d.position = v)} /></label>
                <label>{ lang.pick("ส่วนราชการ", "Division") }
                    <select onchange={set(|d, v| d.division = (!v.is_empty()).then_some(v))} data-testid="new-division">
                        <option value="" selected={draft.0.division.is_none()}>{ lang.pick("— ไม่สังกัดส่วนราชการ —", "— no division —") }</option>
                        { for props.divisions.iter().map(|d| html! { <option value={d.id.clone()} selected={draft.0.division.as_deref() == Some(d.id.as_str())}>{ d.name.clone() }</option> }) }
                    </select>
                </label>
            </div>
            <fieldset><legend>{ lang.pick("บทบาท", "Roles") }</legend>{ for roles }</fieldset>
            if let Some(why) = &*problem { <p class="error" role="alert">{ why.clone() }</p> }
            <button type="submit" class="primary" data-testid="add-user-submit">{ lang.pick("เพิ่มผู้ใช้", "Add user") }</button>
        </form>
    }
}

/// Anyone changes their own password; their other devices are signed out.
#[component]
pub fn AccountPage() -> Html {
    let app = use_context::<AppContext>().expect("AccountPage is inside the app");
    let lang = app.lang;
    let fields = use_reducer(Draft::<(String, String, String)>::default);
    let outcome = use_state(|| None::<Outcome>);
    let set = |which: usize| {
        let fields = fields.dispatcher();
        Callback::from(move |e: InputEvent| {
            let value = e.target_unchecked_into::<HtmlInputElement>().value();
            fields.dispatch(Rc::new(move |f: &mut (String, String, String)| match which {
                0 => f.0 = value.clone(),
                1 => f.1 = value.clone(),
                _ => f.2 = value.clone(),
            }));
        })
    };
    let submit = {
        let (fields, outcome) = (fields.clone(), outcome.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let (current, new, again) = fields.0.clone();
            if new != again {
                outcome.set(Some(Outcome::Failed(
                    lang.pick("รหัสผ่านใหม่ทั้งสองช่องไม่ตรงกัน", "The two new passwords differ.").into(),
                )));
                return;
            }
            if let Err(why) = admin::check_password(&new) {
                outcome.set(Some(Outcome::Failed(why)));
                return;
            }
            let (fields, outcome) = (fields.clone(), outcome.clone());
            spawn_local(async move {
                match backend::change_password(&current, &new).await {
                    Ok(others) => {
                        fields.dispatch(Rc::new(|f: &mut (String, String, String)| *f = Default::default()));
                        outcome.set(Some(Outcome::Done(format!(
                            "{} {others}",
                            lang.pick(
                                "เปลี่ยนรหัสผ่านแล้ว · ออกจากระบบในอุปกรณ์อื่น:",
                                "Password changed · other sessions signed out:"
                            )
                        ))));
                    }
                    Err(e) => outcome.set(Some(failed(lang, &e))),
                }
            });
        })
    };
    let notice = (*outcome).clone().map(|o| match o {
        Outcome::Done(text) => html! { <p class="ok" role="status" data-testid="password-done">{ text }</p> },
        Outcome::Failed(text) | Outcome::Password { password: text, .. } => {
            html! { <p class="error" role="alert" data-testid="password-error">{ text }</p> }
        }
    });
    html! {
        <section class="account-page" data-testid="account-page">
            <h1>{ lang.pick("เปลี่ยนรหัสผ่าน", "Change your password") }</h1>
            { notice.unwrap_or_default() }
            <form onsubmit={submit}>
                <label>{ lang.pick("รหัสผ่านปัจจุบัน", "Current password") }
                    <input type="password" autocomplete="current-password" value={fields.0.0.clone()} oninput={set(0)} data-testid="current-password" /></label>
                <label>{ lang.pick("รหัสผ่านใหม่ (อย่างน้อย ๘ ตัวอักษร)", "New password (8 characters or more)") }
                    <input type="password" autocomplete="new-password" value={fields.0.1.clone()} oninput={set(1)} data-testid="new-password" /></label>
                <label>{ lang.pick("ยืนยันรหัสผ่านใหม่", "New password again") }
                    <input type="password" autocomplete="new-password" value={fields.0.2.clone()} oninput={set(2)} data-testid="new-password-again" /></label>
                <button type="submit" class="primary" data-testid="change-password">{ lang.pick("เปลี่ยนรหัสผ่าน", "Change password") }</button>
            </form>
            <SecondFactorSection lang={lang} />
        </section>
    }
}

/// Where the second factor stands on the account page, and setting it up: a QR code to scan
/// with an authenticator app (or its secret to type), a code from the app to confirm, and the
/// recovery codes, shown once.
#[derive(Clone, Debug, PartialEq)]
enum Enrolment {
    Idle,
    Scanning(admin::SecondFactorEnrollment),
    Done(Vec<String>),
}

#[derive(Properties, PartialEq)]
pub struct SecondFactorProps {
    pub lang: Lang,
}

#[component]
pub fn SecondFactorSection(props: &SecondFactorProps) -> Html {
    let lang = props.lang;
    let app = use_context::<AppContext>().expect("inside the app");
    let status = use_state(|| None::<admin::SecondFactorStatus>);
    let step = use_state(|| Enrolment::Idle);
    let code = use_state(String::new);
    let error = use_state(|| None::<String>);
    let reload = use_state(|| 0u32);
    {
        let (status, error) = (status.clone(), error.clone());
        use_effect_with(*reload, move |_| {
            spawn_local(async move {
                match backend::second_factor().await {
                    Ok(s) => status.set(Some(s)),
                    Err(e) => error.set(Some(format!("{} ({})", lang.error(&e.kind), e.message))),
                }
            });
        });
    }
    let start = {
        let (step, error) = (step.clone(), error.clone());
        Callback::from(move |_| {
            let (step, error) = (step.clone(), error.clone());
            spawn_local(async move {
                match backend::enroll_second_factor().await {
                    Ok(enrollment) => step.set(Enrolment::Scanning(enrollment)),
                    Err(e) => error.set(Some(format!("{} ({})", lang.error(&e.kind), e.message))),
                }
            });
        })
    };
    let confirm = {
        let (step, code, error, reload, app) = (step.clone(), code.clone(), error.clone(), reload.clone(), app.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let (step, typed, error, reload, app) =
                (step.clone(), (*code).clone(), error.clone(), reload.clone(), app.clone());
            spawn_local(async move {
                match backend::confirm_second_factor(&typed).await {
                    Ok(codes) => {
                        step.set(Enrolment::Done(codes.codes));
                        error.set(None);
                        reload.set(*reload + 1);
                        // The rest of the app answers again.
                        if app.session.as_ref().is_some_and(|s| s.enroll_second_factor)
                            && let Ok(startup) = backend::startup().await
                            && let Some(session) = startup.session
                        {
                            app.dispatch(Action::SignedIn { session });
                            app.dispatch(Action::Open { route: crate::state::Route::Account });
                        }
                    }
                    Err(e) => error.set(Some(format!("{} ({})", lang.error(&e.kind), e.message))),
                }
            });
        })
    };
    let on_code = {
        let code = code.clone();
        Callback::from(move |e: InputEvent| code.set(e.target_unchecked_into::<HtmlInputElement>().value()))
    };
    let state = match &*status {
        None => html! { <p class="loading">{ lang.pick("กำลังตรวจสอบ…", "Checking…") }</p> },
        Some(s) if s.enrolled => html! {
            <p class="ok" data-testid="second-factor-on">
                { lang.pick("เปิดใช้อยู่ · รหัสสำรองที่ยังไม่ได้ใช้: ", "On · unused recovery codes: ") }
                { s.recovery_codes_left }
            </p>
        },
        Some(s) => html! {
            <>
                if s.required {
                    <p class="notice" role="alert" data-testid="second-factor-required">{ lang.pick(
                        "หน่วยงานกำหนดให้ผู้ดูแลระบบและผู้ลงนามยืนยันตัวตนสองขั้นตอน กรุณาตั้งค่าก่อนใช้งานส่วนอื่น",
                        "Your agency requires admins and approvers to use a second factor: set it up before anything else.") }</p>
                }
                <p>{ lang.pick("ยังไม่ได้เปิดใช้", "Off") }</p>
            </>
        },
    };
    let body = match &*step {
        Enrolment::Idle if !status.as_ref().is_some_and(|s| s.enrolled) => html! {
            <button class="primary" onclick={start} data-testid="second-factor-start">
                { lang.pick("ตั้งค่าการยืนยันตัวตนสองขั้นตอน", "Set up a second factor") }
            </button>
        },
        Enrolment::Idle => html! {},
        Enrolment::Scanning(enrollment) => html! {
            <form class="enrol" onsubmit={confirm}>
                <p>{ lang.pick(
                    "สแกนคิวอาร์โค้ดนี้ด้วยแอปยืนยันตัวตน (เช่น Google Authenticator หรือ Microsoft Authenticator) หรือพิมพ์รหัสลับด้านล่าง แล้วกรอกรหัส ๖ หลักที่แอปแสดง",
                    "Scan this QR code with an authenticator app (Google Authenticator, Microsoft Authenticator, …) or type the secret below, then enter the 6-digit code it shows.") }</p>
                <div class="qr" data-testid="second-factor-qr">{ Html::from_html_unchecked(enrollment.qr_svg.clone().into()) }</div>
                <p><code data-testid="second-factor-secret">{ enrollment.secret.clone() }</code></p>
                <label>{ lang.pick("รหัสจากแอป", "Code from the app") }
                    <input type="text" inputmode="numeric" autocomplete="one-time-code" value={(*code).clone()} oninput={on_code} data-testid="second-factor-code" /></label>
                <button type="submit" class="primary" data-testid="second-factor-confirm">{ lang.pick("ยืนยัน", "Confirm") }</button>
            </form>
        },
        Enrolment::Done(codes) => html! {
            <div class="recovery" data-testid="recovery-codes">
                <p>{ lang.pick(
                    "เปิดใช้แล้ว รหัสสำรองด้านล่างใช้เข้าสู่ระบบแทนรหัสจากแอปได้รหัสละหนึ่งครั้ง (เช่น เมื่อโทรศัพท์หาย) แสดงครั้งเดียว กรุณาพิมพ์หรือจดเก็บไว้ในที่ปลอดภัย",
                    "On. Each recovery code below signs you in once instead of the app (a lost phone, say). They are shown once: print them or write them down and keep them safe.") }</p>
                <ol>{ for codes.iter().map(|c| html! { <li><code>{ c.clone() }</code></li> }) }</ol>
            </div>
        },
    };
    html! {
        <section class="second-factor" data-testid="second-factor">
            <h2>{ lang.pick("การยืนยันตัวตนสองขั้นตอน", "Second factor") }</h2>
            { state }
            if let Some(text) = &*error { <p class="error" role="alert" data-testid="second-factor-error">{ text.clone() }</p> }
            { body }
        </section>
    }
}
