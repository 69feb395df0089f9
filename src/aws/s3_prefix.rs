//! `s3://bucket/prefix` as inputs listed while they are read: one `ListObjectsV2` page at a time,
//! the next listed while this one's objects are fetched, so that a prefix of millions of objects
//! holds a few pages of keys and the bodies fetched ahead, never the whole listing.

use std::io::{self, Read};
use std::sync::{Arc, Mutex};

use tokio::sync::{Semaphore, mpsc};

use super::s3::{CHUNKS_AHEAD, Chunks, S3Store, body, concurrency_u32};
use crate::input::{AwsSettings, InputSource, KeyDates, OpenObject, S3Object, S3Uri};

/// Pages listed ahead of the one whose objects are being fetched: one is enough for the next
/// `ListObjectsV2` to overlap the fetches of this page's objects.
const PAGES_AHEAD: usize = 1;

/// What the fetching thread hands the reader, in listing order.
#[derive(Debug)]
enum Listed {
    /// An object the dates admit, and its body as it is fetched.
    Object(String, Chunks),
    /// The listing stopped here: why, naming the prefix. Nothing follows.
    Failed(String),
}

/// The objects under a prefix as inputs, in key order, each fetched (a bounded number at once,
/// across page boundaries) before the reader asks for it. Nothing is listed until the first is
/// asked for. Each input is to be opened before the next is asked for, as `check` does: the
/// body of one passed over is dropped, which stops its fetch.
#[derive(Debug)]
pub struct PrefixInputs {
    uri: S3Uri,
    state: State,
    next_index: usize,
    pending: Arc<Pending>,
}

#[derive(Debug)]
enum State {
    Idle {
        settings: AwsSettings,
        dates: KeyDates,
        concurrency: usize,
    },
    Running(mpsc::Receiver<Listed>),
    Done,
}

/// The inputs `uri` names: one per object under it that `dates` admits, in key order, listed
/// page by page as they are read and fetched `concurrency` at a time ahead of the reader. A
/// listing that fails, on its first page or a later one, is one input named by `uri` whose
/// reading gives the error, after the objects listed before it.
pub fn prefix_inputs(
    uri: &S3Uri,
    settings: &AwsSettings,
    dates: &KeyDates,
    concurrency: usize,
) -> PrefixInputs {
    PrefixInputs {
        uri: uri.clone(),
        state: State::Idle {
            settings: settings.clone(),
            dates: *dates,
            concurrency: concurrency.max(1),
        },
        next_index: 0,
        pending: Arc::new(Pending(Mutex::new(None))),
    }
}

impl PrefixInputs {
    /// Inputs from listed objects a test hands over itself, as the fetching thread would.
    #[cfg(test)]
    fn from_listed(uri: &S3Uri, listed: mpsc::Receiver<Listed>) -> Self {
        Self {
            uri: uri.clone(),
            state: State::Running(listed),
            next_index: 0,
            pending: Arc::new(Pending(Mutex::new(None))),
        }
    }

    fn unlisted(&self, message: String) -> InputSource {
        InputSource::S3(S3Object::unlisted(&self.uri, message))
    }
}

impl Iterator for PrefixInputs {
    type Item = InputSource;

    fn next(&mut self) -> Option<InputSource> {
        if let State::Idle {
            settings,
            dates,
            concurrency,
        } = &self.state
        {
            match start(&self.uri, settings.clone(), *dates, *concurrency) {
                Ok(listed) => self.state = State::Running(listed),
                Err(error) => {
                    self.state = State::Done;
                    let uri = &self.uri;
                    return Some(self.unlisted(format!(
                        "cannot list {uri}: cannot start the S3 reader: {error}"
                    )));
                }
            }
        }
        let State::Running(listed) = &mut self.state else {
            return None;
        };
        match listed.blocking_recv() {
            Some(Listed::Object(key, chunks)) => {
                let index = self.next_index;
                self.next_index += 1;
                self.pending.hold(index, chunks);
                Some(InputSource::S3(S3Object {
                    uri: Arc::from(self.uri.object(&key).to_string()),
                    key,
                    index,
                    opener: Arc::clone(&self.pending) as Arc<dyn OpenObject>,
                }))
            }
            Some(Listed::Failed(message)) => {
                self.state = State::Done;
                Some(self.unlisted(message))
            }
            None => {
                self.state = State::Done;
                None
            }
        }
    }
}

/// The body of the input handed out last, until it is opened.
#[derive(Debug)]
struct Pending(Mutex<Option<(usize, Chunks)>>);

impl Pending {
    fn hold(&self, index: usize, chunks: Chunks) {
        // A poisoned lock only means a reader panicked; the slot itself is still sound.
        let mut slot = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *slot = Some((index, chunks));
    }
}

impl OpenObject for Pending {
    fn open(&self, object: &S3Object) -> io::Result<Box<dyn Read + Send>> {
        let held = self
            .0
            .lock()
            .map_err(|_| io::Error::other("the S3 reader failed"))?
            .take();
        match held {
            Some((index, chunks)) if index == object.index => body(chunks),
            _ => Err(io::Error::other(format!(
                "{} was opened out of the order of its listing",
                object.uri
            ))),
        }
    }
}

