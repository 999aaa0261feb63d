//! Source files, byte spans and line/column lookup.
//!
//! Everything that points into an input file uses a [`Span`] of byte offsets; line and column
//! numbers are computed from a [`LineIndex`] only when a human or a report needs them. This
//! module depends on nothing else in the crate.

use std::path::Path;
use std::sync::Arc;

/// A half-open byte range `[start, end)` into a [`SourceFile`]'s text. Offsets are stored in
/// 4 bytes (every node and key of every tree holds a span: this keeps a tree node at 40 bytes
/// and a mapping key at 32); [`crate::manifest::yaml::parse`] refuses texts longer than
/// [`MAX_TEXT`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    start: u32,
    end: u32,
}

/// Texts up to this many bytes fit a [`Span`]'s offsets.
pub const MAX_TEXT: usize = u32::MAX as usize;

impl Span {
    /// A span covering `start..end` (offsets past [`MAX_TEXT`] are clamped to it).
    pub fn new(start: usize, end: usize) -> Self {
        let clamp = |o: usize| u32::try_from(o).unwrap_or(u32::MAX);
        Span {
            start: clamp(start),
            end: clamp(end.max(start)),
        }
    }
    /// An empty span at `at`.
    pub fn empty(at: usize) -> Self {
        Span::new(at, at)
    }
    /// First byte of the range.
    pub fn start(self) -> usize {
        self.start as usize
    }
    /// One past the last byte of the range.
    pub fn end(self) -> usize {
        self.end as usize
    }
}

/// A 1-based line and column (columns count Unicode scalar values).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct Position {
    /// 1-based line number.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
}

/// Maps byte offsets to lines and columns.
#[derive(Debug, Clone, Default)]
pub struct LineIndex {
    starts: Starts,
}

/// Line starts: 4 bytes each, as every file of a lint run keeps its index as long as its
/// findings (on 100k objects that halves 34 MB); texts of 4 GiB or more need 8.
#[derive(Debug, Clone)]
enum Starts {
    Narrow(Box<[u32]>),
    Wide(Box<[usize]>),
}

impl Default for Starts {
    fn default() -> Self {
        Starts::Narrow(Box::new([0]))
    }
}

impl Starts {
    fn len(&self) -> usize {
        match self {
            Starts::Narrow(v) => v.len(),
            Starts::Wide(v) => v.len(),
        }
    }

    fn get(&self, i: usize) -> usize {
        match self {
            Starts::Narrow(v) => v[i] as usize,
            Starts::Wide(v) => v[i],
        }
    }

    /// `binary_search` for `offset`.
    fn search(&self, offset: usize) -> Result<usize, usize> {
        match self {
            Starts::Narrow(v) => match u32::try_from(offset) {
                Ok(o) => v.binary_search(&o),
                Err(_) => Err(v.len()),
            },
            Starts::Wide(v) => v.binary_search(&offset),
        }
    }
}

impl LineIndex {
    /// Index the line starts of `text` (`\n`, `\r\n` and lone `\r` all end a line).
    pub fn new(text: &str) -> Self {
        let bytes = text.as_bytes();
        let starts = if u32::try_from(bytes.len()).is_ok() {
            let mut v: Vec<u32> = Vec::with_capacity(bytes.len() / 32 + 1);
            // In range: no offset exceeds the length.
            scan(bytes, |i| v.push(i as u32));
            Starts::Narrow(v.into_boxed_slice())
        } else {
            let mut v = Vec::new();
            scan(bytes, |i| v.push(i));
            Starts::Wide(v.into_boxed_slice())
        };
        LineIndex { starts }
    }

    /// The line starts (tests).
    #[cfg(test)]
    fn starts(&self) -> Vec<usize> {
        (0..self.starts.len()).map(|i| self.starts.get(i)).collect()
    }

    /// Number of lines.
    pub fn line_count(&self) -> usize {
        self.starts.len()
    }

    /// Byte offset where 1-based `line` starts (clamped to the last line).
    pub fn line_start(&self, line: usize) -> usize {
        let idx = line.saturating_sub(1).min(self.starts.len() - 1);
        self.starts.get(idx)
    }

