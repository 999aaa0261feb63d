//! A fake GitHub REST API on 127.0.0.1 for end-to-end tests: the endpoints the review bot
//! uses, with state (comments persist between runs), pagination through `link` headers, GitHub's
//! 422 for review comments off the diff, and a switch that makes every write a 403 (what a fork
//! PR's read-only token gets). Every request is recorded for assertions.

#![allow(dead_code)]

use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    /// Path with query string.
    pub path: String,
    /// Lower-cased header names.
    pub headers: Vec<(String, String)>,
    pub body: Value,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Default)]
struct State {
    repo: String,
    number: u64,
    files: Vec<Value>,
    page_size: usize,
    review_comments: Vec<Value>,
    issue_comments: Vec<Value>,
    reviews: Vec<Value>,
    next_id: u64,
    forbid_writes: bool,
    rejected_lines: Vec<u64>,
    requests: Vec<Request>,
}

/// The server handle.
#[derive(Clone)]
pub struct FakeGitHub {
    pub base: String,
    state: Arc<Mutex<State>>,
}

/// RIGHT-side line ranges of a GitHub `patch` (independent of accord's own parser).
fn right_ranges(patch: &str) -> Vec<(u64, u64)> {
    let mut out: Vec<(u64, u64)> = Vec::new();
    let mut line = 0u64;
    let mut in_hunk = false;
    for l in patch.split('\n') {
        if l.starts_with("@@") {
            let plus = l.split(' ').find(|t| t.starts_with('+')).unwrap();
            line = plus[1..].split(',').next().unwrap().parse().unwrap();
            out.push((line, line.saturating_sub(1)));
            in_hunk = true;
        } else if in_hunk && (l.starts_with(' ') || l.starts_with('+')) {
            out.last_mut().unwrap().1 = line;
            line += 1;
        }
    }
    out.into_iter().filter(|(s, e)| e >= s).collect()
}

