//! A minimal blocking GitHub REST client: the dozen calls the review bot makes, nothing more.
//!
//! Built on `ureq` (blocking, rustls; no async runtime). Every list call follows the `link:
//! <…>; rel="next"` header verbatim until the last page. Rate limits are honoured: a `403`/`429`
//! with `retry-after`, or with `x-ratelimit-remaining: 0` and `x-ratelimit-reset`, waits that
//! long (bounded by [`ClientConfig::max_wait`]) and retries; `5xx` is retried with a short
//! back-off. Other errors come back as [`Error::Status`] with GitHub's message and its
//! `errors` (which GitHub sends as strings or as objects). The token is only ever written into
//! the `Authorization` header: it is not part of any URL, error or `Debug` output.

use serde::Deserialize;
use serde_json::Value;
use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The REST API version requested.
pub const API_VERSION: &str = "2022-11-28";

/// Items per page on list calls (GitHub's maximum).
pub const PER_PAGE: usize = 100;

/// Pages followed at most on one list call (100 × 100 items; a PR has at most 3,000 files).
pub const MAX_PAGES: usize = 100;

/// A client error.
#[derive(Debug)]
pub enum Error {
    /// GitHub answered with an error status.
    Status {
        /// HTTP status.
        status: u16,
        /// Method and path (no host, no token).
        request: String,
        /// GitHub's `message`.
        message: String,
        /// GitHub's `errors`, each as text.
        errors: Vec<String>,
    },
    /// The request could not be made or the answer not read.
    Transport {
        /// Method and path.
        request: String,
        /// What went wrong.
        message: String,
    },
    /// A rate limit asks for a longer wait than allowed.
    RateLimited {
        /// Method and path.
        request: String,
        /// Seconds GitHub asked to wait.
        wait_secs: u64,
    },
}

impl Error {
    /// HTTP status, when GitHub answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
    /// Is this GitHub refusing the token's permissions (fork PRs, read-only tokens)?
    pub fn is_forbidden(&self) -> bool {
        matches!(self, Error::Status { status: 403, .. })
            || matches!(self, Error::Status { status: 404, .. })
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Status {
                status,
                request,
                message,
                errors,
            } => {
                write!(f, "GitHub API {request}: {status} {message}")?;
                if !errors.is_empty() {
                    write!(f, " ({})", errors.join("; "))?;
                }
                Ok(())
            }
            Error::Transport { request, message } => write!(f, "GitHub API {request}: {message}"),
            Error::RateLimited { request, wait_secs } => {
                write!(
                    f,
                    "GitHub API {request}: rate limited; GitHub asks to wait {wait_secs}s, longer than accord waits"
                )
            }
        }
    }
}

impl std::error::Error for Error {}

/// Result of a client call.
pub type Result<T> = std::result::Result<T, Error>;

/// How to reach GitHub.
#[derive(Clone)]
pub struct ClientConfig {
    /// API base URL (`https://api.github.com`, `https://host/api/v3`, or a test server).
    pub api_url: String,
    /// Token sent as `Authorization: Bearer`.
    pub token: Option<String>,
    /// Longest single wait for a rate limit before giving up.
    pub max_wait: Duration,
    /// Attempts per request (rate limits and server errors).
    pub attempts: u32,
    /// How to wait (tests record instead of sleeping).
    pub sleep: fn(Duration),
}

impl fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientConfig")
            .field("api_url", &self.api_url)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("max_wait", &self.max_wait)
            .field("attempts", &self.attempts)
            .finish()
    }
}

impl ClientConfig {
    /// Defaults: wait at most 2 minutes for a rate limit, 4 attempts, real sleeping.
    pub fn new(api_url: &str, token: Option<String>) -> Self {
        ClientConfig {
            api_url: api_url.trim_end_matches('/').to_string(),
            token,
            max_wait: Duration::from_secs(120),
            attempts: 4,
            sleep: std::thread::sleep,
        }
    }
}

/// One response.
#[derive(Debug)]
pub struct Response {
    /// HTTP status.
    pub status: u16,
    /// The `link` header's `rel="next"` URL.
    pub next: Option<String>,
    /// Parsed JSON body (`Null` when empty).
    pub body: Value,
}

/// HTTP methods used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// GET.
    Get,
    /// POST.
    Post,
    /// PATCH.
    Patch,
    /// DELETE.
    Delete,
}

impl Method {
    fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }
}

/// The client.
pub struct Client {
    config: ClientConfig,
    agent: ureq::Agent,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("config", &self.config)
            .finish()
    }
}

