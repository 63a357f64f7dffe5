//! The frontend without a DOM: its reducers driven by actions, and its components rendered to
//! HTML with Yew's server renderer, on the sample agency's real data.

use std::rc::Rc;

use prongsai_core::app::{Connection, SessionView, SyncState};
use prongsai_core::calendar::Date;
use prongsai_core::detail::measure_detail;
use prongsai_core::docs::{CommitMeta, approvals, edit, results, review};
use prongsai_core::edit::Edit;
use prongsai_core::model::{DocKey, ReviewDecisionKind, Signature, SignatureDecision, Status};
use prongsai_core::report_model::MemoView;
use prongsai_core::sample::{AutomergeDocuments, pakchong_2565};
use prongsai_core::view::ReviewState;
use prongsai_core::{AgencyYear, MergedView, merged_view};
use prongsai_frontend::components::datepicker::with_part;
use prongsai_frontend::components::measure::{ResultEditor, ResultEditorProps};
use prongsai_frontend::components::memo::{MemoEditor, MemoEditorProps, MemoPreview, MemoPreviewProps};
use prongsai_frontend::components::plan::toggle_quarter;
use prongsai_frontend::components::sync::{SyncIndicator, SyncIndicatorProps};
use prongsai_frontend::components::table::{MeasureTable, MeasureTableProps};
use prongsai_frontend::form::{FormAction, ResultForm};
use prongsai_frontend::i18n::Lang;
use prongsai_frontend::state::{Action, AppState, DashboardFilter, Route};
use yew::{BaseComponent, Callback, Reducible, ServerRenderer};

const T0: i64 = 1_640_995_200_000;

fn documents() -> AutomergeDocuments {
    pakchong_2565()
        .typed_documents(T0)
        .expect("fixture")
        .into_automerge(&CommitMeta::new("sample", "server", T0), |k| format!("automerge:{k}"))
        .expect("documents")
}

fn year_of(docs: &AutomergeDocuments) -> AgencyYear {
    AgencyYear::from_documents(docs.iter()).expect("read")
}

fn today() -> Date {
    "2022-01-10".parse().expect("date")
}

fn overview(docs: &AutomergeDocuments) -> MergedView {
    merged_view(&year_of(docs), today())
}

/// What somchai (staff of สำนักปลัด) sees after signing in.
fn somchai(docs: &AutomergeDocuments) -> SessionView {
    SessionView::describe("http://127.0.0.1:8080/", "somchai", &year_of(docs), vec![DocKey::results("palad")])
}

fn run(state: AppState, actions: impl IntoIterator<Item = Action>) -> Rc<AppState> {
    actions.into_iter().fold(Rc::new(state), |s, a| s.reduce(a))
}

/// Renders a component to HTML; its props are made on the renderer's thread (they hold `Rc`s).
fn render<C: BaseComponent>(props: impl FnOnce() -> C::Properties + Send + 'static) -> String {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    runtime.block_on(ServerRenderer::<C>::with_props(props).hydratable(false).render())
}

fn sync(connection: Connection, unconfirmed: usize) -> SyncState {
    SyncState { connection, unconfirmed, ..SyncState::default() }
}

#[test]
fn staff_start_on_their_division_and_the_filter_shows_only_its_measures() {
    let docs = documents();
    let session = somchai(&docs);
    assert_eq!(session.division.as_deref(), Some("palad"));
    let state = run(
        AppState::default(),
        [
            Action::Started { session: Some(session), sync: sync(Connection::Connecting, 0) },
            Action::OverviewLoaded { overview: std::rc::Rc::new(overview(&docs)) },
        ],
    );
    assert_eq!(state.route, Route::Table);
    assert!(state.my_division_only, "staff start filtered to their division");
    let mine: Vec<&str> = state.visible_measures().iter().map(|m| m.id.as_str()).collect();
    let expected: Vec<String> = overview(&docs)
        .measures
        .iter()
        .filter(|m| m.responsible.iter().any(|d| d == "palad"))
        .map(|m| m.id.clone())
        .collect();
    assert_eq!(mine, expected);
    let all = state.reduce(Action::ToggleMyDivision);
    assert_eq!(all.visible_measures().len(), 8);
}

