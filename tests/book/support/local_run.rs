//! Where the test book's pages run the programs the Playground cannot run:
//! the book is built as `cargo book serve` builds it, its pages pointed at
//! a local Playground on an address taken before the build, with a token
//! of this test run. The browser then meets the guarded server a reader's
//! browser meets (`browser.rs` serves it on [`LocalRunPlace::listener`]).

use std::net::TcpListener;
use std::sync::{Mutex, OnceLock};

use book_tools::local_run::setting_env;

pub struct LocalRunPlace {
    /// The address, taken now and served once the browser starts.
    listener: Mutex<Option<TcpListener>>,
    pub url: String,
    pub token: String,
}

/// The one place of this test process.
pub fn place() -> &'static LocalRunPlace {
    static PLACE: OnceLock<LocalRunPlace> = OnceLock::new();
    PLACE.get_or_init(|| {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        LocalRunPlace {
            listener: Mutex::new(Some(listener)),
            url,
            token: book_playground::new_token().unwrap(),
        }
    })
}

impl LocalRunPlace {
    /// The environment variable through which mdBook gives the
    /// preprocessor the setting, and its value, as `cargo book serve` sets
    /// them.
    pub fn mdbook_env(&self) -> (String, String) {
        setting_env(&self.url, &self.token)
    }

    /// The reserved address, to serve on; once.
    pub fn listener(&self) -> TcpListener {
        let taken = self.listener.lock().unwrap().take();
        taken.expect("the local Playground's address is served once")
    }
}