fn is_loopback(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let host = rest.split(['/', '?']).next().unwrap_or("");
    let host = if host.starts_with('[') {
        host.split(']').next().unwrap_or("").trim_start_matches('[')
    } else {
        host.split(':').next().unwrap_or("")
    };
    host == "localhost" || host == "::1" || host.starts_with("127.")
}

/// The `rel="next"` URL of a `link` header.
pub fn next_link(link: &str) -> Option<String> {
    link.split(',').find_map(|part| {
        let (url, params) = part.split_once(';')?;
        let is_next = params.split(';').any(|p| {
            let p = p.trim();
            p == "rel=\"next\"" || p == "rel=next"
        });
        is_next.then(|| {
            url.trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_string()
        })
    })
}

/// Text of GitHub's `errors` array, whose items are strings or `{resource, code, field, message}`.
fn error_texts(body: &Value) -> Vec<String> {
    body.get("errors")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|e| match e {
                    Value::String(s) => s.clone(),
                    Value::Object(o) => o
                        .get("message")
                        .and_then(Value::as_str)
                        .map(str::to_string)
                        .unwrap_or_else(|| {
                            ["resource", "field", "code"]
                                .iter()
                                .filter_map(|k| o.get(*k).and_then(Value::as_str))
                                .collect::<Vec<_>>()
                                .join(" ")
                        }),
                    other => other.to_string(),
                })
                .collect()
        })
        .unwrap_or_default()
}

impl Client {
    /// A client for `config`. Proxies come from the usual environment variables, except for
    /// loopback API URLs (tests, local forwarding), which are always reached directly.
    pub fn new(config: ClientConfig) -> Self {
        let mut b = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .user_agent(format!("accord/{}", env!("CARGO_PKG_VERSION")))
            .timeout_global(Some(Duration::from_secs(60)));
        if is_loopback(&config.api_url) {
            b = b.proxy(None);
        }
        Client {
            config,
            agent: b.build().into(),
        }
    }

    /// The API base URL.
    pub fn api_url(&self) -> &str {
        &self.config.api_url
    }

    fn describe(method: Method, url: &str) -> String {
        let path = url
            .split_once("://")
            .map_or(url, |(_, r)| r.find('/').map_or("/", |i| &r[i..]));
        format!("{} {}", method.as_str(), path)
    }

    fn send_once(
        &self,
        method: Method,
        url: &str,
        body: Option<&Value>,
    ) -> std::result::Result<ureq::http::Response<ureq::Body>, ureq::Error> {
        let auth = self.config.token.as_ref().map(|t| format!("Bearer {t}"));
        macro_rules! headers {
            ($req:expr) => {{
                let mut r = $req
                    .header("Accept", "application/vnd.github+json")
                    .header("X-GitHub-Api-Version", API_VERSION);
                if let Some(a) = &auth {
                    r = r.header("Authorization", a.as_str());
                }
                r
            }};
        }
        match method {
            Method::Get => headers!(self.agent.get(url)).call(),
            Method::Delete => headers!(self.agent.delete(url)).call(),
            Method::Post | Method::Patch => {
                let req = if method == Method::Post {
                    self.agent.post(url)
                } else {
                    self.agent.patch(url)
                };
                let text = body.map(Value::to_string).unwrap_or_else(|| "{}".into());
                headers!(req)
                    .content_type("application/json")
                    .send(text.as_str())
            }
        }
    }