/// Starts the thread that lists `uri` page by page and fetches the objects `dates` admits, in
/// order, `concurrency` at once; the reader receives them in that order.
fn start(
    uri: &S3Uri,
    settings: AwsSettings,
    dates: KeyDates,
    concurrency: usize,
) -> io::Result<mpsc::Receiver<Listed>> {
    let (listed_tx, listed_rx) = mpsc::channel(concurrency);
    let uri = uri.clone();
    std::thread::Builder::new()
        .name("s3-list".to_owned())
        .spawn(move || {
            let runtime = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(runtime) => runtime,
                Err(error) => {
                    let message =
                        format!("cannot list {uri}: cannot start the async runtime: {error}");
                    let _ = listed_tx.blocking_send(Listed::Failed(message));
                    return;
                }
            };
            runtime.block_on(list_and_fetch(uri, settings, dates, concurrency, listed_tx));
        })?;
    Ok(listed_rx)
}

async fn list_and_fetch(
    uri: S3Uri,
    settings: AwsSettings,
    dates: KeyDates,
    concurrency: usize,
    listed: mpsc::Sender<Listed>,
) {
    let store = Arc::new(S3Store::from_settings(&settings).await);
    let (pages_tx, mut pages) = mpsc::channel(PAGES_AHEAD);
    let lister = {
        let (store, uri) = (Arc::clone(&store), uri.clone());
        tokio::spawn(async move { store.send_pages(&uri, &dates, pages_tx).await })
    };
    let permits = Arc::new(Semaphore::new(concurrency));
    let mut last: Option<String> = None;
    while let Some(page) = pages.recv().await {
        let objects = match page {
            Ok(objects) => objects,
            Err(error) => {
                // Said after the objects before it, so that the report shows how far it got.
                let message = match &last {
                    None => format!("cannot list {uri}: {error}"),
                    Some(key) => format!("cannot list {uri} past `{key}`: {error}"),
                };
                let _ = listed.send(Listed::Failed(message)).await;
                break;
            }
        };
        for object in objects {
            let Ok(permit) = Arc::clone(&permits).acquire_owned().await else {
                return;
            };
            let (chunks_tx, chunks_rx) = mpsc::channel(CHUNKS_AHEAD);
            let target = uri.object(&object.key);
            if listed
                .send(Listed::Object(object.key.clone(), chunks_rx))
                .await
                .is_err()
            {
                // The reader is gone: dropping the runtime stops the listing and the fetches.
                return;
            }
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                store.stream(&target, chunks_tx).await;
                drop(permit);
            });
            last = Some(object.key);
        }
    }
    drop(pages);
    let _ = lister.await;
    // Every fetch is spawned; wait for the last ones before the runtime ends.
    let _ = permits.acquire_many(concurrency_u32(concurrency)).await;
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn object(key: &str, text: &str) -> Listed {
        let (chunks_tx, chunks_rx) = mpsc::channel(CHUNKS_AHEAD);
        chunks_tx.try_send(Ok(text.as_bytes().to_vec())).unwrap();
        Listed::Object(key.to_owned(), chunks_rx)
    }

    fn read(input: &InputSource) -> Result<String, String> {
        let InputSource::S3(object) = input else {
            return Err(format!("not an S3 object: {input}"));
        };
        let mut text = String::new();
        object
            .open()
            .and_then(|mut body| body.read_to_string(&mut text))
            .map_err(|error| error.to_string())?;
        Ok(text)
    }

    #[test]
    fn a_listing_that_fails_part_way_is_an_input_error_naming_the_prefix_after_what_was_listed() {
        let uri = S3Uri::parse("s3://trail/AWSLogs/").unwrap();
        let (listed_tx, listed_rx) = mpsc::channel(8);
        listed_tx.try_send(object("AWSLogs/a", "[1]")).unwrap();
        listed_tx.try_send(object("AWSLogs/b", "[2]")).unwrap();
        let failed = "cannot list s3://trail/AWSLogs/ past `AWSLogs/b`: AccessDenied".to_owned();
        listed_tx.try_send(Listed::Failed(failed.clone())).unwrap();
        drop(listed_tx);
        let mut inputs = PrefixInputs::from_listed(&uri, listed_rx);
        let mut seen = Vec::new();
        for input in inputs.by_ref() {
            seen.push((input.to_string(), read(&input)));
        }
        assert_eq!(
            seen,
            [
                ("s3://trail/AWSLogs/a".to_owned(), Ok("[1]".to_owned())),
                ("s3://trail/AWSLogs/b".to_owned(), Ok("[2]".to_owned())),
                ("s3://trail/AWSLogs/".to_owned(), Err(failed)),
            ]
        );
        assert!(inputs.next().is_none());
    }

    #[test]
    fn an_input_passed_over_cannot_be_opened_after_the_next() {
        let uri = S3Uri::parse("s3://trail/p/").unwrap();
        let (listed_tx, listed_rx) = mpsc::channel(8);
        listed_tx.try_send(object("p/a", "[1]")).unwrap();
        listed_tx.try_send(object("p/b", "[2]")).unwrap();
        drop(listed_tx);
        let mut inputs = PrefixInputs::from_listed(&uri, listed_rx);
        let first = inputs.next().unwrap();
        let second = inputs.next().unwrap();
        assert_eq!(read(&second), Ok("[2]".to_owned()));
        assert!(read(&first).unwrap_err().contains("out of the order"));
    }
}
