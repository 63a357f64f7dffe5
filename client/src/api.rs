//! The server's HTTP API, as a device calls it.

use std::time::Duration;

use prongsai_core::admin::{
    AgencySecurity, AuditEntry, BindApproverRequest, ChangePasswordRequest, NewUserRequest, PasswordIssued,
    RecoveryCodes, SecondFactorCode, SecondFactorDisable, SecondFactorEnrollment, SecondFactorStatus, UserAccount,
    UserChange,
};
use prongsai_core::automerge::ChangeHash;
use prongsai_core::profile::{
    AgencyProfile, ChainStep, DivisionChange, ItaResult, NewDivision, ProfileDetails, ProfileDivision,
};
use prongsai_core::report_model::Part;
use prongsai_core::tracks::Target;
use prongsai_core::wire::{
    AgencyOverview, BlobStored, DurableResponse, ErrorBody, ErrorKind, LoginRequest, PlanWaiverRequest, PublishedInfo,
    SessionsRevoked, SignRequest, SignResponse, StartYear, YearInfo, YearReason, YearStarted,
};
pub use prongsai_core::wire::{DocumentEntry, LoginResponse, Me};
use serde::Deserialize;

/// Why a call to the server failed.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The token is missing, expired or revoked, or the password was wrong: sign in again.
    #[error("not signed in (the server answered 401)")]
    Unauthorized,
    #[error("too many failed attempts; try again in {retry_after:?}")]
    RateLimited { retry_after: Duration },
    #[error("not found or not available to this user")]
    NotFound,
    /// Any other refusal: `kind` says what it was (one status can mean several kinds).
    #[error("the server refused ({kind}): {status} {message}")]
    Refused { status: u16, kind: ErrorKind, message: String },
    #[error("cannot reach the server: {0}")]
    Network(String),
    #[error("unexpected answer from the server: {0}")]
    Decode(String),
}

impl ApiError {
    /// True when the device should retry later (offline, server restarting or busy).
    pub fn is_offline(&self) -> bool {
        matches!(self, ApiError::Network(_)) || matches!(self, ApiError::Refused { status: 502..=504, .. })
    }

    /// What kind of refusal this is, as the server named it.
    pub fn kind(&self) -> ErrorKind {
        match self {
            ApiError::Unauthorized => ErrorKind::Unauthorized,
            ApiError::RateLimited { .. } => ErrorKind::RateLimited,
            ApiError::NotFound => ErrorKind::NotFound,
            ApiError::Refused { kind, .. } => *kind,
            ApiError::Network(_) => ErrorKind::Unavailable,
            ApiError::Decode(_) => ErrorKind::Other,
        }
    }
}

/// The server's answer about some changes of one document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Durability {
    pub durable: bool,
    pub writable: bool,
    /// One of the heads asked about is a change the server refused: it will never be durable.
    pub refused: bool,
}

/// The longest any one request may take (a durability check waits on the server within it).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// A thin client of the server's HTTP API.
#[derive(Clone, Debug)]
pub struct ServerApi {
    base: url::Url,
    http: reqwest::Client,
    token: Option<String>,
}

/// Installs rustls's crypto provider once per process (any reqwest client needs it first).
/// In a browser, fetch does TLS.
pub fn install_crypto() {
    // reqwest and tungstenite use rustls with the `ring` provider (lighter to build than aws-lc).
    #[cfg(not(target_arch = "wasm32"))]
    let _ = rustls::crypto::ring::default_provider().install_default();
}

impl ServerApi {
    pub fn new(base: url::Url) -> ServerApi {
        install_crypto();
        // A browser has its own connect timeout; each request there gets the minute (`request`).
        #[cfg(not(target_arch = "wasm32"))]
        let builder = reqwest::Client::builder().connect_timeout(Duration::from_secs(10)).timeout(REQUEST_TIMEOUT);
        #[cfg(target_arch = "wasm32")]
        let builder = reqwest::Client::builder();
        let http = builder.build().expect("a reqwest client with a rustls provider installed builds");
        ServerApi { base, http, token: None }
    }

    pub fn with_token(mut self, token: &str) -> ServerApi {
        self.token = Some(token.to_string());
        self
    }

    pub fn base(&self) -> &url::Url {
        &self.base
    }

    fn url(&self, path: &str) -> Result<url::Url, ApiError> {
        self.base.join(path).map_err(|e| ApiError::Decode(format!("bad URL {path}: {e}")))
    }