/// A cold start shows the picture the device kept from its last run until the fresh one is read;
/// a kept picture arriving after the fresh one, or of another track, changes nothing.
#[test]
fn a_cold_start_shows_the_kept_picture_until_the_fresh_one_replaces_it() {
    let mut docs = documents();
    let kept = Rc::new(overview(&docs));
    let started = [Action::Started { session: Some(somchai(&docs)), sync: sync(Connection::Offline, 0) }];
    let state = run(AppState::default(), started.clone());
    let state = state.reduce(Action::PictureKept { overview: kept.clone() });
    assert!(state.picture_kept && state.overview.as_ref() == Some(&kept), "the table is on screen at once");
    docs.apply(
        &[Edit::SetResultText { division: "palad".into(), measure: "m1".into(), text: "ใหม่".into() }],
        &CommitMeta::new("edit", "somchai", T0 + 1),
    )
    .expect("an edit since");
    let fresh = Rc::new(overview(&docs));
    assert_ne!(fresh, kept);
    let state = state.reduce(Action::OverviewLoaded { overview: fresh.clone() });
    assert!(!state.picture_kept && state.overview.as_ref() == Some(&fresh), "replaced by what the documents say");
    let state = state.reduce(Action::PictureKept { overview: kept.clone() });
    assert!(!state.picture_kept && state.overview.as_ref() == Some(&fresh), "a late kept picture is ignored");

    // Another track opened: a kept picture of the integrity measures is not its picture.
    let state = run(AppState::default(), started);
    let state = state.reduce(Action::OpenSlot {
        slot: prongsai_core::tracks::Slot::of(Some("anticorruption"), Some("half")),
        route: None,
    });
    let state = state.reduce(Action::PictureKept { overview: kept });
    assert!(state.overview.is_none() && !state.picture_kept);
}

#[test]
fn without_a_saved_login_the_app_opens_on_the_login_page_and_a_refused_login_returns_there() {
    let docs = documents();
    let state = run(AppState::default(), [Action::Started { session: None, sync: SyncState::default() }]);
    assert_eq!(state.route, Route::Login);
    let state = run((*state).clone(), [Action::SignedIn { session: somchai(&docs) }]);
    assert_eq!(state.route, Route::Table);
    let state = state.reduce(Action::Sync { state: sync(Connection::SignedOut, 0) });
    assert_eq!(state.route, Route::Login);
    assert!(state.session.is_none());
    assert_eq!(state.last_server, "http://127.0.0.1:8080/", "the login page keeps the server address");
}

#[test]
fn sync_progress_runs_from_the_largest_pending_count_down_to_nothing() {
    let state = run(
        AppState::default(),
        [Action::Sync { state: sync(Connection::Offline, 1) }, Action::Sync { state: sync(Connection::Offline, 4) }],
    );
    assert_eq!(state.sync_progress(), Some(0));
    let state = state.reduce(Action::Sync { state: sync(Connection::Syncing, 1) });
    assert_eq!(state.sync_progress(), Some(75));
    let state = state.reduce(Action::Sync { state: sync(Connection::UpToDate, 0) });
    assert_eq!(state.sync_progress(), None);
    let state = state.reduce(Action::Sync { state: sync(Connection::Syncing, 2) });
    assert_eq!(state.sync_progress(), Some(0), "a new burst starts a new bar");
    // Files waiting for upload count too: two changes confirmed, two photos still going.
    let uploading = SyncState { uploads_pending: 2, ..sync(Connection::UpToDate, 0) };
    let state = state.reduce(Action::Sync { state: uploading });
    assert_eq!(state.sync_progress(), Some(0), "the bar grows to the photos");
    let state = state.reduce(Action::Sync { state: SyncState { uploads_pending: 1, ..sync(Connection::UpToDate, 0) } });
    assert_eq!(state.sync_progress(), Some(50));
}

fn palad_result(docs: &AutomergeDocuments, measure: &str) -> prongsai_core::detail::ResultDetail {
    let detail = measure_detail(&year_of(docs), measure, today()).expect("measure");
    detail.results.into_iter().find(|r| r.division == "palad").expect("palad is responsible")
}

