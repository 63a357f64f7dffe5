//! Sign-in: server address, user name, password. After the first sign-in the app opens and works
//! offline from the saved login.

use wasm_bindgen_futures::spawn_local;
use web_sys::HtmlInputElement;
use yew::prelude::*;

use super::AppContext;
use crate::backend;
use crate::state::Action;

#[component]
pub fn LoginPage() -> Html {
    let app = use_context::<AppContext>().expect("LoginPage is inside the app");
    let lang = app.lang;
    let server = use_state(|| app.last_server.clone());
    let username = use_state(String::new);
    let password = use_state(String::new);
    // Asked for once the server says the password is right and a second factor is needed.
    let otp = use_state(|| None::<String>);
    let busy = use_state(|| false);
    let error = use_state(|| None::<String>);
    let in_app = backend::in_app();
    // In a browser: the read-only dashboard, or this tablet as a device of its own (its own copy
    // of the documents, edits kept offline until synced).
    let as_device = use_state(backend::device_chosen);

    let bind = |handle: &UseStateHandle<String>| {
        let handle = handle.clone();
        Callback::from(move |e: InputEvent| handle.set(e.target_unchecked_into::<HtmlInputElement>().value()))
    };
    let onsubmit = {
        let (server, username, password, otp, busy, error, app, as_device) = (
            server.clone(),
            username.clone(),
            password.clone(),
            otp.clone(),
            busy.clone(),
            error.clone(),
            app.clone(),
            *as_device,
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if *busy {
                return;
            }
            busy.set(true);
            error.set(None);
            let (server, username, password, code) =
                ((*server).clone(), (*username).clone(), (*password).clone(), (*otp).clone());
            let (otp, busy, error, app) = (otp.clone(), busy.clone(), error.clone(), app.clone());
            backend::choose_device(as_device);
            spawn_local(async move {
                match backend::login(&server, &username, &password, code.as_deref()).await {
                    Ok(session) => app.dispatch(Action::SignedIn { session }),
                    Err(e) if e.kind == "second_factor_required" => {
                        otp.set(Some(String::new()));
                        error.set(Some(app.lang.error(&e.kind).to_string()));
                    }
                    Err(e) => {
                        if as_device {
                            backend::choose_device(false);
                        }
                        error.set(Some(format!("{} ({})", app.lang.error(&e.kind), e.message)));
                    }
                }
                busy.set(false);
            });
        })
    };
    let on_otp = {
        let otp = otp.clone();
        Callback::from(move |e: InputEvent| otp.set(Some(e.target_unchecked_into::<HtmlInputElement>().value())))
    };
    html! {
        <section class="login" data-testid="login-page">
            <form class="login-card" onsubmit={onsubmit}>
                <img class="login-mark" src="icon.png" alt="" width="72" height="72" />
                <h1>{ lang.pick("โปร่งใส", "Prongsai") }</h1>
                <p class="login-lead">{ lang.pick(
                    "ติดตามมาตรการส่งเสริมคุณธรรมและความโปร่งใสของหน่วยงาน",
                    "Track your agency's integrity and transparency measures")
                }</p>
                // In a browser the server is the one that served the page.
                if in_app {
                    <label for="login-server">{ lang.pick("ที่อยู่เซิร์ฟเวอร์", "Server address") }</label>
                    <input id="login-server" name="server" type="url" required=true inputmode="url"
                        placeholder="http://192.168.1.10:8080" value={(*server).clone()} oninput={bind(&server)} />
                }
                <label for="login-username">{ lang.pick("ชื่อผู้ใช้", "User name") }</label>
                <input id="login-username" name="username" type="text" required=true autocomplete="username"
                    autocapitalize="none" value={(*username).clone()} oninput={bind(&username)} />
                <label for="login-password">{ lang.pick("รหัสผ่าน", "Password") }</label>
                <input id="login-password" name="password" type="password" required=true autocomplete="current-password"
                    value={(*password).clone()} oninput={bind(&password)} />
                if let Some(code) = &*otp {
                    <label for="login-otp">{ lang.pick("รหัสจากแอปยืนยันตัวตน (หรือรหัสสำรอง)", "Code from your authenticator app (or a recovery code)") }</label>
                    <input id="login-otp" name="otp" type="text" inputmode="numeric" autocomplete="one-time-code"
                        required=true value={code.clone()} oninput={on_otp} data-testid="login-otp" />
                }
                if backend::may_be_device() {
                    <label class="login-device">
                        <input type="checkbox" checked={*as_device} data-testid="login-device"
                            onchange={{
                                let as_device = as_device.clone();
                                Callback::from(move |e: Event| as_device.set(e.target_unchecked_into::<HtmlInputElement>().checked()))
                            }} />
                        <span>
                            { lang.pick("ใช้แท็บเล็ตนี้เป็นเครื่องทำงาน", "Use this tablet as a device") }
                            <small>{ lang.pick(
                                "เก็บข้อมูลไว้ในเบราว์เซอร์นี้ แก้ไขผลการดำเนินงานได้แม้ไม่มีอินเทอร์เน็ต แล้วส่งเมื่อเชื่อมต่อได้",
                                "Keeps the data in this browser: edit results offline, sent when connected") }</small>
                        </span>
                    </label>
                }
                if let Some(message) = &*error {
                    <p class="form-error" role="alert" data-testid="login-error">{ message.clone() }</p>
                }
                <button type="submit" class="primary" disabled={*busy} data-testid="login-submit">
                    { if *busy { lang.pick("กำลังเข้าสู่ระบบ…", "Signing in…") } else { lang.pick("เข้าสู่ระบบ", "Sign in") } }
                </button>
            </form>
        </section>
    }
}