    fn request(&self, method: reqwest::Method, path: &str) -> Result<reqwest::RequestBuilder, ApiError> {
        let mut request = self.http.request(method, self.url(path)?);
        #[cfg(target_arch = "wasm32")]
        {
            request = request.timeout(REQUEST_TIMEOUT);
        }
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        Ok(request)
    }

    async fn send<T: for<'de> Deserialize<'de>>(&self, request: reqwest::RequestBuilder) -> Result<T, ApiError> {
        let response = self.answered(request).await?;
        if response.status() == reqwest::StatusCode::NO_CONTENT {
            return serde_json::from_str("null").map_err(|e| ApiError::Decode(e.to_string()));
        }
        response.json().await.map_err(|e| ApiError::Decode(e.to_string()))
    }

    /// The server's answer when it is a success; its refusal as an `ApiError` otherwise.
    async fn answered(&self, request: reqwest::RequestBuilder) -> Result<reqwest::Response, ApiError> {
        // A connection kept from an earlier request may be closing as this one goes out on it (the
        // server closes one whose upload it refused unread): an idempotent request that got no
        // answer at all is sent once more, on a fresh connection.
        let again = request
            .try_clone()
            .filter(|copy| copy.try_clone().and_then(|r| r.build().ok()).is_some_and(|r| r.method().is_idempotent()));
        let response = match (request.send().await, again) {
            (Ok(response), _) => response,
            (Err(error), Some(again)) if error.is_request() && !error.is_timeout() => {
                again.send().await.map_err(|e| ApiError::Network(e.to_string()))?
            }
            (Err(error), _) => return Err(ApiError::Network(error.to_string())),
        };
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
            .map(Duration::from_secs);
        let body = response.json::<ErrorBody>().await.ok();
        let kind = body.as_ref().map_or(ErrorKind::Other, |b| b.kind);
        let message = body.map(|b| b.error).unwrap_or_default();
        Err(match status.as_u16() {
            // A right password still needs the code: not "sign in again".
            401 if matches!(kind, ErrorKind::SecondFactorRequired | ErrorKind::SecondFactorWrong) => {
                ApiError::Refused { status: 401, kind, message }
            }
            401 => ApiError::Unauthorized,
            404 => ApiError::NotFound,
            429 => ApiError::RateLimited { retry_after: retry_after.unwrap_or(Duration::from_secs(60)) },
            code => ApiError::Refused { status: code, kind, message },
        })
    }

    pub async fn login(&self, username: &str, password: &str, device: &str) -> Result<LoginResponse, ApiError> {
        self.login_with_code(username, password, device, None).await
    }

    /// A login with the code from the authenticator app (or a recovery code), for a user who
    /// has a second factor.
    pub async fn login_with_code(
        &self,
        username: &str,
        password: &str,
        device: &str,
        otp: Option<&str>,
    ) -> Result<LoginResponse, ApiError> {
        let body = LoginRequest {
            username: username.to_string(),
            password: password.to_string(),
            device: Some(device.to_string()),
            web: false,
            otp: otp.map(str::to_string),
        };
        self.send(self.request(reqwest::Method::POST, "api/login")?.json(&body)).await
    }

    /// The signed-in person's second factor.
    pub async fn second_factor(&self) -> Result<SecondFactorStatus, ApiError> {
        self.send(self.request(reqwest::Method::GET, "api/me/second-factor")?).await
    }

    /// Starts enrolling a second factor: the secret as a QR code and as text.
    pub async fn enroll_second_factor(&self) -> Result<SecondFactorEnrollment, ApiError> {
        self.send(self.request(reqwest::Method::POST, "api/me/second-factor/enroll")?).await
    }

    /// Confirms enrolment with a code from the app; answers the recovery codes (shown once).
    pub async fn confirm_second_factor(&self, code: &str) -> Result<RecoveryCodes, ApiError> {
        let body = SecondFactorCode { code: code.to_string() };
        self.send(self.request(reqwest::Method::POST, "api/me/second-factor/confirm")?.json(&body)).await
    }

    /// Turns one's own second factor off (the password and a current code).
    pub async fn disable_second_factor(&self, password: &str, code: &str) -> Result<(), ApiError> {
        let body = SecondFactorDisable { password: password.to_string(), code: code.to_string() };
        self.send(self.request(reqwest::Method::POST, "api/me/second-factor/disable")?.json(&body)).await
    }

