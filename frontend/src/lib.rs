//! Hydrates the pages the server rendered; all UI code lives in `app`.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
    // Lets tests (and curious people) know the page is interactive now.
    let _ = js_sys::Reflect::set(
        &js_sys::global(),
        &"__GATEHOUSE_HYDRATED__".into(),
        &true.into(),
    );
}