#[test]
fn typing_is_never_overwritten_by_a_change_from_the_server() {
    let mut docs = documents();
    let loaded = palad_result(&docs, "m1");
    let load = |result| FormAction::Load { measure: "m1".into(), division: "palad".into(), result: Box::new(result) };
    let form = run_form([load(loaded.clone()), FormAction::SetText { text: "อบรมแล้ว ๓๐ คน".into() }]);
    assert!(form.dirty);

    // Another device changes the status; the documents reload while the person is typing.
    let meta = CommitMeta::new("set status", "parichat", T0 + 60_000);
    edit(docs.results.get_mut("palad").expect("palad"), &meta, |tx| {
        results::set_status(tx, &prongsai_core::tracks::Slot::INTEGRITY, "m1", &Status::Done, &meta)
    })
    .expect("edit");
    let form = form.reduce(load(palad_result(&docs, "m1")));
    assert_eq!(form.text, "อบรมแล้ว ๓๐ คน", "the typing stays");
    assert_eq!(form.status, Status::Done, "an untouched field follows the documents");
    assert!(form.changed_elsewhere, "the person is told");
    // Saving writes only what the person changed: the text, not the status they never touched.
    let edits = form.edits().expect("valid");
    assert_eq!(edits.len(), 1, "{edits:?}");
    assert!(matches!(&edits[0], prongsai_core::edit::Edit::SetResultText { text, .. } if text == "อบรมแล้ว ๓๐ คน"));
    // After saving, the next load shows the documents again.
    let form = form.reduce(FormAction::Saved).reduce(load(palad_result(&docs, "m1")));
    assert!(!form.dirty && !form.changed_elsewhere);
    assert_eq!(form.status, Status::Done);
}

fn run_form(actions: impl IntoIterator<Item = FormAction>) -> Rc<ResultForm> {
    actions.into_iter().fold(Rc::new(ResultForm::default()), |f, a| f.reduce(a))
}

#[test]
fn percent_accepts_thai_digits_and_refuses_what_is_not_a_percent() {
    let docs = documents();
    let base = FormAction::Load {
        measure: "m1".into(),
        division: "palad".into(),
        result: Box::new(palad_result(&docs, "m1")),
    };
    for (typed, expected) in [("๕๐", Ok(Some(50))), ("100", Ok(Some(100))), (" 75 % ", Ok(Some(75))), ("", Ok(None))]
    {
        let form = run_form([base.clone(), FormAction::SetPercent { text: typed.into() }]);
        assert_eq!(form.parsed_percent().map_err(|_| ()), expected, "{typed:?}");
    }
    for typed in ["101", "ห้าสิบ", "-5", "50.5"] {
        let form = run_form([base.clone(), FormAction::SetPercent { text: typed.into() }]);
        assert!(form.parsed_percent().is_err(), "{typed:?} must be refused");
        assert!(form.edits().is_err() && form.submit_edits().is_err());
    }
    let form = run_form([base, FormAction::SetStatus { status: Status::InProgress }]);
    let submit = form.submit_edits().expect("valid");
    assert!(matches!(submit.last(), Some(prongsai_core::edit::Edit::Submit { measure, .. }) if measure == "m1"));
}

#[test]
fn the_date_picker_speaks_buddhist_era_and_clamps_to_the_month() {
    let jan31: Date = "2022-01-31".parse().expect("date");
    assert_eq!(with_part(jan31, None, Some(2), None), Some("2022-02-28".parse().expect("date")));
    assert_eq!(with_part(jan31, Some(2567), Some(2), None), Some("2024-02-29".parse().expect("date")));
    assert_eq!(with_part(jan31, Some(2565), None, Some(15)), Some("2022-01-15".parse().expect("date")));
}

#[test]
fn quarters_toggle_into_schedule_codes() {
    let quarters = |code: &str| -> Vec<u8> {
        prongsai_core::Schedule::parse(code).expect("code").quarters().map(|q| q.number()).collect()
    };
    assert_eq!(quarters(&toggle_quarter("1-4", 2, false)), [1, 3, 4]);
    assert_eq!(quarters(&toggle_quarter("4", 1, true)), [1, 4]);
    assert_eq!(quarters(&toggle_quarter("2", 2, true)), [2]);
}

