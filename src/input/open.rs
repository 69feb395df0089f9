//! Opening an input for reading: standard input or a file, gunzipped when compressed, without its
//! byte order mark; or Session Manager's `DescribeSessions` (`ssm:active`), read as its pages.

use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Cursor, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use flate2::read::MultiGzDecoder;

use super::s3::S3Object;
use super::ssm::SessionQuery;

/// Large enough that nearly every JSON Lines record fits in one buffer fill, which lets the
/// framer take lines whole instead of scanning them.
const READ_BUFFER_SIZE: usize = 256 * 1024;
/// How much of a file is read first, to look for the gzip magic bytes: a whole number of pages.
const FIRST_BLOCK: usize = 64 * 1024;
const GZIP_MAGIC: &[u8] = &[0x1f, 0x8b];
const UTF8_BOM: &[u8] = &[0xef, 0xbb, 0xbf];

/// Where an input's bytes come from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum InputSource {
    Stdin,
    File(PathBuf),
    /// Bytes a caller already holds (an export fetched over the network, a test's data), read
    /// as a file with that name would be, gzip included.
    Memory {
        name: Arc<str>,
        bytes: Arc<[u8]>,
    },
    /// `ssm:active`, `ssm:history?...`: the sessions `DescribeSessions` lists.
    Sessions(SessionQuery),
    /// One object of an `s3://bucket/prefix` listing, read as a file would be, gzip included.
    S3(S3Object),
}

impl InputSource {
    /// The source a command-line argument names: `-` is standard input.
    pub fn from_arg(arg: impl Into<PathBuf>) -> Self {
        let path = arg.into();
        if is_stdin_name(&path) {
            Self::Stdin
        } else {
            Self::File(path)
        }
    }

    /// Bytes held in memory, named `name` in reports.
    pub fn memory(name: impl Into<Arc<str>>, bytes: impl Into<Arc<[u8]>>) -> Self {
        Self::Memory {
            name: name.into(),
            bytes: bytes.into(),
        }
    }
}

impl fmt::Display for InputSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Stdin => f.write_str("<stdin>"),
            Self::File(path) => write!(f, "{}", path.display()),
            Self::Memory { name, .. } => f.write_str(name),
            Self::Sessions(query) => write!(f, "{query}"),
            Self::S3(object) => write!(f, "{object}"),
        }
    }
}

/// Opens a source for reading: `-` or no path is stdin; gzip detected by magic bytes 1f 8b
/// (flate2 MultiGzDecoder, so concatenated gzip members work), independent of the file name; a
/// UTF-8 BOM at the very start of the (decompressed) stream is skipped. A directory gives a clear
/// io error naming it.
pub fn open_input(source: &InputSource) -> io::Result<Box<dyn BufRead + Send>> {
    // From a file, the first block is read whole, not just the magic bytes: reads after it then
    // start at a page boundary of the file, which the kernel copies at twice the speed of an odd
    // offset. Standard input may be a slow stream, so no more is awaited there than is needed.
    let (raw, first): (Box<dyn Read + Send>, usize) = match source {
        InputSource::Sessions(query) => return open_sessions(query),
        InputSource::File(path) if !is_stdin_name(path) => {
            (Box::new(open_file(path)?), FIRST_BLOCK)
        }
        InputSource::File(_) | InputSource::Stdin => (Box::new(io::stdin()), GZIP_MAGIC.len()),
        InputSource::Memory { bytes, .. } => {
            (Box::new(Cursor::new(Arc::clone(bytes))), FIRST_BLOCK)
        }
        InputSource::S3(object) => (object.open()?, FIRST_BLOCK),
    };
    let (head, raw) = peek(raw, first)?;
    let is_gzip = head.starts_with(GZIP_MAGIC);
    let raw = Cursor::new(head).chain(raw);
    let text: Box<dyn Read + Send> = if is_gzip {
        Box::new(MultiGzDecoder::new(raw))
    } else {
        Box::new(raw)
    };
    let (start, text) = peek(text, UTF8_BOM.len())?;
    let text: Box<dyn Read + Send> = if start == UTF8_BOM {
        text
    } else {
        Box::new(Cursor::new(start).chain(text))
    };
    Ok(Box::new(BufReader::with_capacity(READ_BUFFER_SIZE, text)))
}

/// The pages of `DescribeSessions`, as the API returns them.
#[cfg(feature = "aws")]
fn open_sessions(query: &SessionQuery) -> io::Result<Box<dyn BufRead + Send>> {
    crate::aws::open_sessions(query)
}

/// Without the SDK there is nothing to call: say how to get a build that has it.
#[cfg(not(feature = "aws"))]
fn open_sessions(query: &SessionQuery) -> io::Result<Box<dyn BufRead + Send>> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        format!(
            "`{query}` reads sessions from AWS, and this ssm-guard was built without the AWS SDK: build it with `--features aws`"
        ),
    ))
}

fn is_stdin_name(path: &Path) -> bool {
    path.as_os_str() == "-"
}

fn open_file(path: &Path) -> io::Result<File> {
    let file = File::open(path)?;
    // Opening a directory succeeds on Unix; reading it would fail with a message that names
    // nothing.
    if file.metadata()?.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::IsADirectory,
            format!("{} is a directory, not a file", path.display()),
        ));
    }
    Ok(file)
}