    /// Seconds to wait before retrying a rate-limited answer, if it is one.
    fn rate_limit_wait(status: u16, headers: &ureq::http::HeaderMap, body: &Value) -> Option<u64> {
        if status != 403 && status != 429 {
            return None;
        }
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
        };
        if let Some(secs) = header("retry-after").and_then(|v| v.parse::<u64>().ok()) {
            return Some(secs);
        }
        if header("x-ratelimit-remaining") == Some("0") {
            let reset = header("x-ratelimit-reset")
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0);
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0);
            return Some(reset.saturating_sub(now) + 1);
        }
        let msg = body
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_ascii_lowercase();
        if status == 429 || msg.contains("rate limit") || msg.contains("abuse") {
            return Some(60);
        }
        None
    }

    /// Make one request, retrying rate limits and server errors.
    pub fn request(&self, method: Method, url: &str, body: Option<&Value>) -> Result<Response> {
        let what = Self::describe(method, url);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut resp = match self.send_once(method, url, body) {
                Ok(r) => r,
                Err(e) => {
                    if attempt < self.config.attempts
                        && matches!(
                            e,
                            ureq::Error::Io(_)
                                | ureq::Error::ConnectionFailed
                                | ureq::Error::Timeout(_)
                        )
                    {
                        (self.config.sleep)(Duration::from_secs(1 << (attempt - 1)));
                        continue;
                    }
                    return Err(Error::Transport {
                        request: what,
                        message: e.to_string(),
                    });
                }
            };
            let status = resp.status().as_u16();
            let headers = resp.headers().clone();
            let text = resp
                .body_mut()
                .read_to_string()
                .map_err(|e| Error::Transport {
                    request: what.clone(),
                    message: e.to_string(),
                })?;
            let json: Value = if text.trim().is_empty() {
                Value::Null
            } else {
                serde_json::from_str(&text).unwrap_or(Value::String(text))
            };
            if let Some(wait) = Self::rate_limit_wait(status, &headers, &json) {
                if Duration::from_secs(wait) > self.config.max_wait {
                    return Err(Error::RateLimited {
                        request: what,
                        wait_secs: wait,
                    });
                }
                if attempt < self.config.attempts {
                    (self.config.sleep)(Duration::from_secs(wait));
                    continue;
                }
            }
            if (500..600).contains(&status) && attempt < self.config.attempts {
                (self.config.sleep)(Duration::from_secs(1 << (attempt - 1)));
                continue;
            }
            if !(200..300).contains(&status) {
                let message = json
                    .get("message")
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .unwrap_or_else(|| match &json {
                        Value::String(s) => s.chars().take(200).collect(),
                        _ => String::new(),
                    });
                return Err(Error::Status {
                    status,
                    request: what,
                    message,
                    errors: error_texts(&json),
                });
            }
            let next = headers
                .get("link")
                .and_then(|v| v.to_str().ok())
                .and_then(next_link);
            return Ok(Response {
                status,
                next,
                body: json,
            });
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.config.api_url)
    }

    /// Every item of a paginated list endpoint (`path` without query string).
    pub fn list(&self, path: &str) -> Result<Vec<Value>> {
        let mut url = Some(self.url(&format!("{path}?per_page={PER_PAGE}")));
        let mut out = Vec::new();
        let mut pages = 0;
        while let Some(u) = url {
            pages += 1;
            let r = self.request(Method::Get, &u, None)?;
            match r.body {
                Value::Array(items) => out.extend(items),
                other => {
                    return Err(Error::Transport {
                        request: Self::describe(Method::Get, &u),
                        message: format!("expected a JSON array, got {}", kind(&other)),
                    });
                }
            }
            url = r.next.filter(|_| pages < MAX_PAGES);
        }
        Ok(out)
    }

    /// Files of a pull request, with their patches.
    pub fn pull_files(&self, repo: &str, number: u64) -> Result<Vec<PullFile>> {
        typed(
            self.list(&format!("/repos/{repo}/pulls/{number}/files"))?,
            "pull request file",
        )
    }

    /// Review comments (inline) of a pull request.
    pub fn review_comments(&self, repo: &str, number: u64) -> Result<Vec<Comment>> {
        typed(
            self.list(&format!("/repos/{repo}/pulls/{number}/comments"))?,
            "review comment",
        )
    }

    /// Conversation comments of a pull request.
    pub fn issue_comments(&self, repo: &str, number: u64) -> Result<Vec<Comment>> {
        typed(
            self.list(&format!("/repos/{repo}/issues/{number}/comments"))?,
            "issue comment",
        )
    }

    /// Create a review (`event: COMMENT`) with inline comments.
    pub fn create_review(&self, repo: &str, number: u64, review: &Value) -> Result<Value> {
        Ok(self
            .request(
                Method::Post,
                &self.url(&format!("/repos/{repo}/pulls/{number}/reviews")),
                Some(review),
            )?
            .body)
    }

    /// Create one inline review comment.
    pub fn create_review_comment(&self, repo: &str, number: u64, comment: &Value) -> Result<Value> {
        Ok(self
            .request(
                Method::Post,
                &self.url(&format!("/repos/{repo}/pulls/{number}/comments")),
                Some(comment),
            )?
            .body)
    }

    /// Create a conversation comment.
    pub fn create_issue_comment(&self, repo: &str, number: u64, body: &str) -> Result<Value> {
        Ok(self
            .request(
                Method::Post,
                &self.url(&format!("/repos/{repo}/issues/{number}/comments")),
                Some(&serde_json::json!({ "body": body })),
            )?
            .body)
    }

    /// Replace the body of a conversation comment.
    pub fn update_issue_comment(&self, repo: &str, id: u64, body: &str) -> Result<Value> {
        Ok(self
            .request(
                Method::Patch,
                &self.url(&format!("/repos/{repo}/issues/comments/{id}")),
                Some(&serde_json::json!({ "body": body })),
            )?
            .body)
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "nothing",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn typed<T: for<'de> Deserialize<'de>>(items: Vec<Value>, what: &str) -> Result<Vec<T>> {
    items
        .into_iter()
        .map(|v| {
            serde_json::from_value(v).map_err(|e| Error::Transport {
                request: what.to_string(),
                message: format!("unexpected {what}: {e}"),
            })
        })
        .collect()
}

/// An item of `GET /pulls/{n}/files`.
#[derive(Debug, Clone, Deserialize)]
pub struct PullFile {
    /// Path in the head commit.
    pub filename: String,
    /// `added`, `removed`, `modified`, `renamed`, …
    #[serde(default)]
    pub status: String,
    /// Unified diff hunks; absent for binary or very large diffs.
    #[serde(default)]
    pub patch: Option<String>,
    /// Path before a rename.
    #[serde(default)]
    pub previous_filename: Option<String>,
}

/// The author of a comment.
#[derive(Debug, Clone, Deserialize, Default)]
pub struct User {
    /// Login (`github-actions[bot]` for the Actions token).
    #[serde(default)]
    pub login: String,
    /// `User` or `Bot`.
    #[serde(default, rename = "type")]
    pub kind: String,
}

/// A review or conversation comment (fields accord reads).
#[derive(Debug, Clone, Deserialize)]
pub struct Comment {
    /// Comment id.
    pub id: u64,
    /// Markdown body.
    #[serde(default)]
    pub body: Option<String>,
    /// File (review comments).
    #[serde(default)]
    pub path: Option<String>,
    /// Line (review comments; `null` when outdated).
    #[serde(default)]
    pub line: Option<u64>,
    /// Author.
    #[serde(default)]
    pub user: Option<User>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::TcpListener;
    use std::sync::{Arc, Mutex};

    /// A loopback server answering each connection with the next canned response and
    /// recording the request line, headers and body.
    fn serve(responses: Vec<String>) -> (String, Arc<Mutex<Vec<String>>>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        let base_in = base.clone();
        std::thread::spawn(move || {
            for resp in responses {
                let Ok((stream, _)) = listener.accept() else {
                    return;
                };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut head = String::new();
                let mut len = 0;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        len = v.trim().parse().unwrap_or(0);
                    }
                    head.push_str(&line);
                }
                let mut body = vec![0; len];
                reader.read_exact(&mut body).unwrap();
                log.lock()
                    .unwrap()
                    .push(format!("{head}\n{}", String::from_utf8_lossy(&body)));
                let mut s = stream;
                let resp = resp.replace("{BASE}", &base_in);
                let (h, b) = resp.split_once("\n\n").unwrap_or((&resp, ""));
                let _ = write!(
                    s,
                    "HTTP/1.1 {h}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{b}",
                    b.len()
                );
            }
        });
        (base, seen)
    }

    fn client(base: &str) -> Client {
        let mut c = ClientConfig::new(base, Some("s3cr3t-token".into()));
        c.sleep = |d| WAITS.with(|w| w.borrow_mut().push(d.as_secs()));
        Client::new(c)
    }

    thread_local! {
        static WAITS: std::cell::RefCell<Vec<u64>> = const { std::cell::RefCell::new(Vec::new()) };
    }

    #[test]
    fn follows_link_headers_and_sends_the_standard_headers() {
        let (base, seen) = serve(vec![
            "200 OK\r\nlink: <{BASE}/repos/o/r/pulls/1/files?per_page=100&page=2>; rel=\"next\", <{BASE}/x?page=2>; rel=\"last\"\n\n[{\"filename\":\"a.yaml\",\"patch\":\"@@ -1 +1 @@\\n-a\\n+b\"}]".into(),
            "200 OK\n\n[{\"filename\":\"b.yaml\"}]".into(),
        ]);
        let files = client(&base).pull_files("o/r", 1).unwrap();
        assert_eq!(
            files
                .iter()
                .map(|f| f.filename.as_str())
                .collect::<Vec<_>>(),
            vec!["a.yaml", "b.yaml"]
        );
        assert!(files[1].patch.is_none());
        let seen = seen.lock().unwrap();
        assert!(
            seen[0].starts_with("GET /repos/o/r/pulls/1/files?per_page=100 HTTP/1.1"),
            "{}",
            seen[0]
        );
        assert!(seen[1].starts_with("GET /repos/o/r/pulls/1/files?per_page=100&page=2 HTTP/1.1"));
        let lower = seen[0].to_ascii_lowercase();
        assert!(lower.contains("authorization: bearer s3cr3t-token"));
        assert!(lower.contains("x-github-api-version: 2022-11-28"));
        assert!(lower.contains("accept: application/vnd.github+json"));
        assert!(lower.contains("user-agent: accord/"));
    }

    #[test]
    fn waits_for_rate_limits_and_retries_server_errors() {
        let (base, seen) = serve(vec![
            "403 Forbidden\r\nretry-after: 3\n\n{\"message\":\"You have exceeded a secondary rate limit\"}".into(),
            "502 Bad Gateway\n\n".into(),
            "201 Created\n\n{\"id\":7}".into(),
        ]);
        WAITS.with(|w| w.borrow_mut().clear());
        let v = client(&base).create_issue_comment("o/r", 1, "hi").unwrap();
        assert_eq!(v["id"], 7);
        assert_eq!(seen.lock().unwrap().len(), 3);
        assert_eq!(WAITS.with(|w| w.borrow().clone()), vec![3, 2]);
        assert!(seen.lock().unwrap()[0].ends_with("\n{\"body\":\"hi\"}"));
    }

    #[test]
    fn primary_rate_limit_waits_until_reset_within_bounds() {
        let reset = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs()
            + 5;
        let (base, _) = serve(vec![
            format!(
                "429 Too Many Requests\r\nx-ratelimit-remaining: 0\r\nx-ratelimit-reset: {reset}\n\n{{\"message\":\"API rate limit exceeded\"}}"
            ),
            "200 OK\n\n[]".into(),
        ]);
        WAITS.with(|w| w.borrow_mut().clear());
        assert!(client(&base).issue_comments("o/r", 1).unwrap().is_empty());
        let waits = WAITS.with(|w| w.borrow().clone());
        assert_eq!(waits.len(), 1);
        assert!((4..=7).contains(&waits[0]), "{waits:?}");
        // Too long a wait is an error, not a hang.
        let (base, _) = serve(vec![
            "429 Too Many Requests\r\nretry-after: 3600\n\n{}".into(),
        ]);
        let err = client(&base).issue_comments("o/r", 1).unwrap_err();
        assert!(
            matches!(
                err,
                Error::RateLimited {
                    wait_secs: 3600,
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn errors_carry_github_messages_but_never_the_token() {
        let (base, _) = serve(vec![
            "422 Unprocessable Entity\n\n{\"message\":\"Unprocessable Entity\",\"errors\":[\"Line could not be resolved\"]}".into(),
            "422 Unprocessable Entity\n\n{\"message\":\"Validation Failed\",\"errors\":[{\"resource\":\"IssueComment\",\"code\":\"custom\",\"field\":\"body\",\"message\":\"body is too long (maximum is 65536 characters)\"}]}".into(),
            "403 Forbidden\n\n{\"message\":\"Resource not accessible by integration\"}".into(),
        ]);
        let c = client(&base);
        let e = c
            .create_review("o/r", 1, &serde_json::json!({}))
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "GitHub API POST /repos/o/r/pulls/1/reviews: 422 Unprocessable Entity (Line could not be resolved)"
        );
        let e = c.create_issue_comment("o/r", 1, "x").unwrap_err();
        assert!(
            e.to_string()
                .ends_with("(body is too long (maximum is 65536 characters))"),
            "{e}"
        );
        let e = c.update_issue_comment("o/r", 9, "x").unwrap_err();
        assert!(e.is_forbidden());
        for text in [e.to_string(), format!("{e:?}"), format!("{c:?}")] {
            assert!(!text.contains("s3cr3t"), "{text}");
        }
    }

    #[test]
    fn link_parsing_and_loopback_detection() {
        assert_eq!(
            next_link("<https://a/x?page=2>; rel=\"next\", <https://a/x?page=5>; rel=\"last\"")
                .as_deref(),
            Some("https://a/x?page=2")
        );
        assert_eq!(
            next_link("<https://a/x?page=1>; rel=\"prev\"").as_deref(),
            None
        );
        assert!(is_loopback("http://127.0.0.1:8080/api"));
        assert!(is_loopback("http://localhost"));
        assert!(is_loopback("http://[::1]:9/"));
        assert!(!is_loopback("https://api.github.com"));
    }
}
