//! WebKitGTK, tuned for a small local settings page (the window process only),
//! and the window's first paint, measured.
//!
//! The page is one document from the relay on 127.0.0.1: no video, audio, WebGL,
//! history to go back in, or pages worth caching. WebKit's defaults are a web
//! browser's: a GPU-composited view (under software rendering that is Mesa's
//! llvmpipe and libLLVM mapped into the web process), a browser-sized memory cache
//! and a page cache. So:
//! - no compositing (`WEBKIT_DISABLE_COMPOSITING_MODE`, set before WebKit starts,
//!   by the tray process for the window process ([`super::ENV`]), and the hardware acceleration
//!   policy *never*): the page is drawn in software into a plain surface;
//! - the *document viewer* cache model (the smallest caches), no page cache;
//! - WebGL, WebAudio, media and media streams off.

use webkit2gtk::{
    CacheModel, HardwareAccelerationPolicy, LoadEvent, SettingsExt, WebContextExt, WebView,
    WebViewExt,
};

use super::{now_ms, ASKED_VAR};

/// Apply the settings above to the window's webview.
pub(crate) fn tune(view: &WebView) {
    if let Some(settings) = WebViewExt::settings(view) {
        settings.set_hardware_acceleration_policy(HardwareAccelerationPolicy::Never);
        settings.set_enable_webgl(false);
        settings.set_enable_webaudio(false);
        settings.set_enable_media(false);
        settings.set_enable_media_stream(false);
        settings.set_enable_mediasource(false);
        settings.set_enable_page_cache(false);
    }
    if let Some(context) = view.context() {
        context.set_cache_model(CacheModel::DocumentViewer);
    }
}

/// Log `first paint after N ms` (N since the tray asked for the window) once the
/// page has loaded and WebKit has produced a frame after it: the second animation
/// frame after the load finished is the first one the page's content was on.
pub(crate) fn log_first_paint(view: &WebView) {
    let asked: Option<u128> = std::env::var(ASKED_VAR).ok().and_then(|v| v.parse().ok());
    let measure = move |view: &WebView| {
        let body = "return new Promise(done => requestAnimationFrame(() => requestAnimationFrame(() => done(true))));";
        view.call_async_javascript_function(
            body,
            None,
            None,
            None,
            None::<&webkit2gtk::gio::Cancellable>,
            move |result| {
                if result.is_ok() {
                    match asked {
                        Some(asked) => eprintln!(
                            "saytype window: first paint after {} ms",
                            now_ms().saturating_sub(asked)
                        ),
                        None => eprintln!("saytype window: first paint"),
                    }
                }
            },
        );
    };
    if !view.is_loading() && view.uri().is_some() {
        measure(view);
        return;
    }
    let done = std::cell::Cell::new(false);
    view.connect_load_changed(move |view, event| {
        if event == LoadEvent::Finished && !done.replace(true) {
            measure(view);
        }
    });
}