    /// The 1-based line containing byte `offset`.
    pub fn line_of(&self, offset: usize) -> usize {
        match self.starts.search(offset) {
            Ok(i) => i + 1,
            Err(i) => i,
        }
    }

    /// Line and column of byte `offset` in `text`.
    pub fn position(&self, text: &str, offset: usize) -> Position {
        let offset = floor_char_boundary(text, offset.min(text.len()));
        let line = self.line_of(offset);
        let start = self.starts.get(line - 1);
        let column = text[start..offset].chars().count() + 1;
        Position { line, column }
    }

    /// Byte offset of 1-based `line` and 0-based character column `col`.
    pub fn offset(&self, text: &str, line: usize, col: usize) -> usize {
        let start = self.line_start(line);
        let rest = &text[start.min(text.len())..];
        // Columns count characters: where the line's first `col` bytes are ASCII, they are the
        // `col` characters (most lines of a file with some non-ASCII text).
        if rest.as_bytes().get(..col).is_some_and(<[u8]>::is_ascii) {
            return start + col;
        }
        match rest.char_indices().nth(col) {
            Some((b, _)) => start + b,
            None => text.len(),
        }
    }

    /// The text of 1-based `line` without its line terminator.
    pub fn line_text<'a>(&self, text: &'a str, line: usize) -> &'a str {
        let start = self.line_start(line).min(text.len());
        let end = if line < self.starts.len() {
            self.starts.get(line)
        } else {
            text.len()
        };
        text[start..end].trim_end_matches(['\n', '\r'])
    }
}

/// Report the start of every line of `bytes` to `push`, in order (see [`LineIndex::new`]).
fn scan(bytes: &[u8], mut push: impl FnMut(usize)) {
    push(0);
    if !bytes.contains(&b'\r') {
        // The common case, `\n` only. Lines are short (memchr's per-call set-up dominates), so
        // test eight bytes at a time for a `\n` and look closer only where there is one.
        const ONES: u64 = 0x0101_0101_0101_0101;
        let chunks = bytes.chunks_exact(8);
        let tail = chunks.remainder();
        for (k, chunk) in chunks.enumerate() {
            let Ok(word) = <[u8; 8]>::try_from(chunk) else {
                continue;
            };
            let x = u64::from_le_bytes(word) ^ (ONES * u64::from(b'\n'));
            if x.wrapping_sub(ONES) & !x & (ONES << 7) != 0 {
                for (j, &b) in chunk.iter().enumerate() {
                    if b == b'\n' {
                        push(k * 8 + j + 1);
                    }
                }
            }
        }
        let base = bytes.len() - tail.len();
        for (j, &b) in tail.iter().enumerate() {
            if b == b'\n' {
                push(base + j + 1);
            }
        }
        return;
    }
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => push(i + 1),
            b'\r' => {
                if bytes.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
                push(i + 1);
            }
            _ => {}
        }
        i += 1;
    }
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// One input file: its display path, its text (BOM removed) and its line index.
///
/// A source can be *detached* ([`SourceFile::detach`]): a stand-in that keeps the path and a
/// digest of the text but neither the text nor its line index, so that a large run need not
/// hold every file's text until its report is written. Whoever needs the text again reads the
/// file back and checks it against the digest ([`SourceFile::reattach_with`]); nothing may take
/// positions or slices from a detached source.
#[derive(Debug)]
pub struct SourceFile {
    /// Path as shown to users: relative to the working directory, `/` separators.
    pub path: String,
    /// Full text, without a leading UTF-8 byte order mark (empty when detached).
    pub text: String,
    /// Line starts of `text`.
    pub lines: LineIndex,
    /// On a detached source: the length and [`digest`] of its text.
    detached: Option<(usize, u64)>,
    /// On a detached source, where its text was read from, when its path does not say (see
    /// [`SourceFile::detach`]).
    origin: Option<Box<Path>>,
}

/// Shared handle to a source file.
pub type Source = Arc<SourceFile>;

impl SourceFile {
    /// Build a source file, stripping a UTF-8 BOM.
    pub fn new(path: impl Into<String>, text: impl Into<String>) -> Source {
        let mut text: String = text.into();
        if text.starts_with('\u{feff}') {
            text.drain(..3);
        }
        let lines = LineIndex::new(&text);
        Arc::new(SourceFile {
            path: path.into(),
            text,
            lines,
            detached: None,
            origin: None,
        })
    }

