//! The web UI: `/` answers the UI's page and `/ui/<path>` its CSS and ES modules (the
//! files are embedded by `clew-ui`). Every answer carries an `ETag` and
//! `Cache-Control: no-cache`, so a browser keeps its copy and revalidates it with one
//! cheap request (`304 Not Modified`) instead of running an old UI after an upgrade.

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::Query;

pub(crate) fn router() -> Router<Query> {
    Router::new().route("/", get(index)).route("/ui/{*path}", get(asset))
}

async fn index(headers: HeaderMap) -> Response {
    answer(clew_ui::index(), &headers)
}

async fn asset(Path(path): Path<String>, headers: HeaderMap) -> Response {
    match clew_ui::asset(&path) {
        Some(asset) => answer(asset, &headers),
        None => (StatusCode::NOT_FOUND, format!("no UI file {path:?}\n")).into_response(),
    }
}

fn answer(asset: clew_ui::Asset, request: &HeaderMap) -> Response {
    let etag = HeaderValue::from_static(asset.etag);
    let cache = HeaderValue::from_static("no-cache");
    let matches = request
        .get(header::IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|tags| tags.split(',').any(|tag| tag.trim() == asset.etag || tag.trim() == "*"));
    if matches {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag), (header::CACHE_CONTROL, cache)]).into_response();
    }
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(asset.content_type)),
            (header::ETAG, etag),
            (header::CACHE_CONTROL, cache),
            (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
        ],
        asset.bytes,
    )
        .into_response()
}