    /// (admin) The agency's security settings.
    pub async fn security(&self, agency: &str) -> Result<AgencySecurity, ApiError> {
        self.send(self.request(reqwest::Method::GET, &format!("api/agencies/{agency}/security"))?).await
    }

    /// (admin) Requires a second factor of admins and approvers, or no longer.
    pub async fn set_security(&self, agency: &str, settings: &AgencySecurity) -> Result<AgencySecurity, ApiError> {
        self.send(self.request(reqwest::Method::PUT, &format!("api/agencies/{agency}/security"))?.json(settings)).await
    }

    /// (admin) Clears a user's second factor (a lost phone) and signs them out everywhere.
    pub async fn reset_second_factor(&self, agency: &str, username: &str) -> Result<(), ApiError> {
        let path = format!("api/agencies/{agency}/users/{username}/second-factor/reset");
        self.send(self.request(reqwest::Method::POST, &path)?).await
    }

    pub async fn me(&self) -> Result<Me, ApiError> {
        self.send(self.request(reqwest::Method::GET, "api/me")?).await
    }

    /// The notifications this person marked read (on any device).
    pub async fn notifications_read(&self) -> Result<prongsai_core::wire::NotificationsRead, ApiError> {
        self.send(self.request(reqwest::Method::GET, "api/me/notifications/read")?).await
    }

    /// Marks notifications read for this person; answers every id marked so far.
    pub async fn mark_notifications_read(
        &self,
        ids: &[String],
    ) -> Result<prongsai_core::wire::NotificationsRead, ApiError> {
        let body = prongsai_core::wire::MarkRead { ids: ids.to_vec() };
        self.send(self.request(reqwest::Method::POST, "api/me/notifications/read")?.json(&body)).await
    }

    pub async fn years(&self, agency: &str) -> Result<Vec<i64>, ApiError> {
        self.send(self.request(reqwest::Method::GET, &format!("api/agencies/{agency}/years"))?).await
    }

    pub async fn documents(&self, agency: &str, year: i64) -> Result<Vec<DocumentEntry>, ApiError> {
        self.send(self.request(reqwest::Method::GET, &format!("api/agencies/{agency}/years/{year}/documents"))?).await
    }

    /// The merged view as the server computes it (`date` ISO, or today).
    pub async fn status(&self, agency: &str, year: i64, date: Option<&str>) -> Result<serde_json::Value, ApiError> {
        let mut request = self.request(reqwest::Method::GET, &format!("api/agencies/{agency}/years/{year}/status"))?;
        if let Some(date) = date {
            request = request.query(&[("date", date)]);
        }
        self.send(request).await
    }

    /// Whether the server has committed every head of `doc_id`, waiting up to `wait`.
    pub async fn durable(&self, doc_id: &str, heads: &[ChangeHash], wait: Duration) -> Result<bool, ApiError> {
        Ok(self.durability(doc_id, heads, wait).await?.durable)
    }

    /// Whether the server has committed `heads`, and whether this user may write the document at
    /// all (if not, the changes will never be accepted).
    pub async fn durability(&self, doc_id: &str, heads: &[ChangeHash], wait: Duration) -> Result<Durability, ApiError> {
        let heads: Vec<String> = heads.iter().map(ChangeHash::to_string).collect();
        let wait_ms = wait.as_millis().to_string();
        let request = self
            .request(reqwest::Method::GET, &format!("api/documents/{doc_id}/durable"))?
            .query(&[("heads", heads.join(",").as_str()), ("wait_ms", wait_ms.as_str())])
            .timeout(wait + Duration::from_secs(30));
        let answer: DurableResponse = self.send(request).await?;
        Ok(Durability { durable: answer.durable, writable: answer.writable, refused: answer.refused })
    }

    /// Signs (or returns) one step of the report's approval chain.
    pub async fn sign(
        &self,
        agency: &str,
        year: i64,
        step: &str,
        decision: &str,
        comment: &str,
        date: Option<&str>,
    ) -> Result<SignResponse, ApiError> {
        self.sign_part(agency, year, Part::Report, step, decision, comment, date).await
    }