#[test]
fn the_table_has_the_reports_six_columns_and_every_measure() {
    let docs = documents();
    let view = overview(&docs);
    let table = |lang: Lang, my_division: Option<String>| {
        let view = view.clone();
        move || MeasureTableProps {
            measures: view.measures.clone(),
            overview: Rc::new(view),
            my_division,
            lang,
            on_open: Callback::noop(),
        }
    };
    let html = render::<MeasureTable>(table(Lang::Th, Some("palad".into())));
    let headers = ["มาตรการ/แนวทาง", "วิธีดำเนินการ", "ผู้รับผิดชอบ", "ระยะเวลาดำเนินงาน", "ผลการดำเนินงาน", "ข้อเสนอ"];
    let mut at = 0;
    for header in headers {
        let found = html[at..].find(&format!(">{header}</th>")).unwrap_or_else(|| panic!("{header} column in order"));
        at += found;
    }
    assert_eq!(html.matches("<tr data-measure=").count(), 8);
    assert!(html.contains("ไตรมาสที่ ๑ - ๔"), "schedule labels in Thai digits");
    assert!(html.contains("สำนักปลัด"));
    let english = render::<MeasureTable>(table(Lang::En, None));
    assert!(english.contains(">Methods</th>") && !english.contains(">วิธีดำเนินการ</th>"));
}

