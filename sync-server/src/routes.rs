//! Every route of the server, declared through one table that records its method, path and
//! scope. The scope is enforced here, in one place, not by each handler:
//!
//! - [`Scope::Open`]: no sign-in (health, metrics, login, the published reports, the page).
//! - [`Scope::Session`]: any valid session (`/api/me`, durability, blobs, `/sync`); what it reaches
//!   is its own agency's by construction.
//! - [`Scope::Agency`]: every `/api/agencies/{agency}/…` route, answered only by the node serving
//!   the agency (another node carries the request there: `link.rs`). A layer authenticates the caller
//!   and answers another agency's `{agency}` exactly like one that does not exist (404), before
//!   any handler runs.
//! - [`Scope::Admin`]: as `Agency`, and the caller must be the agency's admin (403).
//!
//! The table is also printed by `prongsai-server routes`, so the end-to-end test calls every route
//! there is as a stranger, with no token, a revoked one and a read-only one: a new route without
//! its expectation fails that test.

use axum::Router;
use axum::extract::{RawPathParams, Request, State};
use axum::handler::Handler;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, delete, get, patch, post, put};
use prongsai_core::model::Role;
use serde::Serialize;

use crate::api::{Caller, authenticate_request};
use crate::app::{App, AppError, Auth};
use crate::db::Database;

/// Who may call a route at all (handlers decide finer rules, through core's).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    Open,
    Session,
    Agency,
    Admin,
}

/// One route as `prongsai-server routes` prints it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct RouteInfo {
    pub method: String,
    pub path: String,
    pub scope: Scope,
}

/// The routes being declared, one router per scope.
pub struct RouteTable<D: Database> {
    open: Router<App<D>>,
    session: Router<App<D>>,
    agency: Router<App<D>>,
    admin: Router<App<D>>,
    list: Vec<RouteInfo>,
}

/// The prefix every agency-scoped route starts with.
pub const AGENCY_PREFIX: &str = "/api/agencies/{agency}";

impl<D: Database> Default for RouteTable<D> {
    fn default() -> Self {
        RouteTable {
            open: Router::new(),
            session: Router::new(),
            agency: Router::new(),
            admin: Router::new(),
            list: Vec::new(),
        }
    }
}

macro_rules! method {
    ($name:ident, $routing:ident, $method:literal) => {
        pub fn $name<H, T>(&mut self, scope: Scope, path: &'static str, handler: H) -> &mut Self
        where
            H: Handler<T, App<D>>,
            T: 'static,
        {
            self.add(scope, $method, path, $routing(handler))
        }
    };
}

impl<D: Database> RouteTable<D> {
    method!(get, get, "GET");
    method!(post, post, "POST");
    method!(put, put, "PUT");
    method!(patch, patch, "PATCH");
    method!(delete, delete, "DELETE");

    fn add(&mut self, scope: Scope, method: &str, path: &'static str, route: MethodRouter<App<D>>) -> &mut Self {
        let agency_path = path.starts_with(AGENCY_PREFIX);
        assert_eq!(
            agency_path,
            matches!(scope, Scope::Agency | Scope::Admin),
            "{method} {path}: every {AGENCY_PREFIX}/… route is agency-scoped, and only those"
        );
        let router = match scope {
            Scope::Open => &mut self.open,
            Scope::Session => &mut self.session,
            Scope::Agency => &mut self.agency,
            Scope::Admin => &mut self.admin,
        };
        *router = std::mem::take(router).route(path, route);
        self.list.push(RouteInfo { method: method.to_string(), path: path.to_string(), scope });
        self
    }

    /// A route whose method router is built by the caller (to give it a layer of its own, such
    /// as a body limit); `method` must name the method it answers.
    pub fn route(&mut self, scope: Scope, method: &str, path: &'static str, route: MethodRouter<App<D>>) -> &mut Self {
        self.add(scope, method, path, route)
    }

    pub fn list(&self) -> &[RouteInfo] {
        &self.list
    }

    /// The router, with each scope's check layered on its routes.
    pub fn into_router(self, app: &App<D>) -> Router<App<D>> {
        let agency = self.agency.route_layer(axum::middleware::from_fn_with_state(app.clone(), agency_scope::<D>));
        let admin = self
            .admin
            .route_layer(axum::middleware::from_fn(admin_only))
            .route_layer(axum::middleware::from_fn_with_state(app.clone(), agency_scope::<D>));
        self.open.merge(self.session).merge(agency).merge(admin)
    }
}

/// Authenticates the caller of an agency-scoped route and checks that `{agency}` is theirs; the
/// handler finds the caller in the request's extensions ([`Caller`] reads it from there).
async fn agency_scope<D: Database>(
    State(app): State<App<D>>,
    params: RawPathParams,
    mut request: Request,
    next: Next,
) -> Response {
    let matched = request.extensions().get::<axum::extract::MatchedPath>().cloned();
    let auth = match authenticate_request(&app, request.headers(), request.uri(), matched.as_ref()).await {
        Ok(auth) => auth,
        Err(refusal) => return refusal,
    };
    let agency = params.iter().find(|(name, _)| *name == "agency").map(|(_, value)| value);
    if agency != Some(auth.user.agency_id.as_str()) {
        // Another agency's data is answered exactly like data that does not exist.
        return AppError::NotFound.into_response();
    }
    // Only the node serving the agency answers for it (several nodes on one PostgreSQL): another
    // carries the request there, or refuses with 503 before changing anything (and a load
    // balancer retries on the next node).
    if let Err(refusal) = app.serve_agency(&auth.user.agency_id).await {
        return crate::link::elsewhere(&app, refusal, request).await;
    }
    request.extensions_mut().insert(Caller(auth));
    next.run(request).await
}

/// The caller (already scoped to the agency) must be its admin.
async fn admin_only(request: Request, next: Next) -> Response {
    let admin = request.extensions().get::<Caller>().is_some_and(|Caller(auth): &Caller| is_admin(auth));
    if !admin {
        let who = request.extensions().get::<Caller>().map(|c| c.0.user.username.clone()).unwrap_or_default();
        tracing::warn!(user = %who, path = %request.uri().path(), "refused an admin request: not an admin");
        return AppError::Forbidden("only the agency's admin may do this".into()).into_response();
    }
    next.run(request).await
}

fn is_admin(auth: &Auth) -> bool {
    auth.user.roles.contains(&Role::Admin)
}