    /// Signs (or returns) one step of the plan's or the report's approval chain.
    #[allow(clippy::too_many_arguments)]
    pub async fn sign_part(
        &self,
        agency: &str,
        year: i64,
        part: Part,
        step: &str,
        decision: &str,
        comment: &str,
        date: Option<&str>,
    ) -> Result<SignResponse, ApiError> {
        let body = SignRequest {
            decision: prongsai_core::model::SignatureDecision::parse(decision),
            comment: comment.to_string(),
            date: date.map(str::to_string),
        };
        self.sign_target(agency, year, &Target::integrity(part), step, &body).await
    }

    /// Signs (or returns) one step of the chain of a plan or a round's report of any track.
    pub async fn sign_target(
        &self,
        agency: &str,
        year: i64,
        target: &Target,
        step: &str,
        body: &SignRequest,
    ) -> Result<SignResponse, ApiError> {
        let path = format!("api/agencies/{agency}/years/{year}/approvals/{step}");
        self.send(self.request(reqwest::Method::POST, &path)?.query(&target.query()).json(body)).await
    }

    /// Whether the plan or the report is published, and where.
    pub async fn published(&self, agency: &str, year: i64, part: Part) -> Result<PublishedInfo, ApiError> {
        self.published_target(agency, year, &Target::integrity(part)).await
    }

    /// Whether a plan or a round's report of any track is published, and its addresses.
    pub async fn published_target(&self, agency: &str, year: i64, target: &Target) -> Result<PublishedInfo, ApiError> {
        let path = format!("api/agencies/{agency}/years/{year}/published");
        self.send(self.request(reqwest::Method::GET, &path)?.query(&target.query())).await
    }

    /// Records why the report may be published before its plan (an empty reason withdraws it);
    /// answers the report's publication as it stands after.
    pub async fn set_plan_waiver(&self, agency: &str, year: i64, reason: &str) -> Result<PublishedInfo, ApiError> {
        let path = format!("api/agencies/{agency}/years/{year}/plan-waiver");
        let body = PlanWaiverRequest { reason: reason.to_string() };
        self.send(self.request(reqwest::Method::PUT, &path)?.json(&body)).await
    }

    /// The agency's users (the agency's admin only).
    pub async fn users(&self, agency: &str) -> Result<Vec<UserAccount>, ApiError> {
        self.send(self.request(reqwest::Method::GET, &format!("api/agencies/{agency}/users"))?).await
    }

    /// Adds a user; the answer carries the generated password when none was given.
    pub async fn add_user(&self, agency: &str, user: &NewUserRequest) -> Result<PasswordIssued, ApiError> {
        self.send(self.request(reqwest::Method::POST, &format!("api/agencies/{agency}/users"))?.json(user)).await
    }

    pub async fn change_user(
        &self,
        agency: &str,
        username: &str,
        change: &UserChange,
    ) -> Result<UserAccount, ApiError> {
        let path = format!("api/agencies/{agency}/users/{username}");
        self.send(self.request(reqwest::Method::PATCH, &path)?.json(change)).await
    }

    /// Sets a new password (generated when `password` is `None`) and signs the user out everywhere.
    pub async fn reset_password(
        &self,
        agency: &str,
        username: &str,
        password: Option<&str>,
    ) -> Result<PasswordIssued, ApiError> {
        let path = format!("api/agencies/{agency}/users/{username}/password");
        let body = serde_json::json!({ "password": password });
        self.send(self.request(reqwest::Method::POST, &path)?.json(&body)).await
    }

    /// Revokes every session of a user; answers how many were live.
    pub async fn revoke_sessions(&self, agency: &str, username: &str) -> Result<usize, ApiError> {
        let path = format!("api/agencies/{agency}/users/{username}/revoke");
        let answer: SessionsRevoked = self.send(self.request(reqwest::Method::POST, &path)?).await?;
        Ok(answer.sessions_revoked)
    }

    /// Binds the user who signs one step of a year's approval chain.
    pub async fn bind_approver(
        &self,
        agency: &str,
        year: i64,
        step: &str,
        approver: Option<&str>,
    ) -> Result<(), ApiError> {
        let path = format!("api/agencies/{agency}/years/{year}/approvals/{step}/approver");
        let body = BindApproverRequest { approver: approver.map(str::to_string) };
        self.send(self.request(reqwest::Method::PUT, &path)?.json(&body)).await
    }