/// Reads up to `len` bytes from the start of `reader` (fewer only at end of input), returning
/// them with the reader positioned after them.
fn peek<R: Read>(mut reader: R, len: usize) -> io::Result<(Vec<u8>, R)> {
    let mut head = Vec::with_capacity(len);
    (&mut reader).take(len as u64).read_to_end(&mut head)?;
    Ok((head, reader))
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::Compression;
    use flate2::write::GzEncoder;
    use std::io::Write;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A file in the system temporary directory, removed when dropped.
    struct TempFile(PathBuf);

    impl TempFile {
        fn new(name: &str, contents: &[u8]) -> Self {
            static COUNTER: AtomicUsize = AtomicUsize::new(0);
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let path = std::env::temp_dir()
                .join(format!("ssm-guard-open-{}-{n}-{name}", std::process::id()));
            std::fs::write(&path, contents).unwrap();
            Self(path)
        }
    }

    impl Drop for TempFile {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
        encoder.write_all(data).unwrap();
        encoder.finish().unwrap()
    }

    fn read_all(contents: &[u8], name: &str) -> Vec<u8> {
        let file = TempFile::new(name, contents);
        let mut reader = open_input(&InputSource::File(file.0.clone())).unwrap();
        let mut out = Vec::new();
        reader.read_to_end(&mut out).unwrap();
        out
    }

    #[test]
    fn plain_file_is_read_as_is() {
        assert_eq!(read_all(b"{\"a\":1}\n", "plain.json"), b"{\"a\":1}\n");
    }

    #[test]
    fn empty_and_one_byte_files() {
        assert_eq!(read_all(b"", "empty.json"), b"");
        assert_eq!(read_all(b"{", "one.json"), b"{");
        assert_eq!(read_all(b"\x1f", "magic-start.json"), b"\x1f");
    }

    #[test]
    fn gzip_is_detected_by_content_not_name() {
        let data = b"{\"Sessions\": []}\n";
        assert_eq!(read_all(&gzip(data), "sessions.json"), data);
        assert_eq!(read_all(data, "sessions.json.gz"), data);
    }

    #[test]
    fn concatenated_gzip_members_are_all_read() {
        let mut both = gzip(b"{\"a\":1}\n");
        both.extend(gzip(b"{\"b\":2}\n"));
        assert_eq!(read_all(&both, "two.gz"), b"{\"a\":1}\n{\"b\":2}\n");
    }

    #[test]
    fn bom_is_skipped_only_at_the_start() {
        assert_eq!(read_all(b"\xef\xbb\xbf[1]", "bom.json"), b"[1]");
        assert_eq!(read_all(b"\xef\xbb\xbf", "only-bom.json"), b"");
        assert_eq!(
            read_all(b"[1]\xef\xbb\xbf", "late-bom.json"),
            b"[1]\xef\xbb\xbf"
        );
        assert_eq!(read_all(b"\xef\xbb[", "half-bom.json"), b"\xef\xbb[");
    }

    #[test]
    fn bom_inside_gzip_is_skipped() {
        assert_eq!(read_all(&gzip(b"\xef\xbb\xbf{}"), "bom.gz"), b"{}");
    }

    #[test]
    fn gzip_members_with_bom_frame_as_one_stream() {
        use crate::input::{Batch, Container, Framer};
        let mut data = gzip(b"\xef\xbb\xbf{\"Sessions\": [{\"SessionId\": \"s-1\"},\n");
        data.extend(gzip(b"  {\"SessionId\": \"s-2\"}]}\n"));
        let file = TempFile::new("framed.json", &data);
        let reader = open_input(&InputSource::File(file.0.clone())).unwrap();
        let mut framer = Framer::new(reader);
        let mut batch = Batch::default();
        assert!(framer.next_batch(&mut batch, 10).unwrap());
        let frames: Vec<_> = batch
            .items
            .iter()
            .map(|item| {
                let frame = item.as_ref().unwrap();
                (frame.line, frame.container, batch.bytes(frame).to_vec())
            })
            .collect();
        assert_eq!(
            frames,
            [
                (1, Container::Sessions, b"{\"SessionId\": \"s-1\"}".to_vec()),
                (2, Container::Sessions, b"{\"SessionId\": \"s-2\"}".to_vec()),
            ]
        );
        assert!(!framer.next_batch(&mut batch, 10).unwrap());
    }

    #[test]
    fn directory_is_an_error_naming_it() {
        let dir = std::env::temp_dir();
        let error = open_input(&InputSource::File(dir.clone())).err().unwrap();
        assert_eq!(error.kind(), io::ErrorKind::IsADirectory);
        assert!(error.to_string().contains(&dir.display().to_string()));
    }

    #[test]
    fn missing_file_is_an_error() {
        let missing = std::env::temp_dir().join("ssm-guard-open-surely-missing.json");
        let error = open_input(&InputSource::File(missing)).err().unwrap();
        assert_eq!(error.kind(), io::ErrorKind::NotFound);
    }

    #[test]
    fn dash_means_stdin() {
        assert_eq!(InputSource::from_arg("-"), InputSource::Stdin);
        assert_eq!(
            InputSource::from_arg("a.json"),
            InputSource::File(PathBuf::from("a.json"))
        );
        assert_eq!(InputSource::Stdin.to_string(), "<stdin>");
        assert_eq!(
            InputSource::File(PathBuf::from("dir/a.json")).to_string(),
            "dir/a.json"
        );
    }

    #[test]
    fn bytes_in_memory_are_read_like_a_file() {
        let text = b"\xef\xbb\xbf{\"SessionId\": \"s-1\"}";
        for bytes in [text.to_vec(), gzip(text)] {
            let source = InputSource::memory("held.json", bytes);
            assert_eq!(source.to_string(), "held.json");
            let mut out = Vec::new();
            open_input(&source).unwrap().read_to_end(&mut out).unwrap();
            assert_eq!(out, &text[3..]);
        }
    }
}