impl FakeGitHub {
    /// Start serving PR `number` of `repo` with these `/files` items.
    pub fn start(repo: &str, number: u64, files: Vec<Value>) -> FakeGitHub {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(State {
            repo: repo.into(),
            number,
            files,
            page_size: 100,
            next_id: 1000,
            ..State::default()
        }));
        let server = FakeGitHub { base, state };
        let s = server.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                let _ = s.serve(stream);
            }
        });
        server
    }

    /// Items per page on list endpoints (to exercise pagination).
    pub fn set_page_size(&self, n: usize) {
        self.state.lock().unwrap().page_size = n;
    }

    /// Make every POST/PATCH answer 403 "Resource not accessible by integration".
    pub fn forbid_writes(&self, on: bool) {
        self.state.lock().unwrap().forbid_writes = on;
    }

    /// Answer 422 "Line could not be resolved" for comments on this line.
    pub fn reject_line(&self, line: u64) {
        self.state.lock().unwrap().rejected_lines.push(line);
    }

    pub fn requests(&self) -> Vec<Request> {
        self.state.lock().unwrap().requests.clone()
    }

    pub fn clear_requests(&self) {
        self.state.lock().unwrap().requests.clear();
    }

    pub fn review_comments(&self) -> Vec<Value> {
        self.state.lock().unwrap().review_comments.clone()
    }

    pub fn issue_comments(&self) -> Vec<Value> {
        self.state.lock().unwrap().issue_comments.clone()
    }

    pub fn reviews(&self) -> Vec<Value> {
        self.state.lock().unwrap().reviews.clone()
    }

    /// Seed a comment someone else wrote.
    pub fn add_issue_comment(&self, body: &str, login: &str) {
        let mut st = self.state.lock().unwrap();
        st.next_id += 1;
        let id = st.next_id;
        st.issue_comments
            .push(json!({"id": id, "body": body, "user": {"login": login, "type": "User"}}));
    }

    fn serve(&self, stream: TcpStream) -> std::io::Result<()> {
        let mut reader = BufReader::new(stream.try_clone()?);
        let mut first = String::new();
        reader.read_line(&mut first)?;
        let mut parts = first.split_whitespace();
        let method = parts.next().unwrap_or("").to_string();
        let path = parts.next().unwrap_or("").to_string();
        let mut headers = Vec::new();
        let mut len = 0;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line)? == 0 || line == "\r\n" {
                break;
            }
            if let Some((k, v)) = line.trim_end().split_once(':') {
                let k = k.trim().to_ascii_lowercase();
                let v = v.trim().to_string();
                if k == "content-length" {
                    len = v.parse().unwrap_or(0);
                }
                headers.push((k, v));
            }
        }
        let mut body = vec![0; len];
        reader.read_exact(&mut body)?;
        let body: Value = if body.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&body).unwrap_or(Value::Null)
        };
        let req = Request {
            method,
            path,
            headers,
            body,
        };
        let (status, extra, resp) = self.route(&req);
        self.state.lock().unwrap().requests.push(req);
        let text = resp.to_string();
        let mut s = stream;
        write!(
            s,
            "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n{extra}\r\n{text}",
            text.len()
        )?;
        s.flush()
    }

    fn page(&self, items: &[Value], path: &str, page_size: usize) -> (String, String, Value) {
        let (route, query) = path.split_once('?').unwrap_or((path, ""));
        let page: usize = query
            .split('&')
            .find_map(|kv| kv.strip_prefix("page="))
            .and_then(|p| p.parse().ok())
            .unwrap_or(1);
        let chunk: Vec<Value> = items
            .iter()
            .skip((page - 1) * page_size)
            .take(page_size)
            .cloned()
            .collect();
        let mut link = String::new();
        if page * page_size < items.len() {
            let last = items.len().div_ceil(page_size);
            link = format!(
                "link: <{b}{route}?per_page=100&page={}>; rel=\"next\", <{b}{route}?per_page=100&page={last}>; rel=\"last\"\r\n",
                page + 1,
                b = self.base
            );
        }
        ("200 OK".into(), link, Value::Array(chunk))
    }

    fn route(&self, req: &Request) -> (String, String, Value) {
        let mut st = self.state.lock().unwrap();
        let prefix = format!("/repos/{}", st.repo);
        let n = st.number;
        let route = req.path.split('?').next().unwrap_or("").to_string();
        let Some(rest) = route.strip_prefix(&prefix) else {
            return (
                "404 Not Found".into(),
                String::new(),
                json!({"message": "Not Found"}),
            );
        };
        let write = req.method == "POST" || req.method == "PATCH";
        if write && st.forbid_writes {
            return (
                "403 Forbidden".into(),
                String::new(),
                json!({"message": "Resource not accessible by integration", "documentation_url": "https://docs.github.com/rest"}),
            );
        }
        let bot = json!({"login": "github-actions[bot]", "type": "Bot"});
        let ps = st.page_size;
        match (req.method.as_str(), rest) {
            ("GET", r) if r == format!("/pulls/{n}/files") => {
                let items = st.files.clone();
                drop(st);
                self.page(&items, &req.path, ps)
            }
            ("GET", r) if r == format!("/pulls/{n}/comments") => {
                let items = st.review_comments.clone();
                drop(st);
                self.page(&items, &req.path, ps)
            }
            ("GET", r) if r == format!("/issues/{n}/comments") => {
                let items = st.issue_comments.clone();
                drop(st);
                self.page(&items, &req.path, ps)
            }
            ("POST", r)
                if r == format!("/pulls/{n}/reviews") || r == format!("/pulls/{n}/comments") =>
            {
                let single = r.ends_with("/comments");
                let comments: Vec<Value> = if single {
                    vec![req.body.clone()]
                } else {
                    req.body["comments"].as_array().cloned().unwrap_or_default()
                };
                // GitHub rejects the whole request when one comment is off the diff.
                for c in &comments {
                    let path = c["path"].as_str().unwrap_or("");
                    let line = c["line"].as_u64().unwrap_or(0);
                    let start = c["start_line"].as_u64().unwrap_or(line);
                    let patch = st
                        .files
                        .iter()
                        .find(|f| f["filename"] == path)
                        .and_then(|f| f["patch"].as_str())
                        .unwrap_or("");
                    let ok = right_ranges(patch)
                        .iter()
                        .any(|(s, e)| *s <= start && line <= *e);
                    if !ok || c["side"] != "RIGHT" || st.rejected_lines.contains(&line) {
                        return (
                            "422 Unprocessable Entity".into(),
                            String::new(),
                            json!({"message": "Unprocessable Entity", "errors": ["Line could not be resolved"]}),
                        );
                    }
                }
                st.next_id += 1;
                let review_id = st.next_id;
                for c in comments {
                    st.next_id += 1;
                    let id = st.next_id;
                    st.review_comments.push(json!({
                        "id": id, "pull_request_review_id": review_id, "path": c["path"], "line": c["line"],
                        "start_line": c["start_line"], "side": "RIGHT", "body": c["body"], "user": bot,
                    }));
                }
                if !single {
                    st.reviews.push(req.body.clone());
                }
                (
                    "200 OK".into(),
                    String::new(),
                    json!({"id": review_id, "state": "COMMENTED"}),
                )
            }
            ("POST", r) if r == format!("/issues/{n}/comments") => {
                st.next_id += 1;
                let c = json!({"id": st.next_id, "body": req.body["body"], "user": bot});
                st.issue_comments.push(c.clone());
                ("201 Created".into(), String::new(), c)
            }
            ("PATCH", r) if r.starts_with("/issues/comments/") => {
                let id: u64 = r
                    .trim_start_matches("/issues/comments/")
                    .parse()
                    .unwrap_or(0);
                match st.issue_comments.iter_mut().find(|c| c["id"] == id) {
                    Some(c) => {
                        c["body"] = req.body["body"].clone();
                        let c = c.clone();
                        ("200 OK".into(), String::new(), c)
                    }
                    None => (
                        "404 Not Found".into(),
                        String::new(),
                        json!({"message": "Not Found"}),
                    ),
                }
            }
            _ => (
                "404 Not Found".into(),
                String::new(),
                json!({"message": "Not Found"}),
            ),
        }
    }
}