    /// The agency's audit log, newest first (the agency's admin only).
    pub async fn audit_log(&self, agency: &str, before: Option<i64>) -> Result<Vec<AuditEntry>, ApiError> {
        let mut request = self.request(reqwest::Method::GET, &format!("api/agencies/{agency}/audit"))?;
        if let Some(before) = before {
            request = request.query(&[("before", before)]);
        }
        self.send(request).await
    }

    /// Changes the signed-in user's own password; their other sessions are signed out.
    pub async fn change_password(&self, current: &str, new: &str) -> Result<usize, ApiError> {
        let body = ChangePasswordRequest { current: current.to_string(), new: new.to_string() };
        let answer: SessionsRevoked =
            self.send(self.request(reqwest::Method::POST, "api/me/password")?.json(&body)).await?;
        Ok(answer.sessions_revoked)
    }

    pub async fn put_blob(&self, sha256: &str, media_type: &str, bytes: Vec<u8>) -> Result<(), ApiError> {
        let request = self
            .request(reqwest::Method::PUT, &format!("api/blobs/{sha256}"))?
            .header(reqwest::header::CONTENT_TYPE, media_type)
            .body(bytes);
        let _: BlobStored = self.send(request).await?;
        Ok(())
    }

    pub async fn get_blob(&self, sha256: &str) -> Result<Vec<u8>, ApiError> {
        let response = self
            .request(reqwest::Method::GET, &format!("api/blobs/{sha256}"))?
            .send()
            .await
            .map_err(|e| ApiError::Network(e.to_string()))?;
        match response.status().as_u16() {
            200 => Ok(response.bytes().await.map_err(|e| ApiError::Network(e.to_string()))?.to_vec()),
            401 => Err(ApiError::Unauthorized),
            404 => Err(ApiError::NotFound),
            code => Err(ApiError::Refused { status: code, kind: ErrorKind::Other, message: String::new() }),
        }
    }

    /// The agency's emblem (printed at the top of its memo); `None` when it has none.
    pub async fn emblem(&self, agency: &str) -> Result<Option<Vec<u8>>, ApiError> {
        let response = self
            .request(reqwest::Method::GET, &format!("api/agencies/{agency}/emblem"))?
            .send()
            .await
            .map_err(|e| ApiError::Network(e.to_string()))?;
        match response.status().as_u16() {
            200 => Ok(Some(response.bytes().await.map_err(|e| ApiError::Network(e.to_string()))?.to_vec())),
            404 => Ok(None),
            401 => Err(ApiError::Unauthorized),
            code => Err(ApiError::Refused { status: code, kind: ErrorKind::Other, message: String::new() }),
        }
    }