    /// A detached stand-in for this source: same path, no text (see [`SourceFile`]). `origin`
    /// is the file its text came from, when that is not its path (relative to the working
    /// directory, as [`SourceFile::reattach_with`] is given it).
    pub fn detach(&self, origin: Option<&Path>) -> Source {
        Arc::new(SourceFile {
            path: self.path.clone(),
            text: String::new(),
            lines: LineIndex::new(""),
            detached: Some((self.text.len(), digest(self.text.as_bytes()))),
            origin: origin.map(Box::from),
        })
    }

    /// Is this a detached stand-in (without its text)?
    pub fn is_detached(&self) -> bool {
        self.detached.is_some()
    }

    /// The source with its text: this one when it is not detached, else the file read back by
    /// `read` (given its origin, or else its path; returning its text as first read: BOM and
    /// all). Fails when the file cannot be read or no longer holds the same text.
    pub fn reattach_with(
        self: &Arc<Self>,
        read: impl FnOnce(&Path) -> std::io::Result<String>,
    ) -> Result<Source, String> {
        let Some((len, hash)) = self.detached else {
            return Ok(self.clone());
        };
        let file = self.origin.as_deref().unwrap_or(Path::new(&self.path));
        let text = read(file).map_err(|e| format!("cannot read it again: {e}"))?;
        let full = SourceFile::new(self.path.clone(), text);
        if full.text.len() != len || digest(full.text.as_bytes()) != hash {
            return Err("it changed while it was being linted".to_string());
        }
        Ok(full)
    }

    /// Line and column of a byte offset.
    pub fn position(&self, offset: usize) -> Position {
        self.lines.position(&self.text, offset)
    }

    /// The text a span covers (empty when the span is out of range).
    pub fn slice(&self, span: Span) -> &str {
        self.text.get(span.start()..span.end()).unwrap_or("")
    }
}

