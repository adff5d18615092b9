//! `GET /ui/api/doctor`: the checklist of `saytype doctor`, for the window's
//! Diagnostics section. Run on demand only (the mDNS probe takes up to 3 s).

use std::time::Duration;

use axum::extract::State;
use axum::Json;

use crate::doctor::{self, DoctorOptions};
use crate::protocol::doctor::DoctorReport;
use crate::relay::extract::Authorized;
use crate::relay::RelayState;

pub(in crate::relay) async fn doctor(
    State(state): State<RelayState>,
    _auth: Authorized,
) -> Json<DoctorReport> {
    let opts = DoctorOptions {
        data_dir: state.config().data_dir.clone(),
        mdns_window: Duration::from_secs(3),
    };
    Json(doctor::run(&opts).await)
}