    /// A report of the agency-year in `format` (a `prongsai-report` format name), seen from
    /// `slot`, as the server renders it: what the dashboard downloads, for a device that cannot
    /// render it itself (a browser).
    pub async fn report(
        &self,
        agency: &str,
        year: i64,
        format: &str,
        slot: &prongsai_core::tracks::Slot,
    ) -> Result<ReportFile, ApiError> {
        let path = format!("api/agencies/{agency}/years/{year}/reports/{}", plain_segment(format));
        let query: Vec<(&str, &str)> = [("track", slot.track.as_deref()), ("round", slot.round.as_deref())]
            .into_iter()
            .filter_map(|(key, value)| value.map(|v| (key, v)))
            .collect();
        let response = self.answered(self.request(reqwest::Method::GET, &path)?.query(&query)).await?;
        let header = |name: reqwest::header::HeaderName| {
            response.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string()
        };
        let media_type = header(reqwest::header::CONTENT_TYPE);
        let disposition = header(reqwest::header::CONTENT_DISPOSITION);
        let file_name = disposition
            .split("filename=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .filter(|name| !name.is_empty())
            .unwrap_or(format)
            .to_string();
        let bytes = response.bytes().await.map_err(|e| ApiError::Network(e.to_string()))?.to_vec();
        Ok(ReportFile { file_name, media_type, bytes })
    }

    /// Sets the agency's emblem (the agency's admin): PNG or JPEG, at most 1 MiB.
    pub async fn set_emblem(&self, agency: &str, media_type: &str, bytes: Vec<u8>) -> Result<(), ApiError> {
        let request = self
            .request(reqwest::Method::PUT, &format!("api/agencies/{agency}/emblem"))?
            .header(reqwest::header::CONTENT_TYPE, media_type)
            .body(bytes);
        let _: serde_json::Value = self.send(request).await?;
        Ok(())
    }

    /// The agency's profile, its years and today's fiscal year.
    pub async fn overview(&self, agency: &str) -> Result<AgencyOverview, ApiError> {
        self.send(self.request(reqwest::Method::GET, &format!("api/agencies/{agency}/profile"))?).await
    }

    /// Sets the agency's name and letterhead (the agency's admin).
    pub async fn set_profile(&self, agency: &str, details: &ProfileDetails) -> Result<AgencyProfile, ApiError> {
        self.send(self.request(reqwest::Method::PUT, &format!("api/agencies/{agency}/profile"))?.json(details)).await
    }

    pub async fn add_division(&self, agency: &str, name: &str) -> Result<ProfileDivision, ApiError> {
        let body = NewDivision { name: name.to_string() };
        self.send(self.request(reqwest::Method::POST, &format!("api/agencies/{agency}/divisions"))?.json(&body)).await
    }

    pub async fn change_division(
        &self,
        agency: &str,
        division: &str,
        change: &DivisionChange,
    ) -> Result<ProfileDivision, ApiError> {
        let path = format!("api/agencies/{agency}/divisions/{division}");
        self.send(self.request(reqwest::Method::PATCH, &path)?.json(change)).await
    }

    /// Replaces the approval chain (1 to 5 steps); new steps get their ids from the server.
    pub async fn set_chain(&self, agency: &str, steps: &[ChainStep]) -> Result<Vec<ChainStep>, ApiError> {
        let path = format!("api/agencies/{agency}/approval-chain");
        self.send(self.request(reqwest::Method::PUT, &path)?.json(steps)).await
    }

    /// Starts a year, blank or from another year's plan (coordinator or admin).
    pub async fn start_year(&self, agency: &str, year: i64, from: Option<i64>) -> Result<YearStarted, ApiError> {
        let body = StartYear { year, from };
        self.send(self.request(reqwest::Method::POST, &format!("api/agencies/{agency}/years"))?.json(&body)).await
    }

    /// Starts the year after `year` from it: true when this call created it, false when it
    /// existed already.
    pub async fn next_year(&self, agency: &str, year: i64) -> Result<(YearStarted, bool), ApiError> {
        let path = format!("api/agencies/{agency}/years/{year}/next");
        let response =
            self.request(reqwest::Method::POST, &path)?.send().await.map_err(|e| ApiError::Network(e.to_string()))?;
        let created = response.status() == reqwest::StatusCode::CREATED;
        if response.status().is_success() {
            let started = response.json().await.map_err(|e| ApiError::Decode(e.to_string()))?;
            return Ok((started, created));
        }
        let status = response.status().as_u16();
        let body = response.json::<ErrorBody>().await.ok();
        Err(match status {
            401 => ApiError::Unauthorized,
            404 => ApiError::NotFound,
            code => ApiError::Refused {
                status: code,
                kind: body.as_ref().map_or(ErrorKind::Other, |b| b.kind),
                message: body.map(|b| b.error).unwrap_or_default(),
            },
        })
    }

    /// Closes a year (the agency's admin): nobody writes its documents until it is reopened.
    pub async fn close_year(&self, agency: &str, year: i64, reason: &str) -> Result<YearInfo, ApiError> {
        let body = YearReason { reason: reason.to_string() };
        let path = format!("api/agencies/{agency}/years/{year}/close");
        self.send(self.request(reqwest::Method::POST, &path)?.json(&body)).await
    }

    /// Reopens a closed year, with the reason (kept).
    pub async fn reopen_year(&self, agency: &str, year: i64, reason: &str) -> Result<YearInfo, ApiError> {
        let body = YearReason { reason: reason.to_string() };
        let path = format!("api/agencies/{agency}/years/{year}/reopen");
        self.send(self.request(reqwest::Method::POST, &path)?.json(&body)).await
    }

    /// Records the agency's ITA result of an assessment year.
    pub async fn set_ita_result(&self, agency: &str, year: i64, result: &ItaResult) -> Result<YearInfo, ApiError> {
        let path = format!("api/agencies/{agency}/years/{year}/ita-result");
        self.send(self.request(reqwest::Method::PUT, &path)?.json(result)).await
    }

    /// Any route below `/api/agencies/{agency}` with a JSON body and answer: what the app's
    /// agency page calls (the server decides who may).
    pub async fn agency_call(
        &self,
        agency: &str,
        method: &str,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> Result<serde_json::Value, ApiError> {
        let method = reqwest::Method::from_bytes(method.as_bytes()).map_err(|e| ApiError::Decode(e.to_string()))?;
        let path = format!("api/agencies/{agency}/{}", path.trim_start_matches('/'));
        let mut request = self.request(method, &path)?;
        if let Some(body) = body {
            request = request.json(&body);
        }
        self.send(request).await
    }

    /// Starts a year with its plan read from a file (XLSX or CSV); a refused file starts nothing.
    pub async fn start_year_from_file(
        &self,
        agency: &str,
        year: i64,
        bytes: Vec<u8>,
    ) -> Result<serde_json::Value, ApiError> {
        let path = format!("api/agencies/{agency}/years/{year}/from-file");
        self.send(self.request(reqwest::Method::POST, &path)?.body(bytes)).await
    }

    /// Attaches the wet-signed scan (PDF) of the signed plan or final memo to its publication.
    pub async fn attach_scan(
        &self,
        agency: &str,
        year: i64,
        part: Part,
        pdf: Vec<u8>,
    ) -> Result<serde_json::Value, ApiError> {
        self.attach_scan_to(agency, year, &Target::integrity(part), pdf).await
    }

    /// Attaches the wet-signed scan to a published plan or round's report of any track.
    pub async fn attach_scan_to(
        &self,
        agency: &str,
        year: i64,
        target: &Target,
        pdf: Vec<u8>,
    ) -> Result<serde_json::Value, ApiError> {
        let path = format!("api/agencies/{agency}/years/{year}/published/scan");
        self.send(self.request(reqwest::Method::PUT, &path)?.query(&target.query()).body(pdf)).await
    }

    /// The WebSocket URL of the sync endpoint (`ws://…/sync` or `wss://…/sync`).
    pub fn sync_url(&self) -> Result<url::Url, ApiError> {
        let mut url = self.url("sync")?;
        let scheme = if url.scheme() == "https" { "wss" } else { "ws" };
        url.set_scheme(scheme).map_err(|()| ApiError::Decode("cannot make a WebSocket URL".into()))?;
        Ok(url)
    }
}

/// A report file as the server sent it.
#[derive(Clone, Debug)]
pub struct ReportFile {
    pub file_name: String,
    pub media_type: String,
    pub bytes: Vec<u8>,
}

/// A path segment of letters, digits, `-`, `_` and `.` only (a format name): anything else is
/// refused by the server anyway, so it is dropped here rather than sent.
fn plain_segment(text: &str) -> String {
    text.chars().filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')).collect()
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    const OK: &[u8] = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 11\r\n\r\n{\"read\":[]}";

    /// Reads one request's head (GETs only: no body); false once the client closed.
    async fn request_arrives(socket: &mut tokio::net::TcpStream) -> bool {
        let (mut seen, mut buffer) = (Vec::new(), [0u8; 1024]);
        while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
            match socket.read(&mut buffer).await {
                Ok(0) | Err(_) => return false,
                Ok(n) => seen.extend_from_slice(&buffer[..n]),
            }
        }
        true
    }

    /// A kept connection closes under the next request, unanswered (as the server's does after
    /// it refused an upload it did not read): the GET goes again on a fresh connection, and the
    /// caller sees only the answer.
    #[tokio::test]
    async fn a_get_that_meets_a_closing_kept_connection_is_sent_again() {
        install_crypto();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a port");
        let addr = listener.local_addr().expect("an address");
        let server = tokio::spawn(async move {
            let (mut kept, _) = listener.accept().await.expect("the first connection");
            assert!(request_arrives(&mut kept).await);
            kept.write_all(OK).await.expect("answered");
            assert!(request_arrives(&mut kept).await, "the second request comes on the kept connection");
            drop(kept);
            let (mut fresh, _) = listener.accept().await.expect("a fresh connection");
            assert!(request_arrives(&mut fresh).await);
            fresh.write_all(OK).await.expect("answered");
            fresh
        });
        let api = ServerApi::new(format!("http://{addr}/").parse().expect("a URL")).with_token("t");
        assert!(api.notifications_read().await.expect("the first answer").read.is_empty());
        assert!(api.notifications_read().await.expect("sent again, and answered").read.is_empty());
        drop(server.await.expect("the stand-in server ran"));
    }
}