#[test]
fn the_sync_indicator_says_offline_and_counts_what_waits() {
    let html = render::<SyncIndicator>(|| SyncIndicatorProps {
        state: sync(Connection::Offline, 2),
        progress: Some(0),
        lang: Lang::Th,
    });
    assert!(html.contains("ออฟไลน์"));
    assert!(html.contains(r#"data-count="2""#));
    assert!(html.contains("role=\"progressbar\""));
    let html = render::<SyncIndicator>(|| SyncIndicatorProps {
        state: SyncState { last_synced_ms: Some(T0), ..sync(Connection::UpToDate, 0) },
        progress: None,
        lang: Lang::Th,
    });
    assert!(html.contains("ข้อมูลเป็นปัจจุบัน") && html.contains(r#"data-count="0""#));
    assert!(html.contains("2565"), "the last sync time is in Buddhist Era: {html}");
    assert!(!html.contains("progressbar"));
}

#[test]
fn a_returned_result_shows_the_coordinators_comment_before_the_form() {
    let mut docs = documents();
    let staff = CommitMeta::new("submit", "somchai", T0 + 60_000);
    edit(docs.results.get_mut("palad").expect("palad"), &staff, |tx| {
        results::submit(tx, &prongsai_core::tracks::Slot::INTEGRITY, "m1", &staff)
    })
    .expect("submit");
    let submitted = palad_result(&docs, "m1");
    let coordinator = CommitMeta::new("review", "kannika", T0 + 120_000);
    edit(&mut docs.review, &coordinator, |tx| {
        review::decide(
            tx,
            &prongsai_core::tracks::Slot::INTEGRITY,
            "m1",
            "palad",
            ReviewDecisionKind::Returned,
            "โปรดแนบภาพถ่ายการอบรม",
            &submitted.content_hash,
            &coordinator,
        )
    })
    .expect("return");
    let result = palad_result(&docs, "m1");
    assert_eq!(result.review, ReviewState::Returned);
    let form = run_form([FormAction::Load {
        measure: "m1".into(),
        division: "palad".into(),
        result: Box::new(result.clone()),
    }]);
    let form = (*form).clone();
    let html = render::<ResultEditor>(move || ResultEditorProps {
        form,
        result,
        lang: Lang::Th,
        on_action: Callback::noop(),
        on_apply: Callback::noop(),
        on_file: Callback::noop(),
    });
    let comment = html.find("โปรดแนบภาพถ่ายการอบรม").expect("the comment is shown");
    let form_at = html.find("<form").expect("the form");
    assert!(comment < form_at, "the comment comes first");
    assert!(html.contains("ส่งกลับแก้ไข"));
}

#[test]
fn the_central_office_starts_on_the_dashboard_and_its_filters_narrow_the_matrix() {
    let docs = documents();
    let mayor = SessionView::describe("", "winai", &year_of(&docs), vec![]);
    let state = run(
        AppState::default(),
        [
            Action::Started { session: Some(mayor), sync: sync(Connection::UpToDate, 0) },
            Action::OverviewLoaded { overview: std::rc::Rc::new(overview(&docs)) },
        ],
    );
    assert_eq!(state.route, Route::Dashboard);
    assert_eq!(state.dashboard_rows().len(), 8);
    let cells: usize = state.dashboard_rows().iter().map(|(_, cells)| cells.len()).sum();
    assert_eq!(cells, overview(&docs).counts.responsibilities);

    // A division keeps its own cells and the measures it is responsible for.
    let filtered = state.clone().reduce(Action::Filter {
        filter: DashboardFilter { division: Some("klang".into()), ..DashboardFilter::default() },
    });
    let rows = filtered.dashboard_rows();
    assert!(
        rows.iter()
            .all(|(m, cells)| m.responsible.contains(&"klang".to_string())
                && cells.iter().all(|c| c.division == "klang"))
    );
    let klang_measures = overview(&docs).measures.iter().filter(|m| m.responsible.iter().any(|d| d == "klang")).count();
    assert_eq!(rows.len(), klang_measures);

    // A quarter keeps the measures scheduled in it.
    let q4 = state
        .clone()
        .reduce(Action::Filter { filter: DashboardFilter { quarter: Some(4), ..DashboardFilter::default() } });
    let expected: Vec<String> = overview(&docs)
        .measures
        .iter()
        .filter(|m| prongsai_core::Schedule::parse(&m.schedule).is_ok_and(|s| s.quarters().any(|q| q.number() == 4)))
        .map(|m| m.id.clone())
        .collect();
    assert_eq!(q4.dashboard_rows().iter().map(|(m, _)| m.id.clone()).collect::<Vec<_>>(), expected);
    assert!(!expected.is_empty() && expected.len() < 8);

    // A status nobody has yet leaves nothing to show.
    let blocked = state.reduce(Action::Filter {
        filter: DashboardFilter { status: Some(Status::Blocked), ..DashboardFilter::default() },
    });
    assert!(blocked.dashboard_rows().is_empty());
}

#[test]
fn the_matrix_colours_each_responsible_cell_and_the_chart_draws_every_quarter() {
    use prongsai_frontend::components::dashboard::{Matrix, MatrixProps, QuarterChart, QuarterChartProps};
    let docs = documents();
    let view = overview(&docs);
    let columns: Vec<(String, String)> = view.divisions.iter().map(|d| (d.id.clone(), d.name.clone())).collect();
    let rows: Vec<_> = view.measures.iter().map(|m| (m.clone(), m.cells.clone())).collect();
    let html = render::<Matrix>(move || MatrixProps {
        rows,
        columns,
        lang: Lang::Th,
        on_open: Callback::noop(),
        testid: "matrix".into(),
    });
    assert_eq!(html.matches("<tr data-measure=").count(), 8);
    assert_eq!(html.matches("<th scope=\"col\" data-division=").count(), 6);
    assert_eq!(html.matches("data-status=").count(), view.counts.responsibilities);
    let quarters = view.quarters.clone();
    let svg = render::<QuarterChart>(move || QuarterChartProps { quarters, lang: Lang::Th });
    for label in ["ไตรมาสที่ ๑", "ไตรมาสที่ ๒", "ไตรมาสที่ ๓", "ไตรมาสที่ ๔"]
    {
        assert!(svg.contains(label), "{label}");
    }
    assert!(svg.contains("<rect"), "bars are drawn");
}

fn memo_view(docs: &AutomergeDocuments) -> Rc<MemoView> {
    Rc::new(MemoView::build(&year_of(docs)))
}

#[test]
fn the_memo_prints_numbered_proposals_last_years_band_and_signatures_that_went_stale() {
    let mut docs = documents();
    // The head of สำนักปลัด signs; then the coordinator adds a proposal, so the signature no
    // longer covers the memo.
    let signed = memo_view(&docs).report.content_hash.clone();
    let server = CommitMeta::new("sign", "server", T0 + 60_000);
    edit(&mut docs.approvals, &server, |tx| {
        approvals::record(
            tx,
            &prongsai_core::tracks::Slot::INTEGRITY,
            prongsai_core::report_model::Part::Report,
            "head",
            &Signature {
                decision: SignatureDecision::Approved,
                comment: "เห็นควร".into(),
                signer: "parichat".into(),
                name: "นางสาวปาริชาติ กิตติศิลป์สาร".into(),
                position: "หัวหน้าสำนักปลัด".into(),
                date: "2022-03-22".into(),
                signed_at: T0 + 60_000,
                report_hash: signed,
            },
        )
    })
    .expect("sign");
    let before = memo_view(&docs);
    assert!(before.report.signatures[0].as_ref().is_some_and(|s| s.up_to_date));
    let count = before.proposal_ids.len();
    let coordinator = CommitMeta::new("add proposal", "kannika", T0 + 120_000);
    let add = vec![Edit::AddProposal {
        id: "p-new".into(), index: count, text: "จัดอบรมทุกไตรมาส".into()
    }];
    edit(&mut docs.memo, &coordinator, |tx| prongsai_core::edit::apply(tx, &add, &coordinator)).expect("add");
    let memo = memo_view(&docs);
    assert_eq!(memo.proposal_ids.len(), count + 1);
    assert_eq!(memo.proposal_ids.last().map(String::as_str), Some("p-new"));
    assert!(!memo.fully_approved);

    let shown = (*memo).clone();
    let html = render::<MemoPreview>(move || MemoPreviewProps { memo: Rc::new(shown), lang: Lang::Th });
    let last = format!("{}. จัดอบรมทุกไตรมาส", prongsai_core::thai::to_thai_digits(&(count + 1).to_string()));
    assert!(html.contains(&last), "proposals are numbered in Thai digits: {html}");
    assert!(html.contains("๒๕๖๔") && html.contains("๙๕.๒๑"), "last year's score");
    let band = memo.report.content.previous_score.as_ref().and_then(|p| p.band.clone()).expect("a band for 95.21");
    assert!(html.contains(&format!("ระดับ {band}")));
    assert!(html.contains("ต้องลงนามใหม่"), "the stale signature says so");
    assert!(html.contains("รอลงนาม"), "unsigned steps wait");

    let editing = (*memo).clone();
    let html = render::<MemoEditor>(move || MemoEditorProps {
        memo: Rc::new(editing),
        lang: Lang::Th,
        on_apply: Callback::noop(),
        today: Some(today()),
    });
    assert_eq!(html.matches("data-testid=\"memo-proposal\"").count(), count + 1);
    assert!(html.contains("95.21"), "the score field shows the stored score");
    assert!(html.contains(&band));
}

#[test]
fn the_bell_counts_what_waits_for_the_person_unread_and_nothing_in_a_closed_year() {
    let docs = documents();
    let session = somchai(&docs);
    // After the fiscal year: สำนักปลัด's measures that are not done are late.
    let late = merged_view(&year_of(&docs), "2022-10-15".parse().expect("date"));
    let state = run(
        AppState::default(),
        [
            Action::Started { session: Some(session.clone()), sync: sync(Connection::UpToDate, 0) },
            Action::OverviewLoaded { overview: Rc::new(late) },
        ],
    );
    let waiting = state.notifications();
    assert!(!waiting.is_empty() && waiting.iter().all(|n| n.division.as_deref() == Some("palad")), "{waiting:?}");
    assert_eq!(state.unread_notifications(), waiting.len());
    let read = run((*state).clone(), [Action::NotificationsRead { read: vec![waiting[0].id.clone()] }]);
    assert_eq!(read.unread_notifications(), waiting.len() - 1, "one marked read");
    let closed = SessionView { closed: true, ..session };
    let closed = run((*read).clone(), [Action::YearOpened { session: closed, stay: true }]);
    let closed = run(
        (*closed).clone(),
        [Action::OverviewLoaded {
            overview: Rc::new(merged_view(&year_of(&docs), "2022-10-15".parse().expect("date"))),
        }],
    );
    assert_eq!(closed.unread_notifications(), 0, "a closed year asks nothing of anyone");
}

/// The page an address names opens once someone is signed in, and a late answer of the launch
/// does not send them elsewhere; Back to a track's page shows that track; a page of another
/// year waits for that year to open; a year the person cannot open shows their first page.
#[test]
fn an_address_opens_its_page_after_sign_in_and_back_and_forward_follow_it() {
    use prongsai_core::tracks::Slot;
    use prongsai_frontend::place::Place;
    let docs = documents();
    let session = somchai(&docs);
    let year = session.year;
    let wanted = format!("#/measure/m3?year={year}");
    let state = run(AppState::at(&wanted), [Action::Started { session: None, sync: sync(Connection::Offline, 0) }]);
    assert_eq!(state.route, Route::Login, "the link waits for the sign-in");
    let state = state.reduce(Action::SignedIn { session: session.clone() });
    assert_eq!(state.route, Route::Measure("m3".into()));
    assert_eq!(state.place().and_then(|p| p.fragment()), Some(wanted));
    let state = state.reduce(Action::Started { session: None, sync: sync(Connection::Offline, 0) });
    assert_eq!((state.route.clone(), state.session.is_some()), (Route::Measure("m3".into()), true));

    let track = format!("#/table?year={year}&track=anticorruption&round=half");
    let state = state.reduce(Action::Navigate { place: Place::parse(&track), written_here: true });
    assert_eq!(
        (state.route.clone(), state.slot.clone()),
        (Route::Table, Slot::of(Some("anticorruption"), Some("half")))
    );
    assert_eq!(state.place().and_then(|p| p.fragment()), Some(track));
    let state = state.reduce(Action::Navigate { place: None, written_here: true });
    assert_eq!(state.route, Route::Table, "an address naming no page: staff's first page");

    let mut two_years = session.clone();
    two_years.years = vec![year - 1, year];
    let state = run(
        AppState::default(),
        [Action::Started { session: Some(two_years.clone()), sync: sync(Connection::Offline, 0) }],
    );
    let state = state
        .reduce(Action::Navigate { place: Place::parse(&format!("#/memo?year={}", year - 1)), written_here: false });
    assert_eq!((state.route.clone(), state.wanted_year()), (Route::Table, Some(year - 1)), "the year opens first");
    // Back to the page shown, or a tab, while that year opens: the page asked for is dropped.
    let back = state.clone().reduce(Action::Navigate { place: state.place(), written_here: true });
    assert_eq!((back.route.clone(), back.wanted_year()), (Route::Table, None), "Back wins over the page waiting");
    let tab = state.clone().reduce(Action::Open { route: Route::Reports });
    assert_eq!((tab.route.clone(), tab.wanted.is_none()), (Route::Reports, true), "a tab wins too");
    let last_year = SessionView { year: year - 1, ..two_years.clone() };
    let state = state.reduce(Action::YearOpened { session: last_year, stay: true });
    assert_eq!((state.route.clone(), state.wanted.is_none()), (Route::Memo, true));
    // The picture of the year left behind, answered late, is not shown as this year's.
    let late = Rc::new(overview(&docs));
    assert_eq!(late.year, year);
    let shown = state.clone().reduce(Action::OverviewLoaded { overview: late.clone() });
    assert!(shown.overview.is_none() && shown.integrity.is_none(), "the old year's picture stays off screen");
    let kept = state.clone().reduce(Action::PictureKept { overview: late });
    assert!(kept.overview.is_none());

    let state = state
        .reduce(Action::Navigate { place: Place::parse(&format!("#/memo?year={}", year + 5)), written_here: false });
    assert_eq!((state.route.clone(), state.wanted.is_none()), (Route::Table, true), "a year not the agency's");
}

/// After signing out, Back does not carry the person's last page over to whoever signs in next
/// on the same tablet: they start on their own first page. A link typed or pasted, before anyone
/// signed in or after signing out, still opens after the sign-in.
#[test]
fn back_after_signing_out_does_not_hand_the_last_page_to_the_next_person() {
    use prongsai_frontend::place::Place;
    let docs = documents();
    let session = somchai(&docs);
    let year = session.year;
    let state = run(
        AppState::default(),
        [
            Action::Started { session: Some(session.clone()), sync: sync(Connection::UpToDate, 0) },
            Action::Open { route: Route::Measure("m3".into()) },
            Action::SignedOut,
        ],
    );
    assert_eq!(state.route, Route::Login);
    let state = state
        .reduce(Action::Navigate { place: Place::parse(&format!("#/measure/m3?year={year}")), written_here: true });
    assert_eq!(state.route, Route::Login);
    let next = state.clone().reduce(Action::SignedIn { session: session.clone() });
    assert_eq!(next.route, Route::Table, "the next person starts on their own first page");
    // An address typed or pasted after signing out is the next person's own: it opens.
    let state = state
        .reduce(Action::Navigate { place: Place::parse(&format!("#/measure/m7?year={year}")), written_here: false });
    let state = state.reduce(Action::SignedIn { session: session.clone() });
    assert_eq!(state.route, Route::Measure("m7".into()));

    let pasted = run(
        AppState::at(&format!("#/measure/m3?year={year}")),
        [Action::Started { session: None, sync: sync(Connection::Offline, 0) }],
    );
    let pasted =
        pasted.reduce(Action::Navigate { place: Place::parse(&format!("#/memo?year={year}")), written_here: false });
    let pasted = pasted.reduce(Action::SignedIn { session });
    assert_eq!(pasted.route, Route::Memo, "an address given before anyone signed in still opens");
}
