//! The local Playground over HTTP, on loopback: the two requests a Run
//! button makes of play.rust-lang.org.
//!
//! - `POST /meta/crates` lists the crates a program may use.
//! - `POST /evaluate.json` takes `{version, optimize, code, edition}` and
//!   answers `{"result": stdout, "error": null}`, or the compiler's or
//!   the program's stderr as both `result` and `error` when it fails.
//!
//! Who may post is the [`Guard`]'s to say. A guarded server checks each
//! request itself, before it compiles anything: a browser's CORS rules
//! only keep another site from *reading* an answer, not from sending a
//! request that runs a program.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{Context, Result};
use axum::body::Bytes;
use axum::extract::{Json, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde::Deserialize;
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::playground::{Evaluation, Playground};

/// The header that carries the served book's token.
pub const TOKEN_HEADER: &str = "x-book-run-token";

/// Who may have a program run.
#[derive(Debug, Clone)]
pub enum Guard {
    /// Any page, as with the real Playground: for the tests, whose browser
    /// sends only the book's pages here.
    Open,
    /// Only the book's own pages: a request must come from one of
    /// `origins` (its `Origin` header, which a browser sets and a page
    /// cannot) and carry `token`, which only the served pages hold. One
    /// program runs at a time.
    BookOnly { origins: Vec<String>, token: String },
}

/// A token no other page can guess: 128 bits from the kernel's random
/// source, in hex.
pub fn new_token() -> Result<String> {
    let mut bytes = [0u8; 16];
    // SAFETY: `bytes` is valid for the kernel to write its length.
    let filled =
        unsafe { libc::getrandom(bytes.as_mut_ptr().cast(), bytes.len(), 0) };
    if filled != bytes.len() as isize {
        return Err(std::io::Error::last_os_error())
            .context("reading random bytes for the token");
    }
    Ok(bytes.iter().map(|byte| format!("{byte:02x}")).collect())
}

/// The running server, stopped when dropped.
pub struct Server {
    pub address: SocketAddr,
    refused: Arc<AtomicUsize>,
    task: JoinHandle<()>,
}

impl Server {
    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// How many requests the guard has refused so far.
    pub fn refused(&self) -> usize {
        self.refused.load(Ordering::SeqCst)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

struct Served {
    playground: Arc<Playground>,
    guard: Guard,
    refused: Arc<AtomicUsize>,
    /// For a guarded server, one run at a time.
    turn: Option<Semaphore>,
}

/// What a Run button posts; `version` and `optimize` do not matter here.
#[derive(Debug, Deserialize)]
struct EvaluateRequest {
    code: String,
    edition: String,
}

/// Serves `playground` on `listener` (a loopback address), on the current
/// tokio runtime, until the returned server is dropped.
pub fn serve(
    playground: Arc<Playground>,
    listener: std::net::TcpListener,
    guard: Guard,
) -> Result<Server> {
    let address = listener.local_addr()?;
    anyhow::ensure!(
        address.ip().is_loopback(),
        "the local Playground listens on loopback only, not on {address}"
    );
    listener.set_nonblocking(true)?;
    let listener = tokio::net::TcpListener::from_std(listener)?;
    let cors = match &guard {
        // Pages post from the book's origin, as they do to the real
        // Playground, which allows any.
        Guard::Open => CorsLayer::permissive(),
        Guard::BookOnly { origins, .. } => {
            let origins = origins
                .iter()
                .map(|origin| HeaderValue::from_str(origin))
                .collect::<Result<Vec<_>, _>>()?;
            CorsLayer::new()
                .allow_origin(AllowOrigin::list(origins))
                .allow_methods([Method::POST])
                .allow_headers([
                    axum::http::header::CONTENT_TYPE,
                    HeaderName::from_static(TOKEN_HEADER),
                ])
        }
    };
    let refused = Arc::new(AtomicUsize::new(0));
    let served = Arc::new(Served {
        playground,
        turn: matches!(guard, Guard::BookOnly { .. })
            .then(|| Semaphore::new(1)),
        guard,
        refused: Arc::clone(&refused),
    });
    let app = axum::Router::new()
        .route("/meta/crates", post(crates))
        .route("/evaluate.json", post(evaluate))
        .layer(cors)
        .with_state(served);
    let task = tokio::spawn(async move {
        axum::serve(listener, app)
            .await
            .expect("the local Playground serves");
    });
    Ok(Server {
        address,
        refused,
        task,
    })
}

/// Serves `playground` on `listener` from a thread of its own, with a
/// runtime of its own, for as long as this process lives: for a command
/// whose main thread has other work (`cargo book serve` runs mdBook).
pub fn serve_in_background(
    playground: Arc<Playground>,
    listener: std::net::TcpListener,
    guard: Guard,
) -> Result<SocketAddr> {
    let address = listener.local_addr()?;
    let runtime = tokio::runtime::Runtime::new()?;
    let server = {
        let _entered = runtime.enter();
        serve(playground, listener, guard)?
    };
    std::thread::spawn(move || {
        runtime.block_on(std::future::pending::<()>());
        drop(server);
    });
    Ok(address)
}

async fn crates(
    State(served): State<Arc<Served>>,
    headers: HeaderMap,
) -> Response {
    if let Err(why) = served.admit(&headers) {
        return refused(why);
    }
    Json(served.playground.crates().clone()).into_response()
}

async fn evaluate(
    State(served): State<Arc<Served>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    // The guard first: whatever a refused request sends is not even read.
    if let Err(why) = served.admit(&headers) {
        return refused(why);
    }
    let request: EvaluateRequest = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(error) => {
            let answer =
                Evaluation::failure(format!("not a Run request: {error}"));
            return (StatusCode::BAD_REQUEST, Json(answer)).into_response();
        }
    };
    let _turn = match &served.turn {
        Some(turn) => Some(turn.acquire().await.expect("never closed")),
        None => None,
    };
    let playground = Arc::clone(&served.playground);
    // Compiling and running block; programs run side by side.
    let evaluation = tokio::task::spawn_blocking(move || {
        playground.evaluate(&request.code, &request.edition)
    })
    .await
    .expect("evaluating does not panic");
    Json(evaluation).into_response()
}

impl Served {
    /// Lets the request through, or says why not (and counts it).
    fn admit(&self, headers: &HeaderMap) -> Result<(), String> {
        let Guard::BookOnly { origins, token } = &self.guard else {
            return Ok(());
        };
        let header = |name: &str| {
            headers.get(name).and_then(|value| value.to_str().ok())
        };
        let why = match (header("origin"), header(TOKEN_HEADER)) {
            (Some(origin), _) if !origins.iter().any(|o| o == origin) => {
                format!("refused: a page of {origin} is not the book")
            }
            (None, _) => "refused: no Origin, so no page of the book".into(),
            (_, Some(sent)) if sent == token => return Ok(()),
            _ => "refused: the request carries no token of this book".into(),
        };
        self.refused.fetch_add(1, Ordering::SeqCst);
        Err(why)
    }
}

/// 403, with the reason where a page shows a result.
fn refused(why: String) -> Response {
    let answer = Evaluation::failure(why);
    (StatusCode::FORBIDDEN, Json(answer)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Limits;
    use book_tools::programs;

    const BOOK: &str = "http://127.0.0.1:3000";

    /// Posts `body` to `path` of `server` with `headers`, over a plain
    /// socket: the status and the body of the answer.
    fn post(
        server: &Server,
        path: &str,
        headers: &[(&str, &str)],
    ) -> (u16, String) {
        use std::io::{Read, Write};
        let body = r#"{"version":"stable","optimize":"0","code":"fn main() { println!(\"ran\") }","edition":"2024"}"#;
        let mut request = format!(
            "POST {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\
             Content-Length: {}\r\n",
            server.address,
            body.len()
        );
        let typed = headers.iter().any(|(name, _)| name == &"Content-Type");
        if !typed {
            request += "Content-Type: application/json\r\n";
        }
        for (name, value) in headers {
            request += &format!("{name}: {value}\r\n");
        }
        request += "\r\n";
        request += body;
        let mut stream = std::net::TcpStream::connect(server.address).unwrap();
        stream.write_all(request.as_bytes()).unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        let status = answer[9..12].parse().unwrap();
        let body = answer.split_once("\r\n\r\n").unwrap().1.to_owned();
        (status, body)
    }

    /// A playground as `cargo book serve` has it, with a cache of its own.
    fn local_playground() -> (tempfile::TempDir, Arc<Playground>) {
        let cache = tempfile::tempdir().unwrap();
        let built = programs::built();
        let playground =
            Playground::new(built, cache.path(), Limits::THIS_MACHINE);
        (cache, Arc::new(playground))
    }

    #[test]
    fn a_guarded_server_runs_only_what_the_books_pages_send() {
        let (cache, playground) = local_playground();
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let _entered = runtime.enter();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let guard = Guard::BookOnly {
            origins: vec![BOOK.into()],
            token: "secret".into(),
        };
        let server = serve(playground, listener, guard).unwrap();
        let refusals = [
            (
                vec![
                    ("Origin", "http://evil.example"),
                    (TOKEN_HEADER, "secret"),
                ],
                "is not the book",
            ),
            (vec![(TOKEN_HEADER, "secret")], "no Origin"),
            (vec![("Origin", BOOK)], "no token"),
            (vec![("Origin", BOOK), (TOKEN_HEADER, "guess")], "no token"),
            // A form or a `no-cors` fetch of another site: no preflight.
            (
                vec![
                    ("Origin", "http://evil.example"),
                    ("Content-Type", "text/plain"),
                ],
                "is not the book",
            ),
        ];
        for (headers, why) in &refusals {
            let (status, body) = post(&server, "/evaluate.json", headers);
            assert_eq!(status, 403, "{headers:?}: {body}");
            assert!(body.contains(why), "{headers:?}: {body}");
        }
        assert_eq!(server.refused(), refusals.len());
        // Nothing was compiled for them.
        assert_eq!(std::fs::read_dir(cache.path()).unwrap().count(), 0);

        let book = [("Origin", BOOK), (TOKEN_HEADER, "secret")];
        let (status, body) = post(&server, "/evaluate.json", &book);
        assert_eq!(
            (status, body.as_str()),
            (200, r#"{"result":"ran\n","error":null}"#)
        );
    }

    #[test]
    fn the_local_playground_listens_on_loopback_only() {
        let (cache, playground) = local_playground();
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let _entered = runtime.enter();
        let listener = std::net::TcpListener::bind("0.0.0.0:0").unwrap();
        let served = serve(playground, listener, Guard::Open);
        drop(cache);
        assert!(served.is_err());
    }

    #[test]
    fn tokens_differ() {
        let (a, b) = (new_token().unwrap(), new_token().unwrap());
        assert_eq!(a.len(), 32);
        assert_ne!(a, b);
    }
}