/// A 64-bit digest of `bytes`, taken eight bytes a step: it tells a file read back from the
/// one first read (any one changed byte changes it), and is no defence against an adversary.
fn digest(bytes: &[u8]) -> u64 {
    const K: u64 = 0x9e37_79b9_7f4a_7c15;
    let mix = |h: u64, w: u64| (h ^ w).wrapping_mul(K).rotate_left(29);
    let mut chunks = bytes.chunks_exact(8);
    let mut h = (bytes.len() as u64).wrapping_mul(K);
    for c in &mut chunks {
        h = mix(h, u64::from_le_bytes(c.try_into().unwrap_or([0; 8])));
    }
    let mut tail = [0u8; 8];
    tail[..chunks.remainder().len()].copy_from_slice(chunks.remainder());
    h = mix(h, u64::from_le_bytes(tail));
    h ^ (h >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_detached_source_reads_its_text_back_and_notices_a_change() {
        let text = "\u{feff}kind: Pod\nmetadata:\n  name: é\n";
        let full = SourceFile::new("pod.yaml", text);
        let stub = full.detach(None);
        assert!(stub.is_detached() && !full.is_detached());
        assert_eq!((stub.path.as_str(), stub.text.as_str()), ("pod.yaml", ""));
        // Not detached: the same source, nothing read.
        let same = full.reattach_with(|_| panic!("read")).unwrap();
        assert!(Arc::ptr_eq(&same, &full));
        // Read back from where it came from, byte order mark and all.
        let back = stub
            .reattach_with(|p| {
                assert_eq!(p, Path::new("pod.yaml"));
                Ok(text.to_string())
            })
            .unwrap();
        assert!(!back.is_detached());
        assert_eq!(back.text, full.text);
        assert_eq!(back.position(27), full.position(27));
        // Read from where it came from when that is not its path.
        let elsewhere = full.detach(Some(Path::new("/elsewhere/pod.yaml")));
        let read = |p: &Path| {
            assert_eq!(p, Path::new("/elsewhere/pod.yaml"));
            Ok(text.to_string())
        };
        assert_eq!(elsewhere.reattach_with(read).unwrap().text, full.text);
        // One byte changed, a byte added, or the file gone: an error, not a wrong position.
        for changed in [text.replace("Pod", "Pad"), format!("{text} ")] {
            let e = stub.reattach_with(|_| Ok(changed)).unwrap_err();
            assert!(e.contains("changed"), "{e}");
        }
        let e = stub
            .reattach_with(|_| Err(std::io::Error::other("gone")))
            .unwrap_err();
        assert!(e.contains("gone"), "{e}");
    }

    #[test]
    fn the_digest_sees_every_byte() {
        let base: Vec<u8> = (0..=255u8).cycle().take(1000).collect();
        let d = digest(&base);
        for i in [0, 7, 8, 500, 991, 999] {
            let mut b = base.clone();
            b[i] ^= 1;
            assert_ne!(digest(&b), d, "byte {i}");
        }
        assert_ne!(digest(&base[..999]), d);
        assert_ne!(digest(b""), digest(b"\0"));
    }

    #[test]
    fn positions_handle_crlf_and_multibyte() {
        let f = SourceFile::new("a.yaml", "\u{feff}a: é\r\nb: 2\n");
        assert_eq!(f.text, "a: é\r\nb: 2\n");
        assert_eq!(f.position(0), Position { line: 1, column: 1 });
        assert_eq!(f.position(3), Position { line: 1, column: 4 });
        let b = f.text.find('b').unwrap();
        assert_eq!(f.position(b), Position { line: 2, column: 1 });
        assert_eq!(f.lines.offset(&f.text, 2, 3), b + 3);
        assert_eq!(f.lines.line_text(&f.text, 1), "a: é");
    }

    #[test]
    fn offsets_count_characters_with_or_without_multibyte_text() {
        let text = "ab: c\né: ü → x\nplain\n\nlast é";
        let index = LineIndex::new(text);
        for line in 1..=6 {
            let start = index.line_start(line).min(text.len());
            for col in 0..30 {
                let walked = text[start..]
                    .char_indices()
                    .nth(col)
                    .map_or(text.len(), |(b, _)| start + b);
                assert_eq!(index.offset(text, line, col), walked, "{line}:{col}");
            }
        }
    }

    #[test]
    fn wide_and_narrow_line_starts_find_the_same_lines() {
        let text = "a: 1\nbb: 2\n\nccc: 3";
        let narrow = LineIndex::new(text);
        let wide = LineIndex {
            starts: Starts::Wide(narrow.starts().into_boxed_slice()),
        };
        assert!(matches!(narrow.starts, Starts::Narrow(_)));
        for offset in 0..=text.len() + 2 {
            assert_eq!(narrow.line_of(offset), wide.line_of(offset), "{offset}");
            assert_eq!(narrow.position(text, offset), wide.position(text, offset));
        }
        for line in 0..6 {
            assert_eq!(narrow.line_start(line), wide.line_start(line));
            assert_eq!(narrow.line_text(text, line), wide.line_text(text, line));
        }
        assert_eq!(narrow.line_of(usize::MAX), 4);
        assert_eq!(wide.line_of(usize::MAX), 4);
    }

    #[test]
    fn line_starts_with_and_without_carriage_returns() {
        for (text, starts) in [
            ("a\nb\n\nc", vec![0, 2, 4, 5]),
            ("a\r\nb\rc\n", vec![0, 3, 5, 7]),
            ("", vec![0]),
            ("\n", vec![0, 1]),
        ] {
            assert_eq!(LineIndex::new(text).starts(), starts, "{text:?}");
        }
        // Every position of a break, inside and across 8-byte words, next to any byte.
        for len in 0..40 {
            for at in 0..len {
                for other in [b'a', 0x0b, 0x09, 0x8a, 0xff, 0x00] {
                    let mut bytes = vec![other; len];
                    bytes[at] = b'\n';
                    if len > at + 9 {
                        bytes[at + 9] = b'\n';
                    }
                    let text = String::from_utf8_lossy(&bytes).into_owned();
                    let want: Vec<usize> = std::iter::once(0)
                        .chain(
                            text.bytes()
                                .enumerate()
                                .filter(|(_, b)| *b == b'\n')
                                .map(|(i, _)| i + 1),
                        )
                        .collect();
                    assert_eq!(LineIndex::new(&text).starts(), want, "{len} {at} {other}");
                }
            }
        }
    }
}
